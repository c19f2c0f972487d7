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
        lambda: RedisSession(commands="GET"),
        InvalidArgument,
        "RedisSession() argument 'commands' must be an iterable of command names (a str is one "
        "name, not an iterable), got 'GET' (str)",
        id="RedisSession-commands-str",
    ),
    pytest.param(
        lambda: RedisSession(commands=7),  # type: ignore[arg-type]
        InvalidArgument,
        "RedisSession() argument 'commands' must be an iterable of command names (a str is one "
        "name, not an iterable), got 7 (int)",
        id="RedisSession-commands-int",
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


def test_commands_given_as_a_list_still_work() -> None:
    assert RedisSession(commands=["get", "SET"]).commands == frozenset({"GET", "SET"})
