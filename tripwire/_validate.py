"""Argument checks shared by every public function, so every message has the same shape.

mock_command() argument 'command' must be a non-empty str, got 42 (int)
"""

from __future__ import annotations

from tripwire._errors import InvalidArgumentError, safe_repr


def invalid(function: str, argument: str, requirement: str, value: object) -> InvalidArgumentError:
    """The error for ``argument`` of ``function`` not meeting ``requirement``."""
    return InvalidArgumentError(
        f"{function}() argument {argument!r} must be {requirement}, "
        f"got {safe_repr(value)} ({type(value).__name__})"
    )


def check_command(function: str, value: object, argument: str = "command") -> str:
    """A non-empty command name as redis-py sends it: stripped, single-spaced, upper-case.

    ``" get"``, ``"GET\\n"`` and ``"script  load"`` become ``"GET"`` and ``"SCRIPT LOAD"``, the
    spellings a call can match.
    """
    if type(value) is not str or not value.strip():
        raise invalid(function, argument, "a non-empty str", value)
    return " ".join(value.split()).upper()


def check_name(function: str, argument: str, value: object) -> str:
    """A str that is a Python identifier, such as a plugin's name."""
    if type(value) is not str or not value.isidentifier():
        raise invalid(function, argument, "a str that is a Python identifier", value)
    return value


def check_bool(function: str, argument: str, value: object) -> bool:
    """``True`` or ``False``; truthy stand-ins are refused so typos surface."""
    if value is not True and value is not False:
        raise invalid(function, argument, "a bool", value)
    return value


def check_exception(function: str, argument: str, value: object) -> BaseException | type | None:
    """``None``, an exception instance, or an exception class."""
    if value is None or isinstance(value, BaseException):
        return value
    if isinstance(value, type) and issubclass(value, BaseException):
        return value
    raise invalid(function, argument, "an exception instance, an exception class or None", value)
