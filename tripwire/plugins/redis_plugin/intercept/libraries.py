"""Which Redis client libraries are installed, and where each is intercepted.

redis-py and valkey-py (its fork, of the same structure) are each optional: tripwire intercepts
whichever of them can be imported. For each it finds the classes whose methods carry every
command, and every byte a connection sends or reads:

- the client's ``execute_command`` and the pipeline's ``immediate_execute_command`` and
  ``execute``, sync and asyncio;
- the connection pools' ``get_connection``;
- the connection's own methods that open its socket, send on it or read from it. Every command
  of every client (PubSub, cluster nodes, a connection used directly, a pipeline's ``reset``)
  goes through one of them, whoever holds the connection and whenever it was connected;
- the ``_connect`` of each connection class that opens a socket in it, which a subclass that
  replaces ``_connect`` (to set socket options) still calls.

This module imports nothing of tripwire's, so the interception (`interceptors`) can map
what it finds to its interceptors without an import cycle.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
from dataclasses import dataclass
from types import ModuleType

#: The client libraries tripwire intercepts, by top-level package: redis-py and valkey-py.
LIBRARIES = ("redis", "valkey")

#: The connection methods through which a redis-py connection opens its socket.
#: ``connect_check_health`` (redis-py 6 and later) is called directly by ``send_packed_command``,
#: bypassing ``connect``.
CONNECTING = ("connect", "connect_check_health")
#: The methods through which a connection sends bytes to the server.
SENDING = ("send_packed_command",)
#: The methods through which a connection reads from the server (``can_read`` fills the
#: parser's buffer from the socket; ``can_read_destructive`` is its asyncio name before 8.0).
READING = ("read_response", "can_read", "can_read_destructive")


@dataclass(frozen=True)
class Side:
    """The classes of one side (sync or asyncio) of a client library."""

    client: type
    pipeline: type
    connection: type
    pools: tuple[type, ...]
    #: The connection classes whose own ``_connect`` opens a socket (TCP, TLS, Unix).
    openers: tuple[type, ...]

    def connection_methods(self) -> list[tuple[type, str]]:
        """(defining class, name) of every connection method that opens, sends or reads."""
        return [
            (_defining(self.connection, name), name)
            for name in (*CONNECTING, *SENDING, *READING)
            if hasattr(self.connection, name)
        ]


@dataclass(frozen=True)
class Library:
    """An installed client library: its name, its directory, its sync and asyncio sides."""

    name: str
    directory: str
    sync: Side
    #: None when the library has no asyncio client (redis-py 4.0 and 4.1).
    asyncio: Side | None


def installed() -> tuple[Library, ...]:
    """The client libraries that can be imported, in `LIBRARIES` order."""
    return tuple(
        library for library in (_library(name) for name in LIBRARIES) if library is not None
    )


@functools.cache
def _available(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _library(name: str) -> Library | None:
    if not _available(name):
        return None
    package = importlib.import_module(name)
    client = importlib.import_module(f"{name}.client")
    connection = importlib.import_module(f"{name}.connection")
    sync = Side(
        client=_client_class(client),
        pipeline=client.Pipeline,
        connection=connection.Connection,
        pools=_pools(connection),
        openers=_openers(connection),
    )
    return Library(
        name=name,
        directory=os.path.dirname(str(package.__file__)) + os.sep,
        sync=sync,
        asyncio=_asyncio_side(name),
    )


def _asyncio_side(name: str) -> Side | None:
    try:
        client = importlib.import_module(f"{name}.asyncio.client")
        connection = importlib.import_module(f"{name}.asyncio.connection")
    except ImportError:  # pragma: no cover - redis-py 4.0 and 4.1
        return None
    return Side(
        client=_client_class(client),
        pipeline=client.Pipeline,
        connection=connection.Connection,
        pools=_pools(connection),
        openers=_openers(connection),
    )


def _client_class(module: ModuleType) -> type:
    """``Redis`` of redis-py's client module, ``Valkey`` of valkey-py's."""
    found: type = getattr(module, "Redis", None) or module.Valkey
    return found


def _pools(module: ModuleType) -> tuple[type, ...]:
    """The connection pool classes of a connection module that define their own get_connection."""
    found = []
    for name in ("ConnectionPool", "BlockingConnectionPool"):
        pool = getattr(module, name, None)
        if pool is not None and "get_connection" in vars(pool):
            found.append(pool)
    return tuple(found)


@functools.cache  # a scan of the module: the interceptors are installed once per sandbox
def _openers(module: ModuleType) -> tuple[type, ...]:
    """The classes of a connection module that define a ``_connect`` of their own, not abstract."""
    found = []
    for value in vars(module).values():
        if isinstance(value, type) and value.__module__ == module.__name__:
            opener = vars(value).get("_connect")
            if callable(opener) and not getattr(opener, "__isabstractmethod__", False):
                found.append(value)
    return tuple(found)


@functools.cache
def _defining(cls: type, attribute: str) -> type:
    """The class in ``cls``'s MRO whose own ``__dict__`` defines ``attribute``."""
    for klass in cls.__mro__:
        if attribute in vars(klass):
            return klass
    raise AttributeError(f"{cls.__qualname__}.{attribute}")  # pragma: no cover
