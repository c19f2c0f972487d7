"""Every reply shape in ``tripwire_hypothesis`` checked against a real server.

For each command in ``REPLY_SHAPES`` the table ``CASES`` below holds calls of
redis-py's high-level API that exercise it.  Each call runs in an empty
database (misses: ``None``, ``0``, empty collections) and, unless marked
otherwise, in a populated one (hits), with ``decode_responses`` both off and
on; the real reply must satisfy ``reply_shape(command).matches``.  The last
``execute_command`` call each case makes must also map to the command under
test through ``reply_key``, which checks the variant naming (``"ZRANGE
WITHSCORES"``, ``"SET GET"``, ...) against the calls redis-py really makes.

Everything here checks the *installed* redis-py (the nox session
``redis_versions`` runs it on every supported release line): ``REPLY_SHAPES``
is built for that version, and the error tests compare what the installed
parser makes of the generated error lines with what it raised for the real
ones.  Expectations that differ between redis-py versions (the deprecation
warnings, the error classes for ``OOM`` and ``WRONGPASS``, ``status_code``)
state the version condition where they are made.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
import redis
from hypothesis import find, settings
from redis import exceptions

from tripwire_hypothesis._reply_strategies.errors import redis_errors
from tripwire_hypothesis._reply_strategies.for_commands import (
    REDIS_PY_VERSION,
    REPLY_SHAPES,
    reply_key,
    reply_shape,
)

Call = Callable[[redis.Redis], Any]


class _Server(Protocol):
    """The parts of conftest's ``RedisServer`` used here (conftest is not importable)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...


EMPTY = "empty"
POPULATED = "populated"
SHORT = 0.01
"""Timeout, in seconds, for blocking commands that find nothing."""
UNLOADED_SHA = "0" * 40
CHANNEL = "channel:1"

HAS_STATUS_CODE = REDIS_PY_VERSION >= (7, 2, 0)
"""redis-py 7.2 added ``RedisError.status_code`` (the reply's error prefix, or None)."""


@dataclass(frozen=True)
class Case:
    """One call exercising a command, and the database states to run it in."""

    call: Call
    states: tuple[str, ...] = (EMPTY, POPULATED)


def both(call: Call) -> Case:
    return Case(call)


def populated(call: Call) -> Case:
    return Case(call, (POPULATED,))


def empty(call: Call) -> Case:
    return Case(call, (EMPTY,))


def _populate(r: redis.Redis) -> None:
    """Create one key of every type; the cases read and write these."""
    r.set("s", "hello")
    r.set("n", "10")
    r.set("f", "1.5")
    r.set("e", "expiring", ex=1000)
    r.hset("h", mapping={"f1": "v1", "f2": "7"})
    r.rpush("l", "a", "b", "c")
    r.sadd("st", "a", "b", "c")
    r.sadd("st2", "b", "d")
    r.zadd("z", {"a": 1, "b": 2.5, "c": float("inf")})
    r.zadd("z2", {"b": 3})


def _deprecated(
    name: str,
    call: Call,
    *,
    since: tuple[int, int, int],
    until: tuple[int, int, int] = (99, 0, 0),
) -> Call:
    """``call`` uses redis-py method ``name``, which warns from redis-py ``since`` to ``until``.

    In those versions the call must warn; in others, it must not (warnings are errors in
    this suite).
    """

    def run(r: redis.Redis) -> Any:
        if since <= REDIS_PY_VERSION < until:
            with pytest.warns(DeprecationWarning, match=name):
                return call(r)
        return call(r)

    return run


def _subscribed(call: Call, *, pattern: bool = False) -> Call:
    """Run ``call`` while another connection is subscribed to ``CHANNEL``."""

    def run(r: redis.Redis) -> Any:
        make_pubsub: Callable[[], redis.client.PubSub] = r.pubsub
        pubsub = make_pubsub()
        try:
            if pattern:
                pubsub.psubscribe("channel:*")
            else:
                pubsub.subscribe(CHANNEL)
            assert pubsub.get_message(timeout=5.0) is not None  # the confirmation
            return call(r)
        finally:
            pubsub.close()

    return run


