"""Edges of the Redis interception: unix-socket connections, odd command names at the guard,
the guard's first refusal in a process, and how a mock shows itself.

Each test here was written to catch a change to the Redis plugin that the rest of the suite let
through (mutation testing, `nox -s mutation`).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from dirty_equals import IsInstance

import tripwire
import tripwire.plugins.redis_plugin.intercept.refusals as refusals
from tripwire import (
    StrictVerifier,
    UnmockedConnectionError,
    UnmockedInteractionError,
    UnsandboxedInteractionError,
)

HERE = "tests/plugins/redis_plugin/intercept/test_intercept_edges.py"
SOCKET = "/tmp/tripwire-no-such-redis.sock"


def refused_connection(address: str) -> str:
    return (
        f"A connection to {address} was opened inside the sandbox, by a part of the client that "
        "tripwire does not intercept (for redis-py: MONITOR, connections used directly or "
        "connected before the sandbox).\n"
        "Nothing was sent. Test that code against a real server with "
        '@pytest.mark.allow("redis") outside the sandbox, or move the call behind a function '
        "you mock."
    )


def test_a_unix_socket_connection_is_refused_by_its_path(verifier: StrictVerifier) -> None:
    with tripwire, pytest.raises(UnmockedConnectionError) as excinfo:  # noqa: SIM117
        with redis.Redis(unix_socket_path=SOCKET).monitor():
            pass
    error = excinfo.value
    assert str(error) == refused_connection(SOCKET)
    assert error.address == SOCKET
    assert (error.headline, error.hint, error.called_with) == (
        refused_connection(SOCKET).splitlines()[0],
        "",
        "",
    )
    # The test caught the refusal itself: it is not reported again.
    verifier.verify_all()

    # Code that swallows the refusal does not hide it.
    def monitor_quietly() -> None:
        try:
            with redis.Redis(unix_socket_path=SOCKET).monitor():
                pass
        except Exception:
            pass

    with tripwire:
        monitor_quietly()
    with pytest.raises(UnmockedInteractionError) as again:
        verifier.verify_all()
    assert str(again.value) == (
        f"{refused_connection(SOCKET)}\n"
        "It was raised at the call (1 unmocked call in all) and is reported again at the end of "
        "the test, because code that catches exceptions can hide it."
    )
    # Reported again as the same kind of error, still naming the address.
    assert type(again.value) is UnmockedConnectionError
    assert again.value.address == SOCKET


@pytest.mark.asyncio
async def test_an_asyncio_unix_socket_connection_is_refused_by_its_path(
    verifier: StrictVerifier,
) -> None:
    aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")
    async with tripwire:
        with pytest.raises(UnmockedConnectionError) as excinfo:
            async with aredis.Redis(unix_socket_path=SOCKET).monitor():
                pass
    assert str(excinfo.value) == refused_connection(SOCKET)


def test_a_connection_with_neither_host_nor_path_is_named_by_its_class(
    verifier: StrictVerifier,
) -> None:
    connection = redis.UnixDomainSocketConnection(path="")
    with tripwire, pytest.raises(UnmockedConnectionError) as excinfo:
        connection.connect()
    assert str(excinfo.value) == refused_connection("UnixDomainSocketConnection")


def test_the_guard_names_odd_commands_and_keeps_the_parts_of_its_message(
    line_of: Callable[[str], int],
) -> None:
    client = redis.Redis(host="127.0.0.1", port=1)
    with pytest.raises(UnsandboxedInteractionError, match=r"^redis\.\?\(\.\.\.\) was called "):
        client.execute_command()
    with pytest.raises(UnsandboxedInteractionError) as excinfo:
        client.execute_command(b"get", "k")  # bytes command
    error = excinfo.value
    assert error.what_happened == "redis.GET(...) was called"
    assert error.site == f"{HERE}:{line_of('# bytes command')}"
    assert error.plugin == "redis"


def test_the_first_refusal_in_a_process_names_the_callers_line(
    monkeypatch: pytest.MonkeyPatch, line_of: Callable[[str], int]
) -> None:
    # As in a fresh process: where redis-py and tripwire live is not worked out yet.
    monkeypatch.setattr(refusals, "_SKIP_DIRS", ())
    with pytest.raises(UnsandboxedInteractionError) as excinfo:
        redis.Redis(host="127.0.0.1", port=1).get("k")  # first refusal
    assert excinfo.value.site == f"{HERE}:{line_of('# first refusal')}"


def test_an_optional_mock_shows_itself_as_registered() -> None:
    mock = tripwire.redis.mock_command("GET", returns=1, required=False)
    assert repr(mock) == "<RedisCall tripwire.redis.mock_command('GET', returns=1, required=False)>"


# -- which mock a call takes ----------------------------------------------------------------------


def test_a_key_spelled_like_a_command_does_not_take_that_commands_mock() -> None:
    for _ in range(3):
        tripwire.redis.mock_command("GET", returns=b"value")
    tripwire.redis.mock_command("WATCH", returns=True)
    tripwire.redis.mock_command("SET", returns=True, required=False)
    client = redis.Redis()
    with tripwire:
        assert client.execute_command("GET", "SET") == b"value"
        assert client.pipeline().execute_command("GET", "SET").execute() == [b"value"]
        pipe = client.pipeline()
        pipe.watch("k")  # from here on the pipeline runs each command at once
        assert pipe.execute_command("GET", "SET") == b"value"
    tripwire.redis.assert_command("GET", args=("SET",))
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("GET", args=("SET",))
    tripwire.redis.assert_command("EXEC")
    tripwire.redis.assert_command("WATCH", args=("k",))
    tripwire.redis.assert_command("GET", args=("SET",))


@pytest.mark.asyncio
async def test_asyncio_a_key_spelled_like_a_command_does_not_take_that_commands_mock() -> None:
    aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")
    tripwire.redis.mock_command("GET", returns=b"value")
    tripwire.redis.mock_command("SET", returns=True, required=False)
    async with tripwire:
        assert await aredis.Redis().execute_command("GET", "SET") == b"value"
    tripwire.redis.assert_command("GET", args=("SET",))


def test_unmocked_commands_in_a_pipeline_show_their_arguments(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=b"1")
    with tripwire:
        pipe = redis.Redis().pipeline()
        with pytest.raises(UnmockedInteractionError) as never_seen:
            pipe.execute_command("hgetall", "h").execute()
        with pytest.raises(UnmockedInteractionError) as ran_out:
            pipe.execute_command("GET", "a").execute_command("GET", "b").execute()
    assert str(never_seen.value) == (
        "redis.HGETALL(...) was called but no mock was registered.\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_command('HGETALL', returns=...)\n"
        "Called with: args=('h',), kwargs={}"
    )
    assert str(ran_out.value) == (
        "redis.GET(...) was called but no mock was registered.\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_command('GET', returns=...)\n"
        "Called with: args=('b',), kwargs={}\n"
        "The one mock registered for 'GET' was used by an earlier call: register one more for "
        "this call (mock_command's times=N registers N at once, times=None answers any number "
        "of calls)."
    )


# -- pipelines and transactions -------------------------------------------------------------------


def test_an_empty_pipeline_sends_nothing_not_even_exec(verifier: StrictVerifier) -> None:
    exec_mock = tripwire.redis.mock_command("EXEC", returns=[], required=False)
    with tripwire:
        assert redis.Redis().pipeline().execute() == []
    assert not exec_mock.consumed
    verifier.verify_all()


def test_an_empty_transaction_after_watch_still_executes() -> None:
    tripwire.redis.mock_command("WATCH", returns=True)
    tripwire.redis.mock_command("EXEC", returns=None, raises=redis.exceptions.WatchError("x"))
    with tripwire:
        pipe = redis.Redis().pipeline()
        pipe.watch("k")
        pipe.multi()
        with pytest.raises(redis.exceptions.WatchError):
            pipe.execute()
        assert not pipe.watching
    tripwire.redis.assert_command("WATCH", args=("k",))
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("EXEC")


@pytest.mark.parametrize(
    ("transaction", "multi"),
    [pytest.param(True, False, id="transaction"), pytest.param(False, True, id="multi")],
)
def test_an_exec_mock_can_fail_any_transaction(transaction: bool, multi: bool) -> None:
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("EXEC", returns=None, raises=redis.exceptions.WatchError("x"))
    with tripwire:
        pipe = redis.Redis().pipeline(transaction=transaction)
        if multi:
            pipe.multi()
        pipe.set("k", 1)
        with pytest.raises(redis.exceptions.WatchError):
            pipe.execute()
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("SET", args=("k", 1), kwargs=IsInstance(dict))
    tripwire.redis.assert_command("EXEC")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("transaction", "multi"),
    [pytest.param(True, False, id="transaction"), pytest.param(False, True, id="multi")],
)
async def test_asyncio_an_exec_mock_can_fail_any_transaction(
    transaction: bool, multi: bool
) -> None:
    aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("EXEC", returns=None, raises=redis.exceptions.WatchError("x"))
    async with tripwire:
        pipe = aredis.Redis().pipeline(transaction=transaction)
        if multi:
            pipe.multi()
        pipe.set("k", 1)
        with pytest.raises(redis.exceptions.WatchError):
            await pipe.execute()
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("SET", args=("k", 1), kwargs=IsInstance(dict))
    tripwire.redis.assert_command("EXEC")


@pytest.mark.asyncio
async def test_asyncio_empty_pipelines(verifier: StrictVerifier) -> None:
    aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")
    tripwire.redis.mock_command("WATCH", returns=True)
    tripwire.redis.mock_command("EXEC", returns=None, raises=redis.exceptions.WatchError("x"))
    async with tripwire:
        assert await aredis.Redis().pipeline().execute() == []  # sends nothing, not even EXEC
        pipe = aredis.Redis().pipeline()
        await pipe.watch("k")
        pipe.multi()
        with pytest.raises(redis.exceptions.WatchError):
            await pipe.execute()
        assert not pipe.watching
    tripwire.redis.assert_command("WATCH", args=("k",))
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("EXEC")
    verifier.verify_all()


@pytest.mark.asyncio
async def test_asyncio_pipelines_raise_the_first_error_by_default() -> None:
    aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")
    error = redis.exceptions.ResponseError("WRONGTYPE")
    tripwire.redis.mock_command("GET", returns=None, raises=error)
    async with tripwire:
        pipe = aredis.Redis().pipeline()
        pipe.get("a")
        with pytest.raises(redis.exceptions.ResponseError) as excinfo:
            await pipe.execute()
    assert excinfo.value is error
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("GET", args=("a",), kwargs=IsInstance(dict))
    tripwire.redis.assert_command("EXEC")


@pytest.mark.asyncio
async def test_asyncio_commands_after_watch_keep_their_options() -> None:
    aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")
    tripwire.redis.mock_command("WATCH", returns=True)
    tripwire.redis.mock_command("GET", returns=b"1")
    async with tripwire:
        pipe = aredis.Redis().pipeline()
        await pipe.watch("k")
        assert await pipe.execute_command("GET", "k", option=1) == b"1"
    tripwire.redis.assert_command("WATCH", args=("k",))
    tripwire.redis.assert_command("GET", args=("k",), kwargs={"option": 1})


def test_a_pool_takes_its_connection_back_inside_the_sandbox() -> None:
    # What a PubSub's close() and a Monitor's exit do; nothing connects.
    for pool in (
        redis.ConnectionPool(host="127.0.0.1", port=1),
        redis.BlockingConnectionPool(host="127.0.0.1", port=1),
    ):
        with tripwire:
            connection = pool.get_connection()
            pool.release(connection)


@pytest.mark.asyncio
async def test_asyncio_pool_takes_its_connection_back_inside_the_sandbox() -> None:
    aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")
    # What an asyncio PubSub's aclose() and a Monitor's exit do; nothing connects.
    for pool in (
        aredis.ConnectionPool(host="127.0.0.1", port=1),
        aredis.BlockingConnectionPool(host="127.0.0.1", port=1),
    ):
        async with tripwire:
            connection = await pool.get_connection()
            await pool.release(connection)


# -- the guard, outside the sandbox ---------------------------------------------------------------


def test_the_guard_refuses_commands_a_watching_pipeline_runs_at_once() -> None:
    pipe = redis.Redis(host="127.0.0.1", port=1).pipeline()
    with pytest.raises(UnsandboxedInteractionError) as excinfo:
        pipe.watch("k")
    assert excinfo.value.what_happened == "redis.WATCH(...) was called"


@pytest.mark.asyncio
async def test_the_guard_refuses_asyncio_pipelines_and_connections() -> None:
    aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")
    client = aredis.Redis(host="127.0.0.1", port=1)
    with pytest.raises(UnsandboxedInteractionError) as watch:
        await client.pipeline().watch("k")
    assert watch.value.what_happened == "redis.WATCH(...) was called"
    pipe = client.pipeline()
    pipe.get("a").set("b", 1)
    with pytest.raises(UnsandboxedInteractionError) as execute:
        await pipe.execute()
    assert execute.value.what_happened == "redis pipeline.execute() [GET, SET] was called"
    with pytest.raises(UnsandboxedInteractionError) as connect:
        await client.pubsub().subscribe("news")
    assert connect.value.what_happened == "a redis connection to 127.0.0.1:1 was opened"
