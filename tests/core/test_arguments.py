"""Bad arguments fail at once, with a message naming the argument and what was given."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import tripwire
from tripwire import InvalidArgumentError, StrictVerifier, TripwireError


def mock(**kwargs: Any) -> Callable[[], object]:
    return lambda: tripwire.redis.mock_command(**kwargs)


def assert_(*args: Any, **kwargs: Any) -> Callable[[], object]:
    return lambda: tripwire.redis.assert_command(*args, **kwargs)


BAD_ARGUMENTS = [
    pytest.param(
        mock(command=42, returns=None),
        "mock_command() argument 'command' must be a non-empty str, got 42 (int)",
        id="mock_command-command-int",
    ),
    pytest.param(
        mock(command="", returns=None),
        "mock_command() argument 'command' must be a non-empty str, got '' (str)",
        id="mock_command-command-empty",
    ),
    pytest.param(
        mock(command="  ", returns=None),
        "mock_command() argument 'command' must be a non-empty str, got '  ' (str)",
        id="mock_command-command-blank",
    ),
    pytest.param(
        mock(command=b"GET", returns=None),
        "mock_command() argument 'command' must be a non-empty str, got b'GET' (bytes)",
        id="mock_command-command-bytes",
    ),
    pytest.param(
        mock(command=None, returns=None),
        "mock_command() argument 'command' must be a non-empty str, got None (NoneType)",
        id="mock_command-command-none",
    ),
    pytest.param(
        mock(command="GET", returns=None, raises="boom"),
        "mock_command() argument 'raises' must be an exception instance, an exception class or "
        "None, got 'boom' (str)",
        id="mock_command-raises-str",
    ),
    pytest.param(
        mock(command="GET", returns=None, raises=int),
        "mock_command() argument 'raises' must be an exception instance, an exception class or "
        "None, got <class 'int'> (type)",
        id="mock_command-raises-non-exception-class",
    ),
    pytest.param(
        mock(command="GET", returns=None, required=1),
        "mock_command() argument 'required' must be a bool, got 1 (int)",
        id="mock_command-required-int",
    ),
    pytest.param(
        mock(command="GET", returns=None, required="yes"),
        "mock_command() argument 'required' must be a bool, got 'yes' (str)",
        id="mock_command-required-str",
    ),
    pytest.param(
        assert_(7),
        "assert_command() argument 'command' must be a non-empty str, got 7 (int)",
        id="assert_command-command-int",
    ),
    pytest.param(
        assert_(""),
        "assert_command() argument 'command' must be a non-empty str, got '' (str)",
        id="assert_command-command-empty",
    ),
]


@pytest.mark.parametrize(("call", "message"), BAD_ARGUMENTS)
def test_bad_argument(verifier: StrictVerifier, call: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidArgumentError) as excinfo:
        call()
    assert str(excinfo.value) == message
    # Bad arguments are both TypeError and ValueError, and tripwire's own.
    assert isinstance(excinfo.value, TypeError)
    assert isinstance(excinfo.value, ValueError)
    assert isinstance(excinfo.value, TripwireError)
    # Nothing was registered.
    verifier.verify_all()


def test_returns_is_required(verifier: StrictVerifier) -> None:
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'returns'"):
        tripwire.redis.mock_command("GET")  # type: ignore[call-arg]


def test_options_are_keyword_only(verifier: StrictVerifier) -> None:
    with pytest.raises(TypeError, match="takes 2 positional arguments but 3 were given"):
        tripwire.redis.mock_command("GET", None)  # type: ignore[misc]


def test_execute_command_without_a_command(verifier: StrictVerifier) -> None:
    import redis

    with tripwire, pytest.raises(InvalidArgumentError) as excinfo:
        redis.Redis().execute_command()
    assert str(excinfo.value) == (
        "execute_command() argument 'args' must be a command name followed by its arguments, "
        "got () (tuple)"
    )


@pytest.mark.parametrize(
    ("command", "shown"),
    [("", "'' (str)"), ("  ", "'  ' (str)"), (None, "None (NoneType)"), (42, "42 (int)")],
    ids=["empty", "blank", "none", "int"],
)
def test_execute_command_with_a_bad_command_name(
    verifier: StrictVerifier, command: object, shown: str
) -> None:
    import redis

    with tripwire, pytest.raises(InvalidArgumentError) as excinfo:
        redis.Redis().execute_command(command, "k")
    assert str(excinfo.value) == (
        f"execute_command() argument 'command' must be a non-empty str or bytes, got {shown}"
    )
