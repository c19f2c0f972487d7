"""Reply shapes of redis-py's commands: what a mock's ``returns`` can be.

A mock that replaces ``Redis.execute_command`` must return the *final* Python
value a caller of ``r.get(...)``, ``r.hgetall(...)``, ... receives, i.e. the
value redis-py produces after its response callbacks ran.  This module
describes that value for each supported command with a small *shape grammar*
(frozen dataclasses: :class:`Bulk`, :class:`Nullable`, :class:`Int`,
:class:`ListOf`, ...).  From one shape definition both a Hypothesis strategy
(``tripwire_hypothesis._reply_strategies.for_commands``) and a predicate (:meth:`Shape.matches`)
are derived, so generated replies, the checks of mocks (`wrong_reply`) and
the checks against real replies can never drift apart.  This module imports
neither Hypothesis nor anything that does: the Redis plugin checks mocks with
it.

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

import functools
import inspect
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis

from tripwire.plugins.redis_plugin.replies.shapes import (
    UINT64_MAX,
    AnyReply,
    Bool,
    Bulk,
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
    describe,
)

__all__ = [
    "REDIS_PY_VERSION",
    "REPLY_SHAPES",
    "default_shapes",
    "known",
    "normalise",
    "redis_py_version",
    "variant_key",
    "wrong_reply",
    "wrong_reply_cached",
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


# Commands whose reply shape changes when redis-py passes a count argument.
_COUNT_VARIANTS = frozenset({"LPOP", "RPOP", "SPOP", "SRANDMEMBER"})


def normalise(command: str) -> str:
    """``command`` upper-case, with runs of whitespace as one space."""
    return " ".join(command.split()).upper()


def variant_key(name: str, args: tuple[Any, ...], options: Mapping[str, Any]) -> str:
    """The :data:`REPLY_SHAPES` entry of a call of ``name`` (normalised) with these
    ``execute_command`` arguments (command name first) and options.

    ``"SET GET"`` when ``options["get"]``, ``"<CMD> WITHSCORES"`` when
    ``options["withscores"]`` and such an entry exists, ``"ZADD INCR"`` when
    ``options["as_score"]``, ``"<CMD> COUNT"`` for ``LPOP``/``RPOP``/``SPOP``/
    ``SRANDMEMBER`` called with a count; else ``name``.
    """
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


# --------------------------------------------------------------------------
# Checking a mock's returns
# --------------------------------------------------------------------------

#: The option words of the variant entries (``"ZRANGE WITHSCORES"``).
_OPTION_WORDS = frozenset({"WITHSCORES", "COUNT", "GET", "INCR"})

#: Each command with its option variants (``"ZRANGE"``: ``ZRANGE`` and ``ZRANGE WITHSCORES``):
#: a mock is registered before the call, so it may be meant for any of them.
_FAMILIES: dict[str, tuple[Shape, ...]] = {}
for _name, _shape in _TABLE.items():
    _family, _, _word = _name.rpartition(" ")
    if not _family or _word not in _OPTION_WORDS or _family not in _TABLE:
        _family = _name
    # A script's sha1 is checked by its type only: a test may make one up ("loaded-sha").
    _loose = Bulk() if isinstance(_shape, Sha1) else _shape
    _FAMILIES[_family] = (*_FAMILIES.get(_family, ()), _loose)


@dataclass(frozen=True, repr=False)
class _NodeName(Shape):
    """A cluster node's name, ``"host:port"``: always ``str``."""

    def matches(self, value: object, decode_responses: bool = False) -> bool:
        return type(value) is str


@describe.register
def _describe_node_name(shape: _NodeName) -> str:
    return "node names ('host:port')"


