"""redis.asyncio: the client and its pipelines, under pytest-asyncio and anyio."""

from __future__ import annotations

import asyncio

import pytest
import redis
from dirty_equals import IsInstance

import tripwire
from tripwire import StrictVerifier, UnmockedInteractionError

aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")

ANY_OPTIONS = IsInstance(dict)


@pytest.mark.asyncio
async def test_async_client_under_async_with() -> None:
    tripwire.redis.mock_command("GET", returns=b"v")
    tripwire.redis.mock_command("SET", returns=True)
    client = aredis.Redis()
    async with tripwire:
        assert await client.get("k") == b"v"
        assert await client.set("k", "w") is True
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("SET", args=("k", "w"), kwargs=ANY_OPTIONS)


@pytest.mark.asyncio
async def test_plain_with_inside_an_async_test() -> None:
    tripwire.redis.mock_command("PING", returns=True)
    with tripwire:
        assert await aredis.Redis().ping() is True
    tripwire.redis.assert_command("PING")


@pytest.mark.asyncio
async def test_async_unmocked_call_raises(verifier: StrictVerifier) -> None:
    async with tripwire:
        with pytest.raises(UnmockedInteractionError, match=r"^redis\.HGET\(\.\.\.\) was called"):
            await aredis.Redis().hget("h", "f")


@pytest.mark.asyncio
async def test_async_errors_are_raised() -> None:
    tripwire.redis.mock_command("GET", returns=None, raises=redis.exceptions.TimeoutError("slow"))
    async with tripwire:
        with pytest.raises(redis.exceptions.TimeoutError, match="slow"):
            await aredis.Redis().get("k")
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


@pytest.mark.asyncio
@pytest.mark.parametrize("transaction", [True, False])
async def test_async_pipeline(transaction: bool) -> None:
    tripwire.redis.mock_command("INCRBY", returns=1)
    tripwire.redis.mock_command("EXPIRE", returns=True)
    async with tripwire:
        async with aredis.Redis().pipeline(transaction=transaction) as pipe:
            pipe.incr("hits").expire("hits", 60)
            assert await pipe.execute() == [1, True]
            assert pipe.command_stack == []
        assert await aredis.Redis().pipeline().execute() == []
    if transaction:
        tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("INCRBY", args=("hits", 1))
    tripwire.redis.assert_command("EXPIRE", args=("hits", 60))
    if transaction:
        tripwire.redis.assert_command("EXEC")


@pytest.mark.asyncio
async def test_async_pipeline_errors(verifier: StrictVerifier) -> None:
    error = redis.exceptions.ResponseError("WRONGTYPE")
    tripwire.redis.mock_command("GET", returns=None, raises=error)
    tripwire.redis.mock_command("GET", returns=b"2")
    async with tripwire:
        pipe = aredis.Redis().pipeline()
        pipe.get("a").get("b")
        assert await pipe.execute(raise_on_error=False) == [error, b"2"]
        pipe.get("c")
        with pytest.raises(UnmockedInteractionError):
            await pipe.execute()
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("GET", args=("a",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("GET", args=("b",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("EXEC")
    tripwire.redis.assert_command("MULTI")  # the second execute() stopped at GET c


@pytest.mark.asyncio
async def test_async_transaction_with_watch_retry() -> None:
    async def bump(pipe: aredis.client.Pipeline) -> None:
        value = int(await pipe.get("n"))
        pipe.multi()
        pipe.set("n", value + 1)

    for value in (b"1", b"2"):
        tripwire.redis.mock_command("WATCH", returns=True)
        tripwire.redis.mock_command("GET", returns=value)
        tripwire.redis.mock_command("SET", returns=True)
    exec_mock = tripwire.redis.mock_command(
        "EXEC", returns=None, raises=redis.exceptions.WatchError("x")
    )
    async with tripwire:
        assert await aredis.Redis().transaction(bump, "n") == [True]
    # Both attempts are recorded to their EXEC: the first one failed, the second committed.
    execs = []
    for value in (1, 2):
        tripwire.redis.assert_command("WATCH", args=("n",))
        tripwire.redis.assert_command("GET", args=("n",), kwargs=ANY_OPTIONS)
        tripwire.redis.assert_command("MULTI")
        tripwire.redis.assert_command("SET", args=("n", value + 1), kwargs=ANY_OPTIONS)
        execs.append(tripwire.redis.assert_command("EXEC"))
    assert execs[0] is exec_mock
    assert execs[1] is not exec_mock


@pytest.mark.asyncio
@pytest.mark.parametrize("how", ["default", "transaction=True", "multi()"])
async def test_async_transaction_is_recorded_between_multi_and_exec(how: str) -> None:
    tripwire.redis.mock_command("INCRBY", returns=1)
    tripwire.redis.mock_command("EXPIRE", returns=True)
    async with tripwire:
        client = aredis.Redis()
        if how == "default":
            pipe = client.pipeline()
        elif how == "transaction=True":
            pipe = client.pipeline(transaction=True)
        else:
            pipe = client.pipeline(transaction=False)
            pipe.multi()
        pipe.incr("hits").expire("hits", 60)
        assert await pipe.execute() == [1, True]
    multi = tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("INCRBY", args=("hits", 1))
    tripwire.redis.assert_command("EXPIRE", args=("hits", 60))
    exec_ = tripwire.redis.assert_command("EXEC")
    assert (multi.command, multi.args, multi.kwargs, multi.returns) == ("MULTI", (), {}, True)
    assert (exec_.command, exec_.args, exec_.kwargs, exec_.raises) == ("EXEC", (), {}, None)


@pytest.mark.asyncio
async def test_async_pipelines_without_a_transaction_record_no_multi_or_exec(
    verifier: StrictVerifier,
) -> None:
    tripwire.redis.mock_command("GET", returns=b"1")
    tripwire.redis.mock_command("EXEC", returns=None, required=False)
    async with tripwire, aredis.Redis().pipeline(transaction=False) as pipe:
        assert await pipe.get("a").execute() == [b"1"]
    tripwire.redis.assert_command("GET", args=("a",), kwargs=ANY_OPTIONS)
    verifier.verify_all()  # nothing else was recorded, and the EXEC mock is left


@pytest.mark.asyncio
async def test_tasks_started_inside_the_sandbox_keep_per_command_fifo() -> None:
    for n in range(20):
        tripwire.redis.mock_command("INCRBY", returns=n)

    async def worker() -> list[int]:
        client = aredis.Redis()
        got = []
        for _ in range(5):
            got.append(await client.incr("n"))
            await asyncio.sleep(0)
        return got

    async with tripwire:
        results = await asyncio.gather(*(worker() for _ in range(4)))
    assert sorted(n for got in results for n in got) == list(range(20))
    for got in results:
        assert got == sorted(got)
    for _ in range(20):
        tripwire.redis.assert_command("INCRBY", args=("n", 1))


@pytest.mark.anyio
async def test_works_under_anyio() -> None:
    tripwire.redis.mock_command("GET", returns=b"anyio")
    async with tripwire:
        assert await aredis.Redis().get("k") == b"anyio"
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.asyncio
async def test_single_connection_client_needs_no_server() -> None:
    tripwire.redis.mock_command("GET", returns=b"1")
    async with tripwire:
        client = aredis.Redis(single_connection_client=True)
        assert await client.get("k") == b"1"
        await client.aclose() if hasattr(client, "aclose") else await client.close()
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)
