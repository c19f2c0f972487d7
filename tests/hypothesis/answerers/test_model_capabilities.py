"""What a model session can run: Lua scripts (the model extra brings lupa), and what it refuses.

A command the model cannot run must not reach the code as fakeredis' ``unknown command`` reply:
that is a ``RedisError``, which code that catches ``RedisError`` swallows, and the property would
pass without testing anything. It is refused with tripwire's ``UnmockedInteractionError`` (an
``AssertionError``), which names what to install or to mock.
"""

from __future__ import annotations

import pytest
import redis
from hypothesis import HealthCheck, Phase, given, settings

import tripwire
from tripwire import StrictVerifier, UnmockedInteractionError
from tripwire_hypothesis import RedisSession
from tripwire_hypothesis import strategies as tripwire_strategies

client = redis.Redis()
quick = settings(
    max_examples=10,
    database=None,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)

#: Releases a lock only if it still holds the caller's token (python-redis-lock's pattern).
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


@quick
@given(tripwire_strategies.redis_session(model=True, error_rate=0))
def test_a_model_session_runs_lua_with_eval_and_evalsha(session: RedisSession) -> None:
    session.model.set("lock", "token-1")
    session.install()
    with tripwire:
        release = client.register_script(RELEASE)
        # EVALSHA first: the model has not seen the script, redis-py loads it and retries.
        released_by_other = release(keys=["lock"], args=["token-2"])
        released = release(keys=["lock"], args=["token-1"])
        counted = client.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", 1, "n", 5)
    session.assert_consumed(args=lambda call: call.args, kwargs=lambda call: call.kwargs)
    assert (released_by_other, released, counted) == (0, 1, 5)
    assert [step.command for step in session.consumed] == [
        "EVALSHA",
        "SCRIPT LOAD",
        "EVALSHA",
        "EVALSHA",
        "EVAL",
    ]
    assert session.model.get("lock") is None


def test_a_command_the_model_does_not_implement_is_refused_not_a_redis_error(
    verifier: StrictVerifier,
) -> None:
    session = RedisSession.from_faults([])
    session.install()
    with verifier.sandbox():
        try:
            client.wait(1, 100)
        except redis.RedisError:  # what code under test does; it must not hide the refusal
            raise AssertionError("the refusal must not be a RedisError") from None
        except UnmockedInteractionError as refused:
            error = refused
    version = __import__("fakeredis").__version__
    assert not isinstance(error, redis.RedisError)
    assert str(error) == (
        f"redis.WAIT(...) was called, but the model of Redis (fakeredis {version}) does not "
        "implement it (unknown command 'wait'). Register a mock for it, or test that code "
        "against a real server.\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_command('WAIT', returns=...)\n"
        "Called with: args=(1, 100), kwargs={}"
    )


NO_LUPA_TEST = """
import pytest
import redis
from hypothesis import given, settings

import tripwire
from tripwire_hypothesis import strategies as tripwire_strategies

@settings(max_examples=5, database=None)
@given(tripwire_strategies.redis_session(model=True, error_rate=0))
def test_release(session):
    session.install()
    with tripwire:
        try:
            redis.Redis().eval("return 1", 0)
        except redis.RedisError:
            pass  # code that catches RedisError, as services do
"""


def test_without_lupa_a_script_is_refused_naming_what_to_install(
    pytester: pytest.Pytester,
) -> None:
    # Imported first (-p), before fakeredis: `import lupa` fails as when it is not installed.
    pytester.makepyfile(no_lupa="import sys\nsys.modules['lupa'] = None\n")
    pytester.makepyfile(test_scripts=NO_LUPA_TEST)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest_subprocess("-p", "no_lupa", "-p", "no:randomly", "-p", "no:cov")
    result.assert_outcomes(failed=1)
    shown = [line[1:].strip() for line in result.stdout.lines if line.startswith("E ")]
    assert (
        "tripwire.UnmockedInteractionError: redis.EVAL(...) was called, but the model of Redis "
        "(fakeredis) runs Lua only with the lupa package, which is not installed. Install it "
        "with: pip install 'fakeredis[lua]' (the model extra of python-tripwire brings it), or "
        "register a mock."
    ) in shown
    assert "tripwire.redis.mock_command('EVAL', returns=...)" in shown
