"""What the calling client makes of an answer: its own callbacks, its decoding, its exceptions.

A session draws each reply as a client of the default configuration receives it: the shapes of
`tripwire.plugins.redis_plugin.replies.by_command`, checked against redis-py and a real server.
A client of another configuration receives something else for the same server reply, and the
code under test must get what *its* client makes:

- a client made with ``protocol=3``, or ``legacy_responses=False`` (redis-py 8), or given a
  callback of the user's own (``set_response_callback``), runs other response callbacks:
  ``BLPOP`` answers a list, ``ZRANGE ... WITHSCORES`` a list of ``[member, score]`` lists. The
  reply is turned back into what Redis sends on that client's wire (`to_wire`: RESP2 or RESP3,
  as redis-py's parser reads it) and the client's own callback for the command makes the value,
  as redis-py does after reading a reply. A client of the default configuration skips that: its
  callback would give the drawn value back.
- a client made with ``decode_responses=True`` gets text: the session draws replies as text for
  it (`decodes`).
- a valkey-py client raises valkey's exceptions: an error drawn as redis-py's is made again by
  valkey-py (`library_error`), through its parser for a server's error reply, so its class and
  attributes are valkey-py's own.

``tests/realserver/test_client_configurations.py`` checks `to_wire` and the callbacks against a
real server: for each command of the table, the reply a default client got, made into what a
client of each other configuration gets, equals what that client got from the server.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Mapping
from typing import Any

from redis import exceptions

from tripwire.plugins.redis_plugin.replies.by_command import (
    REDIS_PY_VERSION,
    REPLY_SHAPES,
    default_shapes,
    variant_key,
)
from tripwire.plugins.redis_plugin.replies.shapes import AnyReply, Ok, OneOf, Shape

__all__ = ["decodes", "library_error", "through_callbacks", "to_wire"]

#: The replies with a score that Redis sends as a double on the RESP3 wire (a bulk string on
#: RESP2): sorted sets' scores. ``INCRBYFLOAT`` and ``HINCRBYFLOAT`` answer bulk strings on both.
_DOUBLES = frozenset(
    {
        "ZADD INCR",
        "ZSCORE",
        "ZMSCORE",
        "ZINCRBY",
        "BZPOPMIN",
        "BZPOPMAX",
        "ZPOPMIN",
        "ZPOPMAX",
        "ZRANGE WITHSCORES",
        "ZREVRANGE WITHSCORES",
        "ZRANGEBYSCORE WITHSCORES",
        "ZREVRANGEBYSCORE WITHSCORES",
    }
)
#: The replies made of (member, score) pairs that RESP3 sends as a list of pairs (RESP2 flat).
_PAIRED = _DOUBLES - {"ZADD INCR", "ZSCORE", "ZMSCORE", "ZINCRBY", "BZPOPMIN", "BZPOPMAX"}
#: The replies RESP3 sends as a set: redis-py 5.0's own parser reads them as a Python set (a list
#: before and after it, and with hiredis).
_SETS = frozenset({"SMEMBERS", "SINTER", "SUNION", "SDIFF", "SPOP COUNT"})
_PARSER_SETS = REDIS_PY_VERSION[:2] == (5, 0) and not getattr(
    sys.modules.get("redis.utils"), "HIREDIS_AVAILABLE", False
)
#: The commands that answer what a script returns, with no callback.
_SCRIPTS = frozenset({"EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"})
#: The scans: a cursor (a bulk string on the wire) and a page, flat on both wires.
_SCANS = frozenset({"SCAN", "HSCAN", "SSCAN", "ZSCAN"})


def decodes(client: Any) -> bool | None:
    """Whether ``client`` (a client or pipeline of redis-py or valkey-py) decodes its replies
    (``decode_responses=True``); None if that cannot be known."""
    pool = getattr(client, "connection_pool", None)
    kwargs = getattr(pool, "connection_kwargs", None)
    if isinstance(kwargs, dict):
        return bool(kwargs.get("decode_responses", False))
    encoder = getattr(client, "encoder", None)  # a cluster client's
    decode = getattr(encoder, "decode_responses", None)
    return decode if isinstance(decode, bool) else None


def through_callbacks(
    client: Any, name: str, args: tuple[Any, ...], options: Mapping[str, Any], value: Any
) -> Any:
    """What ``client`` returns for the call ``args`` (command ``name``, normalised) when the server
    answers the reply a default client receives as ``value``: ``value`` itself for a client of
    the default configuration, else what the client's own callback makes of the reply on its
    wire."""
    callbacks = getattr(client, "response_callbacks", None)
    if callbacks is None:
        return value
    if default_shapes(callbacks, name):
        if name in _SCRIPTS and value is not None and not _speaks_resp3(client):
            # No callback: a script's reply reaches the code as the wire has it.
            return _resp2(value, bool(decodes(client)))
        if _PARSER_SETS and type(value) is list and _parser_sets(client, name, args, options):
            return set(value)  # the same callback, given the set redis-py 5.0's parser made
        return value
    key = variant_key(name, args, options)
    if key not in REPLY_SHAPES:
        return value  # a reply the table does not describe: given as the session has it
    resp3 = _speaks_resp3(client)
    raw = to_wire(
        key,
        value,
        args,
        resp3=resp3,
        text=bool(decodes(client)),
        sets=resp3 and _PARSER_SETS and _library_of(client) == "redis",
    )
    callback = callbacks.get(args[0])
    if callback is None:
        return raw
    if "keys" in options:
        # redis-py gives its cache the keys of a call, not the callback (valkey-py sends none).
        options = {name: value for name, value in options.items() if name != "keys"}
    return callback(raw, **options)


def _speaks_resp3(client: Any) -> bool:
    """Whether ``client`` reads its replies as RESP3: ``protocol=3``, or no protocol given to
    redis-py 8 or later (which says ``HELLO 3``); RESP2 otherwise."""
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", None)
    protocol = kwargs.get("protocol") if isinstance(kwargs, dict) else None
    if protocol is None:
        return _library_of(client) == "redis" and REDIS_PY_VERSION >= (8, 0, 0)
    return str(protocol) == "3"


def _parser_sets(client: Any, name: str, args: tuple[Any, ...], options: Mapping[str, Any]) -> bool:
    """Whether redis-py 5.0's parser reads this call's reply as a set: a RESP3 set reply, read by
    a redis-py client that speaks RESP3."""
    return (
        variant_key(name, args, options) in _SETS
        and _library_of(client) == "redis"
        and _speaks_resp3(client)
    )


def _library_of(client: Any) -> str:
    """The library whose client ``client`` is (``redis``, ``valkey``), by the classes it is made
    of: a subclass of the user's own included."""
    for cls in type(client).__mro__:
        library = cls.__module__.partition(".")[0]
        if library in ("redis", "valkey"):
            return library
    return "redis"


