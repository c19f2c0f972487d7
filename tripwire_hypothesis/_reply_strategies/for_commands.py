"""Reply shapes of redis-py's high-level commands, as Hypothesis strategies.

The shapes and the table of which command has which live in the Redis plugin
(``tripwire.plugins.redis_plugin.replies.shapes`` and ``replies.by_command``, whose docstrings
give the protocol facts and the differences between redis-py versions), which
checks mocks against them without Hypothesis. This module derives the
strategies from the same shapes (:func:`shape_strategy`), so generated replies
and the checks of mocks can never drift apart, and re-exports the grammar.
"""

from __future__ import annotations

import difflib
import functools
import string
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from tripwire.plugins.redis_plugin.replies.by_command import (
    _TABLE,
    REDIS_PY_VERSION,
    REPLY_SHAPES,
    normalise,
    redis_py_version,
    variant_key,
)
from tripwire.plugins.redis_plugin.replies.shapes import (
    INT64_MAX,
    INT64_MIN,
    AnyReply,
    Bool,
    Bulk,
    BulkKind,
    Const,
    DictOf,
    Float,
    Int,
    ListOf,
    Null,
    Nullable,
    Ok,
    OneOf,
    SetOf,
    Sha1,
    Shape,
    Status,
    TupleOf,
)

if TYPE_CHECKING:
    from collections.abc import Callable

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
    "shape_strategy",
    "supported_commands",
    "values",
]

_KEY_PREFIXES = ("key", "user", "session", "cache", "counter", "queue", "lock")
_FIELD_NAMES = ("field", "name", "email", "count", "status", "updated_at")
_CHANNEL_PREFIXES = ("channel", "events", "news", "updates")
_READABLE = string.ascii_letters + string.digits + " _-:.@/"


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
# Strategies, one per shape of the grammar
# --------------------------------------------------------------------------


@functools.singledispatch
def shape_strategy(shape: Shape, decode_responses: bool = False) -> SearchStrategy[Any]:
    """Return a strategy generating values of ``shape`` (see each shape's shrinking)."""
    raise InvalidArgument(f"shape_strategy() expects a Shape, got {shape!r}")


@shape_strategy.register(Bulk)
def _(shape: Bulk, decode_responses: bool = False) -> SearchStrategy[Any]:
    if shape.kind == "value":
        return values(decode_responses=decode_responses)
    makers: dict[str, Callable[[], SearchStrategy[str]]] = {
        "key": _key_text,
        "field": _field_text,
        "member": _member_text,
        "channel": _channel_text,
    }
    return _as_bulk(makers[shape.kind](), decode_responses)


@shape_strategy.register(Sha1)
def _(shape: Sha1, decode_responses: bool = False) -> SearchStrategy[Any]:
    return st.binary(min_size=20, max_size=20).map(bytes.hex)


@shape_strategy.register(Status)
def _(shape: Status, decode_responses: bool = False) -> SearchStrategy[Any]:
    return _as_bulk(st.sampled_from(shape.words), decode_responses)


@shape_strategy.register(Null)
def _(shape: Null, decode_responses: bool = False) -> SearchStrategy[Any]:
    return st.none()


@shape_strategy.register(Ok)
def _(shape: Ok, decode_responses: bool = False) -> SearchStrategy[Any]:
    return st.just(True)


@shape_strategy.register(Const)
def _(shape: Const, decode_responses: bool = False) -> SearchStrategy[Any]:
    return st.just(shape.value)


@shape_strategy.register(Bool)
def _(shape: Bool, decode_responses: bool = False) -> SearchStrategy[Any]:
    return st.sampled_from((shape.shrink_to, not shape.shrink_to))


@shape_strategy.register(Int)
def _(shape: Int, decode_responses: bool = False) -> SearchStrategy[Any]:
    return st.integers(shape.min_value, shape.max_value)


@shape_strategy.register(Float)
def _(shape: Float, decode_responses: bool = False) -> SearchStrategy[Any]:
    return st.floats(allow_nan=False, allow_infinity=shape.allow_infinity)


@shape_strategy.register(Nullable)
def _(shape: Nullable, decode_responses: bool = False) -> SearchStrategy[Any]:
    return st.one_of(st.none(), shape_strategy(shape.inner, decode_responses))


@shape_strategy.register(OneOf)
def _(shape: OneOf, decode_responses: bool = False) -> SearchStrategy[Any]:
    return st.one_of([shape_strategy(option, decode_responses) for option in shape.options])


@shape_strategy.register(ListOf)
def _(shape: ListOf, decode_responses: bool = False) -> SearchStrategy[Any]:
    return st.lists(
        shape_strategy(shape.item, decode_responses),
        min_size=shape.min_size,
        max_size=shape.max_size,
        unique=shape.unique,
    )


@shape_strategy.register(SetOf)
def _(shape: SetOf, decode_responses: bool = False) -> SearchStrategy[Any]:
    return st.sets(shape_strategy(shape.item, decode_responses), max_size=shape.max_size)


@shape_strategy.register(DictOf)
def _(shape: DictOf, decode_responses: bool = False) -> SearchStrategy[Any]:
    return st.dictionaries(
        shape_strategy(shape.key, decode_responses),
        shape_strategy(shape.value, decode_responses),
        max_size=shape.max_size,
    )


@shape_strategy.register(TupleOf)
def _(shape: TupleOf, decode_responses: bool = False) -> SearchStrategy[Any]:
    tuples = st.tuples(*(shape_strategy(item, decode_responses) for item in shape.items))
    return tuples.map(list) if shape.as_list else tuples


@shape_strategy.register(AnyReply)
def _(shape: AnyReply, decode_responses: bool = False) -> SearchStrategy[Any]:
    leaf = st.one_of(
        st.none(),
        st.integers(INT64_MIN, INT64_MAX),
        values(decode_responses=decode_responses),
        st.booleans(),
        st.floats(allow_nan=False, allow_infinity=False),
    )
    return st.recursive(
        leaf, lambda children: st.lists(children, max_size=4), max_leaves=shape.max_leaves
    )


# --------------------------------------------------------------------------
# The command table
# --------------------------------------------------------------------------

_SUPPORTED: tuple[str, ...] = tuple(sorted(_TABLE))


def _lookup(function: str, command: object) -> str:
    if not isinstance(command, str):
        raise InvalidArgument(
            f"{function}() argument 'command' must be a str, "
            f"got {command!r} of type {_type_name(command)}"
        )
    name = normalise(command)
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
    return shape_strategy(shape, decode_responses)


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
    return variant_key(normalise(args[0]), args, options)
