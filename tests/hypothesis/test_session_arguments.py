"""Bad arguments to RedisSession and per_example_verifier fail at once, naming the argument."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import tripwire
import tripwire_hypothesis
from tripwire import InvalidArgumentError
from tripwire_hypothesis import RedisSession, Step, per_example_verifier, redis_session

BAD_ARGUMENTS = [
    pytest.param(
        lambda: RedisSession(5),  # type: ignore[arg-type]
        InvalidArgument,
        "RedisSession() argument 'steps' must be an iterable of Step objects, got 5 (int)",
        id="RedisSession-steps-int",
    ),
    pytest.param(
        lambda: RedisSession(Step("GET", returns=None)),  # type: ignore[arg-type]
        InvalidArgument,
        "RedisSession() argument 'steps' must be an iterable of Step objects, "
        "got Step('GET', returns=None) (Step)",
        id="RedisSession-steps-one-step",
    ),
    pytest.param(
        lambda: tripwire_hypothesis.per_example_verifier(42),  # type: ignore[type-var]
        InvalidArgumentError,
        "per_example_verifier() argument 'test' must be a function, got 42 (int)",
        id="per_example_verifier-test-int",
    ),
]


@pytest.mark.parametrize(("call", "kind", "message"), BAD_ARGUMENTS)
def test_bad_argument(call: Callable[[], object], kind: type[Exception], message: str) -> None:
    with pytest.raises(kind) as excinfo:
        call()
    assert str(excinfo.value) == message
    assert isinstance(excinfo.value, TypeError)


def test_a_script_answers_only_its_steps_commands() -> None:
    # There is no commands= to get wrong: a script's commands are its steps'.
    with pytest.raises(TypeError, match="unexpected keyword argument 'commands'"):
        RedisSession(commands="GET")  # type: ignore[call-arg]
    session = RedisSession([Step("get", returns=None), Step("SET", returns=True)])
    assert session.commands == frozenset({"GET", "SET"})


def test_an_errors_strategy_drawing_a_non_exception_is_refused_naming_errors() -> None:
    # Accepted when given (drawing is lazy); refused at the first injected error.
    strategy = redis_session(errors=st.just("boom"), error_rate=1)

    @settings(max_examples=1, database=None, deadline=None)
    @given(session=strategy)
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        with tripwire:
            redis.Redis().get("k")

    with pytest.raises(InvalidArgument) as excinfo:
        check()
    assert str(excinfo.value) == (
        "redis_session() argument 'errors' must be a strategy drawing exceptions (or their "
        "classes), got 'boom' (str)"
    )
