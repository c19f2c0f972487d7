"""The reply shape of each command redis-py supports: the table of `by_command`, as data.

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

import re

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
)

__all__ = ["CURSOR", "KEY", "REDIS_PY_VERSION", "redis_py_version", "table"]


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
KEY = Bulk("key")
_FIELD = Bulk("field")
_MEMBER = Bulk("member")
_CHANNEL = Bulk("channel")
_COUNT = Int(0)
_SCORE = Float(allow_infinity=True)
CURSOR = Int(0, UINT64_MAX)
_TTL = OneOf(Const(-2), Const(-1), Int(0))  # -2: no such key, -1: no expiry
_MISS_OR_VALUE = Nullable(_VALUE)
_WRITE_ACK = Bool(shrink_to=True)
_MEMBER_SCORE = TupleOf(_MEMBER, _SCORE)
_REDIS_TYPES = Status("none", "string", "list", "set", "zset", "hash", "stream")
_LMOVE_BOOL = Bool(shrink_to=False)  # redis-py < 4.1.2 only; False: nothing moved


def table(redis_py: tuple[int, int, int]) -> dict[str, Shape]:
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
        "KEYS": ListOf(KEY, unique=True),
        "SCAN": TupleOf(CURSOR, ListOf(KEY)),
        "RANDOMKEY": Nullable(KEY),
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
        "HSCAN": TupleOf(CURSOR, DictOf(_FIELD, _VALUE)),
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
        "BLPOP": Nullable(TupleOf(KEY, _VALUE)),
        "BRPOP": Nullable(TupleOf(KEY, _VALUE)),
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
        "SSCAN": TupleOf(CURSOR, ListOf(_MEMBER)),
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
        "BZPOPMIN": Nullable(TupleOf(KEY, _MEMBER, _SCORE)),
        "BZPOPMAX": Nullable(TupleOf(KEY, _MEMBER, _SCORE)),
        "ZUNIONSTORE": _COUNT,
        "ZINTERSTORE": _COUNT,
        "ZSCAN": TupleOf(CURSOR, ListOf(_MEMBER_SCORE)),
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
