"""Bounded, failure-proof reprs for messages, and lines of code checked before they are offered.

Like `reprlib`, every value shown is cut to a size, and the cut says how much there was; unlike the
built-in repr, a user's failing ``__repr__`` never hides the error being reported. Imports nothing
from the rest of the package.
"""

from __future__ import annotations

import ast
import enum
import itertools
import reprlib
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["MAX_CHARACTERS", "MAX_ITEMS", "NOT_READY", "code_line", "safe_repr", "shortened"]

#: How many characters of a str or bytes value a message shows, and how many items of a container.
MAX_CHARACTERS = 200
MAX_ITEMS = 20


class _BoundedRepr(reprlib.Repr):
    """`reprlib.Repr` that says what it cut, shows recursion as ``[...]`` and enums as code.

    A str, bytes or container that is too long is shown with ``...`` at the cut and its full size
    after it, ``'aaa...' (5000 characters)``, which is not valid Python on purpose: such a line
    cannot be pasted by mistake. Every cut, including a container nested too deep, sets `cut` to
    its reason, so that a line built from these reprs can say it is not paste-ready.
    """

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 6
        self.maxtuple = self.maxlist = self.maxarray = self.maxdict = MAX_ITEMS
        self.maxset = self.maxfrozenset = self.maxdeque = MAX_ITEMS
        self.maxstring = self.maxother = MAX_CHARACTERS
        #: Why the repr is not the whole value, '' while it is. A value that contains itself is
        #: the reason given over any other cut.
        # Equivalent if mutated to None: `cut` is only tested for truth until a reason is set.
        self.cut = ""  # pragma: no mutate
        self._inside: set[int] = set()

    def repr1(self, x: Any, level: int) -> str:
        if isinstance(x, (list, dict, tuple, set, frozenset, deque)) and type(x).__repr__ in (
            list.__repr__,
            dict.__repr__,
            tuple.__repr__,
            set.__repr__,
            frozenset.__repr__,
            deque.__repr__,
        ):
            # As the built-in repr does: a container met again inside itself is shown as [...].
            key = id(x)
            if key in self._inside:
                self.cut = CONTAINS_ITSELF
                return {list: "[...]", dict: "{...}"}.get(type(x), "...")
            if level <= 0 and len(x):
                self._shortened()  # nested deeper than `maxlevel`: shown as [...]
            self._inside.add(key)
            try:
                return self._sized(super().repr1(x, level), len(x))
            finally:
                self._inside.discard(key)
        if isinstance(x, (str, bytes, bytearray)):
            return self._text(x)
        if isinstance(x, enum.Enum):
            return self._enum(x)
        unmatched = getattr(type(x), "_repr_ne", None)
        if unmatched is not None and type(x).__module__.startswith("dirty_equals"):
            # A dirty-equals matcher that once compared equal reprs as the value it matched; a
            # message shows the matcher the user wrote.
            return self._other(str(unmatched(x)))
        try:
            return self._other(repr(x))
        except Exception as exc:  # a user's object must not hide the real error
            return f"<{type(x).__name__} object; repr() raised {type(exc).__name__}>"

    def repr_dict(self, x: dict[Any, Any], level: int) -> str:
        # In insertion order, as the built-in repr (reprlib sorts the keys).
        if not x:
            return "{}"
        if level <= 0:
            return "{...}"
        items = [
            f"{self.repr1(key, level - 1)}: {self.repr1(value, level - 1)}"
            for key, value in itertools.islice(x.items(), MAX_ITEMS)
        ]
        if len(x) > MAX_ITEMS:
            items.append("...")
        return "{" + ", ".join(items) + "}"

    def _shortened(self) -> None:
        if not self.cut:
            self.cut = SHORTENED

    def _sized(self, text: str, size: int) -> str:
        if size > MAX_ITEMS:
            self._shortened()
            return f"{text} ({size} items)"
        return text

    def _text(self, x: str | bytes | bytearray) -> str:
        if len(x) <= MAX_CHARACTERS:
            return repr(x)
        self._shortened()
        shown = repr(x[:MAX_CHARACTERS])
        # The cut goes inside the closing quote (and bracket, for a bytearray).
        closing = 2 if isinstance(x, bytearray) else 1
        unit = "characters" if isinstance(x, str) else "bytes"
        return f"{shown[:-closing]}...{shown[-closing:]} ({len(x)} {unit})"

    def _enum(self, x: enum.Enum) -> str:
        # JobStatus.QUEUED, as code, rather than <JobStatus.QUEUED: 'queued'>.
        cls = type(x)
        name = x.name
        if name is not None and name.isidentifier() and cls.__dict__.get(name) is x:
            return f"{cls.__name__}.{name}"
        return self._other(repr(x))

    def _other(self, text: str) -> str:
        if len(text) <= MAX_CHARACTERS:
            return text
        self._shortened()
        return f"{text[:MAX_CHARACTERS]}... ({len(text)} characters)"


#: The reasons a bounded repr gives for its cut.
SHORTENED = "a value was shortened"
CONTAINS_ITSELF = "a value contains itself"

#: The last bounded repr that cut its value: a line is paste-ready only if none did while it was
#: built. At first, one that cut nothing.
_last_cut = [_BoundedRepr()]


def safe_repr(value: object) -> str:
    """A bounded ``repr(value)`` that never raises (see `_BoundedRepr`)."""
    bounded = _BoundedRepr()
    try:
        return bounded.repr(value)
    except Exception as exc:  # a user's object must not hide the real error
        return f"<{type(value).__name__} object; repr() raised {type(exc).__name__}>"
    finally:
        if bounded.cut:
            _last_cut[0] = bounded


def shortened(text: str) -> str:
    """``text`` as a message shows a name: cut after `MAX_CHARACTERS`, saying how long it was."""
    if len(text) <= MAX_CHARACTERS:
        return text
    return f"{text[:MAX_CHARACTERS]}... ({len(text)} characters)"


def _code(make_line: Callable[[], str]) -> tuple[str, str]:
    """A line of code for a message, and why it cannot be pasted ('' when it can)."""
    before = _last_cut[0]
    line = make_line()
    last = _last_cut[0]
    if last is not before:
        return line, last.cut
    try:
        ast.parse(line)
    except SyntaxError:
        return line, "a value's repr is not Python code"
    return line, ""


NOT_READY = "not paste-ready"


def code_line(make_line: Callable[[], str], comment: str = "") -> str:
    """`_code`'s line with a comment, which also says why it is not paste-ready."""
    line, why = _code(make_line)
    notes = [note for note in (comment, why and f"{NOT_READY}: {why}") if note]
    return f"{line}  # {'; '.join(notes)}" if notes else line
