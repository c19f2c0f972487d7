"""The shape grammar of Redis replies: what a value redis-py returns looks like.

One description per reply (`Bulk`, `Nullable`, `ListOf`, ...), from which `Shape.matches` checks
a value, `describe` words it for a message, and ``tripwire_hypothesis`` derives a strategy. The
table of which command replies with which shape is `replies.by_command`. Imports neither Hypothesis
nor redis-py.
"""

from __future__ import annotations

import abc
import dataclasses
import functools
import math
import re
from dataclasses import dataclass, field
from typing import Literal

from tripwire._errors import InvalidArgumentError, safe_repr

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "UINT64_MAX",
    "AnyReply",
    "Bool",
    "Bulk",
    "BulkKind",
    "Const",
    "DictOf",
    "Float",
    "Int",
    "ListOf",
    "Null",
    "Nullable",
    "Ok",
    "OneOf",
    "SetOf",
    "Sha1",
    "Shape",
    "Status",
    "TupleOf",
    "describe",
]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1

BulkKind = Literal["value", "key", "field", "member", "channel"]
BULK_KINDS: tuple[str, ...] = ("value", "key", "field", "member", "channel")

_SHA1_RE = re.compile(r"[0-9a-f]{40}")


def _type_name(value: object) -> str:
    return type(value).__name__


def bulk_type(decode_responses: bool) -> type:
    """The type of a bulk string: ``str`` when the client decodes responses, else ``bytes``."""
    return str if decode_responses else bytes


