"""The connection layer: what is refused there, and what is left alone (no server needed)."""

from __future__ import annotations

import asyncio
import importlib.util
import socket

import pytest
import redis

import tripwire
from tripwire import StrictVerifier, UnmockedConnectionError

#: fakeredis imports redis.asyncio, which arrived in redis-py 4.2.
needs_fakeredis = pytest.mark.skipif(
    importlib.util.find_spec("redis.asyncio") is None, reason="fakeredis needs redis-py 4.2"
)


@needs_fakeredis
def test_fakeredis_connections_are_left_alone(verifier: StrictVerifier) -> None:
    # fakeredis' connection sends to its in-memory server: there is no network to protect.
    import fakeredis

    connection = fakeredis.FakeRedis().connection_pool.make_connection()
    with tripwire:
        connection.send_command("SET", "k", "v")
        assert connection.read_response() == b"OK"
        connection.send_command("GET", "k")
        assert connection.read_response() == b"v"
    connection.disconnect()


def test_an_unconnected_connection_asked_to_send_is_refused_as_opened(
    verifier: StrictVerifier,
) -> None:
    connection = redis.connection.Connection(host="127.0.0.1", port=1)
    with tripwire, pytest.raises(UnmockedConnectionError) as excinfo:
        connection.send_command("PING")
    assert (excinfo.value.address, excinfo.value.action) == ("127.0.0.1:1", "opened")


def test_a_connection_with_no_host_or_path_is_named_by_its_class(
    verifier: StrictVerifier,
) -> None:
    connection = redis.connection.Connection(host=None, port=1)  # type: ignore[arg-type]
    with tripwire, pytest.raises(UnmockedConnectionError) as excinfo:
        connection.send_command("PING")
    assert (excinfo.value.address, excinfo.value.action) == ("Connection", "opened")


@needs_fakeredis
def test_outside_the_sandbox_redis_py_runs_each_call_as_it_was_made(
    verifier: StrictVerifier,
) -> None:
    # fakeredis opens no socket, so the guard lets its calls through to redis-py.
    import fakeredis

    r = fakeredis.FakeRedis()
    r.zadd("z", {"a": 1.0})
    assert r.zrange("z", 0, -1, withscores=True) == [(b"a", 1.0)]
    r.set("s", "text")
    pipe = r.pipeline(transaction=False)
    pipe.incr("s").get("s")
    failed, value = pipe.execute(raise_on_error=False)
    assert (type(failed), value) == (redis.exceptions.ResponseError, b"text")
    pipe.incr("s")
    with pytest.raises(redis.exceptions.ResponseError):
        pipe.execute()


@needs_fakeredis
def test_outside_the_sandbox_redis_py_runs_each_asyncio_pipeline_as_it_was_made(
    verifier: StrictVerifier,
) -> None:
    import fakeredis

    async def run() -> None:
        r = fakeredis.FakeAsyncRedis()
        await r.set("s", "text")
        pipe = r.pipeline(transaction=False)
        pipe.incr("s").get("s")
        failed, value = await pipe.execute(raise_on_error=False)
        assert (type(failed), value) == (redis.exceptions.ResponseError, b"text")
        pipe.incr("s")
        with pytest.raises(redis.exceptions.ResponseError):
            await pipe.execute()
        # aclose() arrived in redis-py 5.0.1, close() before.
        await (r.aclose() if hasattr(r, "aclose") else r.close())

    asyncio.run(run())


def test_a_connected_connection_connects_at_once_but_is_refused_when_it_sends(
    verifier: StrictVerifier,
) -> None:
    connection = redis.connection.Connection(host="127.0.0.1", port=1)
    ours, theirs = socket.socketpair()  # connected, as if before the sandbox opened
    connection._sock = ours
    try:
        with tripwire:
            connection.connect()  # redis-py returns at once: nothing is opened
            with pytest.raises(UnmockedConnectionError) as excinfo:
                connection.send_command("PING")
        assert (excinfo.value.address, excinfo.value.action) == (
            "127.0.0.1:1",
            "asked to send a command",
        )
        assert connection._sock is ours
    finally:
        ours.close()
        theirs.close()
