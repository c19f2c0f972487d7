"""Values as Redis receives them, and what a call that found no mock was near.

redis-py sends every argument as bytes: ``"60"``, ``60`` and ``b"60"`` reach the server as the
same three bytes, and so do ``"WITHSCORES"`` and ``b"WITHSCORES"``. An assertion's plain values
are compared in that form when they differ as Python values (`same_as_sent`). Only assertions
and error messages come here, never the intercepted call.

Imports nothing of tripwire's but the bounded repr.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tripwire._reprs import safe_repr

__all__ = ["SENT_INSTEAD", "Exactly", "as_sent", "near_names", "near_notes", "same_as_sent"]


def as_sent(value: object) -> bytes | None:
    """``value`` as redis-py's encoder sends it (UTF-8 for str), or None if it is not plain.

    A bool is not plain: redis-py refuses it. A matcher, a list, an `Exactly` or any other
    object is compared as it is.
    """
    kind = type(value)
    if kind is bytes:
        return value  # type: ignore[return-value]
    if kind is str:
        return value.encode(errors="surrogatepass")  # type: ignore[attr-defined, no-any-return]
    if kind is int or kind is float:
        return repr(value).encode()
    if kind is bytearray or kind is memoryview:
        return bytes(value)  # type: ignore[call-overload, no-any-return]
    return None


def same_as_sent(expected: Any, sent: tuple[Any, ...]) -> bool:
    """Whether the expected arguments equal ``sent`` (the arguments after the command name),
    each plain value compared as bytes on the wire, each other value (a matcher) by ``==``.

    Called only once the tuples were found unequal as Python values.
    """
    if type(expected) is not tuple or len(expected) != len(sent):
        return False
    # The lengths are equal (checked above): `strict` never decides anything.
    for want, got in zip(expected, sent, strict=True):  # pragma: no mutate
        try:
            if want == got:  # the expected value on the left: a matcher's __eq__ decides
                continue
        except Exception:
            return False
        wire = as_sent(want)
        if wire is None or wire != as_sent(got):
            return False
    return True


class Exactly:
    """A value compared as the Python value redis-py was given (``==``), never as sent.

    Made by ``tripwire.redis.exactly(value)``. Being no plain value, it is left out of the
    comparison as bytes; the assertion's fast path compares it like any matcher.
    """

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return bool(self.value == other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"tripwire.redis.exactly({safe_repr(self.value)})"


#: Commands redis-py sends for a method named otherwise: the command sent, then each name a test
#: may have mocked instead, with what redis-py sends the command for.
SENT_INSTEAD: dict[str, tuple[tuple[str, str], ...]] = {
    "INCRBY": (("INCR", "incr()"),),
    "DECRBY": (("DECR", "decr()"),),
    "DEL": (("DELETE", "delete()"),),
    "EVALSHA": (("EVAL", "register_script() scripts and a Lock's release() and extend()"),),
    "SET": (("SETEX", "set(..., ex=...)"), ("SETNX", "set(..., nx=True)")),
    "HSET": (("HMSET", "hset(name, mapping=...)"),),
    "SCAN": (("SCAN_ITER", "scan_iter()"),),
    "HSCAN": (("HSCAN_ITER", "hscan_iter()"),),
    "SSCAN": (("SSCAN_ITER", "sscan_iter()"),),
    "ZSCAN": (("ZSCAN_ITER", "zscan_iter()"),),
}


def _squashed(name: str) -> str:
    return "".join(character for character in name if character not in " _-")


def near_names(name: str, queued: Iterable[str]) -> list[tuple[str, str]]:
    """The queued command names a call of ``name`` may have been meant to use.

    Each comes with the redis-py method that sends ``name`` when that explains the difference
    (``INCR`` queued, ``INCRBY`` sent by ``incr()``), else with ``""`` (a name spelled
    differently: ``HGETAL``, ``SCRIPT_LOAD``).
    """
    queued = [other for other in queued if other != name]
    near: list[tuple[str, str]] = [
        (other, method) for other, method in SENT_INSTEAD.get(name, ()) if other in queued
    ]
    known = {other for other, _ in near}
    by_squashed = {_squashed(other): other for other in queued if other not in known}
    for close in difflib.get_close_matches(_squashed(name), list(by_squashed), n=2, cutoff=0.8):
        near.append((by_squashed[close], ""))
    return near


def near_notes(
    name: str, queues: Mapping[str, Sequence[Any]], recorded: Iterable[Any]
) -> list[str]:
    """What a call of ``name`` that found no mock was near: its used-up queue, or a mock
    queued under another name (``INCR`` for redis-py's ``incr()``, which sends ``INCRBY``).
    """
    notes = []
    if name in queues:
        used = sum(1 for call in recorded if call.command == name)
        if used == 1:
            done = f"The one mock registered for {safe_repr(name)} was used by an earlier call"
        else:
            done = f"All {used} mocks registered for {safe_repr(name)} were used by earlier calls"
        notes.append(
            f"{done}: register one more for this call (mock_command's times=N registers N "
            "at once, times=None answers any number of calls)."
        )
    # The first mock each other command would answer with (a times=None queue's, when empty).
    queued = {
        other: queue[0] if queue else queue.template  # type: ignore[attr-defined]
        for other, queue in queues.items()
        if queue or hasattr(queue, "template")
    }
    for other, method in near_names(name, queued):
        where = queued[other].location()
        if method:
            notes.append(
                f"A mock is queued for {other!r} (registered at {where}), which this call "
                f"cannot use: redis-py sends {name} for {method}. Register that mock for "
                f"{name!r} instead."
            )
        else:
            notes.append(
                f"A mock is queued for {other!r} (registered at {where}), a name spelled "
                f"differently: if it was meant for this call, register it for {name!r}."
            )
    return notes
