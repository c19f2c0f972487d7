"""`RedisSession` and `Step`: installing, what was consumed, asserting, and the reprs."""

from __future__ import annotations

import pytest
import redis
from dirty_equals import IsInstance
from hypothesis.errors import InvalidArgument
from redis.backoff import NoBackoff
from redis.retry import Retry

import tripwire
from tripwire import StrictVerifier
from tripwire_hypothesis import ConsumedStep, RedisSession, Step

REFUSED = redis.exceptions.ConnectionError("Error 111 connecting to localhost:6379. Refused.")


def run(session: RedisSession, *calls: tuple[str, ...]) -> list[object]:
    """Install ``session`` and make ``calls`` in the sandbox; each result or raised error."""
    session.install()
    results: list[object] = []
    with tripwire:
        # Its faults reach the code: redis-py retries none of them (tests/hypothesis/
        # test_session_retries.py has the retries).
        client = redis.Redis(retry=Retry(NoBackoff(), 0))
        for call in calls:
            try:
                results.append(client.execute_command(*call))
            except redis.RedisError as error:
                results.append(error)
    return results


# -- installing and consuming --------------------------------------------------------------------


def test_install_registers_each_step_as_a_mock_in_order() -> None:
    session = RedisSession(
        [Step("get", returns=b"1"), Step("SET", returns=True), Step("GET", raises=REFUSED)]
    )
    results = run(session, ("GET", "a"), ("GET", "b"), ("SET", "a", b"2"))
    assert results == [b"1", REFUSED, True]
    # In call order, each with what it returned or raised.
    assert session.consumed == (
        ConsumedStep(0, "GET", ("a",), {}, returns=b"1"),
        ConsumedStep(1, "GET", ("b",), {}, raises=REFUSED),
        ConsumedStep(2, "SET", ("a", b"2"), {}, returns=True),
    )
    session.assert_sent({"GET": IsInstance(tuple), "SET": ("a", b"2")})


def test_a_step_never_called_is_not_consumed_and_fails_verification_if_required(
    verifier: StrictVerifier,
) -> None:
    session = RedisSession([Step("GET", returns=None), Step("DEL", returns=1)])
    run(session, ("GET", "k"))
    assert [consumed.command for consumed in session.consumed] == ["GET"]
    session.assert_sent([("GET", "k")])
    with pytest.raises(tripwire.UnusedMocksError) as error:
        verifier.verify_all()
    line = error.value.args[0].splitlines()[1]
    assert line.startswith("    tripwire.redis.mock_command('DEL', returns=1)  # registered at ")
    assert line.endswith("tests/hypothesis/test_sessions.py:21")


def test_optional_sessions_may_stay_unconsumed(verifier: StrictVerifier) -> None:
    RedisSession([Step("GET", returns=None)], required=False).install()
    verifier.verify_all()


def test_installing_twice_in_one_example_is_refused() -> None:
    session = RedisSession([Step("PING", returns=True)], required=False)
    session.install()
    with pytest.raises(InvalidArgument) as error:
        session.install()
    assert str(error.value) == (
        "RedisSession.install() was called twice in one example, which would register every "
        "step twice. Install a session once per example."
    )


def test_a_session_reused_by_the_next_verifier_installs_again() -> None:
    session = RedisSession([Step("PING", returns=True)], required=False)
    session.install()
    with tripwire.use_verifier(StrictVerifier()):
        session.install()
        run_without_install = session.consumed
    assert run_without_install == ()


@pytest.mark.parametrize("use", ["consumed", "assert_sent"])
def test_reading_what_was_consumed_needs_an_installed_session(use: str) -> None:
    session = RedisSession()
    with pytest.raises(InvalidArgument) as error:
        if use == "consumed":
            session.consumed  # noqa: B018
        else:
            session.assert_sent([])
    assert str(error.value) == (
        f"RedisSession.{use} needs the session installed first: call session.install() before "
        "`with tripwire:`."
    )


# -- reprs: code a user can paste ------------------------------------------------------------------