def to_wire(
    key: str, value: Any, args: tuple[Any, ...], *, resp3: bool, text: bool, sets: bool = False
) -> Any:
    """The reply Redis sends for a call whose table entry is ``key`` (``"ZRANGE WITHSCORES"``),
    as redis-py's parser reads it on the RESP3 or the RESP2 wire, decoded when ``text``, when a
    client of the default configuration receives ``value`` for it; a RESP3 set as a Python set
    when the client's parser makes one (``sets``)."""
    if value is None:
        return None
    shape = REPLY_SHAPES[key]
    if isinstance(shape, AnyReply):
        # A script's reply, as the default client's wire gave it; RESP2 has no doubles, maps,
        # sets or booleans: Redis sends them as bulk strings, flat arrays, arrays and 1 or nil.
        return value if resp3 else _resp2(value, text)
    if key in _SCANS:
        cursor, page = value
        return [_bulk(str(cursor), text), _flat(page, resp3=False, text=text)]
    if key == "TIME":
        return [_bulk(str(part), text) for part in value]
    if key in _PAIRED:
        if not resp3:
            return _flat(value, resp3=False, text=text)
        if key in ("ZPOPMIN", "ZPOPMAX") and len(args) <= 2:
            # Without a count, RESP3 answers the one pair flat.
            return [item for member, score in value for item in (member, float(score))]
        return [[member, float(score)] for member, score in value]
    if key == "HGETALL":
        return dict(value) if resp3 else _flat(value, resp3=False, text=text)
    if isinstance(value, bool):
        if _acknowledges(shape):
            return _bulk("PONG" if key == "PING" else "OK", text)
        return int(value)
    if isinstance(value, float):
        return value if resp3 and key in _DOUBLES else _bulk(_double_text(value), text)
    if key == "SCRIPT LOAD":
        return _bulk(value, text)
    if isinstance(value, (list, tuple, set, frozenset)):
        if key == "PUBSUB NUMSUB":
            return _flat(value, resp3=False, text=text)
        if sets and key in _SETS:
            return set(value)
        double = resp3 and key in _DOUBLES
        return [_item(item, double, text) for item in value]
    return value


