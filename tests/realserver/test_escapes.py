"""Connections connected before the sandbox: nothing they send or read gets through.

tripwire intercepts commands where redis-py builds them, and refuses every connection method
that opens a socket, sends or reads: whoever holds the connection (a PubSub, a cluster node, a
pipeline watching keys, code that uses the connection directly) and whenever it connected.
Each test connects for real first, then shows with the server's own counters (bytes received,
commands processed) that nothing reached it inside the sandbox, or under the guard.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.process
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
import redis
import redis.connection
from dirty_equals import IsInstance

import tripwire
from tripwire import StrictVerifier, UnmockedConnectionError, UnsandboxedInteractionError

#: redis-py 5.1 and later pass ``keys=[...]`` with read commands.
ANY_OPTIONS = IsInstance(dict)

try:
    import redis.asyncio
except ImportError:  # redis-py 4.0 and 4.1
    ASYNCIO = False
else:
    ASYNCIO = True

THIS_FILE = os.path.relpath(__file__)
ALLOW_REDIS = pytest.mark.allow("redis")
NEEDS_ASYNCIO = pytest.mark.skipif(not ASYNCIO, reason="redis.asyncio arrived in redis-py 4.2")
NEEDS_ASYNC_CLUSTER = pytest.mark.skipif(
    not hasattr(redis, "asyncio") or not hasattr(redis.asyncio, "RedisCluster"),
    reason="redis.asyncio.RedisCluster arrived in redis-py 4.3",
)

NEEDS_CLUSTER = pytest.mark.skipif(
    not hasattr(redis, "RedisCluster"), reason="redis.RedisCluster arrived in redis-py 4.1"
)

SEND = "asked to send a command"
READ = "asked to read a reply"


class _Server(Protocol):
    """The parts of conftest's ``RedisServer`` used here (conftest is not importable)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    def execute_raw(self, *args: bytes | str | int) -> Any: ...
    def commands_processed(self) -> int: ...
    def delta_since(self, before: int) -> int: ...
    def bytes_received(self) -> int: ...
    def bytes_since(self, before: int) -> int: ...


def refused_inside(server: _Server, action: str) -> str:
    """The sandbox's refusal of a connection to ``server`` that was ``action``."""
    return (
        f"A connection to {server.host}:{server.port} was {action} inside the sandbox, by a part "
        "of the client that tripwire does not intercept (for redis-py: MONITOR, connections "
        "used directly or connected before the sandbox).\nNothing was "
        'sent. Test that code against a real server with @pytest.mark.allow("redis") outside '
        "the sandbox, or move the call behind a function you mock."
    )


def refused_outside(
    server: _Server, action: str, excinfo: pytest.ExceptionInfo[UnsandboxedInteractionError]
) -> str:
    """The guard's refusal, made at the line of this file the test raised it from."""
    traceback = excinfo.value.__traceback__
    assert traceback is not None
    assert traceback.tb_frame.f_code.co_filename == __file__
    return (
        f"a redis connection to {server.host}:{server.port} was {action} outside the tripwire "
        f"sandbox, at {THIS_FILE}:{traceback.tb_lineno}.\n"
        "During a test tripwire refuses real calls that no sandbox intercepts. Either:\n"
        "    mock it: register tripwire.redis.mock_command(...) and make the call inside "
        "`with tripwire:`\n"
        '    or allow the real redis for this test: @pytest.mark.allow("redis")\n'
        '    or for the whole project: [tool.tripwire] allow = ["redis"] in pyproject.toml'
    )


def client_of(server: _Server, **options: Any) -> redis.Redis:
    return redis.Redis(host=server.host, port=server.port, **options)


def connection_to(server: _Server) -> redis.connection.Connection:
    """A connection of its own to ``server``, connected."""
    connection = redis.connection.Connection(host=server.host, port=server.port)
    connection.connect()
    return connection


