"""RedisCluster against a real one-node cluster: the same code, mocked in the sandbox and real out.

Each scenario runs on ``cluster_server`` twice: unsandboxed (the test allows ``"redis"``), then
inside the sandbox with the replies the real run got as mocks. The sandboxed run must return
the same values, send the server nothing, and need no topology mock.
"""

from __future__ import annotations

from typing import Any, Protocol

import pytest
from dirty_equals import IsInstance

import tripwire

cluster = pytest.importorskip("redis.cluster", reason="redis.cluster arrived in redis-py 4.1")

ALLOW_REDIS = pytest.mark.allow("redis")
ANY_OPTIONS = IsInstance(dict)


class _Server(Protocol):
    """The parts of conftest's ``RedisServer`` used here (conftest is not importable)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    def execute_raw(self, *args: bytes | str | int) -> Any: ...
    def bytes_received(self) -> int: ...
    def bytes_since(self, before: int) -> int: ...


def workload(client: Any) -> list[Any]:
    """What a service does with its cluster: plain commands, per-slot splits, a pipeline."""
    results = [client.set("user:1", "ada"), client.get("user:1")]
    results.append(client.mget_nonatomic(["user:1", "user:2"]))
    # "user:1" and "user:2" hash to different slots: redis-py splits these per slot.
    results.append(client.delete("user:1", "user:2"))
    pipe = client.pipeline()
    pipe.set("visits", 1).incr("visits").get("visits")
    results.append(pipe.execute())
    return results


@ALLOW_REDIS
def test_the_same_code_real_and_mocked(cluster_server: _Server) -> None:
    cluster_server.execute_raw("FLUSHALL")
    client = cluster.RedisCluster(host=cluster_server.host, port=cluster_server.port)
    assert client.keyslot("user:1") != client.keyslot("user:2")
    real = workload(client)
    client.close()
    assert real == [True, b"ada", [b"ada", None], 1, [True, 2, b"2"]]

    for command, returns in [
        ("SET", True),
        ("GET", b"ada"),
        ("MGET", [b"ada", None]),
        ("DEL", 1),
        ("SET", True),
        ("INCRBY", 2),
        ("GET", b"2"),
    ]:
        tripwire.redis.mock_command(command, returns=returns)
    before = cluster_server.bytes_received()
    with tripwire:
        client = cluster.RedisCluster(host=cluster_server.host, port=cluster_server.port)
        mocked = workload(client)
    assert cluster_server.bytes_since(before) == 0
    assert mocked == real
    tripwire.redis.assert_command("SET", args=("user:1", "ada"), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("GET", args=("user:1",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("MGET", args=("user:1", "user:2"))
    tripwire.redis.assert_command("DEL", args=("user:1", "user:2"))
    tripwire.redis.assert_command("SET", args=("visits", 1), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("INCRBY", args=("visits", 1), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("GET", args=("visits",), kwargs=ANY_OPTIONS)


def test_the_guard_refuses_the_cluster(cluster_server: _Server) -> None:
    before = cluster_server.bytes_received()
    with pytest.raises(tripwire.UnsandboxedInteractionError):
        cluster.RedisCluster(host=cluster_server.host, port=cluster_server.port)
    assert cluster_server.bytes_since(before) == 0


@pytest.mark.asyncio
@ALLOW_REDIS
async def test_the_same_async_code_real_and_mocked(cluster_server: _Server) -> None:
    acluster = pytest.importorskip(
        "redis.asyncio.cluster", reason="redis.asyncio.cluster arrived in redis-py 4.3"
    )

    async def run(client: Any) -> list[Any]:
        results = [await client.set("k", "v"), await client.get("k")]
        results.append(await client.delete("k", "other"))
        pipe = client.pipeline()
        pipe.set("n", 5).get("n")
        results.append(await pipe.execute())
        return results

    cluster_server.execute_raw("FLUSHALL")
    async with acluster.RedisCluster(
        host=cluster_server.host, port=cluster_server.port
    ) as real_client:
        real = await run(real_client)
    assert real == [True, b"v", 1, [True, b"5"]]

    for command, returns in [
        ("SET", True),
        ("GET", b"v"),
        ("DEL", 1),
        ("SET", True),
        ("GET", b"5"),
    ]:
        tripwire.redis.mock_command(command, returns=returns)
    before = cluster_server.bytes_received()
    async with (
        tripwire,
        acluster.RedisCluster(host=cluster_server.host, port=cluster_server.port) as client,
    ):
        mocked = await run(client)
    assert cluster_server.bytes_since(before) == 0
    assert mocked == real
    tripwire.redis.assert_command("SET", args=("k", "v"), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("DEL", args=("k", "other"))
    tripwire.redis.assert_command("SET", args=("n", 5), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("GET", args=("n",), kwargs=ANY_OPTIONS)


@pytest.mark.asyncio
@ALLOW_REDIS
async def test_async_methods_bound_in_the_sandbox_pass_their_arguments_to_redis_py(
    cluster_server: _Server,
) -> None:
    acluster = pytest.importorskip(
        "redis.asyncio.cluster", reason="redis.asyncio.cluster arrived in redis-py 4.3"
    )
    host, port = cluster_server.host, cluster_server.port
    cluster_server.execute_raw("FLUSHALL")
    client = acluster.RedisCluster(host=host, port=port)
    # Bound while the interceptors are installed; called, on the real cluster, once they are gone.
    async with tripwire:
        parse = client.commands_parser.initialize
        pipe = client.pipeline()
        execute = pipe.execute
    async with acluster.RedisCluster(host=host, port=port) as other:
        # The client, not yet initialized, has no node of its own: it uses the one given.
        assert await parse(node=other.get_default_node()) is None
    async with client:
        pipe.set("s", "text").incr("s")
        ok, error = await execute(False)
        assert ok is True
        assert isinstance(error, cluster.ResponseError)
        pipe.incr("s")
        with pytest.raises(cluster.ResponseError):
            await execute()
        pipe.get("s")
        with pytest.raises(TypeError):
            await execute(True, True, "extra")
        with pytest.raises(TypeError, match="bogus"):
            await execute(bogus=True)
        assert await execute() == [b"text"]  # what redis-py refused stayed queued


@ALLOW_REDIS
def test_a_cluster_pubsub_sends_nothing(cluster_server: _Server) -> None:
    tripwire.redis.mock_message("news", "hello")
    before = cluster_server.bytes_received()
    with tripwire:
        pubsub = cluster.RedisCluster(host=cluster_server.host, port=cluster_server.port).pubsub()
        pubsub.subscribe("news")
        messages = [pubsub.get_message(), pubsub.get_message()]
    assert cluster_server.bytes_since(before) == 0
    assert messages == [
        {"type": "subscribe", "pattern": None, "channel": b"news", "data": 1},
        {"type": "message", "pattern": None, "channel": b"news", "data": b"hello"},
    ]
    tripwire.redis.assert_command("SUBSCRIBE", args=("news",))
