"""The timeline: every interaction a verifier recorded, in the order it happened.

A mock registered by a plugin is an `Interaction` from the start; consuming it fills in the call's
arguments and appends the same object here. Nothing is allocated per call, and the assertion cursor
makes asserting in order O(1) amortised however long the test.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any

from tripwire._errors import where

if TYPE_CHECKING:
    from tripwire._plugin import BasePlugin

__all__ = ["Interaction", "Row", "Timeline"]

#: One compared field: name, expected value, actual value, whether equal, and a note.
Row = tuple[str, object, object, bool, str]


class Interaction:
    """One mock, and once consumed, the call that consumed it.

    Plugins subclass this with their own fields and describe themselves through `fields`,
    `assertion_hint` and `registration_hint`.
    """

    __slots__ = ("_offset", "_origin", "asserted", "plugin")

    def __init__(self, plugin: BasePlugin, filename: str, lineno: int) -> None:
        self.plugin = plugin
        self._origin: CodeType | str = filename
        #: The line number when `_origin` is a file name, else the instruction's byte offset.
        self._offset = lineno
        self.asserted = False

    def _registered_at(self, caller: FrameType) -> None:
        """Remember ``caller``'s current line as where this mock was registered.

        Cheaper than reading ``f_lineno``, which scans the code's line table on every call:
        the code and instruction offset are kept, and the line found only if a message needs it.
        """
        self._origin = caller.f_code
        self._offset = caller.f_lasti

    @property
    def filename(self) -> str:
        """The file in which the mock was registered."""
        origin = self._origin
        return origin if isinstance(origin, str) else origin.co_filename

    @filename.setter
    def filename(self, filename: str) -> None:
        self._offset = self.lineno
        self._origin = filename

    @property
    def lineno(self) -> int:
        """The line on which the mock was registered."""
        origin = self._origin
        if isinstance(origin, str):
            return self._offset
        for start, end, line in origin.co_lines():
            if start <= self._offset < end and line is not None:
                return line
        return origin.co_firstlineno  # pragma: no cover - an instruction with no line

    @lineno.setter
    def lineno(self, lineno: int) -> None:
        self._origin = self.filename
        self._offset = lineno

    def fields(self) -> dict[str, Any]:
        """The values an assertion compares, by field name."""
        raise NotImplementedError

    def assertion_hint(self) -> str:
        """The line that asserts this interaction, as the user could paste it."""
        return self.plugin.format_assertion(self)

    def registration_hint(self) -> str:
        """The line that registers this mock, as the user could paste it."""
        return self.plugin.format_registration(self)

    def location(self) -> str:
        """Where the mock was registered, as ``file:line``."""
        return where(self.filename, self.lineno)

    def matches(self, expected: Mapping[str, Any]) -> bool:
        """Whether every field equals its expected value (the fast path of an assertion)."""
        return all(row[3] for row in self.compare(expected))

    def compare(self, expected: Mapping[str, Any]) -> list[Row]:
        """Each field as ``(name, expected, actual, equal, note)``; every field is compared.

        A comparison that raises (a user's ``__eq__``) counts as unequal, and the note says why,
        so a broken value cannot hide which interaction failed to match.
        """
        rows = []
        for name, actual in self.fields().items():
            want = expected.get(name, _MISSING)
            if want is _MISSING:
                rows.append((name, want, actual, False, ""))
                continue
            try:
                rows.append((name, want, actual, bool(want == actual), ""))
            except Exception as exc:
                note = f"comparing them raised {type(exc).__name__}: {exc}"
                rows.append((name, want, actual, False, note))
        return rows


class _Missing:
    def __repr__(self) -> str:
        return "<not given>"


_MISSING: Any = _Missing()


class Timeline:
    """The recorded interactions of one verifier, with a cursor for in-order assertions."""

    __slots__ = ("_cursor", "entries", "lock")

    def __init__(self) -> None:
        #: Appended to by the plugins' intercepted calls while holding `lock`.
        self.entries: list[Interaction] = []
        self.lock = threading.Lock()
        self._cursor = 0

    def __len__(self) -> int:
        return len(self.entries)

    def next_unasserted(self) -> Interaction | None:
        """The earliest interaction not yet asserted, moving the cursor past asserted ones."""
        entries = self.entries
        i = self._cursor
        n = len(entries)
        while i < n and entries[i].asserted:
            i += 1
        self._cursor = i
        return entries[i] if i < n else None

    def unasserted(self) -> Iterator[Interaction]:
        """Every interaction not yet asserted, in recording order."""
        entries = self.entries
        # Not mutated: the entries before the cursor are all asserted, so starting at 0 is only
        # slower.
        for i in range(self._cursor, len(entries)):  # pragma: no mutate
            if not entries[i].asserted:
                yield entries[i]

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self._cursor = 0