@pytest.fixture
def empty(redis_server: _Server) -> _Server:
    """``redis_server`` with every database empty."""
    redis_server.execute_raw("FLUSHALL")
    return redis_server


# -- 1. inside the sandbox ------------------------------------------------------------------------
# These tests allow the real Redis, to connect in their own body before the sandbox opens.


@ALLOW_REDIS
def test_a_subscribed_pubsub(empty: _Server, verifier: StrictVerifier) -> None:
    pubsub = client_of(empty).pubsub()
    pubsub.subscribe("news")
    assert pubsub.get_message(timeout=5)["type"] == "subscribe"  # type: ignore[index]
    before = empty.bytes_received()
    with tripwire:
        with pytest.raises(UnmockedConnectionError) as subscribe:
            pubsub.subscribe("sport")
        with pytest.raises(UnmockedConnectionError) as ping:
            pubsub.ping()
        with pytest.raises(UnmockedConnectionError) as read:
            pubsub.get_message()
    assert empty.bytes_since(before) == 0
    assert str(subscribe.value) == refused_inside(empty, SEND)
    assert str(ping.value) == refused_inside(empty, SEND)
    assert str(read.value) == refused_inside(empty, READ)
    assert empty.execute_raw("PUBSUB", "CHANNELS") == [b"news"]
    # After the sandbox the subscription works as before.
    pubsub.ping()
    assert pubsub.get_message(timeout=5)["type"] == "pong"  # type: ignore[index]
    pubsub.close()


@ALLOW_REDIS
def test_a_connection_used_directly(empty: _Server, verifier: StrictVerifier) -> None:
    connection = connection_to(empty)
    connection.send_command("PING")  # its reply waits, unread, through the sandbox
    before = empty.bytes_received()
    with tripwire:
        with pytest.raises(UnmockedConnectionError) as send:
            connection.send_command("SET", "escaped", "1")
        with pytest.raises(UnmockedConnectionError) as packed:
            connection.send_packed_command(connection.pack_command("SET", "escaped", "2"))
        with pytest.raises(UnmockedConnectionError) as read:
            connection.read_response()
        with pytest.raises(UnmockedConnectionError) as poll:
            connection.can_read()
    assert empty.bytes_since(before) == 0
    assert empty.execute_raw("GET", "escaped") is None
    assert str(send.value) == refused_inside(empty, SEND)
    assert str(packed.value) == refused_inside(empty, SEND)
    assert str(read.value) == refused_inside(empty, READ)
    assert str(poll.value) == refused_inside(empty, READ)
    assert connection.read_response() == b"PONG"
    connection.disconnect()


@ALLOW_REDIS
def test_a_module_object_of_a_single_connection_client(
    empty: _Server, verifier: StrictVerifier
) -> None:
    # Made at import time: its methods were bound to redis-py's own execute_command then.
    client = client_of(empty, single_connection_client=True)
    documents = client.json()
    before = empty.bytes_received()
    with tripwire, pytest.raises(UnmockedConnectionError) as excinfo:
        documents.get("doc")
    # The server has no JSON module and would reject JSON.GET unexecuted: only the bytes show.
    assert empty.bytes_since(before) == 0
    assert str(excinfo.value) == refused_inside(empty, SEND)
    client.close()


@ALLOW_REDIS
def test_a_watching_pipeline(empty: _Server, verifier: StrictVerifier) -> None:
    client = client_of(empty)
    pipe = client.pipeline()
    pipe.watch("balance")
    before = empty.bytes_received()
    with tripwire:
        with pytest.raises(UnmockedConnectionError) as reset:
            pipe.reset()
        with pytest.raises(UnmockedConnectionError) as execute:
            pipe.execute()
    assert empty.bytes_since(before) == 0
    assert str(reset.value) == refused_inside(empty, SEND)
    assert str(execute.value) == refused_inside(empty, SEND)
    before = empty.commands_processed()
    pipe.reset()
    assert empty.delta_since(before) == 1  # the UNWATCH, sent now
    client.close()


