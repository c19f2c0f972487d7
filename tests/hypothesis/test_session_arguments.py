"""Bad arguments to RedisSession and per_example_verifier fail at once, naming the argument."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis.errors import InvalidArgument

import tripwire_hypothesis
from tripwire import InvalidArgumentError
from tripwire_hypothesis import RedisSession, Step

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