@dataclass(frozen=True, repr=False)
class Shape(abc.ABC):
    """One reply shape. ``tripwire_hypothesis`` derives a strategy from the same description."""

    @abc.abstractmethod
    def matches(self, value: object, decode_responses: bool = False) -> bool:
        """Return whether ``value`` has this shape."""

    def __repr__(self) -> str:
        parts: list[str] = []
        for f in dataclasses.fields(self):
            current = getattr(self, f.name)
            if f.metadata.get("varargs"):
                parts.extend(repr(item) for item in current)
            elif f.default is dataclasses.MISSING:
                parts.append(repr(current))
            elif current != f.default:
                parts.append(f"{f.name}={current!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


def _check_shape(owner: str, value: object) -> Shape:
    if not isinstance(value, Shape):
        raise InvalidArgumentError(
            f"{owner} expects Shape instances, got {value!r} of type {_type_name(value)}"
        )
    return value


@dataclass(frozen=True, repr=False)
class Bulk(Shape):
    """A bulk string: ``bytes``, or ``str`` when ``decode_responses=True``.

    ``kind`` only steers generation towards realistic content (``"key"`` gives
    ``b"key:0"``-like names, ``"member"`` gives ``b"member:0"``, ...); any
    bytes/str value matches.
    """

    kind: BulkKind = "value"

    def __post_init__(self) -> None:
        if self.kind not in BULK_KINDS:
            raise InvalidArgumentError(
                f"Bulk() argument 'kind' must be one of {BULK_KINDS}, got {self.kind!r}"
            )

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return type(value) is bulk_type(decode_responses)


@dataclass(frozen=True, repr=False)
class Sha1(Shape):
    """A 40-character lowercase hex SHA1 digest, always ``str`` (``SCRIPT LOAD``)."""

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return type(value) is str and _SHA1_RE.fullmatch(value) is not None


@dataclass(frozen=True, init=False, repr=False)
class Status(Shape):
    """A status reply that is one of fixed ``words`` (bytes, or str when decoding).

    Shrinks towards the first word.
    """

    words: tuple[str, ...] = field(metadata={"varargs": True})

    def __init__(self, *words: str) -> None:
        if not words or not all(isinstance(w, str) for w in words):
            raise InvalidArgumentError(f"Status() needs at least one str word, got {words!r}")
        object.__setattr__(self, "words", tuple(words))

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        if type(value) is not bulk_type(decode_responses):
            return False
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace") in self.words
        return value in self.words


@dataclass(frozen=True, repr=False)
class Null(Shape):
    """Exactly ``None``."""

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return value is None


@dataclass(frozen=True, repr=False)
class Ok(Shape):
    """Exactly ``True``: redis-py turns ``+OK`` (and ``+PONG``) into ``True``."""

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return value is True


@dataclass(frozen=True, repr=False)
class Const(Shape):
    """Exactly ``value`` (same type and equal), e.g. ``Const(-2)`` for a TTL miss."""

    value: bool | int | float | str | bytes | None

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return type(value) is type(self.value) and value == self.value


@dataclass(frozen=True, repr=False)
class Bool(Shape):
    """``True`` or ``False``; shrinks towards ``shrink_to``."""

    shrink_to: bool = True

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return type(value) is bool


@dataclass(frozen=True, repr=False)
class Int(Shape):
    """An ``int`` (never a ``bool``) in ``[min_value, max_value]``.

    The bounds default to the signed 64-bit range of Redis integers.  Shrinks
    towards 0 (or the bound closest to 0).
    """

    min_value: int = INT64_MIN
    max_value: int = INT64_MAX

    def __post_init__(self) -> None:
        if self.min_value > self.max_value:
            raise InvalidArgumentError(
                f"Int() needs min_value <= max_value, got {self.min_value} > {self.max_value}"
            )

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return type(value) is int and self.min_value <= value <= self.max_value


@dataclass(frozen=True, repr=False)
class Float(Shape):
    """A ``float`` (never an ``int``), never NaN; ``inf`` only if allowed.

    Shrinks towards ``0.0``.
    """

    allow_infinity: bool = False

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        if type(value) is not float or math.isnan(value):
            return False
        return self.allow_infinity or math.isfinite(value)


@dataclass(frozen=True, repr=False)
class Nullable(Shape):
    """``None`` or ``inner``; shrinks towards ``None`` (a miss)."""

    inner: Shape

    def __post_init__(self) -> None:
        _check_shape("Nullable()", self.inner)

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return value is None or self.inner.matches(value, decode_responses)


@dataclass(frozen=True, init=False, repr=False)
class OneOf(Shape):
    """Any of ``options``; shrinks towards the first option."""

    options: tuple[Shape, ...] = field(metadata={"varargs": True})

    def __init__(self, *options: Shape) -> None:
        if not options:
            raise InvalidArgumentError("OneOf() needs at least one Shape")
        for option in options:
            _check_shape("OneOf()", option)
        object.__setattr__(self, "options", tuple(options))

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return any(option.matches(value, decode_responses) for option in self.options)


@dataclass(frozen=True, repr=False)
class ListOf(Shape):
    """A ``list`` of ``item`` with at least ``min_size`` elements.

    ``max_size`` only bounds generation; ``unique`` (for replies that never
    repeat an element, like ``KEYS``) is also checked by :meth:`matches`.
    Shrinks towards the shortest list.
    """

    item: Shape
    min_size: int = 0
    max_size: int = 5
    unique: bool = False

    def __post_init__(self) -> None:
        _check_shape("ListOf()", self.item)
        if not 0 <= self.min_size <= self.max_size:
            raise InvalidArgumentError(
                f"ListOf() needs 0 <= min_size <= max_size, got {self.min_size}, {self.max_size}"
            )

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        if type(value) is not list or len(value) < self.min_size:
            return False
        if not all(self.item.matches(v, decode_responses) for v in value):
            return False
        if self.unique:
            try:
                return len(set(value)) == len(value)
            except TypeError:
                return False
        return True


@dataclass(frozen=True, repr=False)
class SetOf(Shape):
    """A ``set`` of ``item``; ``max_size`` bounds generation.  Shrinks to ``set()``."""

    item: Shape
    max_size: int = 5

    def __post_init__(self) -> None:
        _check_shape("SetOf()", self.item)

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return type(value) is set and all(self.item.matches(v, decode_responses) for v in value)


@dataclass(frozen=True, repr=False)
class DictOf(Shape):
    """A ``dict`` from ``key`` to ``value``; ``max_size`` bounds generation.

    Shrinks towards ``{}``.
    """

    key: Shape
    value: Shape
    max_size: int = 5

    def __post_init__(self) -> None:
        _check_shape("DictOf()", self.key)
        _check_shape("DictOf()", self.value)

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return type(value) is dict and all(
            self.key.matches(k, decode_responses) and self.value.matches(v, decode_responses)
            for k, v in value.items()
        )


@dataclass(frozen=True, init=False, repr=False)
class TupleOf(Shape):
    """A fixed-length ``tuple`` whose elements have the shapes ``items``.

    With ``as_list=True`` the container is a ``list`` of fixed length instead
    (redis-py returns e.g. ``ZRANK ... WITHSCORE`` as ``[rank, score]``).
    """

    items: tuple[Shape, ...] = field(metadata={"varargs": True})
    as_list: bool = False

    def __init__(self, *items: Shape, as_list: bool = False) -> None:
        if not items:
            raise InvalidArgumentError("TupleOf() needs at least one Shape")
        for item in items:
            _check_shape("TupleOf()", item)
        object.__setattr__(self, "items", tuple(items))
        object.__setattr__(self, "as_list", as_list)

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        container = list if self.as_list else tuple
        if type(value) is not container:
            return False
        assert isinstance(value, (list, tuple))
        return len(value) == len(self.items) and all(
            item.matches(v, decode_responses) for item, v in zip(self.items, value, strict=True)
        )


def _is_resp_value(value: object, decode_responses: bool, depth: int) -> bool:
    if depth > 32:
        return False
    if value is None or type(value) in (bool, int, bulk_type(decode_responses)):
        return True
    if type(value) is float:
        return True
    if type(value) in (list, tuple, set):
        assert isinstance(value, (list, tuple, set))
        return all(_is_resp_value(v, decode_responses, depth + 1) for v in value)
    if type(value) is dict:
        assert isinstance(value, dict)
        return all(
            _is_resp_value(k, decode_responses, depth + 1)
            and _is_resp_value(v, decode_responses, depth + 1)
            for k, v in value.items()
        )
    return False


@dataclass(frozen=True, repr=False)
class AnyReply(Shape):
    """Whatever a server-side script can return (``EVAL``/``EVALSHA``).

    Generates ``None``, ints, bulk strings, booleans, floats and nested lists
    of those, shrinking towards ``None``.  Matches any nesting of ``None``,
    bool, int, float, bytes/str (per ``decode_responses``), list, tuple, set
    and dict.
    """

    max_leaves: int = 8

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return _is_resp_value(value, decode_responses, 0)


@functools.singledispatch
def describe(shape: Shape) -> str:
    """``shape`` in words, as a message says what a reply can be."""
    return repr(shape)  # pragma: no cover - every shape of the grammar is described below


@describe.register
def _(shape: Bulk) -> str:
    return "bytes or str"


@describe.register
def _(shape: Sha1) -> str:
    return "a 40-character hex str"


@describe.register
def _(shape: Status) -> str:
    return "one of " + ", ".join(repr(word) for word in shape.words) + " (bytes or str)"


@describe.register
def _(shape: Null) -> str:
    return "None"


@describe.register
def _(shape: Ok) -> str:
    return "True"


@describe.register
def _(shape: Const) -> str:
    return safe_repr(shape.value)


@describe.register
def _(shape: Bool) -> str:
    return "a bool"


@describe.register
def _(shape: Int) -> str:
    return "an int"


@describe.register
def _(shape: Float) -> str:
    return "a float"


@describe.register
def _(shape: Nullable) -> str:
    return f"None or {describe(shape.inner)}"


@describe.register
def _(shape: OneOf) -> str:
    return " or ".join(dict.fromkeys(describe(option) for option in shape.options))


@describe.register
def _(shape: ListOf) -> str:
    return f"a list of {_plural(describe(shape.item))}"


@describe.register
def _(shape: SetOf) -> str:
    return f"a set of {_plural(describe(shape.item))}"


@describe.register
def _(shape: DictOf) -> str:
    return f"a dict of {_plural(describe(shape.key))} to {_plural(describe(shape.value))}"


@describe.register
def _(shape: TupleOf) -> str:
    items = ", ".join(describe(item) for item in shape.items)
    return f"a list [{items}]" if shape.as_list else f"a tuple ({items})"


@describe.register
def _(shape: AnyReply) -> str:
    return "None, a bool, int, float, bytes or str, or lists of them"


def _plural(words: str) -> str:
    """``"an int"`` as the items of a collection: ``"ints"``; ``"a tuple (...)"``: ``"tuples
    (...)"``. Words with no article stay as they are (``"bytes or str"``)."""
    for article in ("a ", "an "):
        if words.startswith(article):
            noun, _, rest = words[len(article) :].partition(" ")
            return f"{noun}s {rest}" if rest else f"{noun}s"
    return words
