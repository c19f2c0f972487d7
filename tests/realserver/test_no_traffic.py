"""What reaches a real server: nothing from inside the sandbox or from a guarded call.

Every client here points at the session's real ``redis-server``, so a call that escaped
interception would really arrive there. The server's ``total_commands_processed``, read over a
raw socket (``delta_since``), shows what did: 0 for everything tripwire intercepts or refuses,
the exact number of commands sent once the sandbox has closed in a test that allows the real Redis.

The sandboxed tests run twice, with the guard (the default) and without it
(``@pytest.mark.allow("redis")``): without the guard the sandbox alone stands between the call
and the server. Expected messages name this file relative to the working directory, which is
the repository root in CI.
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import Any, Protocol

import pytest
import redis
import redis.client
import redis.connection
from dirty_equals import IsInstance, IsStr

import tripwire
from tripwire import StrictVerifier, UnmockedConnectionError, UnsandboxedInteractionError

try:
    import redis.asyncio
except ImportError:  # redis-py 4.0 and 4.1
    ASYNCIO = False
else:
    ASYNCIO = True

ANY_OPTIONS = IsInstance(dict)
THIS_FILE = os.path.relpath(__file__)
ALLOW_REDIS = pytest.mark.allow("redis")
NEEDS_ASYNCIO = pytest.mark.skipif(not ASYNCIO, reason="redis.asyncio arrived in redis-py 4.2")


class _Server(Protocol):
    """The parts of conftest's ``RedisServer`` used here (conftest is not importable)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    def commands_processed(self) -> int: ...
    def delta_since(self, before: int) -> int: ...


@pytest.fixture(
    params=["guard-on", pytest.param("guard-off", marks=pytest.mark.allow("redis"))],
)
def either_guard(request: pytest.FixtureRequest) -> str:
    """Run the test once with the guard installed and once allowing the real Redis."""
    param: str = request.param
    return param


def async_client(server: _Server, **options: Any) -> redis.asyncio.Redis:
    return redis.asyncio.Redis(host=server.host, port=server.port, **options)


async def aclose(client: redis.asyncio.Redis) -> None:
    """``client.aclose()``, named ``close()`` before redis-py 5.0.1."""
    close = getattr(client, "aclose", None) or client.close
    await close()


def _patched_classes() -> list[type]:
    """Every class of the redis-py modules that tripwire patches, sync and asyncio."""
    modules = [redis.client, redis.connection]
    if ASYNCIO:
        modules += [redis.asyncio.client, redis.asyncio.connection]
    return [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type) and value.__module__ == module.__name__
    ]


def class_state() -> dict[type, dict[str, object]]:
    """A copy of those classes' attributes, to show a sandbox left nothing behind."""
    return {cls: dict(vars(cls)) for cls in _patched_classes()}


# -- 1. inside the sandbox nothing reaches the server ----------------------------------------------


