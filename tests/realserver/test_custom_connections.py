"""Connection classes of one's own that replace ``_connect``: judged by the socket they open.

A subclass of redis-py's connection that overrides ``_connect`` to set socket options, and calls
``super()._connect()``, opens redis-py's socket all the same: it is refused like redis-py's own,
outside the sandbox under the guard and inside it (MONITOR, a connection used directly, a PubSub
subscribed before). A fake that replaces ``_connect`` and opens no socket (fakeredis', or a
subclass of it) is let through. The server's own counters show that nothing reached it.
"""

from __future__ import annotations

import inspect
import os
import socket
import threading
import warnings
from typing import Any, Protocol

import pytest
import redis
import redis.connection
import valkey
import valkey.connection

import tripwire
from tripwire import StrictVerifier, UnmockedConnectionError, UnsandboxedInteractionError
from tripwire.plugins.recording.recorder import RecordingError, Twins, seeding_client

try:
    import redis.asyncio
    import redis.asyncio.connection
except ImportError:  # redis-py 4.0 and 4.1 have no redis.asyncio
    HAS_ASYNCIO = False
else:
    HAS_ASYNCIO = True
needs_asyncio = pytest.mark.skipif(not HAS_ASYNCIO, reason="redis.asyncio arrived in redis-py 4.2")

THIS_FILE = os.path.relpath(__file__)
ALLOW_REDIS = pytest.mark.allow("redis")
SEND = "asked to send a command"


class _Server(Protocol):
    """The parts of conftest's ``RedisServer`` used here (conftest is not importable)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    def execute_raw(self, *args: bytes | str | int) -> Any: ...
    def bytes_received(self) -> int: ...
    def bytes_since(self, before: int) -> int: ...


class KeepAlive(redis.connection.Connection):
    """A connection that sets a socket option on the socket redis-py opens."""

    def _connect(self) -> socket.socket:
        sock: socket.socket = super()._connect()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return sock


if HAS_ASYNCIO:

    class AsyncKeepAlive(redis.asyncio.connection.Connection):
        """The asyncio twin of `KeepAlive`."""

        async def _connect(self) -> None:
            await super()._connect()
            sock = self._writer.transport.get_extra_info("socket")  # type: ignore[union-attr]
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)


class ValkeyKeepAlive(valkey.connection.Connection):
    """`KeepAlive` for valkey-py."""

    def _connect(self) -> socket.socket:
        sock: socket.socket = super()._connect()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return sock


def connection_of(pool: Any) -> Any:
    """A connection from ``pool``: redis-py 4 and 5 want a command name, 6 and later deprecate
    it (and asyncio pools give it through a coroutine)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pool.get_connection("PING")


async def aclose(closable: Any) -> None:
    """``aclose()`` from redis-py 5.0.1 on, ``close()`` before."""
    closing = getattr(closable, "aclose", None) or closable.close
    result = closing()
    if inspect.isawaitable(result):
        await result


def client_of(server: _Server) -> redis.Redis:
    pool = redis.ConnectionPool(connection_class=KeepAlive, host=server.host, port=server.port)
    return redis.Redis(connection_pool=pool)


def async_client_of(server: _Server) -> Any:
    pool = redis.asyncio.ConnectionPool(
        connection_class=AsyncKeepAlive, host=server.host, port=server.port
    )
    return redis.asyncio.Redis(connection_pool=pool)


@pytest.fixture
def empty(redis_server: _Server) -> _Server:
    """``redis_server`` with every database empty."""
    redis_server.execute_raw("FLUSHALL")
    return redis_server


def refused_inside(server: _Server, action: str) -> str:
    return (
        f"A connection to {server.host}:{server.port} was {action} inside the sandbox, by a part "
        "of the client that tripwire does not intercept (for redis-py: MONITOR, connections "
        "used directly or connected before the sandbox).\nNothing was "
        'sent. Test that code against a real server with @pytest.mark.allow("redis") outside '
        "the sandbox, or move the call behind a function you mock."
    )


def refused_outside(
    server: _Server, excinfo: pytest.ExceptionInfo[UnsandboxedInteractionError]
) -> str:
    """The guard's refusal of a connection opened by the test's line that ``excinfo`` raised from
    (not by the connection class's ``_connect``)."""
    traceback = excinfo.value.__traceback__
    assert traceback is not None
    assert traceback.tb_frame.f_code.co_filename == __file__
    return (
        f"a redis connection to {server.host}:{server.port} was opened outside the tripwire "
        f"sandbox, at {THIS_FILE}:{traceback.tb_lineno}.\n"
        "During a test tripwire refuses real calls that no sandbox intercepts. Either:\n"
        "    mock it: register tripwire.redis.mock_command(...) and make the call inside "
        "`with tripwire:`\n"
        '    or allow the real redis for this test: @pytest.mark.allow("redis")\n'
        '    or for the whole project: [tool.tripwire] allow = ["redis"] in pyproject.toml'
    )


# -- outside the sandbox, under the guard (this suite runs with guard = "all") --------------------


def test_the_guard_refuses_a_connection_that_sets_socket_options(empty: _Server) -> None:
    client = client_of(empty)
    before = empty.bytes_received()
    with pytest.raises(UnsandboxedInteractionError) as command:
        client.set("escaped", "1")
    with pytest.raises(UnsandboxedInteractionError) as pipeline:
        client.pipeline().set("escaped", "2").execute()
    with pytest.raises(UnsandboxedInteractionError) as direct, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the command name, before redis-py 6
        client.connection_pool.get_connection("PING").send_command("SET", "escaped", "3")
    assert empty.bytes_since(before) == 0
    assert empty.execute_raw("GET", "escaped") is None
    assert str(command.value) == refused_outside(empty, command)
    assert str(pipeline.value) == refused_outside(empty, pipeline)
    assert str(direct.value) == refused_outside(empty, direct)


