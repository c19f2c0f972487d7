"""What the interception needs to know of a connection object: what it is, never what it does.

Pure functions of redis-py's and valkey-py's connection objects (and fakeredis' subclasses of
them); the interception (`interceptors`) decides what to refuse.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from tripwire.plugins.redis_plugin.intercept import libraries as _libraries

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
    """Whether ``client`` (a client or a pipeline) surely talks to a server over the network.

    Its commands are refused as such under the guard. Clients whose connections replace the
    library's ``_connect`` (fakeredis' ``FakeRedis`` and ``FakeAsyncRedis``, a subclass that sets
    socket options) are not refused here: their connections are judged when they open or use a
    socket, which a fake never does.
    """
    connection_class = getattr(getattr(client, "connection_pool", None), "connection_class", None)
    return connection_class is None or kind(connection_class) is LIBRARY


#: A connection that opens its socket with the library's own ``_connect``: a real one.
LIBRARY = "library"
#: A connection whose class replaces ``_connect``: a fake that opens no socket (fakeredis'), or a
#: subclass that opens the library's socket all the same (``super()._connect()``). The library's
#: ``_connect`` refuses the latter when it opens one, and `on_a_socket` when it uses one.
OWN = "own"
#: Not a connection of redis-py's or valkey-py's at all: nothing of it is intercepted.
OTHER = "other"


def kind(connection_class: type) -> str:
    """`LIBRARY`, `OWN` or `OTHER`: what connections of ``connection_class`` are."""
    # Equivalent if mutated: without the cache the same answer is worked out again.
    known = _KINDS.get(connection_class)  # pragma: no mutate
    if known is None:
        opener = next((k for k in connection_class.__mro__ if "_connect" in vars(k)), None)
        if opener is None:
            known = OTHER
        elif opener.__module__.partition(".")[0] in _SOCKET_PACKAGES:
            known = LIBRARY
        else:
            known = OWN
        _KINDS[connection_class] = known
    return known


def on_a_socket(connection: Any) -> bool:
    """Whether ``connection`` holds a socket of the operating system's: a server at its end.

    A sync connection keeps its socket in ``_sock``, an asyncio one its stream writer in
    ``_writer``; fakeredis' keep objects of their own there, which reach no server.
    """
    sock = getattr(connection, "_sock", None)
    if sock is not None:
        return isinstance(sock, socket.socket)
    return isinstance(getattr(connection, "_writer", None), asyncio.StreamWriter)


_KINDS: dict[type, str] = {}

#: The packages whose own connection classes open sockets.
_SOCKET_PACKAGES = frozenset({"redis", "valkey"})