@pytest.mark.usefixtures("either_guard")
def test_direct_calls(real_redis: redis.Redis, redis_server: _Server) -> None:
    tripwire.redis.mock_command("GET", returns=b"cached")
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("HSET", returns=1)
    tripwire.redis.mock_command("INCRBY", returns=7)
    tripwire.redis.mock_command("DEL", returns=1)
    tripwire.redis.mock_command("PING", returns=True)
    before = redis_server.commands_processed()
    with tripwire:
        assert real_redis.execute_command("GET", "k") == b"cached"
        assert real_redis.execute_command(b"set", "k", "v") is True
        assert real_redis.hset("h", "f", "v") == 1
        assert real_redis.incr("n", 7) == 7
        assert real_redis.delete("k") == 1
        assert real_redis.ping() is True
    assert redis_server.delta_since(before) == 0
    tripwire.redis.assert_command("GET", args=("k",))
    tripwire.redis.assert_command("SET", args=("k", "v"))
    tripwire.redis.assert_command("HSET", args=("h", "f", "v"))
    tripwire.redis.assert_command("INCRBY", args=("n", 7))
    tripwire.redis.assert_command("DEL", args=("k",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("PING", kwargs=ANY_OPTIONS)


@pytest.mark.usefixtures("either_guard")
@pytest.mark.parametrize("transaction", [True, False])
def test_pipelines(real_redis: redis.Redis, redis_server: _Server, transaction: bool) -> None:
    error = redis.exceptions.ResponseError("WRONGTYPE")
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("GET", returns=b"v")
    tripwire.redis.mock_command("LPUSH", returns=None, raises=error)
    before = redis_server.commands_processed()
    with tripwire:
        with real_redis.pipeline(transaction=transaction) as pipe:
            pipe.set("k", "v").get("k").lpush("l", 1)
            assert pipe.execute(raise_on_error=False) == [True, b"v", error]
        assert real_redis.pipeline(transaction=transaction).execute() == []
    assert redis_server.delta_since(before) == 0
    if transaction:
        tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("SET", args=("k", "v"), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("LPUSH", args=("l", 1))
    if transaction:
        tripwire.redis.assert_command("EXEC")


@pytest.mark.usefixtures("either_guard")
def test_watch_multi_exec(real_redis: redis.Redis, redis_server: _Server) -> None:
    tripwire.redis.mock_command("WATCH", returns=True)
    tripwire.redis.mock_command("GET", returns=b"10")
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("WATCH", returns=True)
    tripwire.redis.mock_command("UNWATCH", returns=True)
    before = redis_server.commands_processed()
    with tripwire:
        pipe = real_redis.pipeline()
        pipe.watch("balance")
        balance = int(pipe.get("balance"))
        pipe.multi()
        pipe.set("balance", balance - 3)
        assert pipe.execute() == [True]
        pipe.watch("other")
        assert pipe.unwatch() is True
        pipe.reset()
    assert redis_server.delta_since(before) == 0
    tripwire.redis.assert_command("WATCH", args=("balance",))
    tripwire.redis.assert_command("GET", args=("balance",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("SET", args=("balance", 7), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("EXEC")
    tripwire.redis.assert_command("WATCH", args=("other",))
    tripwire.redis.assert_command("UNWATCH")


@pytest.mark.usefixtures("either_guard")
def test_transaction_with_a_watch_error_retry(
    real_redis: redis.Redis, redis_server: _Server
) -> None:
    seen = []

    def bump(pipe: redis.client.Pipeline) -> None:
        value = int(pipe.get("n"))
        seen.append(value)
        pipe.multi()
        pipe.set("n", value + 1)

    for value in (b"1", b"5"):
        tripwire.redis.mock_command("WATCH", returns=True)
        tripwire.redis.mock_command("GET", returns=value)
        tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("EXEC", returns=None, raises=redis.exceptions.WatchError("x"))
    before = redis_server.commands_processed()
    with tripwire:
        assert real_redis.transaction(bump, "n") == [True]
    assert redis_server.delta_since(before) == 0
    assert seen == [1, 5]
    for value in seen:  # the first EXEC fails, the second commits
        tripwire.redis.assert_command("WATCH", args=("n",))
        tripwire.redis.assert_command("GET", args=("n",), kwargs=ANY_OPTIONS)
        tripwire.redis.assert_command("MULTI")
        tripwire.redis.assert_command("SET", args=("n", value + 1), kwargs=ANY_OPTIONS)
        tripwire.redis.assert_command("EXEC")


@pytest.mark.usefixtures("either_guard")
def test_lock_acquire_extend_release(real_redis: redis.Redis, redis_server: _Server) -> None:
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("EVALSHA", returns=1)
    tripwire.redis.mock_command("EVALSHA", returns=1)
    before = redis_server.commands_processed()
    with tripwire:
        lock = real_redis.lock("job", timeout=5)
        assert lock.acquire(blocking=False)
        assert lock.extend(10)
        lock.release()
    assert redis_server.delta_since(before) == 0
    acquired = tripwire.redis.assert_command("SET", args=IsInstance(tuple), kwargs=ANY_OPTIONS)
    token = acquired.args[1]
    tripwire.redis.assert_command("EVALSHA", args=(IsStr(), 1, "job", token, 10000, "0"))
    tripwire.redis.assert_command("EVALSHA", args=(IsStr(), 1, "job", token))


@pytest.mark.usefixtures("either_guard")
def test_scripts(real_redis: redis.Redis, redis_server: _Server) -> None:
    sha = hashlib.sha1(b"return 1").hexdigest()
    tripwire.redis.mock_command("EVALSHA", returns=None, raises=redis.exceptions.NoScriptError)
    tripwire.redis.mock_command("SCRIPT LOAD", returns=sha)
    tripwire.redis.mock_command("EVALSHA", returns=1)
    tripwire.redis.mock_command("EVALSHA", returns=2)
    before = redis_server.commands_processed()
    with tripwire:
        script = real_redis.register_script("return 1")
        assert script(keys=["k"], args=["a"]) == 1
        assert real_redis.evalsha(sha, 0) == 2
    assert redis_server.delta_since(before) == 0
    tripwire.redis.assert_command("EVALSHA", args=(sha, 1, "k", "a"))
    tripwire.redis.assert_command("SCRIPT LOAD", args=("return 1",))
    tripwire.redis.assert_command("EVALSHA", args=(sha, 1, "k", "a"))
    tripwire.redis.assert_command("EVALSHA", args=(sha, 0))


@pytest.mark.usefixtures("either_guard")
def test_single_connection_client(redis_server: _Server) -> None:
    tripwire.redis.mock_command("GET", returns=b"1")
    before = redis_server.commands_processed()
    with tripwire:
        client = redis.Redis(
            host=redis_server.host, port=redis_server.port, single_connection_client=True
        )
        assert client.get("k") == b"1"
        client.close()
    assert redis_server.delta_since(before) == 0
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


@pytest.mark.asyncio
@NEEDS_ASYNCIO
@pytest.mark.usefixtures("either_guard")
async def test_async_direct_calls(redis_server: _Server) -> None:
    tripwire.redis.mock_command("GET", returns=b"v")
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("PING", returns=True)
    client = async_client(redis_server)
    before = redis_server.commands_processed()
    async with tripwire:
        assert await client.get("k") == b"v"
        assert await client.execute_command("SET", "k", "w") is True
    with tripwire:
        assert await client.ping() is True
    assert redis_server.delta_since(before) == 0
    await aclose(client)
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("SET", args=("k", "w"))
    tripwire.redis.assert_command("PING", kwargs=ANY_OPTIONS)


@pytest.mark.asyncio
@NEEDS_ASYNCIO
@pytest.mark.usefixtures("either_guard")
@pytest.mark.parametrize("transaction", [True, False])
async def test_async_pipelines(redis_server: _Server, transaction: bool) -> None:
    tripwire.redis.mock_command("INCRBY", returns=1)
    tripwire.redis.mock_command("EXPIRE", returns=True)
    client = async_client(redis_server)
    before = redis_server.commands_processed()
    async with tripwire:
        async with client.pipeline(transaction=transaction) as pipe:
            pipe.incr("hits").expire("hits", 60)
            assert await pipe.execute() == [1, True]
        assert await client.pipeline(transaction=transaction).execute() == []
    assert redis_server.delta_since(before) == 0
    await aclose(client)
    if transaction:
        tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("INCRBY", args=("hits", 1))
    tripwire.redis.assert_command("EXPIRE", args=("hits", 60))
    if transaction:
        tripwire.redis.assert_command("EXEC")


@pytest.mark.asyncio
@NEEDS_ASYNCIO
@pytest.mark.usefixtures("either_guard")
async def test_async_transaction_with_a_watch_error_retry(redis_server: _Server) -> None:
    async def bump(pipe: redis.asyncio.client.Pipeline) -> None:
        value = int(await pipe.get("n"))
        pipe.multi()
        pipe.set("n", value + 1)

    for value in (b"1", b"2"):
        tripwire.redis.mock_command("WATCH", returns=True)
        tripwire.redis.mock_command("GET", returns=value)
        tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("EXEC", returns=None, raises=redis.exceptions.WatchError("x"))
    client = async_client(redis_server)
    before = redis_server.commands_processed()
    async with tripwire:
        assert await client.transaction(bump, "n") == [True]
    assert redis_server.delta_since(before) == 0
    await aclose(client)
    for value in (1, 2):  # the first EXEC fails, the second commits
        tripwire.redis.assert_command("WATCH", args=("n",))
        tripwire.redis.assert_command("GET", args=("n",), kwargs=ANY_OPTIONS)
        tripwire.redis.assert_command("MULTI")
        tripwire.redis.assert_command("SET", args=("n", value + 1), kwargs=ANY_OPTIONS)
        tripwire.redis.assert_command("EXEC")


@pytest.mark.asyncio
@NEEDS_ASYNCIO
@pytest.mark.usefixtures("either_guard")
async def test_async_lock_and_script(redis_server: _Server) -> None:
    sha = hashlib.sha1(b"return 2").hexdigest()
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("EVALSHA", returns=1)
    tripwire.redis.mock_command("EVALSHA", returns=1)
    tripwire.redis.mock_command("EVALSHA", returns=2)
    client = async_client(redis_server)
    before = redis_server.commands_processed()
    async with tripwire:
        lock = client.lock("job", timeout=5)
        assert await lock.acquire(blocking=False)
        assert await lock.extend(10)
        await lock.release()
        assert await client.register_script("return 2")(keys=["k"]) == 2
    assert redis_server.delta_since(before) == 0
    await aclose(client)
    acquired = tripwire.redis.assert_command("SET", args=IsInstance(tuple), kwargs=ANY_OPTIONS)
    token = acquired.args[1]
    tripwire.redis.assert_command("EVALSHA", args=(IsStr(), 1, "job", token, 10000, "0"))
    tripwire.redis.assert_command("EVALSHA", args=(IsStr(), 1, "job", token))
    tripwire.redis.assert_command("EVALSHA", args=(sha, 1, "k"))


@pytest.mark.asyncio
@NEEDS_ASYNCIO
@pytest.mark.usefixtures("either_guard")
async def test_async_single_connection_client(redis_server: _Server) -> None:
    tripwire.redis.mock_command("GET", returns=b"1")
    before = redis_server.commands_processed()
    async with tripwire:
        client = async_client(redis_server, single_connection_client=True)
        assert await client.get("k") == b"1"
        await aclose(client)
    assert redis_server.delta_since(before) == 0
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


# MONITOR opens a connection of its own; from redis-py 6 on it connects through
# ``connect_check_health`` rather than ``connect``. It is refused inside the sandbox. A PubSub
# is answered by the sandbox (tests/realserver/test_pubsub_real.py); it sends nothing either.


def test_a_monitor_is_refused(redis_server: _Server, verifier: StrictVerifier) -> None:
    client = redis.Redis(host=redis_server.host, port=redis_server.port)
    refused = []
    before = redis_server.commands_processed()
    with tripwire:
        try:
            with client.monitor():
                pass
        except UnmockedConnectionError as exc:
            refused.append(exc)
    client.close()
    assert redis_server.delta_since(before) == 0
    assert len(refused) == 1


@pytest.mark.asyncio
@NEEDS_ASYNCIO
async def test_async_pubsub_sends_nothing(redis_server: _Server, verifier: StrictVerifier) -> None:
    pubsub = async_client(redis_server).pubsub()
    before = redis_server.commands_processed()
    async with tripwire:
        await pubsub.subscribe("news")
        assert await pubsub.get_message() == {
            "type": "subscribe",
            "pattern": None,
            "channel": b"news",
            "data": 1,
        }
    assert redis_server.delta_since(before) == 0
    assert pubsub.connection is None
    tripwire.redis.assert_command("SUBSCRIBE", args=("news",))


# redis-py 5.0 rewrote the asyncio pool: its release() no longer forgives a connection it did
# not hand out, so the sandbox's connections are counted as in use.
@pytest.mark.asyncio
@NEEDS_ASYNCIO
async def test_async_pool_takes_its_connection_back_inside_the_sandbox(
    redis_server: _Server,
) -> None:
    # What an asyncio PubSub's aclose() and a Monitor's exit do.
    pool = async_client(redis_server).connection_pool
    before = redis_server.commands_processed()
    async with tripwire:
        connection = await pool.get_connection("PING")
        await pool.release(connection)
    assert redis_server.delta_since(before) == 0


# -- 2. a guarded call is refused and reaches nothing ----------------------------------------------


def refusal(what: str, excinfo: pytest.ExceptionInfo[UnsandboxedInteractionError]) -> str:
    """The guard's message for ``what``, made at the line of this file the test raised it from."""
    traceback = excinfo.value.__traceback__
    assert traceback is not None
    assert traceback.tb_frame.f_code.co_filename == __file__
    return (
        f"{what} outside the tripwire sandbox, at {THIS_FILE}:{traceback.tb_lineno}.\n"
        "During a test tripwire refuses real calls that no sandbox intercepts. Either:\n"
        "    mock it: register tripwire.redis.mock_command(...) and make the call inside "
        "`with tripwire:`\n"
        '    or allow the real redis for this test: @pytest.mark.allow("redis")\n'
        '    or for the whole project: [tool.tripwire] allow = ["redis"] in pyproject.toml'
    )


def test_guarded_direct_calls(real_redis: redis.Redis, redis_server: _Server) -> None:
    before = redis_server.commands_processed()
    with pytest.raises(UnsandboxedInteractionError) as get:
        real_redis.get("k")
    with pytest.raises(UnsandboxedInteractionError) as hget:
        real_redis.execute_command(b"hget", "h", "f")
    assert redis_server.delta_since(before) == 0
    assert str(get.value) == refusal("redis.GET(...) was called", get)
    assert str(hget.value) == refusal("redis.HGET(...) was called", hget)
    assert get.value.what_happened == "redis.GET(...) was called"
    assert get.value.plugin == "redis"


@pytest.mark.parametrize("transaction", [True, False])
def test_guarded_pipeline(
    real_redis: redis.Redis, redis_server: _Server, transaction: bool
) -> None:
    before = redis_server.commands_processed()
    pipe = real_redis.pipeline(transaction=transaction)
    pipe.set("a", 1).get("a")
    with pytest.raises(UnsandboxedInteractionError) as excinfo:
        pipe.execute()
    assert pipe.command_stack == []
    with pytest.raises(UnsandboxedInteractionError) as watch:
        pipe.watch("a")
    assert redis_server.delta_since(before) == 0
    assert str(excinfo.value) == refusal("redis pipeline.execute() [SET, GET] was called", excinfo)
    assert str(watch.value) == refusal("redis.WATCH(...) was called", watch)


def test_guarded_transaction_lock_and_script(
    real_redis: redis.Redis, redis_server: _Server
) -> None:
    before = redis_server.commands_processed()
    with pytest.raises(UnsandboxedInteractionError) as transaction:
        real_redis.transaction(lambda pipe: None, "k")
    with pytest.raises(UnsandboxedInteractionError) as lock:
        real_redis.lock("job").acquire(blocking=False)
    with pytest.raises(UnsandboxedInteractionError) as script:
        real_redis.register_script("return 1")()
    assert redis_server.delta_since(before) == 0
    assert str(transaction.value) == refusal("redis.WATCH(...) was called", transaction)
    assert str(lock.value) == refusal("redis.SET(...) was called", lock)
    assert str(script.value) == refusal("redis.EVALSHA(...) was called", script)


def test_guarded_connections(redis_server: _Server) -> None:
    address = f"a redis connection to {redis_server.host}:{redis_server.port} was opened"
    client = redis.Redis(host=redis_server.host, port=redis_server.port)
    before = redis_server.commands_processed()
    with pytest.raises(UnsandboxedInteractionError) as single:
        redis.Redis(host=redis_server.host, port=redis_server.port, single_connection_client=True)
    with pytest.raises(UnsandboxedInteractionError) as pubsub:
        client.pubsub().subscribe("news")
    assert redis_server.delta_since(before) == 0
    assert str(single.value) == refusal(address, single)
    assert str(pubsub.value) == refusal(address, pubsub)


@pytest.mark.asyncio
@NEEDS_ASYNCIO
async def test_guarded_async_calls(redis_server: _Server) -> None:
    client = async_client(redis_server)
    single = async_client(redis_server, single_connection_client=True)
    before = redis_server.commands_processed()
    with pytest.raises(UnsandboxedInteractionError) as get:
        await client.get("k")
    pipe = client.pipeline()
    pipe.incr("n").expire("n", 5)
    with pytest.raises(UnsandboxedInteractionError) as execute:
        await pipe.execute()
    with pytest.raises(UnsandboxedInteractionError) as on_single:
        await single.ping()
    assert redis_server.delta_since(before) == 0
    await aclose(client)
    await aclose(single)
    assert str(get.value) == refusal("redis.GET(...) was called", get)
    assert str(execute.value) == refusal(
        "redis pipeline.execute() [INCRBY, EXPIRE] was called", execute
    )
    assert str(on_single.value) == refusal("redis.PING(...) was called", on_single)


# -- 3. after the sandbox closes the real server is reached again ----------------------------------


@pytest.fixture
def warm_redis(real_redis: redis.Redis) -> redis.Redis:
    """``real_redis`` with its connection made, so later counts hold no handshake."""
    assert real_redis.ping() is True
    return real_redis


def round_trip(client: redis.Redis, server: _Server, key: str) -> None:
    """SET then GET ``key`` for real: two commands reach the server and the value comes back."""
    before = server.commands_processed()
    assert client.set(key, f"real {key}") is True
    assert client.get(key) == f"real {key}".encode()
    assert server.delta_since(before) == 2


@ALLOW_REDIS
def test_after_a_normal_exit(warm_redis: redis.Redis, redis_server: _Server) -> None:
    state = class_state()
    tripwire.redis.mock_command("GET", returns=b"mocked")
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("INCRBY", returns=1)
    before = redis_server.commands_processed()
    with tripwire:
        assert warm_redis.get("k") == b"mocked"
        pipe = warm_redis.pipeline()
        pipe.set("k", "v").incr("n")
        assert pipe.execute() == [True, 1]
    assert redis_server.delta_since(before) == 0
    assert class_state() == state
    round_trip(warm_redis, redis_server, "after-normal-exit")
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("SET", args=("k", "v"), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("INCRBY", args=("n", 1))
    tripwire.redis.assert_command("EXEC")


@ALLOW_REDIS
def test_after_an_exit_by_exception(warm_redis: redis.Redis, redis_server: _Server) -> None:
    state = class_state()
    tripwire.redis.mock_command("GET", returns=b"mocked")
    tripwire.redis.mock_command("SET", returns=None, raises=redis.exceptions.ConnectionError)
    before = redis_server.commands_processed()
    with pytest.raises(RuntimeError, match="boom"), tripwire:
        assert warm_redis.get("k") == b"mocked"
        raise RuntimeError("boom")
    with pytest.raises(redis.exceptions.ConnectionError), tripwire:
        warm_redis.set("k", "v")
    assert redis_server.delta_since(before) == 0
    assert class_state() == state
    round_trip(warm_redis, redis_server, "after-exception")
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("SET", args=("k", "v"), kwargs=ANY_OPTIONS)


@ALLOW_REDIS
def test_after_an_exit_by_an_unmocked_call(
    warm_redis: redis.Redis, redis_server: _Server, verifier: StrictVerifier
) -> None:
    state = class_state()
    before = redis_server.commands_processed()
    with pytest.raises(tripwire.UnmockedInteractionError), tripwire:
        warm_redis.hgetall("h")
    assert redis_server.delta_since(before) == 0
    assert class_state() == state
    round_trip(warm_redis, redis_server, "after-unmocked")


@ALLOW_REDIS
def test_after_nested_sandboxes(warm_redis: redis.Redis, redis_server: _Server) -> None:
    state = class_state()
    for value in (b"outer", b"inner", b"outer again"):
        tripwire.redis.mock_command("GET", returns=value)
    before = redis_server.commands_processed()
    with tripwire:
        assert warm_redis.get("k") == b"outer"
        with tripwire.current_verifier().sandbox():
            assert warm_redis.get("k") == b"inner"
        assert warm_redis.get("k") == b"outer again"
    assert redis_server.delta_since(before) == 0
    assert class_state() == state
    round_trip(warm_redis, redis_server, "after-nested")
    for _ in range(3):
        tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


@ALLOW_REDIS
def test_after_calls_from_threads(warm_redis: redis.Redis, redis_server: _Server) -> None:
    state = class_state()
    for n in range(4):
        tripwire.redis.mock_command("GET", returns=b"%d" % n)
        tripwire.redis.mock_command("SET", returns=True)
    errors: list[BaseException] = []

    def call(n: int) -> None:
        try:
            warm_redis.get(f"k{n}")
            warm_redis.pipeline().set(f"k{n}", n).execute()
        except BaseException as exc:  # reported by the test's own thread
            errors.append(exc)

    before = redis_server.commands_processed()
    with tripwire:
        threads = [threading.Thread(target=call, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert redis_server.delta_since(before) == 0
    assert class_state() == state
    # A thread started after the sandbox closed reaches the real server too.
    after = threading.Thread(target=round_trip, args=(warm_redis, redis_server, "from-thread"))
    after.start()
    after.join()
    round_trip(warm_redis, redis_server, "after-threads")
    assert warm_redis.get("from-thread") == b"real from-thread"
    with tripwire.in_any_order():
        for n in range(4):
            tripwire.redis.assert_command("GET", args=(f"k{n}",), kwargs=ANY_OPTIONS)
            tripwire.redis.assert_command("MULTI")
            tripwire.redis.assert_command("SET", args=(f"k{n}", n), kwargs=ANY_OPTIONS)
            tripwire.redis.assert_command("EXEC")


@ALLOW_REDIS
def test_clients_made_inside_the_sandbox_work_after_it(redis_server: _Server) -> None:
    tripwire.redis.mock_command("GET", returns=b"mocked")
    before = redis_server.commands_processed()
    with tripwire:
        client = redis.Redis(
            host=redis_server.host, port=redis_server.port, single_connection_client=True
        )
        assert client.get("k") == b"mocked"
    assert redis_server.delta_since(before) == 0
    assert client.ping() is True
    round_trip(client, redis_server, "made-inside")
    client.close()
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


@pytest.mark.asyncio
@NEEDS_ASYNCIO
@ALLOW_REDIS
async def test_after_an_async_sandbox(redis_server: _Server) -> None:
    state = class_state()
    client = async_client(redis_server)
    assert await client.ping() is True
    tripwire.redis.mock_command("GET", returns=b"mocked")
    tripwire.redis.mock_command("SET", returns=True)
    before = redis_server.commands_processed()
    async with tripwire:
        assert await client.get("k") == b"mocked"
        assert await client.pipeline().set("k", "v").execute() == [True]
    with pytest.raises(RuntimeError, match="boom"):
        async with tripwire:
            raise RuntimeError("boom")
    assert redis_server.delta_since(before) == 0
    assert class_state() == state
    before = redis_server.commands_processed()
    assert await client.set("async-after", "real") is True
    assert await client.get("async-after") == b"real"
    assert redis_server.delta_since(before) == 2
    await aclose(client)
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("SET", args=("k", "v"), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("EXEC")


# -- 4. allow("redis") reaches the real server outside the sandbox ---------------------------------


@ALLOW_REDIS
def test_allowed_direct_calls(real_redis: redis.Redis, redis_server: _Server) -> None:
    before = redis_server.commands_processed()
    assert real_redis.set("allowed", "1") is True
    assert redis_server.delta_since(before) > 0  # the handshake, then SET
    before = redis_server.commands_processed()
    assert real_redis.incr("allowed") == 2
    assert real_redis.execute_command("GET", "allowed") == b"2"
    assert redis_server.delta_since(before) == 2


@ALLOW_REDIS
@pytest.mark.parametrize(("transaction", "extra"), [(True, 2), (False, 0)])
def test_allowed_pipeline(
    warm_redis: redis.Redis, redis_server: _Server, transaction: bool, extra: int
) -> None:
    before = redis_server.commands_processed()
    with warm_redis.pipeline(transaction=transaction) as pipe:
        pipe.set("piped", "1").incr("piped").get("piped")
        assert pipe.execute() == [True, 2, b"2"]
    assert redis_server.delta_since(before) == 3 + extra  # MULTI and EXEC are counted too


@ALLOW_REDIS
def test_allowed_transaction_and_lock(warm_redis: redis.Redis, redis_server: _Server) -> None:
    def bump(pipe: redis.client.Pipeline) -> None:
        value = int(pipe.get("n") or 0)
        pipe.multi()
        pipe.set("n", value + 1)

    before = redis_server.commands_processed()
    assert warm_redis.transaction(bump, "n") == [True]
    assert redis_server.delta_since(before) == 5  # WATCH, GET, MULTI, SET, EXEC
    assert warm_redis.get("n") == b"1"
    before = redis_server.commands_processed()
    lock = warm_redis.lock("job", timeout=5)
    assert lock.acquire(blocking=False)
    assert warm_redis.exists("job") == 1
    lock.release()
    assert warm_redis.exists("job") == 0
    assert redis_server.delta_since(before) > 0


@pytest.mark.asyncio
@NEEDS_ASYNCIO
@ALLOW_REDIS
@pytest.mark.usefixtures("real_redis")  # for its empty database
async def test_allowed_async_calls(redis_server: _Server) -> None:
    client = async_client(redis_server)
    assert await client.ping() is True
    before = redis_server.commands_processed()
    assert await client.set("async", "1") is True
    assert await client.get("async") == b"1"
    assert redis_server.delta_since(before) == 2
    before = redis_server.commands_processed()
    async with client.pipeline(transaction=True) as pipe:
        pipe.incr("async").get("async")
        assert await pipe.execute() == [2, b"2"]
    assert redis_server.delta_since(before) == 4
    await aclose(client)
