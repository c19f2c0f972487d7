"""Argument checks for the strategies: the core's message shape, raised as `InvalidArgument`.

    redis_session() argument 'max_answers' must be an int >= 1, got 0 (int)

Hypothesis' own `InvalidArgument` (a `TypeError`) is what users of strategies expect; the text
comes from the core's formatter so every message of the project reads the same.
"""

from __future__ import annotations

from hypothesis.errors import InvalidArgument

from tripwire._validate import invalid as _core_invalid

__all__ = ["check_bool", "check_int", "invalid"]


def invalid(function: str, argument: str, requirement: str, value: object) -> InvalidArgument:
    """The error for ``argument`` of ``function`` not meeting ``requirement``."""
    return InvalidArgument(str(_core_invalid(function, argument, requirement, value)))


def check_bool(function: str, argument: str, value: object) -> bool:
    """``True`` or ``False``; truthy stand-ins are refused so typos surface."""
    if value is not True and value is not False:
        raise invalid(function, argument, "a bool", value)
    return value


def check_int(function: str, argument: str, value: object, *, at_least: int, bound: str) -> int:
    """An int (not a bool) no smaller than ``at_least``; ``bound`` names it in the message."""
    if type(value) is not int or value < at_least:
        raise invalid(function, argument, f"an int >= {bound}", value)
    return value