def _script_exists_loaded(r: redis.Redis) -> Any:
    sha = r.script_load("return 1")
    return r.script_exists(sha, UNLOADED_SHA)


def _raw(r: redis.Redis, *args: Any) -> Any:
    """Send a command as is (redis-py's ``execute_command`` is untyped)."""
    execute: Callable[..., Any] = r.execute_command
    return execute(*args)


def _type_of(key: str) -> Case:
    return both(lambda r: r.type(key))


def _evalsha(script: str) -> Call:
    def run(r: redis.Redis) -> Any:
        return r.evalsha(r.script_load(script), 1, "s")

    return run


def _eval(script: str) -> Case:
    return both(lambda r: r.eval(script, 1, "s"))


CASES: dict[str, tuple[Case, ...]] = {
    # ---- strings ---------------------------------------------------------
    "GET": (both(lambda r: r.get("s")),),
    "SET": (both(lambda r: r.set("s", "v")), both(lambda r: r.set("s", "v", nx=True))),
    "SET GET": (both(lambda r: r.set("s", "v", get=True)),),
    "SETNX": (both(lambda r: r.setnx("s", "v")),),
    "SETEX": (
        both(
            _deprecated(
                "setex",
                lambda r: r.setex("s", 100, "v"),
                # redis-py 8.2 took the deprecation back.
                since=(8, 0, 0),
                until=(8, 2, 0),
            )
        ),
    ),
    "PSETEX": (both(lambda r: r.psetex("s", 100_000, "v")),),
    "MGET": (both(lambda r: r.mget(["s", "missing"])),),
    "MSET": (both(lambda r: r.mset({"a": "1", "b": "2"})),),
    "MSETNX": (both(lambda r: r.msetnx({"s": "1", "new": "2"})),),
    "GETSET": (both(lambda r: r.getset("s", "v")),),
    "GETDEL": (both(lambda r: r.getdel("s")),),
    "GETEX": (both(lambda r: r.getex("s", ex=100)),),
    "GETRANGE": (both(lambda r: r.getrange("s", 0, 2)),),
    "SETRANGE": (both(lambda r: r.setrange("s", 2, "xy")),),
    "APPEND": (both(lambda r: r.append("s", "!")),),
    "STRLEN": (both(lambda r: r.strlen("s")),),
    # ---- counters --------------------------------------------------------
    # redis-py's incr()/decr() send INCRBY/DECRBY; INCR and DECR are only
    # ever sent through execute_command.
    "INCR": (both(lambda r: _raw(r, "INCR", "n")),),
    "DECR": (both(lambda r: _raw(r, "DECR", "n")),),
    "INCRBY": (both(lambda r: r.incrby("n", 5)), both(lambda r: r.incr("n"))),
    "DECRBY": (both(lambda r: r.decrby("n", 30)), both(lambda r: r.decr("n"))),
    "INCRBYFLOAT": (
        both(lambda r: r.incrbyfloat("f", 1.25)),
        both(lambda r: r.incrbyfloat("n", 1)),  # integral result is still a float
    ),
    # ---- keys and expiry -------------------------------------------------
    "DEL": (both(lambda r: r.delete("s", "l", "missing")),),
    "UNLINK": (both(lambda r: r.unlink("s")),),
    "EXISTS": (both(lambda r: r.exists("s")), both(lambda r: r.exists("s", "s", "missing"))),
    "TOUCH": (both(lambda r: r.touch("s", "h")),),
    "EXPIRE": (both(lambda r: r.expire("s", 100)),),
    "PEXPIRE": (both(lambda r: r.pexpire("s", 100_000)),),
    "EXPIREAT": (both(lambda r: r.expireat("s", int(time.time()) + 100)),),
    "PEXPIREAT": (both(lambda r: r.pexpireat("s", int(time.time() * 1000) + 100_000)),),
    "PERSIST": (both(lambda r: r.persist("e")), populated(lambda r: r.persist("s"))),
    "TTL": (both(lambda r: r.ttl("s")), both(lambda r: r.ttl("e"))),
    "PTTL": (both(lambda r: r.pttl("s")), both(lambda r: r.pttl("e"))),
    "TYPE": tuple(_type_of(key) for key in ("s", "h", "l", "st", "z")),
    "RENAME": (populated(lambda r: r.rename("s", "s2")),),
    "RENAMENX": (
        populated(lambda r: r.renamenx("s", "fresh")),
        populated(lambda r: r.renamenx("s", "n")),
    ),
    "COPY": (both(lambda r: r.copy("s", "s-copy")),),
    "KEYS": (both(lambda r: r.keys()), both(lambda r: r.keys("s*"))),
    "SCAN": (both(lambda r: r.scan()), both(lambda r: r.scan(0, match="s*", count=100))),
    "RANDOMKEY": (both(lambda r: r.randomkey()),),
    # ---- hashes ----------------------------------------------------------
    "HGET": (both(lambda r: r.hget("h", "f1")), both(lambda r: r.hget("h", "missing"))),
    "HSET": (
        both(lambda r: r.hset("h", "f1", "v")),
        both(lambda r: r.hset("h", mapping={"f1": "v", "f9": "w"})),
    ),
    "HSETNX": (both(lambda r: r.hsetnx("h", "f1", "v")),),
    "HMSET": (
        both(
            _deprecated(
                "hmset",
                lambda r: r.hmset("h", {"f1": "x", "f3": "y"}),
                # redis-py 8.2 took the deprecation back.
                since=(4, 0, 0),
                until=(8, 2, 0),
            )
        ),
    ),
    "HMGET": (both(lambda r: r.hmget("h", ["f1", "missing"])),),
    "HGETALL": (both(lambda r: r.hgetall("h")),),
    "HDEL": (both(lambda r: r.hdel("h", "f1", "missing")),),
    "HEXISTS": (both(lambda r: r.hexists("h", "f1")),),
    "HINCRBY": (both(lambda r: r.hincrby("h", "f2", -10)),),
    "HINCRBYFLOAT": (both(lambda r: r.hincrbyfloat("h", "f2", 0.5)),),
    "HKEYS": (both(lambda r: r.hkeys("h")),),
    "HVALS": (both(lambda r: r.hvals("h")),),
    "HLEN": (both(lambda r: r.hlen("h")),),
    "HSTRLEN": (both(lambda r: r.hstrlen("h", "f1")),),
    "HSCAN": (both(lambda r: r.hscan("h")),),
    # ---- lists -----------------------------------------------------------
    "LPUSH": (both(lambda r: r.lpush("l", "x", "y")),),
    "RPUSH": (both(lambda r: r.rpush("l", "x")),),
    "LPUSHX": (both(lambda r: r.lpushx("l", "x")),),
    "RPUSHX": (both(lambda r: r.rpushx("l", "x")),),
    "LPOP": (both(lambda r: r.lpop("l")),),
    "LPOP COUNT": (both(lambda r: r.lpop("l", 2)), both(lambda r: r.lpop("l", 10))),
    "RPOP": (both(lambda r: r.rpop("l")),),
    "RPOP COUNT": (both(lambda r: r.rpop("l", 2)),),
    "LRANGE": (both(lambda r: r.lrange("l", 0, -1)),),
    "LLEN": (both(lambda r: r.llen("l")),),
    "LINDEX": (both(lambda r: r.lindex("l", 1)), both(lambda r: r.lindex("l", 99))),
    "LSET": (populated(lambda r: r.lset("l", 0, "x")),),
    "LREM": (both(lambda r: r.lrem("l", 0, "a")),),
    "LTRIM": (both(lambda r: r.ltrim("l", 0, 1)),),
    "LINSERT": (
        both(lambda r: r.linsert("l", "before", "b", "x")),
        populated(lambda r: r.linsert("l", "after", "no-such-pivot", "x")),
    ),
    "LPOS": (both(lambda r: r.lpos("l", "b")), both(lambda r: r.lpos("l", "zz"))),
    "LMOVE": (both(lambda r: r.lmove("l", "l2", "LEFT", "RIGHT")),),
    "RPOPLPUSH": (both(lambda r: r.rpoplpush("l", "l2")),),
    "BLPOP": (both(lambda r: r.blpop(["l", "l2"], timeout=SHORT)),),
    "BRPOP": (both(lambda r: r.brpop(["l"], timeout=SHORT)),),
    # redis-py annotates BLMOVE's timeout as int; the server takes float seconds.
    "BLMOVE": (both(lambda r: r.blmove("l", "l2", SHORT, "RIGHT", "LEFT")),),  # type: ignore[arg-type]
    "BRPOPLPUSH": (both(lambda r: r.brpoplpush("l", "l2", timeout=SHORT)),),
    # ---- sets ------------------------------------------------------------
    "SADD": (both(lambda r: r.sadd("st", "a", "x")),),
    "SREM": (both(lambda r: r.srem("st", "a", "x")),),
    "SMEMBERS": (both(lambda r: r.smembers("st")),),
    "SISMEMBER": (both(lambda r: r.sismember("st", "a")),),
    "SMISMEMBER": (both(lambda r: r.smismember("st", ["a", "x"])),),
    "SCARD": (both(lambda r: r.scard("st")),),
    "SPOP": (both(lambda r: r.spop("st")),),
    "SPOP COUNT": (both(lambda r: r.spop("st", 2)), both(lambda r: r.spop("st", 10))),
    "SRANDMEMBER": (both(lambda r: r.srandmember("st")),),
    "SRANDMEMBER COUNT": (
        both(lambda r: r.srandmember("st", 2)),
        both(lambda r: r.srandmember("st", -5)),  # negative: may repeat members
    ),
    "SINTER": (both(lambda r: r.sinter(["st", "st2"])),),
    "SUNION": (both(lambda r: r.sunion(["st", "st2"])),),
    "SDIFF": (both(lambda r: r.sdiff(["st", "st2"])),),
    "SINTERSTORE": (both(lambda r: r.sinterstore("dest", ["st", "st2"])),),
    "SUNIONSTORE": (both(lambda r: r.sunionstore("dest", ["st", "st2"])),),
    "SDIFFSTORE": (both(lambda r: r.sdiffstore("dest", ["st", "st2"])),),
    "SMOVE": (both(lambda r: r.smove("st", "st2", "a")),),
    "SSCAN": (both(lambda r: r.sscan("st")),),
    # ---- sorted sets -----------------------------------------------------
    "ZADD": (both(lambda r: r.zadd("z", {"a": 5, "q": 1})),),
    "ZADD INCR": (
        both(lambda r: r.zadd("z", {"a": 1.5}, incr=True)),
        both(lambda r: r.zadd("z", {"a": 1}, incr=True, nx=True)),  # None when it exists
    ),
    "ZREM": (both(lambda r: r.zrem("z", "a", "x")),),
    "ZSCORE": (
        both(lambda r: r.zscore("z", "a")),
        both(lambda r: r.zscore("z", "c")),  # +inf
    ),
    "ZMSCORE": (both(lambda r: r.zmscore("z", ["a", "c", "missing"])),),
    "ZINCRBY": (both(lambda r: r.zincrby("z", 2, "a")), both(lambda r: r.zincrby("z", 1, "c"))),
    "ZCARD": (both(lambda r: r.zcard("z")),),
    "ZCOUNT": (both(lambda r: r.zcount("z", "-inf", "+inf")),),
    "ZLEXCOUNT": (both(lambda r: r.zlexcount("z", "-", "+")),),
    "ZRANK": (both(lambda r: r.zrank("z", "b")),),
    "ZREVRANK": (both(lambda r: r.zrevrank("z", "b")),),
    "ZRANGE": (both(lambda r: r.zrange("z", 0, -1)),),
    "ZRANGE WITHSCORES": (
        both(lambda r: r.zrange("z", 0, -1, withscores=True)),
        both(lambda r: r.zrange("z", "-inf", "+inf", byscore=True, withscores=True)),
    ),
    "ZREVRANGE": (both(lambda r: r.zrevrange("z", 0, -1)),),
    "ZREVRANGE WITHSCORES": (both(lambda r: r.zrevrange("z", 0, -1, withscores=True)),),
    "ZRANGEBYSCORE": (both(lambda r: r.zrangebyscore("z", "-inf", "+inf")),),
    "ZRANGEBYSCORE WITHSCORES": (
        both(lambda r: r.zrangebyscore("z", "-inf", "+inf", withscores=True)),
    ),
    "ZREVRANGEBYSCORE": (both(lambda r: r.zrevrangebyscore("z", "+inf", "-inf")),),
    "ZREVRANGEBYSCORE WITHSCORES": (
        both(lambda r: r.zrevrangebyscore("z", "+inf", "-inf", withscores=True)),
    ),
    "ZRANGEBYLEX": (both(lambda r: r.zrangebylex("z", "-", "+")),),
    "ZREMRANGEBYRANK": (both(lambda r: r.zremrangebyrank("z", 0, 0)),),
    "ZREMRANGEBYSCORE": (both(lambda r: r.zremrangebyscore("z", 0, 2)),),
    "ZPOPMIN": (both(lambda r: r.zpopmin("z")), both(lambda r: r.zpopmin("z", 2))),
    "ZPOPMAX": (both(lambda r: r.zpopmax("z")), both(lambda r: r.zpopmax("z", 5))),
    "BZPOPMIN": (both(lambda r: r.bzpopmin(["z", "z2"], timeout=SHORT)),),
    "BZPOPMAX": (both(lambda r: r.bzpopmax("z", timeout=SHORT)),),
    "ZUNIONSTORE": (both(lambda r: r.zunionstore("zdest", ["z", "z2"])),),
    "ZINTERSTORE": (both(lambda r: r.zinterstore("zdest", ["z", "z2"])),),
    "ZSCAN": (both(lambda r: r.zscan("z")),),
    # ---- scripting -------------------------------------------------------
    "EVAL": (
        _eval("return redis.call('GET', KEYS[1])"),
        _eval("return 42"),
        _eval("return 3.7"),  # truncated to an integer
        _eval("return {1, 'two', {3, false}, nil}"),
        _eval("return redis.status_reply('OK')"),
        _eval("return true"),
        _eval("redis.setresp(3); return {double = 1.5}"),
        _eval("redis.setresp(3); return redis.call('HGETALL', 'h')"),
    ),
    "EVALSHA": (both(_evalsha("return redis.call('GET', KEYS[1])")), both(_evalsha("return {1}"))),
    "SCRIPT LOAD": (both(lambda r: r.script_load("return 1")),),
    "SCRIPT EXISTS": (
        both(lambda r: r.script_exists(UNLOADED_SHA)),
        both(_script_exists_loaded),
    ),
    "SCRIPT FLUSH": (both(lambda r: r.script_flush()),),
    # ---- pub/sub ---------------------------------------------------------
    "PUBLISH": (
        both(lambda r: r.publish(CHANNEL, "hi")),
        empty(_subscribed(lambda r: r.publish(CHANNEL, "hi"))),
    ),
    "PUBSUB CHANNELS": (
        both(lambda r: r.pubsub_channels()),
        empty(_subscribed(lambda r: r.pubsub_channels())),
    ),
    "PUBSUB NUMSUB": (
        both(lambda r: r.pubsub_numsub(CHANNEL)),
        empty(_subscribed(lambda r: r.pubsub_numsub(CHANNEL, "channel:2"))),
    ),
    "PUBSUB NUMPAT": (
        both(lambda r: r.pubsub_numpat()),
        empty(_subscribed(lambda r: r.pubsub_numpat(), pattern=True)),
    ),
    # ---- connection / server ---------------------------------------------
    "PING": (both(lambda r: r.ping()),),
    "ECHO": (both(lambda r: r.echo("hello")),),
    "DBSIZE": (both(lambda r: r.dbsize()),),
    "FLUSHDB": (both(lambda r: r.flushdb()),),
    "FLUSHALL": (both(lambda r: r.flushall()),),
    "TIME": (both(lambda r: r.time()),),
}


