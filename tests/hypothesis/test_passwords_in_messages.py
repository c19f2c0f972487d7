"""No message of tripwire_hypothesis shows a password the code sent.

AUTH, HELLO ... AUTH and CONFIG SET requirepass carry a password: the refusal of an unmocked
call, the draws Hypothesis lists and the ``assert_command`` lines of a reproduction show ``ANY``
in its place, as the plugin's own messages do.
"""

from __future__ import annotations

import contextlib

import pytest
import redis
from hypothesis import HealthCheck, Phase, given, settings

import tripwire
from tripwire import UnmockedInteractionError
from tripwire_hypothesis import ConsumedStep, RedisSession, per_example_verifier
from tripwire_hypothesis import strategies as tripwire_strategies

PASSWORD = "hunter2-secret"

deterministic = settings(
    database=None,
    derandomize=True,
    deadline=None,
    max_examples=5,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)

CALLS = [
    (("AUTH", "default", PASSWORD), "('default', ANY)"),
    (("HELLO", 3, "AUTH", "default", PASSWORD), "(3, 'AUTH', 'default', ANY)"),
    (("CONFIG", "SET", "requirepass", PASSWORD), "('SET', 'requirepass', ANY)"),
]


@pytest.mark.parametrize(("call", "shown"), CALLS)
def test_a_refused_call_does_not_show_its_password(call: tuple[object, ...], shown: str) -> None:
    @deterministic
    @given(tripwire_strategies.redis_session(commands=["GET"]))
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        with tripwire:
            redis.Redis().execute_command(*call)

    with pytest.raises(UnmockedInteractionError) as failure:
        check()
    assert PASSWORD not in str(failure.value)
    assert f"Called with: args={shown}, kwargs={{}}" in str(failure.value)


@pytest.mark.parametrize(("call", "shown"), CALLS)
def test_a_consumed_step_asserts_its_password_as_any(call: tuple[object, ...], shown: str) -> None:
    command, *args = call
    step = ConsumedStep(0, str(command), tuple(args), {})
    assert step.assertion() == (
        f"tripwire.redis.assert_command({command!r}, args={shown}, kwargs={{}})"
    )


def test_the_faults_printed_for_a_failing_example_do_not_show_a_password() -> None:
    @deterministic
    @given(tripwire_strategies.redis_session(model=True))
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        with tripwire, contextlib.suppress(redis.RedisError):
            redis.Redis().execute_command("CONFIG", "SET", "requirepass", PASSWORD)
        raise AssertionError("always fails")

    with pytest.raises(AssertionError) as failure:
        check()
    report = "\n".join(getattr(failure.value, "__notes__", []))
    assert "CONFIG('SET', 'requirepass', ANY)" in report
    assert PASSWORD not in report


@pytest.mark.parametrize(("call", "shown"), CALLS)
def test_assert_sent_does_not_show_the_password_the_code_sent(
    call: tuple[object, ...], shown: str
) -> None:
    with tripwire.use_verifier(tripwire.StrictVerifier()):
        session = RedisSession.replay([])
        session.install()
        with tripwire:
            with contextlib.suppress(redis.RedisError):
                redis.Redis().execute_command(*call)
            with pytest.raises(AssertionError) as failure:
                session.assert_sent([("PING",)])
    command = call[0]
    arguments = shown[1:-1]
    assert str(failure.value) == (
        f"The code sent {command}({arguments}) (call 0) where ('PING',) was expected. If the "
        "code is right, assert what it sent instead:\n    session.assert_sent([\n        "
        f"({command!r}, {arguments}),\n    ])"
    )
    assert PASSWORD not in str(failure.value)


def test_assert_sent_does_not_show_the_password_it_expects() -> None:
    with tripwire.use_verifier(tripwire.StrictVerifier()):
        session = RedisSession.replay([])
        session.install()
        with tripwire:
            redis.Redis().execute_command("PING")
            with pytest.raises(AssertionError) as failure:
                session.assert_sent([("AUTH", "default", PASSWORD)])
    assert str(failure.value) == (
        "The code sent PING() (call 0) where ('AUTH', 'default', ANY) was expected. If the "
        "code is right, assert what it sent instead:\n    session.assert_sent([\n        "
        "('PING',),\n    ])"
    )


def test_the_schedule_of_concurrent_clients_does_not_show_a_password() -> None:
    @deterministic
    @given(tripwire_strategies.redis_session(model=True, error_rate=0))
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        with tripwire:
            client = redis.Redis()

            def log_in() -> None:
                with contextlib.suppress(redis.RedisError):
                    client.execute_command("CONFIG", "SET", "masterauth", PASSWORD)

            session.concurrently(log_in, lambda: client.set("k", "v"))
        raise AssertionError("always fails")

    with pytest.raises(AssertionError) as failure:
        check()
    report = "\n".join(getattr(failure.value, "__notes__", []))
    assert "CONFIG SET masterauth ANY -> " in report
    assert PASSWORD not in report