def _resp2(value: Any, text: bool) -> Any:
    """A RESP3 value as Redis sends it on the RESP2 wire."""
    if value is True:
        return 1
    if value is False:
        return None
    if isinstance(value, float):
        return _bulk(_double_text(value), text)
    if isinstance(value, Mapping):
        return [_resp2(item, text) for pair in value.items() for item in pair]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_resp2(item, text) for item in value]
    return value


def _acknowledges(shape: Shape) -> bool:
    """Whether ``True`` stands for the status ``OK`` (or ``PONG``) in replies of ``shape``."""
    if isinstance(shape, OneOf):
        return any(isinstance(option, Ok) for option in shape.options)
    return isinstance(shape, Ok)


def _item(item: Any, double: bool, text: bool) -> Any:
    """An element of an array reply."""
    if isinstance(item, bool):
        return int(item)
    if isinstance(item, float):
        return item if double else _bulk(_double_text(item), text)
    return item


def _flat(items: Any, *, resp3: bool, text: bool) -> list[Any]:
    """Pairs (a mapping, or a list of 2-tuples) as the flat array RESP2 sends."""
    pairs = items.items() if isinstance(items, Mapping) else items
    flat: list[Any] = []
    for item in pairs:
        if isinstance(item, tuple):
            flat.extend(_item(part, resp3, text) for part in item)
        else:
            flat.append(_item(item, resp3, text))
    return flat


def _bulk(text_value: Any, text: bool) -> Any:
    if isinstance(text_value, bytes):
        return text_value.decode() if text else text_value
    return text_value if text else str(text_value).encode()


def _double_text(number: float) -> str:
    """A double as Redis writes it in a bulk string: ``1``, ``2.5``, ``inf``, ``-inf``."""
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    if number.is_integer() and abs(number) < 2**53:
        return str(int(number))
    return repr(number)


# -- exceptions ------------------------------------------------------------------------------


def library_error(client: Any, error: BaseException) -> BaseException:
    """``error``, raised by ``client``'s own library: a redis-py exception made again as valkey-py's
    for a valkey-py client (its class of the same name; a server's error reply parsed by
    valkey-py's parser). Any other error is given as it is."""
    library = _library_of(client)
    if library == "redis" or not type(error).__module__.startswith("redis."):
        return error
    made = _maker(library)
    return error if made is None else made(error)


@functools.cache
def _maker(library: str) -> Any:
    """How an error of redis-py is made by ``library``; None if it is not imported."""
    module = sys.modules.get(f"{library}.exceptions")
    if module is None:
        return None
    base = sys.modules.get(f"{library}._parsers.base") or sys.modules.get(f"{library}._parsers")
    parser = getattr(base, "BaseParser", None)

    def made(error: BaseException) -> BaseException:
        # The library's class of the same name, or of the nearest base it has: valkey-py has
        # no MaxClientsReachedError, its ConnectionError stands for it; its root is ValkeyError.
        for base in type(error).__mro__:
            cls = getattr(module, base.__name__.replace("Redis", library.title()), None)
            if isinstance(cls, type) and issubclass(cls, BaseException):
                break
        else:  # pragma: no cover - every redis-py error derives from RedisError
            return error
        if isinstance(error, exceptions.ResponseError) and parser is not None:
            try:
                return parser.parse_error(_error_line(error))  # type: ignore[no-any-return]
            except TypeError:  # pragma: no cover - an instance method in old releases
                pass
        return cls(*error.args)

    return made


@functools.cache
def _prefixes() -> dict[type, str]:
    """The error prefix redis-py's parser maps to each exception class (``NOSCRIPT``)."""
    try:  # redis-py >= 5.0
        from redis._parsers import BaseParser
    except ImportError:  # pragma: no cover - redis-py 4.x
        from redis.connection import BaseParser  # type: ignore[attr-defined,unused-ignore]

    found: dict[type, str] = {}
    for prefix, mapped in BaseParser.EXCEPTION_CLASSES.items():
        if isinstance(mapped, type):
            found.setdefault(mapped, prefix)
    return found


def _error_line(error: BaseException) -> str:
    """The error reply redis-py parsed into ``error``: ``NOSCRIPT No matching script``."""
    message = str(error.args[0]) if error.args else ""
    if type(error) is exceptions.ResponseError:
        return message  # unmapped prefixes (WRONGTYPE, ERR) stay in the message
    code = getattr(error, "status_code", None)
    prefix = code if isinstance(code, str) else _prefixes().get(type(error), "ERR")
    return f"{prefix} {message}"