def test_every_shape_has_cases() -> None:
    assert set(CASES) == set(REPLY_SHAPES)
    assert all(CASES.values())


def _params() -> Iterator[Any]:
    for command, cases in CASES.items():
        for index, case in enumerate(cases):
            for state in case.states:
                for decode in (False, True):
                    mode = "str" if decode else "bytes"
                    yield pytest.param(
                        command, case, state, decode, id=f"{command}-{index}-{state}-{mode}"
                    )


@dataclass
class _Recorder:
    """Records the ``execute_command`` calls a client makes."""

    calls: list[tuple[tuple[Any, ...], dict[str, Any]]]


@pytest.fixture
def make_client(redis_server: _Server) -> Iterator[Callable[[bool], redis.Redis]]:
    """Build clients with redis-py's defaults on the real server; closed afterwards."""
    clients: list[redis.Redis] = []

    def make(decode: bool) -> redis.Redis:
        client = redis.Redis(
            host=redis_server.host,
            port=redis_server.port,
            decode_responses=decode,
            socket_timeout=5.0,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def _record(client: redis.Redis) -> _Recorder:
    recorder = _Recorder(calls=[])
    original: Callable[..., Any] = client.execute_command

    def execute_command(*args: Any, **options: Any) -> Any:
        recorder.calls.append((args, options))
        return original(*args, **options)

    client.execute_command = execute_command  # type: ignore[method-assign]
    return recorder


@pytest.mark.allow("redis")
@pytest.mark.parametrize(("command", "case", "state", "decode"), list(_params()))
def test_real_reply_matches_shape(
    make_client: Callable[[bool], redis.Redis],
    command: str,
    case: Case,
    state: str,
    decode: bool,
) -> None:
    client = make_client(decode)
    client.flushall()
    client.script_flush()
    if state == POPULATED:
        _populate(client)
    recorder = _record(client)

    reply = case.call(client)

    shape = reply_shape(command)
    assert shape.matches(reply, decode_responses=decode), (
        f"{command} ({state}, decode_responses={decode}) returned {reply!r}, "
        f"which does not match {shape!r}"
    )
    args, options = recorder.calls[-1]
    assert reply_key(*args, **options) == command


# --------------------------------------------------------------------------
# Generated errors equal the ones a real server produces
# --------------------------------------------------------------------------


def _same_error(generated: exceptions.RedisError, real: exceptions.RedisError) -> bool:
    """Same class, message and attributes (``status_code``, ... where redis-py sets them)."""
    return (
        type(generated) is type(real)
        and generated.args == real.args
        and vars(generated) == vars(real)
    )


def _generated_like(kind: str, real: exceptions.RedisError) -> exceptions.RedisError:
    """The error ``redis_errors(kinds=[kind])`` generates that equals ``real``."""
    return find(
        redis_errors(kinds=[kind]),
        lambda e: _same_error(e, real),
        settings=settings(database=None, max_examples=500),
    )


def _raised(call: Callable[[], Any]) -> exceptions.RedisError:
    with pytest.raises(exceptions.RedisError) as info:
        call()
    return info.value


@pytest.mark.allow("redis")
@pytest.mark.parametrize(
    ("kind", "call"),
    [
        ("wrongtype", lambda r: r.lpush("s", "x")),
        ("noscript", lambda r: r.evalsha(UNLOADED_SHA, 0)),
        ("err", lambda r: r.incr("s")),
        ("err", lambda r: r.incrbyfloat("s", 1.0)),
        ("err", lambda r: _raw(r, "SET", "s", "v", "BOGUS")),
        ("err", lambda r: _raw(r, "GET")),
        ("err", lambda r: r.lset("missing", 0, "x")),
        ("err", lambda r: r.lset("l", 99, "x")),
        ("busykey", lambda r: r.restore("s", 0, r.dump("s"))),
    ],
    ids=[
        "wrongtype",
        "noscript",
        "not-int",
        "not-float",
        "syntax",
        "arity",
        "no-key",
        "range",
        "busykey",
    ],
)
def test_server_errors_equal_generated_ones(
    make_client: Callable[[bool], redis.Redis], kind: str, call: Call
) -> None:
    client = make_client(False)
    client.flushall()
    client.script_flush()
    _populate(client)
    real = _raised(lambda: call(client))
    _generated_like(kind, real)


@pytest.mark.allow("redis")
def test_out_of_memory_error_equals_generated_one(
    make_client: Callable[[bool], redis.Redis],
) -> None:
    client = make_client(False)
    client.flushall()
    old = str(client.config_get("maxmemory")["maxmemory"])
    client.config_set("maxmemory", 1)
    try:
        real = _raised(lambda: client.set("s", "v"))
    finally:
        client.config_set("maxmemory", old)
    # redis-py 4.6 added OutOfMemoryError and mapped the OOM prefix to it; before,
    # the reply is a ResponseError carrying the whole line.
    if REDIS_PY_VERSION >= (4, 6, 0):
        assert type(real) is exceptions.OutOfMemoryError
        assert not str(real).startswith("OOM ")
    else:
        assert type(real) is exceptions.ResponseError
        assert str(real).startswith("OOM ")
    if HAS_STATUS_CODE:
        assert real.status_code == "OOM"
    _generated_like("oom", real)


@pytest.mark.allow("redis")
def test_acl_errors_equal_generated_ones(
    redis_server: _Server, make_client: Callable[[bool], redis.Redis]
) -> None:
    admin = make_client(False)
    admin.acl_setuser(
        "tripwire-limited", enabled=True, passwords=["+secret"], commands=["+ping"], keys=["*"]
    )
    try:
        limited = redis.Redis(
            host=redis_server.host,
            port=redis_server.port,
            username="tripwire-limited",
            password="secret",
        )
        wrong = redis.Redis(
            host=redis_server.host,
            port=redis_server.port,
            username="tripwire-limited",
            password="wrong",
        )
        try:
            denied = _raised(lambda: limited.get("s"))
            rejected = _raised(wrong.ping)
        finally:
            limited.close()
            wrong.close()
    finally:
        admin.acl_deluser("tripwire-limited")
    # The NOPERM text names the user on Redis >= 7, so compare class and attributes only.
    generated = find(redis_errors(kinds=["noperm"]), lambda _: True)
    assert type(denied) is type(generated) is exceptions.NoPermissionError
    assert vars(denied) == vars(generated)
    if HAS_STATUS_CODE:
        assert denied.status_code == "NOPERM"
    # redis-py 4.4 mapped WRONGPASS to AuthenticationError; before, the failed AUTH
    # of the connection handshake raises a ResponseError carrying the whole line.
    if REDIS_PY_VERSION >= (4, 4, 0):
        assert type(rejected) is exceptions.AuthenticationError
    else:
        assert type(rejected) is exceptions.ResponseError
        assert str(rejected).startswith("WRONGPASS ")
    _generated_like("wrongpass", rejected)
