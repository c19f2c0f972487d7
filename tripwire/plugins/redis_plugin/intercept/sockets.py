"""The interceptors of redis-py's connection and pool methods: the layer every byte passes.

Inside the sandbox a pool hands out connections that never connect, and a connection asked to
connect, send or read is refused (`UnmockedConnectionError`), whoever holds it and whenever it
connected. Outside every sandbox the guard refuses them (`UnsandboxedInteractionError`), and
without a guard redis-py's own method runs. Connections that open no socket (fakeredis') are let
through everywhere. Registered with `interceptors.extend`, installed with the command interceptors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tripwire._errors import UnmockedConnectionError, UnsandboxedInteractionError
from tripwire.plugins.redis_plugin.intercept import connections as _connections
from tripwire.plugins.redis_plugin.intercept import interceptors as _intercept
from tripwire.plugins.redis_plugin.intercept import libraries as _libraries
from tripwire.plugins.redis_plugin.intercept import refusals as _refusals
from tripwire.plugins.redis_plugin.intercept.connections import address as _address
from tripwire.plugins.redis_plugin.intercept.connections import unconnected as _unconnected

__all__ = [
    "RECORDING",
    "async_opener",
    "async_pass_through",
    "patches",
    "sync_opener",
    "sync_pass_through",
]

#: The class attribute that marks the connections of a recording (`recording.recorder`): they reach
#: the recording server, by the library's own ``_connect``.
RECORDING = "_tripwire_recording"

#: What `_check_connecting` raises.
_REFUSALS = (UnmockedConnectionError, UnsandboxedInteractionError)


def _check_connecting(connection: Any, action: str) -> None:
    """Refuse a connection inside the sandbox, or outside it under the guard.

    ``action`` says what was asked of it: opened, to send a command, to read a reply.
    """
    __tracebackhide__ = True
    plugin = _intercept._hot[2]
    if plugin is not _intercept._INACTIVE:
        error = UnmockedConnectionError(_address(connection), action)
        plugin.verifier.report_unmocked(error)
        raise error
    if _intercept._guards:
        raise _refusals.refuse(
            f"a redis connection to {_address(connection)} was {action}"
        ) from None


def _check_using(connection: Any, action: str) -> None:
    """Refuse a connection that sends or reads inside the sandbox, or outside it under the guard.

    This is the layer every byte passes, whoever holds the connection and whenever it was
    connected: a PubSub, a cluster node, a pipeline's ``reset``, a connection used directly.
    A connection not connected yet would connect first, and is refused as opened. One whose
    class replaces ``_connect`` is judged by the socket it holds: fakeredis' talk to no server
    and are let through; the others, which open the library's socket, are refused there
    (`sync_opener`) or when they use it.
    """
    __tracebackhide__ = True
    if _intercept._hot[2] is not _intercept._INACTIVE or _intercept._guards:
        kind = _connections.kind(type(connection))
        if kind is _connections.LIBRARY:
            if not _connections.is_connected(connection):
                action = "opened"
            elif action == "opened":
                return  # connecting a connected connection opens nothing: redis-py returns at once
            _check_connecting(connection, action)
        elif (
            action != "opened" and kind is _connections.OWN and _connections.on_a_socket(connection)
        ):
            _check_connecting(connection, action)


def _check_opening(connection: Any) -> None:
    """Refuse the library's own ``_connect``, which opens a socket to the server.

    Only a connection whose class replaces ``_connect`` and calls the library's (one that sets
    socket options) gets here inside the sandbox or under the guard: the library's own classes
    are refused before, when they are asked to connect.
    """
    __tracebackhide__ = True
    if getattr(connection, RECORDING, False):
        return  # tripwire's own recording connection, whose TLS ``_connect`` calls the library's
    if _intercept._hot[2] is not _intercept._INACTIVE or _intercept._guards:
        _check_connecting(connection, "opened")


def sync_opener(owner: type) -> Callable[..., Any]:
    """The interceptor of a library connection class's own ``_connect``."""

    def _connect(connection: Any, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        _check_opening(connection)
        return _intercept._originals[owner, "_connect"](connection, *args, **kwargs)

    return _connect


def async_opener(owner: type) -> Callable[..., Any]:
    """`sync_opener` for redis.asyncio, whose ``_connect`` is a coroutine function."""

    async def _connect(connection: Any, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        _check_opening(connection)
        return await _intercept._originals[owner, "_connect"](connection, *args, **kwargs)

    return _connect


def sync_pass_through(owner: type, attribute: str) -> Callable[..., Any]:
    """The interceptor of a connection's or pool's method; redis-py's own runs when allowed."""
    if attribute == "get_connection":

        def get_connection(pool: Any, *args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            if _intercept._hot[2] is _intercept._INACTIVE:
                # Not mutated: redis-py 8, which the mutation run uses, ignores the arguments;
                # older lines need the first one, and their nox sessions fail without it.
                original = _intercept._originals[owner, attribute]
                return original(pool, *args, **kwargs)  # pragma: no mutate
            return _unconnected(pool)

        return get_connection

    action = _connections.ACTIONS[attribute]

    def connect(connection: Any, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        _check_using(connection, action)
        return _intercept._originals[owner, attribute](connection, *args, **kwargs)

    connect.__name__ = connect.__qualname__ = attribute
    return connect


def async_pass_through(owner: type, attribute: str) -> Callable[..., Any]:
    """`sync_pass_through` for redis.asyncio, whose methods are coroutine functions."""
    if attribute == "get_connection":

        async def get_connection(pool: Any, *args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            if _intercept._hot[2] is _intercept._INACTIVE:
                # Not mutated, as in `sync_pass_through`.
                original = _intercept._originals[owner, attribute]
                return await original(pool, *args, **kwargs)  # pragma: no mutate
            return _unconnected(pool)

        return get_connection

    action = _connections.ACTIONS[attribute]

    async def connect(connection: Any, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        _check_using(connection, action)
        try:
            return await _intercept._originals[owner, attribute](connection, *args, **kwargs)
        except Exception as error:
            # redis.asyncio wraps what ``_connect`` raises in a ConnectionError, which its retry
            # would retry: the refusal of `async_opener` is raised as itself.
            refusal = error.__cause__
            if action == "opened" and isinstance(refusal, _REFUSALS):
                raise refusal from None
            raise

    connect.__name__ = connect.__qualname__ = attribute
    return connect


def patches(library: _libraries.Library) -> list[_intercept.Patch]:
    """The interceptors of ``library``'s connection and pool methods, sync and asyncio."""
    sync = library.sync
    passing = sync.connection_methods() + [(pool, "get_connection") for pool in sync.pools]
    found = [(owner, name, sync_pass_through(owner, name)) for owner, name in passing]
    found += [(owner, "_connect", sync_opener(owner)) for owner in sync.openers]
    side = library.asyncio
    if side is not None:
        passing = side.connection_methods() + [(pool, "get_connection") for pool in side.pools]
        found += [(owner, name, async_pass_through(owner, name)) for owner, name in passing]
        found += [(owner, "_connect", async_opener(owner)) for owner in side.openers]
    return found


_intercept.extend(patches)