@pytest.mark.asyncio
@NEEDS_ASYNCIO
@ALLOW_REDIS
async def test_async_watching_pipelines(empty: _Server, verifier: StrictVerifier) -> None:
    client = redis.asyncio.Redis(host=empty.host, port=empty.port)
    reset, execute = client.pipeline(), client.pipeline()
    await reset.watch("balance")
    await execute.watch("balance")
    before = empty.bytes_received()
    async with tripwire:
        # redis.asyncio's reset() stops watching and releases the connection even so.
        with pytest.raises(UnmockedConnectionError) as on_reset:
            await reset.reset()
        with pytest.raises(UnmockedConnectionError) as on_execute:
            await execute.execute()
    assert empty.bytes_since(before) == 0
    assert str(on_reset.value) == refused_inside(empty, SEND)
    assert str(on_execute.value) == refused_inside(empty, SEND)
    # Older redis-py keeps the connection after a failed reset(): let both finish for real.
    await reset.reset()
    await execute.reset()
    await client.connection_pool.disconnect()


@pytest.mark.asyncio
@NEEDS_ASYNCIO
@ALLOW_REDIS
async def test_an_async_subscribed_pubsub(empty: _Server, verifier: StrictVerifier) -> None:
    client = redis.asyncio.Redis(host=empty.host, port=empty.port)
    pubsub = client.pubsub()
    await pubsub.subscribe("news")
    before = empty.bytes_received()
    async with tripwire:
        with pytest.raises(UnmockedConnectionError) as subscribe:
            await pubsub.subscribe("sport")
        with pytest.raises(UnmockedConnectionError) as ping:
            await pubsub.ping()
    assert empty.bytes_since(before) == 0
    assert str(subscribe.value) == refused_inside(empty, SEND)
    assert str(ping.value) == refused_inside(empty, SEND)
    assert empty.execute_raw("PUBSUB", "CHANNELS") == [b"news"]
    assert pubsub.connection is not None
    await pubsub.connection.disconnect()
    await client.connection_pool.disconnect()


# -- 2. a cluster client initialised before the sandbox -------------------------------------------


@pytest.mark.asyncio
@NEEDS_ASYNC_CLUSTER
@ALLOW_REDIS
async def test_an_async_cluster_initialised_before(
    cluster_server: _Server, verifier: StrictVerifier
) -> None:
    cluster = redis.asyncio.RedisCluster(host=cluster_server.host, port=cluster_server.port)
    assert await cluster.set("a", "real") is True
    tripwire.redis.mock_command("GET", returns=b"mocked")
    before = cluster_server.bytes_received()
    async with tripwire:
        # Its commands consume the mocks, as a cluster made inside the sandbox does.
        assert await cluster.get("a") == b"mocked"
    assert cluster_server.bytes_since(before) == 0
    tripwire.redis.assert_command("GET", args=("a",), kwargs=ANY_OPTIONS)
    assert await cluster.get("a") == b"real"
    await cluster.aclose() if hasattr(cluster, "aclose") else await cluster.close()


@NEEDS_CLUSTER
@ALLOW_REDIS
def test_a_cluster_initialised_before(cluster_server: _Server, verifier: StrictVerifier) -> None:
    cluster = redis.RedisCluster(host=cluster_server.host, port=cluster_server.port)
    assert cluster.set("a", "real") is True
    tripwire.redis.mock_command("GET", returns=b"mocked")
    before = cluster_server.bytes_received()
    with tripwire:
        assert cluster.get("a") == b"mocked"
    assert cluster_server.bytes_since(before) == 0
    tripwire.redis.assert_command("GET", args=("a",), kwargs=ANY_OPTIONS)
    assert cluster.get("a") == b"real"
    cluster.close()


# -- 3. under the guard, connections made before the test -----------------------------------------


@dataclass
class Early:
    """Connections a session fixture made before any test's guard was on."""

    pubsub: Any
    connection: redis.connection.Connection
    documents: Any
    pipe: Any