def test_the_guard_refuses_a_valkey_connection_that_sets_socket_options(empty: _Server) -> None:
    pool = valkey.ConnectionPool(connection_class=ValkeyKeepAlive, host=empty.host, port=empty.port)
    before = empty.bytes_received()
    with pytest.raises(UnsandboxedInteractionError) as command:
        valkey.Valkey(connection_pool=pool).set("escaped", "1")
    assert empty.bytes_since(before) == 0
    assert empty.execute_raw("GET", "escaped") is None
    assert str(command.value) == refused_outside(empty, command)


@needs_asyncio
@pytest.mark.asyncio
async def test_the_guard_refuses_an_async_connection_that_sets_socket_options(
    empty: _Server,
) -> None:
    client = async_client_of(empty)
    before = empty.bytes_received()
    with pytest.raises(UnsandboxedInteractionError) as command:
        await client.set("escaped", "1")
    with pytest.raises(UnsandboxedInteractionError) as pipeline:
        await client.pipeline().set("escaped", "2").execute()
    assert empty.bytes_since(before) == 0
    assert empty.execute_raw("GET", "escaped") is None
    assert str(command.value) == refused_outside(empty, command)
    assert str(pipeline.value) == refused_outside(empty, pipeline)
    await aclose(client)


def _first_bytes(listener: socket.socket, into: list[bytes]) -> None:
    listener.settimeout(10)
    connection, _ = listener.accept()
    with connection:
        connection.settimeout(5)
        into.append(connection.recv(4096))


def test_the_recordings_own_tls_connection_is_not_refused_by_the_guard() -> None:
    # The recording's rediss:// connection replaces _connect to wrap redis-py's socket in TLS: it
    # reaches the recording server (here a listener that keeps the first bytes: a TLS ClientHello).
    received: list[bytes] = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        thread = threading.Thread(target=_first_bytes, args=(listener, received), daemon=True)
        thread.start()
        twins = Twins(f"rediss://127.0.0.1:{port}/0?ssl_cert_reqs=none")
        try:
            with pytest.raises(RecordingError):  # the listener speaks no TLS
                seeding_client(twins).ping()
        finally:
            twins.close()
            thread.join(10)
    assert received[0][:1] == b"\x16"  # the TLS record type of a handshake


# -- inside the sandbox ---------------------------------------------------------------------------


@ALLOW_REDIS
def test_monitor_a_direct_connection_and_a_pubsub_are_refused(
    empty: _Server, verifier: StrictVerifier
) -> None:
    client = client_of(empty)
    pubsub = client.pubsub()
    pubsub.subscribe("news")
    assert pubsub.get_message(timeout=5)["type"] == "subscribe"  # type: ignore[index]
    before = empty.bytes_received()
    with tripwire:
        with pytest.raises(UnmockedConnectionError) as monitor, client.monitor():
            pass
        with pytest.raises(UnmockedConnectionError) as direct:
            connection_of(client.connection_pool).send_command("SET", "escaped", "1")
        with pytest.raises(UnmockedConnectionError) as subscribed:
            pubsub.ping()
    assert empty.bytes_since(before) == 0
    assert empty.execute_raw("GET", "escaped") is None
    assert str(monitor.value) == refused_inside(empty, "opened")
    assert str(direct.value) == refused_inside(empty, "opened")
    assert str(subscribed.value) == refused_inside(empty, SEND)
    pubsub.close()
    client.close()


@needs_asyncio
@pytest.mark.asyncio
@ALLOW_REDIS
async def test_async_monitor_a_direct_connection_and_a_pubsub_are_refused(
    empty: _Server, verifier: StrictVerifier
) -> None:
    client = async_client_of(empty)
    pubsub = client.pubsub()
    await pubsub.subscribe("news")
    before = empty.bytes_received()
    async with tripwire:
        with pytest.raises(UnmockedConnectionError) as monitor:
            async with client.monitor():
                pass
        connection = await connection_of(client.connection_pool)
        with pytest.raises(UnmockedConnectionError) as direct:
            await connection.send_command("SET", "escaped", "1")
        with pytest.raises(UnmockedConnectionError) as subscribed:
            await pubsub.ping()
    assert empty.bytes_since(before) == 0
    assert empty.execute_raw("GET", "escaped") is None
    assert str(monitor.value) == refused_inside(empty, "opened")
    assert str(direct.value) == refused_inside(empty, "opened")
    assert str(subscribed.value) == refused_inside(empty, SEND)
    await aclose(pubsub)
    await aclose(client)


# -- fakes that replace _connect are let through ---------------------------------------------------


def test_a_subclass_of_fakeredis_connection_is_never_refused(verifier: StrictVerifier) -> None:
    fakeredis = pytest.importorskip("fakeredis", reason="fakeredis imports from redis-py 4.2 on")

    class TracedFake(fakeredis.FakeRedisConnection):  # type: ignore[misc,name-defined]
        """A subclass of fakeredis' connection that replaces ``_connect`` too: still a fake."""

        def _connect(self) -> Any:
            return super()._connect()

    fake = fakeredis.FakeRedis(connection_class=TracedFake)
    assert fake.set("k", "v") is True  # under the guard
    with tripwire:
        # A connection used directly reaches the fake server, as fakeredis' own do.
        connection = connection_of(fake.connection_pool)
        connection.send_command("GET", "k")
        assert connection.read_response() == b"v"
        fake.connection_pool.release(connection)
    assert fake.get("k") == b"v"
