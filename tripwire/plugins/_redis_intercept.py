"""Where redis-py is intercepted, and what stands there inside and outside the sandbox.

Inside the sandbox (`interceptors`): commands, pipelines, transactions and their asyncio twins
consume mocks; connection pools hand out connections that never connect; a connection that
tries to connect anyway (PubSub, cluster discovery) is refused, so nothing reaches the network.

During a test but outside any sandbox (`guards`): every one of those entry points refuses with
`UnsandboxedInteractionError`, unless the test allows the real Redis.

Facts relied on (redis-py 4.0 to 8.x): ``Redis.execute_command(self, *args, **options)``;
``Pipeline.command_stack`` holds ``(args, options)`` pairs; pipelines send WATCH and the commands
that follow it before MULTI through ``immediate_execute_command``; the sync pipeline's transaction
flag is ``transaction``, the asyncio one's ``is_transaction``; asyncio ``Pipeline.reset`` is a
coroutine function.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable, Iterable
from types import FrameType
from typing import TYPE_CHECKING, Any

from tripwire._errors import UnmockedConnectionError, UnsandboxedInteractionError, where

if TYPE_CHECKING:
    from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin

__all__ = ["guards", "interceptors"]

Patch = tuple[type, str, Callable[..., Any]]

#: Commands after which a pipeline no longer watches keys (as redis-py's parse_response).
_UNWATCHING = frozenset({"UNWATCH", "DISCARD", "EXEC"})


@functools.cache
def _defining(cls: type, attribute: str) -> type:
    """The class in ``cls``'s MRO whose own ``__dict__`` defines ``attribute``."""
    for klass in cls.__mro__:
        if attribute in vars(klass):
            return klass
    raise AttributeError(f"{cls.__qualname__}.{attribute}")  # pragma: no cover


#: The methods through which a redis-py connection opens its socket. ``connect_check_health``
#: (redis-py 6 and later) is called directly by ``send_packed_command``, bypassing ``connect``.
_CONNECTING = ("connect", "connect_check_health")


def _connecting(connection_class: type, replacement: Callable[..., Any]) -> list[Patch]:
    """Patches putting ``replacement`` on every method that opens a connection's socket."""
    return [(owner, name, replacement) for owner, name in _connection_methods(connection_class)]


@functools.cache
def _connection_methods(connection_class: type) -> tuple[tuple[type, str], ...]:
    return tuple(
        (_defining(connection_class, name), name)
        for name in _CONNECTING
        if hasattr(connection_class, name)
    )


@functools.cache
def _pools(module: Any) -> tuple[type, ...]:
    """The connection pool classes of a redis-py module that define their own get_connection."""
    found = []
    for name in ("ConnectionPool", "BlockingConnectionPool"):
        pool = getattr(module, name, None)
        if pool is not None and "get_connection" in vars(pool):
            found.append(pool)
    return tuple(found)


@functools.cache
def _async_modules() -> tuple[Any, Any] | None:
    """``redis.asyncio.client`` and ``redis.asyncio.connection``, or None before redis 4.2."""
    try:
        import redis.asyncio.client
        import redis.asyncio.connection
    except ImportError:  # pragma: no cover - redis-py 4.0 and 4.1
        return None
    return redis.asyncio.client, redis.asyncio.connection


def _result(mock: RedisCall) -> Any:
    """A consumed mock's place in a pipeline's reply list: its value, or its exception."""
    raises = mock.raises
    if raises is None:
        return mock.returns
    return raises() if isinstance(raises, type) else raises


def interceptors(plugin: RedisPlugin) -> list[Patch]:
    """The replacements installed while ``plugin``'s sandbox is open."""
    import redis.client
    import redis.connection

    consume = plugin._consume
    run_batch = _batch_runner(plugin)

    def immediate_execute_command(pipe: Any, *args: Any, **options: Any) -> Any:
        __tracebackhide__ = True
        mock = consume(args, options)
        if mock.raises is not None:
            raise mock.raises
        if mock.command == "WATCH":
            pipe.watching = True
        elif mock.command in _UNWATCHING:
            pipe.watching = False
        return mock.returns

    def execute(pipe: Any, raise_on_error: bool = True) -> list[Any]:
        __tracebackhide__ = True
        stack = pipe.command_stack
        if not stack and not pipe.watching:
            return []
        try:
            return run_batch(stack, pipe.transaction or pipe.explicit_transaction, raise_on_error)
        finally:
            pipe.reset()

    def get_connection(pool: Any, *args: Any, **kwargs: Any) -> Any:
        # A connection object, never connected: single_connection_client and pipelines ask
        # for one before they run a command, and the command itself is intercepted. It is
        # marked in use, as the pool's own method does, so that release() takes it back.
        connection = pool.make_connection()
        in_use = getattr(pool, "_in_use_connections", None)
        if in_use is not None:
            in_use.add(connection)
        return connection

    def connect(connection: Any, *args: Any, **kwargs: Any) -> None:
        __tracebackhide__ = True
        error = UnmockedConnectionError(_address(connection))
        plugin.verifier.report_unmocked(error)
        raise error

    patches: list[Patch] = [
        (redis.client.Redis, "execute_command", plugin._execute_command),
        (redis.client.Pipeline, "immediate_execute_command", immediate_execute_command),
        (redis.client.Pipeline, "execute", execute),
        *_connecting(redis.connection.Connection, connect),
    ]
    patches += [(pool, "get_connection", get_connection) for pool in _pools(redis.connection)]

    modules = _async_modules()
    if modules is not None:
        aclient, aconnection = modules

        async def async_execute_command(client: Any, *args: Any, **options: Any) -> Any:
            __tracebackhide__ = True
            mock = consume(args, options)
            if mock.raises is not None:
                raise mock.raises
            return mock.returns

        async def async_immediate_execute_command(pipe: Any, *args: Any, **options: Any) -> Any:
            __tracebackhide__ = True
            return immediate_execute_command(pipe, *args, **options)

        async def async_execute(pipe: Any, raise_on_error: bool = True) -> list[Any]:
            __tracebackhide__ = True
            stack = pipe.command_stack
            if not stack and not pipe.watching:
                return []
            try:
                return run_batch(
                    stack, pipe.is_transaction or pipe.explicit_transaction, raise_on_error
                )
            finally:
                await pipe.reset()

        async def async_get_connection(pool: Any, *args: Any, **kwargs: Any) -> Any:
            return get_connection(pool)

        async def async_connect(connection: Any, *args: Any, **kwargs: Any) -> None:
            __tracebackhide__ = True
            connect(connection)

        patches += [
            (aclient.Redis, "execute_command", async_execute_command),
            (aclient.Pipeline, "immediate_execute_command", async_immediate_execute_command),
            (aclient.Pipeline, "execute", async_execute),
            *_connecting(aconnection.Connection, async_connect),
        ]
        patches += [(pool, "get_connection", async_get_connection) for pool in _pools(aconnection)]
    return patches