@pytest.fixture(scope="session")
def early(redis_server: _Server) -> Iterator[Early]:
    client = client_of(redis_server, single_connection_client=True)
    pubsub = client_of(redis_server).pubsub()
    pubsub.subscribe("news")
    pipe = client_of(redis_server).pipeline()
    pipe.watch("balance")
    made = Early(pubsub, connection_to(redis_server), client.json(), pipe)
    yield made
    pipe.reset()
    pubsub.close()
    made.connection.disconnect()
    client.close()


def test_the_guard_refuses_connections_made_before_the_test(
    early: Early, redis_server: _Server
) -> None:
    before = redis_server.bytes_received()
    with pytest.raises(UnsandboxedInteractionError) as ping:
        early.pubsub.ping()
    with pytest.raises(UnsandboxedInteractionError) as send:
        early.connection.send_command("SET", "escaped", "1")
    with pytest.raises(UnsandboxedInteractionError) as read:
        early.connection.read_response()
    with pytest.raises(UnsandboxedInteractionError) as documents:
        early.documents.get("doc")
    with pytest.raises(UnsandboxedInteractionError) as reset:
        early.pipe.reset()
    assert redis_server.bytes_since(before) == 0
    assert str(ping.value) == refused_outside(redis_server, SEND, ping)
    assert str(send.value) == refused_outside(redis_server, SEND, send)
    assert str(read.value) == refused_outside(redis_server, READ, read)
    assert str(documents.value) == refused_outside(redis_server, SEND, documents)
    assert str(reset.value) == refused_outside(redis_server, SEND, reset)


# -- 4. processes started inside the sandbox or under the guard -----------------------------------

#: What the child process runs (``exec`` is the target: a test function would have to be
#: importable by name in the child). It reports the outcome through ``pipe``.
CHILD = """
import redis
try:
    redis.Redis(host=HOST, port=PORT).set("from-child", "1")
except Exception as exc:
    pipe.send(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
else:
    pipe.send("written")
"""


def start_child(method: str, server: _Server) -> tuple[Any, Any]:
    """Start a process that sets a key on ``server``; returns it and the end to receive on."""
    context = multiprocessing.get_context(method)
    receive, send = context.Pipe(duplex=False)
    process = context.Process(
        target=exec, args=(CHILD, {"HOST": server.host, "PORT": server.port, "pipe": send})
    )
    process.start()
    send.close()
    return process, receive


def outcome(process: Any, receive: Any) -> str:
    assert receive.poll(60), "the child process reported nothing"
    reported: str = receive.recv()
    process.join(60)
    assert process.exitcode == 0
    return reported


#: What the child reports: refused by the guard, at the line of ``CHILD`` that sets the key.
CHILD_REFUSED = (
    "UnsandboxedInteractionError: redis.SET(...) was called outside the tripwire sandbox, "
    "at <string>:4."
)

START_METHODS = pytest.mark.parametrize("method", ["spawn", "forkserver"])


@START_METHODS
@ALLOW_REDIS
def test_a_process_started_inside_the_sandbox(empty: _Server, method: str) -> None:
    before = empty.bytes_received()
    with tripwire:
        process, receive = start_child(method, empty)
    assert outcome(process, receive) == CHILD_REFUSED
    assert empty.bytes_since(before) == 0
    assert empty.execute_raw("GET", "from-child") is None
    assert multiprocessing.process.BaseProcess.start.__module__ == "multiprocessing.process"
    # Started after the sandbox, the same child writes.
    assert outcome(*start_child(method, empty)) == "written"
    assert empty.execute_raw("GET", "from-child") == b"1"


@START_METHODS
def test_a_process_started_under_the_guard(empty: _Server, method: str) -> None:
    before = empty.bytes_received()
    process, receive = start_child(method, empty)
    assert outcome(process, receive) == CHILD_REFUSED
    assert empty.bytes_since(before) == 0
    assert empty.execute_raw("GET", "from-child") is None
