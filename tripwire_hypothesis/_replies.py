"""Reply shapes of redis-py's high-level commands, as Hypothesis strategies.

A mock that replaces ``Redis.execute_command`` must return the *final* Python
value a caller of ``r.get(...)``, ``r.hgetall(...)``, ... receives, i.e. the
value redis-py produces after its response callbacks ran.  This module
describes that value for each supported command with a small *shape grammar*
(frozen dataclasses: :class:`Bulk`, :class:`Nullable`, :class:`Int`,
:class:`ListOf`, ...).  From one shape definition both a Hypothesis strategy
(:meth:`Shape.strategy`) and a predicate (:meth:`Shape.matches`) are derived,
so generated replies and the checks against real replies can never drift
apart.

Protocol facts (checked against redis-py 8.1 and a real server):

* redis-py >= 8.0 speaks RESP3 on the wire by default (``HELLO 3``), but with
  the default ``legacy_responses=True`` its callbacks convert every reply back
  to the Python shapes redis-py 5.x-7.x return on their default RESP2 wire.
  For the commands in this table the default shapes are therefore identical
  for every redis-py >= 5.  They differ only when a user opts in:
  ``protocol=3`` (5.x-8.x) returns e.g. ``ZRANGE ... WITHSCORES`` as a list of
  ``[member, score]`` *lists*, ``BLPOP`` as a list and ``ZPOPMIN`` without a
  count as a flat ``[member, score]``; ``legacy_responses=False`` (8.x)
  returns the "unified" list-of-lists shapes.  Those opt-in shapes are not
  modelled here.
* ``EVAL``/``EVALSHA`` return whatever the script returns; on the RESP3 wire
  a script that calls ``redis.setresp(3)`` can also produce booleans, doubles
  and maps, so :class:`AnyReply` allows those too.
* ``SCRIPT LOAD`` always returns ``str`` (redis-py applies ``str_if_bytes``),
  even with ``decode_responses=False``.  ``PING`` returns ``True``, not
  ``b"PONG"``.  ``TYPE`` returns the status word as bytes (str when decoding).
* ``r.incr()``/``r.decr()`` send ``INCRBY``/``DECRBY``; ``r.hmset()`` emits
  ``DeprecationWarning`` in every supported redis-py, ``r.setex()`` from 8.0 on.
* ``SMEMBERS``/``SINTER``/``SUNION``/``SDIFF`` return ``set``; ``SPOP`` and
  ``SRANDMEMBER`` with a count return ``list`` (redis-py's annotations say
  ``set`` for ``spop``, but the runtime value is a list).

Differences between redis-py versions (4.0 to 8.x are supported): the table
is built at import for the installed redis-py (:data:`REDIS_PY_VERSION`, read
from ``redis.__version__``), so strategies generate what *that* version
returns.  Each entry that differs carries its version condition in
:func:`_table`; the differences found (by comparing redis-py's response
callbacks of every release line, and against a real server) are:

* ``SISMEMBER``: ``bool`` in redis-py 4.x (a ``bool`` callback), the server's
  ``int`` 0/1 from 5.0 on.
* ``LMOVE``/``BLMOVE``: ``bool`` in redis-py 4.0.0-4.1.1, whose callback ran the
  moved element through ``bool`` (``False`` when nothing moved, and also when
  the element moved was ``b""``); the element or ``None`` from 4.1.2 on.

Everything else in the table has the same default shape in every supported
version: the 4.x callbacks that 5.0 removed (``int`` for integer replies,
``r and r or None`` for ``RANDOMKEY``, ...) or that 8.x rewrote for RESP3
(``ZRANGE``, ``ZPOPMIN``, ``BZPOPMIN``, ``ZRANK``, ...) produce the same Python
types.  Every high-level method used by the real-server test exists in 4.0.

Options that change the reply shape are modelled as *separate table entries*
whose name is the command followed by the option word, e.g.
``"ZRANGE WITHSCORES"``, ``"SET GET"``, ``"LPOP COUNT"``, ``"ZADD INCR"``.
(No real Redis command has such a name, so the entries cannot clash.)  A
``OneOf`` of both variants would let a strategy produce tuples for a plain
``ZRANGE`` call, which redis-py never does.  :func:`reply_key` maps the exact
``execute_command(*args, **options)`` call redis-py makes to the entry name.

Shrinking: every strategy shrinks towards the simplest, most common outcome:
``None`` for lookups that can miss, ``0``/empty for counts and collections,
short values, and ``True`` for acknowledgements of writes (``SET``,
``EXPIRE``, ``SETNX``, ...) since success is what a caller normally expects;
membership queries (``HEXISTS``) shrink to ``False``.
"""