def test_the_repr_of_a_session_is_the_code_that_builds_it() -> None:
    session = RedisSession(
        [Step("GET", returns=None), Step("GET", raises=REFUSED), Step("SET", returns=True)],
        required=False,
    )
    text = (
        "RedisSession([\n"
        "    Step('GET', returns=None),\n"
        "    Step('GET', raises=redis.exceptions.ConnectionError("
        "'Error 111 connecting to localhost:6379. Refused.')),\n"
        "    Step('SET', returns=True),\n"
        "], required=False)"
    )
    assert repr(session) == text
    rebuilt = eval(text, {"RedisSession": RedisSession, "Step": Step, "redis": redis})
    assert [step.command for step in rebuilt.steps] == ["GET", "GET", "SET"]
    assert rebuilt.steps[0] == session.steps[0]
    assert rebuilt.steps[2] == session.steps[2]
    assert repr(rebuilt.steps[1].raises) == repr(REFUSED)
    assert not rebuilt.required
    assert repr(RedisSession()) == "RedisSession()"
    assert repr(RedisSession(required=False)) == "RedisSession(required=False)"


@pytest.mark.parametrize(
    ("step", "text"),
    [
        pytest.param(Step("get", returns=b"v"), "Step('GET', returns=b'v')", id="reply"),
        pytest.param(
            Step("GET", raises=redis.exceptions.TimeoutError("Timeout reading from socket")),
            "Step('GET', raises=redis.exceptions.TimeoutError('Timeout reading from socket'))",
            id="redis-error",
        ),
        pytest.param(
            Step("EVALSHA", raises=redis.exceptions.NoScriptError("No script.", status_code="X")),
            "Step('EVALSHA', raises=redis.exceptions.NoScriptError('No script.', status_code='X'))",
            id="status-code",
        ),
        pytest.param(
            Step("GET", raises=ValueError("bad", 2)),
            "Step('GET', raises=ValueError('bad', 2))",
            id="builtin-error",
        ),
        pytest.param(
            Step("GET", raises=redis.exceptions.ReadOnlyError),
            "Step('GET', raises=redis.exceptions.ReadOnlyError)",
            id="error-class",
        ),
        pytest.param(
            Step("script  load", returns="sha"),
            "Step('SCRIPT LOAD', returns='sha')",
            id="multi-word",
        ),
    ],
)
def test_the_repr_of_a_step_builds_it(step: Step, text: str) -> None:
    assert repr(step) == text
    assert eval(text, {"Step": Step, "redis": redis}) == step or step.raises is not None


def fetch_user(session: RedisSession) -> None:
    """A test body that installs the session, for the reproduction to read."""
    session.install()
    with tripwire:
        redis.Redis().get("user:1")
    session.assert_sent([("GET", "user:1")])


def test_the_reproduction_is_the_installing_function_s_body_with_the_session_scripted() -> None:
    session = RedisSession([Step("GET", returns=b"1"), Step("DEL", returns=1)], required=False)
    fetch_user(session)
    assert session.reproduction() == (
        "def test_fetch_user_example():\n"
        "    from tripwire_hypothesis import RedisSession, Step\n"
        "\n"
        "    session = RedisSession([\n"
        "        Step('GET', returns=b'1'),\n"
        "        Step('DEL', returns=1),\n"
        "    ], required=False)\n"
        "    session.install()\n"
        "    with tripwire:\n"
        '        redis.Redis().get("user:1")\n'
        '    session.assert_sent([("GET", "user:1")])'
    )


def test_a_session_not_installed_reproduces_as_a_skeleton_with_its_mocks() -> None:
    assert RedisSession([Step("PING", returns=True)]).reproduction() == (
        "def test_example():\n"
        "    tripwire.redis.mock_command('PING', returns=True)\n"
        "    with tripwire:\n"
        "        ...  # the code under test"
    )


# -- building sessions by hand --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(
            lambda: Step(""),
            "Step() argument 'command' must be a non-empty str, got '' (str)",
            id="step-empty-command",
        ),
        pytest.param(
            lambda: Step(b"GET"),
            "Step() argument 'command' must be a non-empty str, got b'GET' (bytes)",
            id="step-bytes-command",
        ),
        pytest.param(
            lambda: Step("GET", raises="boom"),
            "Step() argument 'raises' must be an exception instance, class or None, "
            "got 'boom' (str)",
            id="step-raises-not-an-exception",
        ),
        pytest.param(
            lambda: RedisSession(["GET"]),
            "RedisSession() argument 'steps' must be an iterable of Step objects, "
            "got ('GET',) (tuple)",
            id="session-steps-not-steps",
        ),
        pytest.param(
            lambda: RedisSession(required=1),
            "RedisSession() argument 'required' must be a bool, got 1 (int)",
            id="session-required-not-bool",
        ),
    ],
)
def test_hand_built_steps_and_sessions_are_checked(build: object, message: str) -> None:
    with pytest.raises(InvalidArgument) as error:
        build()  # type: ignore[operator]
    assert str(error.value) == message
