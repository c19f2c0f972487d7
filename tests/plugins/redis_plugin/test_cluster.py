"""RedisCluster, sync and asyncio: the same per-command mocks as Redis, no topology to mock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis
from dirty_equals import IsInstance

import tripwire
from tripwire import StrictVerifier, UnmockedInteractionError, UnsandboxedInteractionError

cluster = pytest.importorskip("redis.cluster", reason="redis.cluster arrived in redis-py 4.1")
RedisCluster = cluster.RedisCluster

ANY_OPTIONS = IsInstance(dict)
HERE = "tests/plugins/redis_plugin/test_cluster.py"


async def aclose(client: Any) -> None:
    """``aclose()`` from redis-py 5.0.1 on, ``close()`` before."""
    await (getattr(client, "aclose", None) or client.close)()


def test_commands_take_the_mocks_of_their_name() -> None:
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("GET", returns=b"v")
    with tripwire:
        client = RedisCluster(host="cache.internal", port=7000)
        assert client.set("k", "v") is True
        assert client.get("k") == b"v"
    tripwire.redis.assert_command("SET", args=("k", "v"), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


def test_the_topology_is_one_node_holding_every_slot() -> None:
    with tripwire:
        client = RedisCluster(host="cache.internal", port=7000)
    node = client.get_default_node()
    assert (node.host, node.port, node.server_type) == ("cache.internal", 7000, "primary")
    assert client.get_nodes() == [node]
    assert client.get_node_from_key("a") is node
    assert client.get_node_from_key("zzz") is node


def test_startup_nodes_give_the_first_one() -> None:
    nodes = [
        cluster.ClusterNode("node-a.example.invalid", 7000),
        cluster.ClusterNode("node-b.example.invalid", 7001),
    ]
    with tripwire:
        client = RedisCluster(startup_nodes=nodes)
    assert client.get_default_node().name == "node-a.example.invalid:7000"


def test_commands_split_per_slot_are_one_call_as_made() -> None:
    tripwire.redis.mock_command("DEL", returns=2)
    tripwire.redis.mock_command("EXISTS", returns=1)
    tripwire.redis.mock_command("TOUCH", returns=2)
    tripwire.redis.mock_command("UNLINK", returns=0)
    tripwire.redis.mock_command("MGET", returns=[b"1", None])
    tripwire.redis.mock_command("MSET", returns=[True])
    with tripwire:
        client = RedisCluster(host="cache.internal", port=7000)
        # "a" and "b" hash to different slots: redis-py would send one DEL per slot.
        assert client.keyslot("a") != client.keyslot("b")
        assert client.delete("a", "b") == 2
        assert client.exists("a", "b") == 1
        assert client.touch("a", "b") == 2
        assert client.unlink("a") == 0
        assert client.mget_nonatomic(["a", "b"]) == [b"1", None]
        assert client.mset_nonatomic({"a": 1, "b": 2}) == [True]
    tripwire.redis.assert_command("DEL", args=("a", "b"))
    tripwire.redis.assert_command("EXISTS", args=("a", "b"))
    tripwire.redis.assert_command("TOUCH", args=("a", "b"))
    tripwire.redis.assert_command("UNLINK", args=("a",))
    tripwire.redis.assert_command("MGET", args=("a", "b"))
    tripwire.redis.assert_command("MSET", args=("a", 1, "b", 2))


def test_mget_nonatomic_takes_keys_as_arguments_too() -> None:
    tripwire.redis.mock_command("MGET", returns=[None, None])
    tripwire.redis.mock_command("MGET", returns=[None])
    tripwire.redis.mock_command("MGET", returns=[None])
    with tripwire:
        client = RedisCluster(host="cache.internal", port=7000)
        assert client.mget_nonatomic("a", "b") == [None, None]
        assert client.mget_nonatomic("key") == [None]
        assert client.mget_nonatomic(b"key") == [None]
    tripwire.redis.assert_command("MGET", args=("a", "b"))
    tripwire.redis.assert_command("MGET", args=("key",))
    tripwire.redis.assert_command("MGET", args=(b"key",))


def test_target_nodes_are_recorded_when_chosen() -> None:
    tripwire.redis.mock_command("PING", returns=True)
    tripwire.redis.mock_command("DBSIZE", returns=3)
    with tripwire:
        client = RedisCluster(host="cache.internal", port=7000)
        assert client.ping(target_nodes=RedisCluster.ALL_NODES) is True
        assert client.execute_command("DBSIZE", target_nodes=None) == 3
    tripwire.redis.assert_command("PING", kwargs={"target_nodes": "all"})
    tripwire.redis.assert_command("DBSIZE")


def test_a_mocked_error_is_raised(verifier: StrictVerifier) -> None:
    down = redis.exceptions.ClusterDownError("CLUSTERDOWN The cluster is down")
    tripwire.redis.mock_command("GET", returns=None, raises=down)
    with tripwire, pytest.raises(redis.exceptions.ClusterDownError):
        RedisCluster(host="cache.internal", port=7000).get("k")
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


def test_an_unmocked_command_says_what_to_register(verifier: StrictVerifier) -> None:
    with tripwire, pytest.raises(UnmockedInteractionError) as excinfo:
        RedisCluster(host="cache.internal", port=7000).execute_command("HGETALL", "h")
    assert str(excinfo.value) == (
        "redis.HGETALL(...) was called but no mock was registered.\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_command('HGETALL', returns=...)\n"
        "Called with: args=('h',), kwargs={}"
    )


def test_a_pipeline_runs_its_queue() -> None:
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("INCRBY", returns=4)
    tripwire.redis.mock_command("GET", returns=None, raises=redis.exceptions.ResponseError("bad"))
    with tripwire:
        client = RedisCluster(host="cache.internal", port=7000)
        pipe = client.pipeline()
        assert pipe.execute() == []
        pipe.set("a", 1).incr("b").get("c")
        results = pipe.execute(raise_on_error=False)
        assert len(pipe) == 0
    assert results[:2] == [True, 4]
    assert isinstance(results[2], redis.exceptions.ResponseError)
    tripwire.redis.assert_command("SET", args=("a", 1), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("INCRBY", args=("b", 1), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("GET", args=("c",), kwargs=ANY_OPTIONS)


def test_a_pipeline_raises_its_first_error() -> None:
    tripwire.redis.mock_command("GET", returns=None, raises=redis.exceptions.ResponseError("bad"))
    with tripwire, pytest.raises(redis.exceptions.ResponseError, match="bad"):
        RedisCluster(host="cache.internal", port=7000).pipeline().get("c").execute()
    tripwire.redis.assert_command("GET", args=("c",), kwargs=ANY_OPTIONS)


@pytest.mark.skipif(
    not hasattr(cluster, "TransactionStrategy"),
    reason="cluster transactions arrived in redis-py 6",
)
def test_a_transaction_is_recorded_with_multi_and_exec() -> None:
    tripwire.redis.mock_command("INCRBY", returns=1)
    tripwire.redis.mock_command("EXPIRE", returns=True)
    with tripwire:
        pipe = RedisCluster(host="cache.internal", port=7000).pipeline(transaction=True)
        assert pipe.incr("{user}:hits").expire("{user}:hits", 60).execute() == [1, True]
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("INCRBY", args=("{user}:hits", 1), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("EXPIRE", args=("{user}:hits", 60), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("EXEC")


@pytest.mark.skipif(
    not hasattr(cluster, "TransactionStrategy"),
    reason="cluster transactions arrived in redis-py 6",
)
def test_a_transaction_routes_its_commands_by_their_first_argument() -> None:
    tripwire.redis.mock_command("GET", returns=b"v")
    with tripwire:
        pipe = RedisCluster(host="cache.internal", port=7000).pipeline(transaction=True)
        # A command with no key cannot be routed, in the sandbox as on a real cluster.
        with pytest.raises(redis.exceptions.RedisClusterException, match="Missing key"):
            pipe.execute_command("DBSIZE")
        assert pipe.get("k").execute() == [b"v"]
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("EXEC")


def test_split_commands_are_named_in_capitals_like_a_direct_call(verifier: StrictVerifier) -> None:
    with tripwire:
        client = RedisCluster(host="cache.internal", port=7000)
        with pytest.raises(UnmockedInteractionError) as mget:
            client.mget_nonatomic("a", "b")
        with pytest.raises(UnmockedInteractionError) as mset:
            client.mset_nonatomic({"a": 1})
    assert str(mget.value).startswith("redis.MGET(...) was called but no mock was registered.")
    assert str(mset.value).startswith("redis.MSET(...) was called but no mock was registered.")


# -- outside the sandbox --------------------------------------------------------------------------


def test_the_guard_refuses_creating_a_cluster_client(line_of: Callable[[str], int]) -> None:
    with pytest.raises(UnsandboxedInteractionError) as excinfo:
        RedisCluster(host="127.0.0.1", port=1)  # refused here
    assert str(excinfo.value) == (
        "a redis cluster client discovered its nodes (CLUSTER SLOTS) outside the tripwire "
        f"sandbox, at {HERE}:{line_of('# refused here')}.\n"
        "During a test tripwire refuses real calls that no sandbox intercepts. Either:\n"
        "    mock it: register tripwire.redis.mock_command(...) and make the call inside "
        "`with tripwire:`\n"
        '    or allow the real redis for this test: @pytest.mark.allow("redis")\n'
        '    or for the whole project: [tool.tripwire] allow = ["redis"] in pyproject.toml'
    )


def test_the_guard_refuses_a_cluster_made_in_the_sandbox() -> None:
    with tripwire:
        client = RedisCluster(host="127.0.0.1", port=1)
    with pytest.raises(UnsandboxedInteractionError) as command:
        client.get("k")
    assert command.value.what_happened == "redis.GET(...) was called"
    pipe = client.pipeline()
    pipe.get("a").set("b", 1)
    with pytest.raises(UnsandboxedInteractionError) as execute:
        pipe.execute()
    assert execute.value.what_happened == "redis cluster pipeline.execute() [GET, SET] was called"
    assert len(pipe) == 0
    with pytest.raises(UnsandboxedInteractionError) as split:
        client.delete("a", "b")
    assert split.value.what_happened == "redis cluster pipeline.execute() [DEL, DEL] was called"


# -- asyncio --------------------------------------------------------------------------------------

acluster = pytest.importorskip(
    "redis.asyncio.cluster", reason="redis.asyncio.cluster arrived in redis-py 4.3"
)


@pytest.mark.asyncio
async def test_async_cluster_commands_pipelines_and_splits() -> None:
    tripwire.redis.mock_command("GET", returns=b"v")
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("DEL", returns=2)
    tripwire.redis.mock_command("MGET", returns=[None, b"2"])
    async with tripwire, acluster.RedisCluster(host="cache.internal", port=7000) as client:
        assert client.get_default_node().name == "cache.internal:7000"
        assert await client.get("k") == b"v"
        pipe = client.pipeline()
        pipe.set("a", 1)
        assert await pipe.execute() == [True]
        assert await client.delete("a", "b") == 2
        assert await client.mget_nonatomic(["a", "b"]) == [None, b"2"]
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("SET", args=("a", 1), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("DEL", args=("a", "b"))
    tripwire.redis.assert_command("MGET", args=("a", "b"))


@pytest.mark.asyncio
async def test_async_cluster_without_async_with() -> None:
    tripwire.redis.mock_command("GET", returns=None)
    async with tripwire:
        client = acluster.RedisCluster(host="cache.internal", port=7000)
        assert await client.get("k") is None
        await aclose(client)  # unclosed, its finaliser warns in whichever test collects it
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


@pytest.mark.asyncio
async def test_the_guard_refuses_async_clusters() -> None:
    client = acluster.RedisCluster(host="127.0.0.1", port=1)
    with pytest.raises(UnsandboxedInteractionError) as initialize:
        await client.initialize()
    assert initialize.value.what_happened == (
        "a redis cluster client discovered its nodes (CLUSTER SLOTS)"
    )
    with pytest.raises(UnsandboxedInteractionError) as command:
        await client.get("k")
    assert command.value.what_happened == "redis.GET(...) was called"
    pipe = client.pipeline()
    pipe.get("a")
    with pytest.raises(UnsandboxedInteractionError) as execute:
        await pipe.execute()
    assert execute.value.what_happened == "redis cluster pipeline.execute() [GET] was called"
    await aclose(client)


@pytest.mark.asyncio
async def test_an_async_cluster_pipeline_raises_its_first_error_and_empties() -> None:
    bad = redis.exceptions.ResponseError("bad")
    tripwire.redis.mock_command("GET", returns=None, raises=bad)
    tripwire.redis.mock_command("GET", returns=None, raises=bad)
    tripwire.redis.mock_command("SET", returns=True)
    async with tripwire, acluster.RedisCluster(host="cache.internal", port=7000) as client:
        pipe = client.pipeline()
        pipe.get("c")
        with pytest.raises(redis.exceptions.ResponseError, match="bad"):
            await pipe.execute()
        assert len(pipe) == 0
        pipe.get("c").set("a", 1)
        assert await pipe.execute(raise_on_error=False) == [bad, True]
        assert len(pipe) == 0
        assert await pipe.execute() == []
    tripwire.redis.assert_command("GET", args=("c",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("GET", args=("c",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("SET", args=("a", 1), kwargs=ANY_OPTIONS)


@pytest.mark.asyncio
@pytest.mark.skipif(
    not hasattr(acluster, "TransactionStrategy"),
    reason="asyncio cluster transactions arrived in redis-py 6",
)
async def test_an_async_cluster_transaction_is_recorded_with_multi_and_exec() -> None:
    tripwire.redis.mock_command("INCRBY", returns=1)
    tripwire.redis.mock_command("GET", returns=b"1")
    async with tripwire, acluster.RedisCluster(host="cache.internal", port=7000) as client:
        pipe = client.pipeline(transaction=True)
        with pytest.raises(redis.exceptions.RedisClusterException, match="Missing key"):
            pipe.execute_command("DBSIZE")
        assert await pipe.incr("{user}:hits").get("{user}:hits").execute() == [1, b"1"]
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("INCRBY", args=("{user}:hits", 1), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("GET", args=("{user}:hits",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("EXEC")


@pytest.mark.asyncio
async def test_a_single_node_scan_reply_is_refused_at_an_async_cluster_s_call(
    verifier: StrictVerifier,
) -> None:
    tripwire.redis.mock_command("SCAN", returns=(0, [b"a"]))
    async with tripwire, acluster.RedisCluster(host="cache.internal", port=7000) as client:
        with pytest.raises(tripwire.InvalidArgumentError) as excinfo:
            await client.scan()
    assert str(excinfo.value).startswith(
        "mock_command() argument 'returns' must be what a RedisCluster returns for SCAN: "
        "({node name: cursor}, keys), such as ({'cache.internal:7000': 0}, [b'key']) for this "
        "client, got (0, [b'a']) (tuple)\n"
    )
    tripwire.redis.assert_command("SCAN", args=(0,), kwargs={})


# -- valkey-py ------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_valkey_clusters_take_the_same_mocks() -> None:
    vcluster = pytest.importorskip("valkey.cluster")
    avcluster = pytest.importorskip("valkey.asyncio.cluster")
    tripwire.redis.mock_command("GET", returns=b"v")
    tripwire.redis.mock_command("DEL", returns=2)
    tripwire.redis.mock_command("SET", returns=True)
    async with tripwire:
        client = vcluster.ValkeyCluster(host="cache.internal", port=7000)
        assert client.get("k") == b"v"
        assert client.delete("a", "b") == 2
        async with avcluster.ValkeyCluster(host="cache.internal", port=7000) as aclient:
            assert await aclient.set("k", "v") is True
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("DEL", args=("a", "b"))
    tripwire.redis.assert_command("SET", args=("k", "v"), kwargs=ANY_OPTIONS)


@pytest.mark.asyncio
async def test_valkey_cluster_pipelines_run_their_queues() -> None:
    vcluster = pytest.importorskip("valkey.cluster")
    avcluster = pytest.importorskip("valkey.asyncio.cluster")
    for command, returns in [("SET", True), ("GET", b"1"), ("INCRBY", 2), ("GET", b"2")]:
        tripwire.redis.mock_command(command, returns=returns)
    async with tripwire:
        pipe = vcluster.ValkeyCluster(host="cache.internal", port=7000).pipeline()
        assert pipe.set("a", 1).get("a").execute() == [True, b"1"]
        assert len(pipe) == 0
        async with avcluster.ValkeyCluster(host="cache.internal", port=7000) as client:
            apipe = client.pipeline()
            assert await apipe.incr("a").execute() == [2]
            assert len(apipe) == 0
            assert await apipe.get("a").execute() == [b"2"]
    tripwire.redis.assert_command("SET", args=("a", 1), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("GET", args=("a",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("INCRBY", args=("a", 1), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("GET", args=("a",), kwargs=ANY_OPTIONS)


#: What redis-py's own methods raise for a cluster on a closed port.
REDIS_PY_REFUSED = (redis.exceptions.RedisError, redis.exceptions.RedisClusterException, OSError)


# -- methods bound inside the sandbox, called after it ---------------------------------------------


@pytest.mark.allow("redis")
def test_when_allowed_late_calls_reach_redis_py() -> None:
    # Bound while the interceptors are installed; called once they are gone.
    with tripwire:
        client = RedisCluster(host="127.0.0.1", port=1)
        node_client = client.get_default_node().redis_connection
        initialize = client.nodes_manager.initialize
        parse, get_keys = client.commands_parser.initialize, client.commands_parser.get_keys
        execute, delete = client.execute_command, client.delete
        mget, mset = client.mget_nonatomic, client.mset_nonatomic
        pipe = client.pipeline()
        run = pipe.get("k").execute
    for call in (
        initialize,
        lambda: parse(node_client),
        lambda: get_keys(node_client, "GET", "k"),
        lambda: execute("GET", "k"),
        lambda: delete("a", "b"),
        lambda: mget(["a", "b"]),
        lambda: mset({"a": 1}),
        run,
    ):
        with pytest.raises(REDIS_PY_REFUSED):
            call()


@pytest.mark.asyncio
@pytest.mark.allow("redis")
async def test_when_allowed_late_async_calls_reach_redis_py() -> None:
    async with tripwire:
        client = acluster.RedisCluster(host="127.0.0.1", port=1)
        await client.initialize()
        manager, parser = client.nodes_manager, client.commands_parser
        initialize, parse, get_keys = manager.initialize, parser.initialize, parser.get_keys
        execute, delete = client.execute_command, client.delete
        pipe = client.pipeline()
        run = pipe.get("k").execute
    for call in (
        initialize,
        lambda: parse(manager.default_node),
        lambda: get_keys("GET", "k"),
        lambda: execute("GET", "k"),
        lambda: delete("a", "b"),
        run,
    ):
        with pytest.raises(REDIS_PY_REFUSED):
            await call()
    await aclose(client)  # unclosed, its finaliser warns in whichever test collects it


# -- SCAN: each node's cursor by the node's name (issue 22, item 12) ----------------------------


def test_scan_mocks_of_the_cluster_shape_are_accepted_and_scan_iter_pages_through_them() -> None:
    node = "cache.internal:7000"
    tripwire.redis.mock_command("SCAN", returns=({node: 17}, [b"a", b"b"]))
    tripwire.redis.mock_command("SCAN", returns=({node: 0}, [b"c"]))
    tripwire.redis.mock_command("SCAN", returns=({node: 0}, [b"a"]))
    with tripwire:
        client = RedisCluster(host="cache.internal", port=7000)
        assert list(client.scan_iter()) == [b"a", b"b", b"c"]
        assert client.scan() == ({node: 0}, [b"a"])
    tripwire.redis.assert_command("SCAN", args=(0,), kwargs={})
    tripwire.redis.assert_command(
        "SCAN", args=(17,), kwargs={"target_nodes": client.get_default_node()}
    )
    tripwire.redis.assert_command("SCAN", args=(0,), kwargs={})


def test_a_single_node_scan_reply_is_refused_at_a_cluster_s_call(
    verifier: StrictVerifier, line_of: Callable[[str], int]
) -> None:
    tripwire.redis.mock_command("SCAN", returns=(0, [b"a"]))  # single node
    with tripwire, pytest.raises(tripwire.InvalidArgumentError) as excinfo:
        list(RedisCluster(host="cache.internal", port=7000).scan_iter())
    assert str(excinfo.value) == (
        "mock_command() argument 'returns' must be what a RedisCluster returns for SCAN: "
        "({node name: cursor}, keys), such as ({'cache.internal:7000': 0}, [b'key']) for this "
        "client, got (0, [b'a']) (tuple)\n"
        f"The mock was registered at {HERE}:{line_of('# single node')}."
    )
    tripwire.redis.assert_command("SCAN", args=(0,), kwargs={})


@pytest.mark.asyncio
async def test_async_cluster_scan_iter_pages_through_scan_mocks() -> None:
    node = "cache.internal:7000"
    tripwire.redis.mock_command("SCAN", returns=({node: 3}, [b"a"]))
    tripwire.redis.mock_command("SCAN", returns=({node: 0}, [b"b"]))
    async with tripwire, acluster.RedisCluster(host="cache.internal", port=7000) as client:
        assert [key async for key in client.scan_iter()] == [b"a", b"b"]
        default = client.get_default_node()
    tripwire.redis.assert_command("SCAN", args=(0,), kwargs={})
    tripwire.redis.assert_command("SCAN", args=(3,), kwargs={"target_nodes": default})