from __future__ import annotations

import abc
import dataclasses
import difflib
import functools
import math
import re
import string
import types
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import redis
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from hypothesis.strategies import SearchStrategy

__all__ = [
    "REDIS_PY_VERSION",
    "REPLY_SHAPES",
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
    "keys",
    "redis_py_version",
    "replies",
    "reply_key",
    "reply_shape",
    "supported_commands",
    "values",
]


def redis_py_version(version: str) -> tuple[int, int, int]:
    """Return ``(major, minor, patch)`` of a redis-py version string such as ``"4.1.2"``.

    Suffixes of a part are ignored (``"8.0.0b1"`` gives ``(8, 0, 0)``) and
    missing parts count as 0.
    """
    numbers = [0, 0, 0]
    for index, part in enumerate(version.split(".")[:3]):
        digits = re.match(r"\d+", part)
        numbers[index] = int(digits.group()) if digits else 0
    return (numbers[0], numbers[1], numbers[2])


REDIS_PY_VERSION: tuple[int, int, int] = redis_py_version(redis.__version__)
"""Version of the installed redis-py; :data:`REPLY_SHAPES` describes its replies."""

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1

BulkKind = Literal["value", "key", "field", "member", "channel"]
_BULK_KINDS: tuple[str, ...] = ("value", "key", "field", "member", "channel")

_KEY_PREFIXES = ("key", "user", "session", "cache", "counter", "queue", "lock")
_FIELD_NAMES = ("field", "name", "email", "count", "status", "updated_at")
_CHANNEL_PREFIXES = ("channel", "events", "news", "updates")
_READABLE = string.ascii_letters + string.digits + " _-:.@/"
_SHA1_RE = re.compile(r"[0-9a-f]{40}")


def _type_name(value: object) -> str:
    return type(value).__name__


