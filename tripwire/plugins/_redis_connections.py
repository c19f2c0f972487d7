"""What the interception needs to know of a connection object: what it is, never what it does.

Pure functions of redis-py's and valkey-py's connection objects (and fakeredis' subclasses of
them); the interception (`_redis_intercept`) decides what to refuse.
"""

from __future__ import annotations

from typing import Any

from tripwire.plugins import _redis_libraries as _libraries

#: What a connection method does, as the refusal of its call says it.
ACTIONS = {
    **dict.fromkeys(_libraries.CONNECTING, "opened"),
    **dict.fromkeys(_libraries.SENDING, "asked to send a command"),
    **dict.fromkeys(_libraries.READING, "asked to read a reply"),
}


def unconnected(pool: Any) -> Any:
    """A connection of ``pool`` that never connects, handed out inside the sandbox."""
    # single_connection_client and pipelines ask for one before they run a command, and the
    # command itself is intercepted. It is marked in use, as the pool's own method does, so
    # that release() takes it back.
    connection = pool.make_connection()
    in_use = getattr(pool, "_in_use_connections", None)
    if in_use is not None:
        in_use.add(connection)
    return connection


def address(connection: Any) -> str:
    """``host:port``, or the socket path, that ``connection`` talks to."""
    host = getattr(connection, "host", None)
    port = getattr(connection, "port", None)
    if host is not None:
        return f"{host}:{port}"
    path = getattr(connection, "path", None)
    return str(path) if path else type(connection).__name__


def is_connected(connection: Any) -> bool:
    """Whether ``connection`` has its socket (sync) or its stream writer (asyncio) open."""
    return (
        getattr(connection, "_sock", None) is not None
        or getattr(connection, "_writer", None) is not None
    )


def client_opens_sockets(client: Any) -> bool:
    """Whether ``client`` (a client or a pipeline) talks to a server over the network.

    Clients whose connections open no socket, such as fakeredis' ``FakeRedis`` and
    ``FakeAsyncRedis``, are never refused: they reach no server.
    """
    connection_class = getattr(getattr(client, "connection_pool", None), "connection_class", None)
    return connection_class is None or opens_socket(connection_class)


def opens_socket(connection_class: type) -> bool:
    """Whether connections of ``connection_class`` open a socket (fakeredis' do not)."""
    # redis-py's connections open their socket in ``_connect``; one that replaces it (fakeredis'
    # ``FakeConnection`` does) connects to something else.
    # Equivalent if mutated: without the cache the same answer is worked out again.
    known = _SOCKET_CONNECTIONS.get(connection_class)  # pragma: no mutate
    if known is None:
        opener = next((k for k in connection_class.__mro__ if "_connect" in vars(k)), object)
        known = _SOCKET_CONNECTIONS[connection_class] = (
            opener.__module__.partition(".")[0] in _SOCKET_PACKAGES
        )
    return known


_SOCKET_CONNECTIONS: dict[type, bool] = {}

#: The packages whose own connection classes open sockets.
_SOCKET_PACKAGES = frozenset({"redis", "valkey"})