#: Replies of the sandbox's cluster clients that no single command gives: a command split per
#: slot is recorded as one call, which returns what the cluster client returns.
_CLUSTER_REPLIES: dict[str, tuple[Shape, ...]] = {
    # RedisCluster.mset_nonatomic(): one MSET reply per slot.
    "MSET": (ListOf(Ok(), min_size=1),),
    # RedisCluster.scan(): each node's cursor by the node's name, and the keys of every node.
    "SCAN": (TupleOf(DictOf(_NodeName(), _CURSOR), ListOf(_KEY)),),
}
for _name, _extra in _CLUSTER_REPLIES.items():
    _FAMILIES[_name] += _extra


def known(name: str) -> bool:
    """Whether the reply of command ``name`` (normalised, no option word) is known."""
    return name in _FAMILIES


def wrong_reply(name: str, value: object) -> str | None:
    """None if redis-py can return ``value`` for a call of ``name`` (normalised), with
    ``decode_responses`` on or off and any option; else what it returns, in words.

    A command not in the table accepts anything.
    """
    shapes = _FAMILIES.get(name)
    if shapes is None:
        return None
    for shape in shapes:
        if shape.matches(value, False) or shape.matches(value, True):
            return None
    return ", or ".join(dict.fromkeys(describe(shape) for shape in shapes))


#: Scalar reply types whose verdicts `wrong_reply_cached` keeps, by (command, type, value).
_CACHEABLE = frozenset({bytes, str, int, float, bool, type(None)})
_VERDICTS: dict[tuple[str, type, object], str | None] = {}


def wrong_reply_cached(name: str, value: object) -> str | None:
    """`wrong_reply`, its verdicts on scalar replies kept: a suite mocks the same few replies
    (``b"v"``, ``True``, ``None``) many times over."""
    kind = type(value)
    if kind not in _CACHEABLE:
        return wrong_reply(name, value)
    key = (name, kind, value)
    try:
        return _VERDICTS[key]
    except KeyError:
        verdict = wrong_reply(name, value)
        # Not mutated: the bound only keeps the cache small.
        if len(_VERDICTS) < 4096:  # pragma: no mutate
            _VERDICTS[key] = verdict
        return verdict


# --------------------------------------------------------------------------
# Which clients get the replies of the table
# --------------------------------------------------------------------------


@functools.cache
def _default_callbacks() -> tuple[Mapping[str, Any], ...]:
    """The response callbacks of the redis-py clients whose replies the table describes, sync
    and asyncio: of the default configuration, and of ``protocol=2`` where redis-py takes a
    ``protocol`` (5 and later). A valkey-py client's callbacks are its own (it returns a list
    for ``SMEMBERS``, say), never these."""
    found = []
    sides: list[Any] = [redis.Redis]
    try:
        # Imported here, once, when a reply is first checked: redis-py 4.0 and 4.1 have no
        # asyncio client.
        from redis.asyncio import Redis as AsyncRedis
    except ImportError:  # pragma: no cover - redis-py 4.0 and 4.1
        pass
    else:
        sides.append(AsyncRedis)
    for client in sides:
        takes_protocol = "protocol" in inspect.signature(client).parameters
        # No protocol before redis-py 5: asking for it would leave a half-made client, whose
        # __del__ fails when it is collected.
        for options in ({}, {"protocol": 2}) if takes_protocol else ({},):
            found.append(client(**options).response_callbacks)
    return tuple(found)


def default_shapes(callbacks: Any, command: str) -> bool:
    """Whether a client whose ``response_callbacks`` are ``callbacks`` gets the replies the
    table describes for ``command`` (normalised): whether its callback for it is the one a
    client of the default configuration, or of ``protocol=2``, has. Not so with ``protocol=3``,
    with ``legacy_responses=False`` (redis-py 8), or with a callback of the user's own.

    ``callbacks`` None (a cluster client, or one of the user's own making with none): the
    default replies.
    """
    if callbacks is None:
        return True
    try:
        own = callbacks.get(command)
    except Exception:
        return True  # not a mapping: not redis-py's, checked against the default replies
    return any(own is reference.get(command) for reference in _default_callbacks())