def _check_bool(function: str, name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgument(
            f"{function}() argument {name!r} must be a bool, "
            f"got {value!r} of type {_type_name(value)}"
        )
    return value


def _check_size(function: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgument(
            f"{function}() argument {name!r} must be a non-negative int, "
            f"got {value!r} of type {_type_name(value)}"
        )
    return value


def _encode(text: str) -> bytes:
    return text.encode("utf-8")


def _as_bulk(strategy: SearchStrategy[str], decode_responses: bool) -> SearchStrategy[Any]:
    """Return ``strategy`` as str values, or UTF-8 encoded when not decoding."""
    return strategy if decode_responses else strategy.map(_encode)


def _bulk_type(decode_responses: bool) -> type:
    return str if decode_responses else bytes


# --------------------------------------------------------------------------
# Key / value building blocks
# --------------------------------------------------------------------------


def _key_text() -> SearchStrategy[str]:
    return st.builds("{}:{}".format, st.sampled_from(_KEY_PREFIXES), st.integers(0, 9999))


def _field_text() -> SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(_FIELD_NAMES),
        st.builds("field:{}".format, st.integers(0, 999)),
    )


def _member_text() -> SearchStrategy[str]:
    return st.builds("member:{}".format, st.integers(0, 9999))


def _channel_text() -> SearchStrategy[str]:
    return st.builds("{}:{}".format, st.sampled_from(_CHANNEL_PREFIXES), st.integers(0, 99))


def keys(*, decode_responses: bool = False) -> SearchStrategy[Any]:
    """Generate short, readable Redis keys such as ``b"key:0"`` or ``b"user:42"``.

    Keys are ``bytes`` (``str`` when ``decode_responses=True``), shaped
    ``<prefix>:<number>`` with a prefix from a small fixed list.  They shrink
    towards ``b"key:0"``.
    """
    decode = _check_bool("keys", "decode_responses", decode_responses)
    return _as_bulk(_key_text(), decode)


def values(*, decode_responses: bool = False, max_size: int = 16) -> SearchStrategy[Any]:
    """Generate string values as stored in Redis (``bytes``, or ``str`` when decoding).

    Mostly short readable ASCII text, then decimal numbers (counters), then
    arbitrary binary data (arbitrary Unicode text when ``decode_responses``),
    all at most ``max_size`` characters/bytes long.  Shrinks towards the empty
    value ``b""``.
    """
    decode = _check_bool("values", "decode_responses", decode_responses)
    size = _check_size("values", "max_size", max_size)
    readable = st.text(alphabet=_READABLE, max_size=size)
    branches: list[SearchStrategy[str]] = [readable]
    if size >= 1:
        branches.append(st.integers(0, 10 ** min(size, 18) - 1).map(str))
    if decode:
        branches.append(st.text(max_size=size))
        return st.one_of(branches)
    encoded: list[SearchStrategy[bytes]] = [b.map(_encode) for b in branches]
    encoded.append(st.binary(max_size=size))
    return st.one_of(encoded)


# --------------------------------------------------------------------------
# Shape grammar
# --------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Shape(abc.ABC):
    """One reply shape: derives a strategy and a predicate from one description."""

    @abc.abstractmethod
    def strategy(self, decode_responses: bool = False) -> SearchStrategy[Any]:
        """Return a strategy generating values of this shape."""

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
        raise InvalidArgument(
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
        if self.kind not in _BULK_KINDS:
            raise InvalidArgument(
                f"Bulk() argument 'kind' must be one of {_BULK_KINDS}, got {self.kind!r}"
            )

    def strategy(self, decode_responses: bool = False) -> SearchStrategy[Any]:
        if self.kind == "value":
            return values(decode_responses=decode_responses)
        makers: dict[str, Callable[[], SearchStrategy[str]]] = {
            "key": _key_text,
            "field": _field_text,
            "member": _member_text,
            "channel": _channel_text,
        }
        return _as_bulk(makers[self.kind](), decode_responses)

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return type(value) is _bulk_type(decode_responses)


@dataclass(frozen=True, repr=False)
class Sha1(Shape):
    """A 40-character lowercase hex SHA1 digest, always ``str`` (``SCRIPT LOAD``)."""

    def strategy(self, decode_responses: bool = False) -> SearchStrategy[Any]:
        return st.binary(min_size=20, max_size=20).map(bytes.hex)

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
            raise InvalidArgument(f"Status() needs at least one str word, got {words!r}")
        object.__setattr__(self, "words", tuple(words))

    def strategy(self, decode_responses: bool = False) -> SearchStrategy[Any]:
        return _as_bulk(st.sampled_from(self.words), decode_responses)

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        if type(value) is not _bulk_type(decode_responses):
            return False
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace") in self.words
        return value in self.words


@dataclass(frozen=True, repr=False)
class Null(Shape):
    """Exactly ``None``."""

    def strategy(self, decode_responses: bool = False) -> SearchStrategy[Any]:
        return st.none()

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return value is None


@dataclass(frozen=True, repr=False)
class Ok(Shape):
    """Exactly ``True``: redis-py turns ``+OK`` (and ``+PONG``) into ``True``."""

    def strategy(self, decode_responses: bool = False) -> SearchStrategy[Any]:
        return st.just(True)

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return value is True


@dataclass(frozen=True, repr=False)
class Const(Shape):
    """Exactly ``value`` (same type and equal), e.g. ``Const(-2)`` for a TTL miss."""

    value: bool | int | float | str | bytes | None

    def strategy(self, decode_responses: bool = False) -> SearchStrategy[Any]:
        return st.just(self.value)

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return type(value) is type(self.value) and value == self.value


@dataclass(frozen=True, repr=False)
class Bool(Shape):
    """``True`` or ``False``; shrinks towards ``shrink_to``."""

    shrink_to: bool = True

    def strategy(self, decode_responses: bool = False) -> SearchStrategy[Any]:
        return st.sampled_from((self.shrink_to, not self.shrink_to))

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
            raise InvalidArgument(
                f"Int() needs min_value <= max_value, got {self.min_value} > {self.max_value}"
            )

    def strategy(self, decode_responses: bool = False) -> SearchStrategy[Any]:
        return st.integers(self.min_value, self.max_value)

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return type(value) is int and self.min_value <= value <= self.max_value


@dataclass(frozen=True, repr=False)
class Float(Shape):
    """A ``float`` (never an ``int``), never NaN; ``inf`` only if allowed.

    Shrinks towards ``0.0``.
    """

    allow_infinity: bool = False

    def strategy(self, decode_responses: bool = False) -> SearchStrategy[Any]:
        return st.floats(allow_nan=False, allow_infinity=self.allow_infinity)

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

    def strategy(self, decode_responses: bool = False) -> SearchStrategy[Any]:
        return st.one_of(st.none(), self.inner.strategy(decode_responses))

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return value is None or self.inner.matches(value, decode_responses)


@dataclass(frozen=True, init=False, repr=False)
class OneOf(Shape):
    """Any of ``options``; shrinks towards the first option."""

    options: tuple[Shape, ...] = field(metadata={"varargs": True})

    def __init__(self, *options: Shape) -> None:
        if not options:
            raise InvalidArgument("OneOf() needs at least one Shape")
        for option in options:
            _check_shape("OneOf()", option)
        object.__setattr__(self, "options", tuple(options))

    def strategy(self, decode_responses: bool = False) -> SearchStrategy[Any]:
        return st.one_of([option.strategy(decode_responses) for option in self.options])

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
            raise InvalidArgument(
                f"ListOf() needs 0 <= min_size <= max_size, got {self.min_size}, {self.max_size}"
            )

    def strategy(self, decode_responses: bool = False) -> SearchStrategy[Any]:
        return st.lists(
            self.item.strategy(decode_responses),
            min_size=self.min_size,
            max_size=self.max_size,
            unique=self.unique,
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

    def strategy(self, decode_responses: bool = False) -> SearchStrategy[Any]:
        return st.sets(self.item.strategy(decode_responses), max_size=self.max_size)

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

    def strategy(self, decode_responses: bool = False) -> SearchStrategy[Any]:
        return st.dictionaries(
            self.key.strategy(decode_responses),
            self.value.strategy(decode_responses),
            max_size=self.max_size,
        )

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
            raise InvalidArgument("TupleOf() needs at least one Shape")
        for item in items:
            _check_shape("TupleOf()", item)
        object.__setattr__(self, "items", tuple(items))
        object.__setattr__(self, "as_list", as_list)

    def strategy(self, decode_responses: bool = False) -> SearchStrategy[Any]:
        tuples = st.tuples(*(item.strategy(decode_responses) for item in self.items))
        return tuples.map(list) if self.as_list else tuples

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
    if value is None or type(value) in (bool, int, _bulk_type(decode_responses)):
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

    def strategy(self, decode_responses: bool = False) -> SearchStrategy[Any]:
        leaf = st.one_of(
            st.none(),
            st.integers(INT64_MIN, INT64_MAX),
            values(decode_responses=decode_responses),
            st.booleans(),
            st.floats(allow_nan=False, allow_infinity=False),
        )
        return st.recursive(
            leaf, lambda children: st.lists(children, max_size=4), max_leaves=self.max_leaves
        )

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return _is_resp_value(value, decode_responses, 0)


# --------------------------------------------------------------------------
# The command table
# --------------------------------------------------------------------------

_VALUE = Bulk()
_KEY = Bulk("key")
_FIELD = Bulk("field")
_MEMBER = Bulk("member")
_CHANNEL = Bulk("channel")
_COUNT = Int(0)
_SCORE = Float(allow_infinity=True)
_CURSOR = Int(0, UINT64_MAX)
_TTL = OneOf(Const(-2), Const(-1), Int(0))  # -2: no such key, -1: no expiry
_MISS_OR_VALUE = Nullable(_VALUE)
_WRITE_ACK = Bool(shrink_to=True)
_MEMBER_SCORE = TupleOf(_MEMBER, _SCORE)
_REDIS_TYPES = Status("none", "string", "list", "set", "zset", "hash", "stream")
_LMOVE_BOOL = Bool(shrink_to=False)  # redis-py < 4.1.2 only; False: nothing moved


def _table(redis_py: tuple[int, int, int]) -> dict[str, Shape]:
    """Return the reply shape of each supported command for redis-py version ``redis_py``.

    Entries that differ between supported redis-py versions say so where they
    are defined and choose their shape with a ``redis_py < (...)`` condition.
    """
    return {
        # ---- strings ---------------------------------------------------------
        "GET": _MISS_OR_VALUE,
        # SET replies True, or None when NX/XX prevented the write.
        "SET": OneOf(Ok(), Null()),
        # SET ... GET (redis-py: set(get=True), option get=True): the old value.
        "SET GET": _MISS_OR_VALUE,
        "SETNX": _WRITE_ACK,
        "SETEX": Ok(),
        "PSETEX": Ok(),
        "MGET": ListOf(Nullable(_VALUE), min_size=1),
        "MSET": Ok(),
        "MSETNX": _WRITE_ACK,
        "GETSET": _MISS_OR_VALUE,
        "GETDEL": _MISS_OR_VALUE,
        "GETEX": _MISS_OR_VALUE,
        "GETRANGE": _VALUE,
        "SETRANGE": _COUNT,
        "APPEND": _COUNT,
        "STRLEN": _COUNT,
        # ---- counters --------------------------------------------------------
        # Note: redis-py's incr()/decr() send INCRBY/DECRBY (amount 1), so mocks
        # see those names; INCR/DECR only arrive through execute_command().
        "INCR": Int(),
        "DECR": Int(),
        "INCRBY": Int(),
        "DECRBY": Int(),
        "INCRBYFLOAT": Float(),
        # ---- keys and expiry -------------------------------------------------
        "DEL": _COUNT,
        "UNLINK": _COUNT,
        "EXISTS": _COUNT,
        "TOUCH": _COUNT,
        "EXPIRE": _WRITE_ACK,
        "PEXPIRE": _WRITE_ACK,
        "EXPIREAT": _WRITE_ACK,
        "PEXPIREAT": _WRITE_ACK,
        "PERSIST": _WRITE_ACK,
        "TTL": _TTL,
        "PTTL": _TTL,
        "TYPE": _REDIS_TYPES,
        "RENAME": Ok(),
        "RENAMENX": _WRITE_ACK,
        "COPY": _WRITE_ACK,
        "KEYS": ListOf(_KEY, unique=True),
        "SCAN": TupleOf(_CURSOR, ListOf(_KEY)),
        "RANDOMKEY": Nullable(_KEY),
        # ---- hashes ----------------------------------------------------------
        "HGET": _MISS_OR_VALUE,
        "HSET": _COUNT,
        "HSETNX": Int(0, 1),
        "HMSET": Ok(),
        "HMGET": ListOf(Nullable(_VALUE), min_size=1),
        "HGETALL": DictOf(_FIELD, _VALUE),
        "HDEL": _COUNT,
        "HEXISTS": Bool(shrink_to=False),
        "HINCRBY": Int(),
        "HINCRBYFLOAT": Float(),
        "HKEYS": ListOf(_FIELD, unique=True),
        "HVALS": ListOf(_VALUE),
        "HLEN": _COUNT,
        "HSTRLEN": _COUNT,
        "HSCAN": TupleOf(_CURSOR, DictOf(_FIELD, _VALUE)),
        # ---- lists -----------------------------------------------------------
        "LPUSH": Int(1),
        "RPUSH": Int(1),
        "LPUSHX": _COUNT,
        "RPUSHX": _COUNT,
        "LPOP": _MISS_OR_VALUE,
        # LPOP/RPOP with a count argument: None for a missing key, else non-empty.
        "LPOP COUNT": Nullable(ListOf(_VALUE, min_size=1)),
        "RPOP": _MISS_OR_VALUE,
        "RPOP COUNT": Nullable(ListOf(_VALUE, min_size=1)),
        "LRANGE": ListOf(_VALUE),
        "LLEN": _COUNT,
        "LINDEX": _MISS_OR_VALUE,
        "LSET": Ok(),
        "LREM": _COUNT,
        "LTRIM": Ok(),
        "LINSERT": Int(-1),  # -1: pivot not found, 0: no such key
        "LPOS": Nullable(Int(0)),
        # redis-py 4.0.0-4.1.1 ran LMOVE/BLMOVE replies through ``bool``: True when
        # an element moved (False if that element was the empty string), False when
        # the source list was empty.  From 4.1.2 on: the element, or None.
        "LMOVE": _LMOVE_BOOL if redis_py < (4, 1, 2) else _MISS_OR_VALUE,
        "RPOPLPUSH": _MISS_OR_VALUE,
        "BLPOP": Nullable(TupleOf(_KEY, _VALUE)),
        "BRPOP": Nullable(TupleOf(_KEY, _VALUE)),
        "BLMOVE": _LMOVE_BOOL if redis_py < (4, 1, 2) else _MISS_OR_VALUE,  # as LMOVE
        "BRPOPLPUSH": _MISS_OR_VALUE,
        # ---- sets ------------------------------------------------------------
        "SADD": _COUNT,
        "SREM": _COUNT,
        "SMEMBERS": SetOf(_MEMBER),
        # redis-py 4.x converts SISMEMBER's 0/1 to bool; 5.0 dropped that callback,
        # so 5.x-8.x return the server's int (SMISMEMBER is a list of ints in all).
        "SISMEMBER": Bool(shrink_to=False) if redis_py < (5, 0, 0) else Int(0, 1),
        "SMISMEMBER": ListOf(Int(0, 1), min_size=1),
        "SCARD": _COUNT,
        "SPOP": Nullable(_MEMBER),
        # SPOP/SRANDMEMBER with a count argument: a list (empty for a missing key).
        "SPOP COUNT": ListOf(_MEMBER, unique=True),
        "SRANDMEMBER": Nullable(_MEMBER),
        "SRANDMEMBER COUNT": ListOf(_MEMBER),
        "SINTER": SetOf(_MEMBER),
        "SUNION": SetOf(_MEMBER),
        "SDIFF": SetOf(_MEMBER),
        "SINTERSTORE": _COUNT,
        "SUNIONSTORE": _COUNT,
        "SDIFFSTORE": _COUNT,
        "SMOVE": _WRITE_ACK,
        "SSCAN": TupleOf(_CURSOR, ListOf(_MEMBER)),
        # ---- sorted sets -----------------------------------------------------
        "ZADD": _COUNT,
        # ZADD ... INCR (redis-py: zadd(incr=True), option as_score=True): the new
        # score, or None when NX/XX/GT/LT prevented the update.
        "ZADD INCR": OneOf(_SCORE, Null()),
        "ZREM": _COUNT,
        "ZSCORE": Nullable(_SCORE),
        "ZMSCORE": ListOf(Nullable(_SCORE), min_size=1),
        "ZINCRBY": _SCORE,
        "ZCARD": _COUNT,
        "ZCOUNT": _COUNT,
        "ZLEXCOUNT": _COUNT,
        "ZRANK": Nullable(Int(0)),
        "ZREVRANK": Nullable(Int(0)),
        "ZRANGE": ListOf(_MEMBER, unique=True),
        # The WITHSCORES variants (redis-py option withscores=True) return a list
        # of (member, score) tuples with float scores.
        "ZRANGE WITHSCORES": ListOf(_MEMBER_SCORE),
        "ZREVRANGE": ListOf(_MEMBER, unique=True),
        "ZREVRANGE WITHSCORES": ListOf(_MEMBER_SCORE),
        "ZRANGEBYSCORE": ListOf(_MEMBER, unique=True),
        "ZRANGEBYSCORE WITHSCORES": ListOf(_MEMBER_SCORE),
        "ZREVRANGEBYSCORE": ListOf(_MEMBER, unique=True),
        "ZREVRANGEBYSCORE WITHSCORES": ListOf(_MEMBER_SCORE),
        "ZRANGEBYLEX": ListOf(_MEMBER, unique=True),
        "ZREMRANGEBYRANK": _COUNT,
        "ZREMRANGEBYSCORE": _COUNT,
        "ZPOPMIN": ListOf(_MEMBER_SCORE),
        "ZPOPMAX": ListOf(_MEMBER_SCORE),
        "BZPOPMIN": Nullable(TupleOf(_KEY, _MEMBER, _SCORE)),
        "BZPOPMAX": Nullable(TupleOf(_KEY, _MEMBER, _SCORE)),
        "ZUNIONSTORE": _COUNT,
        "ZINTERSTORE": _COUNT,
        "ZSCAN": TupleOf(_CURSOR, ListOf(_MEMBER_SCORE)),
        # ---- scripting -------------------------------------------------------
        "EVAL": AnyReply(),
        "EVALSHA": AnyReply(),
        "SCRIPT LOAD": Sha1(),
        "SCRIPT EXISTS": ListOf(Bool(shrink_to=False), min_size=1),
        "SCRIPT FLUSH": Ok(),
        # ---- pub/sub ---------------------------------------------------------
        "PUBLISH": _COUNT,
        "PUBSUB CHANNELS": ListOf(_CHANNEL, unique=True),
        "PUBSUB NUMSUB": ListOf(TupleOf(_CHANNEL, _COUNT)),
        "PUBSUB NUMPAT": _COUNT,
        # ---- connection / server ---------------------------------------------
        "PING": Ok(),
        "ECHO": _VALUE,
        "DBSIZE": _COUNT,
        "FLUSHDB": Ok(),
        "FLUSHALL": Ok(),
        "TIME": TupleOf(Int(0), Int(0, 999_999)),  # (unix seconds, microseconds)
    }


_TABLE: dict[str, Shape] = _table(REDIS_PY_VERSION)

REPLY_SHAPES: Mapping[str, Shape] = types.MappingProxyType(_TABLE)
"""Reply shape of each supported command, keyed by upper-case command name.

Describes the installed redis-py (:data:`REDIS_PY_VERSION`); see the module
docstring for the commands whose shape depends on the version.
"""

_SUPPORTED: tuple[str, ...] = tuple(sorted(_TABLE))

# Commands whose reply shape changes when redis-py passes a count argument.
_COUNT_VARIANTS = frozenset({"LPOP", "RPOP", "SPOP", "SRANDMEMBER"})


def _normalise(command: str) -> str:
    return " ".join(command.split()).upper()


def _lookup(function: str, command: object) -> str:
    if not isinstance(command, str):
        raise InvalidArgument(
            f"{function}() argument 'command' must be a str, "
            f"got {command!r} of type {_type_name(command)}"
        )
    name = _normalise(command)
    if name in _TABLE:
        return name
    message = (
        f"{function}() argument 'command' must be one of the supported commands "
        f"(see supported_commands()), got {command!r}"
    )
    close = difflib.get_close_matches(name, _SUPPORTED, n=1)
    if close:
        message += f"; did you mean {close[0]!r}?"
    raise InvalidArgument(message)


def supported_commands() -> tuple[str, ...]:
    """Return the names accepted by :func:`replies`, sorted alphabetically.

    Names are upper-case; multi-word commands use one space (``"SCRIPT
    LOAD"``) exactly as redis-py passes them to ``execute_command``; option
    variants are named ``"<COMMAND> <OPTION>"`` (``"ZRANGE WITHSCORES"``).
    """
    return _SUPPORTED


def reply_shape(command: str) -> Shape:
    """Return the :class:`Shape` of ``command``'s reply as redis-py returns it.

    ``command`` is matched case-insensitively, with runs of whitespace treated
    as one space.  Raises ``InvalidArgument`` for unsupported commands.
    """
    return _TABLE[_lookup("reply_shape", command)]


@functools.cache
def _cached_strategy(shape: Shape, decode_responses: bool) -> SearchStrategy[Any]:
    return shape.strategy(decode_responses)


def replies(command: str, *, decode_responses: bool = False) -> SearchStrategy[Any]:
    """Generate realistic replies of ``command`` as redis-py's method returns them.

    The values are what e.g. ``r.get(...)`` hands to its caller (after
    redis-py's response callbacks), i.e. what a mock of
    ``Redis.execute_command`` must return: ``bytes``/``str`` per
    ``decode_responses``, ``True`` for ``+OK``, ``int``/``float``/``set``/
    ``dict``/tuples per command (see :data:`REPLY_SHAPES`).  They shrink
    towards the simplest, most common outcome: a miss (``None``), ``0``, an
    empty collection, a short value, or ``True`` for write acknowledgements.
    Raises ``InvalidArgument`` eagerly for an unsupported command or a
    non-bool ``decode_responses``.
    """
    name = _lookup("replies", command)
    decode = _check_bool("replies", "decode_responses", decode_responses)
    return _cached_strategy(_TABLE[name], decode)


def reply_key(*args: Any, **options: Any) -> str:
    """Return the :data:`REPLY_SHAPES` entry for one ``execute_command`` call.

    Takes exactly the arguments redis-py passes to
    ``Redis.execute_command(*args, **options)`` and applies the variant
    naming: ``"SET GET"`` when ``options["get"]``, ``"<CMD> WITHSCORES"``
    when ``options["withscores"]`` and such an entry exists, ``"ZADD INCR"``
    when ``options["as_score"]``, and ``"<CMD> COUNT"`` for ``LPOP``/
    ``RPOP``/``SPOP``/``SRANDMEMBER`` called with a count.  Otherwise returns
    the normalised command name (which may not be supported; pass it to
    :func:`reply_shape` to validate).
    """
    if not args or not isinstance(args[0], str):
        first = args[0] if args else None
        raise InvalidArgument(
            "reply_key() needs the command name (a str) as first positional argument, "
            f"got {first!r} of type {_type_name(first)}"
        )
    name = _normalise(args[0])
    variant: str | None = None
    if name == "SET" and options.get("get"):
        variant = "SET GET"
    elif name == "ZADD" and options.get("as_score"):
        variant = "ZADD INCR"
    elif options.get("withscores"):
        variant = f"{name} WITHSCORES"
    elif name in _COUNT_VARIANTS and len(args) > 2:
        variant = f"{name} COUNT"
    if variant is not None and variant in _TABLE:
        return variant
    return name
