"""The connection layer: what is refused there, and what is left alone (no server needed)."""

from __future__ import annotations

import importlib.util

import pytest
import redis

import tripwire
from tripwire import StrictVerifier, UnmockedConnectionError


@pytest.mark.skipif(
    importlib.util.find_spec("redis.asyncio") is None, reason="fakeredis needs redis-py 4.2"
)
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