def _batch_runner(plugin: RedisPlugin) -> Callable[[Iterable[Any], bool, bool], list[Any]]:
    """What a pipeline's ``execute()`` does with its queued commands, sync and asyncio alike."""
    consume = plugin._consume

    def run_batch(stack: Iterable[Any], transaction: bool, raise_on_error: bool) -> list[Any]:
        __tracebackhide__ = True
        # Each queued command consumes its own mock, in queue order, recorded like a direct call.
        results = [_result(consume(args, options)) for args, options in stack]
        # MULTI and EXEC are not recorded; an EXEC mock, when one is queued, lets a test make the
        # transaction fail as Redis would (WatchError when a watched key changed).
        if transaction:
            exec_mock = plugin._consume_if_queued(("EXEC",), {})
            if exec_mock is not None:
                outcome = _result(exec_mock)
                if isinstance(outcome, BaseException):
                    raise outcome
        if raise_on_error:
            for result in results:
                if isinstance(result, BaseException):
                    raise result
        return results

    return run_batch


def _address(connection: Any) -> str:
    host = getattr(connection, "host", None)
    port = getattr(connection, "port", None)
    if host is not None:
        return f"{host}:{port}"
    path = getattr(connection, "path", None)
    return str(path) if path else type(connection).__name__


# -- the guard: during a test, outside every sandbox ---------------------------------------------

_SKIP_DIRS: tuple[str, ...] = ()


def _call_site() -> str:
    """``file:line`` of the first frame outside redis-py and tripwire."""
    global _SKIP_DIRS
    if not _SKIP_DIRS:
        import redis

        import tripwire

        _SKIP_DIRS = tuple(
            os.path.dirname(str(module.__file__)) + os.sep for module in (redis, tripwire)
        )
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_SKIP_DIRS) and not filename.startswith("<frozen"):
            return where(filename, frame.f_lineno)
        frame = frame.f_back
    return "an unknown place"  # pragma: no cover


def _name(args: tuple[Any, ...]) -> str:
    """The upper-case command name of a call's arguments, however it was spelled."""
    if not args:
        return "?"
    name = args[0].decode("utf-8", "replace") if isinstance(args[0], bytes) else str(args[0])
    return name.upper()


def _refuse(what_happened: str) -> UnsandboxedInteractionError:
    return UnsandboxedInteractionError(
        what_happened, _call_site(), "redis", "tripwire.redis.mock_command(...)"
    )


def guards() -> list[Patch]:
    """The replacements installed during a test that does not allow the real Redis."""
    import redis.client
    import redis.connection

    def execute_command(client: Any, *args: Any, **options: Any) -> Any:
        __tracebackhide__ = True
        raise _refuse(f"redis.{_name(args)}(...) was called")

    def pipeline_execute(pipe: Any, raise_on_error: bool = True) -> Any:
        __tracebackhide__ = True
        names = ", ".join(_name(args) for args, _ in pipe.command_stack)
        pipe.command_stack = []
        raise _refuse(f"redis pipeline.execute() [{names}] was called")

    def connect(connection: Any, *args: Any, **kwargs: Any) -> None:
        __tracebackhide__ = True
        raise _refuse(f"a redis connection to {_address(connection)} was opened")

    patches: list[Patch] = [
        (redis.client.Redis, "execute_command", execute_command),
        (redis.client.Pipeline, "immediate_execute_command", execute_command),
        (redis.client.Pipeline, "execute", pipeline_execute),
        *_connecting(redis.connection.Connection, connect),
    ]
    modules = _async_modules()
    if modules is not None:
        aclient, aconnection = modules
        patches += [
            (aclient.Redis, "execute_command", _as_async(execute_command)),
            (aclient.Pipeline, "immediate_execute_command", _as_async(execute_command)),
            (aclient.Pipeline, "execute", _as_async(pipeline_execute)),
            *_connecting(aconnection.Connection, _as_async(connect)),
        ]
    return patches


def _as_async(refuse: Callable[..., Any]) -> Callable[..., Any]:
    """The coroutine-function twin of a refusing function, raising when awaited."""

    async def refusing(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        return refuse(*args, **kwargs)

    refusing.__name__ = refuse.__name__
    assert inspect.iscoroutinefunction(refusing)
    return refusing
