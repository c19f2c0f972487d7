"""Where redis-py is intercepted, and what happens there inside and outside the sandbox.

The interceptors are module-level functions, installed on redis-py's classes once and left in
place while anything needs them: a test that refuses real Redis (the guard) or an open sandbox.
Opening or closing a sandbox only changes which `RedisPlugin` is *active*; it sets no class
attribute. That keeps a sandbox cheap to open (a Hypothesis test opens one per example) and leaves
redis-py's classes, and the interpreter's caches of their attributes, alone.

With a plugin active, commands, pipelines, transactions and their asyncio twins consume its mocks;
connection pools hand out connections that never connect; a connection that tries to connect
anyway (PubSub, cluster discovery) is refused, so nothing reaches the network. With none active,
the guard refuses with `UnsandboxedInteractionError`, and without a guard the call goes to
redis-py's own method.

Facts relied on (redis-py 4.0 to 8.x): ``Redis.execute_command(self, *args, **options)``;
``Pipeline.command_stack`` holds ``(args, options)`` pairs; pipelines send WATCH and the commands
that follow it before MULTI through ``immediate_execute_command``; the sync pipeline's transaction
flag is ``transaction``, the asyncio one's ``is_transaction``; asyncio ``Pipeline.reset`` is a
coroutine function.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import TYPE_CHECKING, Any

from tripwire._errors import UnmockedConnectionError, UnsandboxedInteractionError, where
from tripwire._plugin import Patches

if TYPE_CHECKING:
    from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin

__all__ = ["activate", "deactivate", "guard"]

Patch = tuple[type, str, Callable[..., Any]]

#: Commands after which a pipeline no longer watches keys (as redis-py's parse_response).
_UNWATCHING = frozenset({"UNWATCH", "DISCARD", "EXEC"})


#: Stands for the active plugin when no sandbox is open.
_INACTIVE: Any = object()

#: Every activated plugin, in activation order. The last one, the innermost open sandbox's, is
#: the one whose mocks the intercepted calls consume.
_stack: list[RedisPlugin] = []
#: What the interceptors need of that plugin, read in one step: its lookup, its timeline's
#: append, and the plugin itself. Derived from `_stack` by `_refresh`.
_hot: tuple[dict[Any, Any], Callable[[Any], object], Any] = ({}, id, _INACTIVE)
#: How many guards are on; with none, calls outside the sandbox reach redis-py.
_guards = 0
_installed = Patches()
#: redis-py's own methods, by (class, attribute), for calls made with no plugin active.
_originals: dict[tuple[type, str], Any] = {}
_lock = threading.RLock()


# -- lifecycle ---------------------------------------------------------------------------------
# The interceptors are installed while a guard is on or a plugin is active, and only then.


def activate(plugin: RedisPlugin) -> None:
    """Make ``plugin`` the one intercepted calls use, installing the interceptors if needed."""
    with _lock:
        _install_if_needed()
        _stack.append(plugin)
        _refresh()


def deactivate(plugin: RedisPlugin) -> None:
    """Undo `activate`: the plugin activated before it, if any, is used again."""
    with _lock:
        for index in range(len(_stack) - 1, -1, -1):
            if _stack[index] is plugin:
                del _stack[index]
                break
        else:
            return
        _refresh()
        _restore_if_unneeded()


def guard() -> Callable[[], None]:
    """Refuse real Redis calls made outside every sandbox, until the returned function is called."""
    global _guards
    with _lock:
        _install_if_needed()
        _guards += 1
    lifted = False

    def lift() -> None:
        global _guards
        nonlocal lifted
        with _lock:
            if not lifted:
                lifted = True
                _guards -= 1
                _restore_if_unneeded()

    return lift


def _refresh() -> None:
    global _hot
    plugin = _stack[-1] if _stack else _INACTIVE
    _hot = ({}, id, plugin) if plugin is _INACTIVE else (plugin._lookup, plugin._record, plugin)


def _install_if_needed() -> None:
    """Install the interceptors if nothing holds them yet; called before taking a hold."""
    if not _guards and not _stack:
        for owner, attribute, replacement in _interceptors():
            _originals[owner, attribute] = owner.__dict__[attribute]
            _installed.apply(owner, attribute, replacement)


def _restore_if_unneeded() -> None:
    """Restore redis-py if nothing holds the interceptors any more; called after letting go."""
    if not _guards and not _stack:
        # `_originals` stays: a method bound while the interceptors were installed, and called
        # after, still reaches redis-py's own.
        _installed.restore()


# -- what the interceptors share ----------------------------------------------------------------


def _consume(plugin: RedisPlugin, args: tuple[Any, ...], options: dict[str, Any]) -> RedisCall:
    """Take the next mock of the command in ``args`` and record the call on it.

    No lock: taking a mock (``popleft``) and recording it (``append``) are each atomic, so every
    call takes exactly one mock and is recorded once, whatever the threads. Calls that overlap in
    time may be recorded in either order.
    """
    __tracebackhide__ = True
    try:
        queue = plugin._lookup[args[0]]
    except (KeyError, IndexError, TypeError):
        queue = plugin._resolve(args, options)
    try:
        mock = queue.popleft()
    except IndexError:
        raise plugin._unmocked(args, options) from None
    mock.args = args
    mock.kwargs = options
    plugin._record(mock)
    return mock


def _result(mock: RedisCall) -> Any:
    """A consumed mock's place in a pipeline's reply list: its value, or its exception."""
    raises = mock.raises
    if raises is None:
        return mock.returns
    return raises() if isinstance(raises, type) else raises


def _run_batch(
    plugin: RedisPlugin, stack: Iterable[Any], transaction: bool, raise_on_error: bool
) -> list[Any]:
    """What a pipeline's ``execute()`` does with its queued commands, sync and asyncio alike."""
    __tracebackhide__ = True
    # Each queued command consumes its own mock, in queue order, recorded like a direct call.
    # A loop, not a comprehension: before Python 3.12 a comprehension is a frame of its own,
    # which would show in the traceback of an unmocked command.
    results = []
    for args, options in stack:
        results.append(_result(_consume(plugin, args, options)))
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


def _unconnected(pool: Any) -> Any:
    # A connection object, never connected: single_connection_client and pipelines ask for one
    # before they run a command, and the command itself is intercepted. It is marked in use, as
    # the pool's own method does, so that release() takes it back.
    connection = pool.make_connection()
    in_use = getattr(pool, "_in_use_connections", None)
    if in_use is not None:
        in_use.add(connection)
    return connection


def _address(connection: Any) -> str:
    host = getattr(connection, "host", None)
    port = getattr(connection, "port", None)
    if host is not None:
        return f"{host}:{port}"
    path = getattr(connection, "path", None)
    return str(path) if path else type(connection).__name__


# -- the sync interceptors ----------------------------------------------------------------------


def execute_command(client: Any, *args: Any, **options: Any) -> Any:
    """``Redis.execute_command``: the call that matters most, so `_consume` is written out here."""
    __tracebackhide__ = True
    lookup, record, plugin = _hot
    try:
        queue = lookup[args[0]]
    except (KeyError, IndexError, TypeError):
        if plugin is _INACTIVE:
            # The call is made after this block, by `_OutsideCall.popleft`: an error raised in
            # here would print this KeyError first, as the error's context.
            queue = _OutsideCall(client, args, options)
        else:
            queue = plugin._resolve(args, options)
    try:
        mock = queue.popleft()
    except IndexError:
        raise plugin._unmocked(args, options) from None
    mock.args = args
    mock.kwargs = options
    record(mock)
    if mock.raises is not None:
        raise mock.raises
    return mock.returns


def immediate_execute_command(pipe: Any, *args: Any, **options: Any) -> Any:
    __tracebackhide__ = True
    plugin = _hot[2]
    if plugin is _INACTIVE:
        owner = _redis_client().Pipeline
        return _outside_command(owner, "immediate_execute_command", pipe, args, options)
    return _immediate(plugin, pipe, args, options)


def _immediate(plugin: RedisPlugin, pipe: Any, args: tuple[Any, ...], options: Any) -> Any:
    """A command a pipeline sends at once (WATCH and what follows it before MULTI)."""
    __tracebackhide__ = True
    mock = _consume(plugin, args, options)
    if mock.raises is not None:
        raise mock.raises
    if mock.command == "WATCH":
        pipe.watching = True
    elif mock.command in _UNWATCHING:
        pipe.watching = False
    return mock.returns


def pipeline_execute(pipe: Any, raise_on_error: bool = True) -> list[Any]:
    __tracebackhide__ = True
    plugin = _hot[2]
    if plugin is _INACTIVE:
        return _outside_execute(_redis_client().Pipeline, pipe, raise_on_error)  # type: ignore[no-any-return]
    stack = pipe.command_stack
    if not stack and not pipe.watching:
        return []
    try:
        return _run_batch(
            plugin, stack, pipe.transaction or pipe.explicit_transaction, raise_on_error
        )
    finally:
        pipe.reset()


class _OutsideCall:
    """Stands for the mock queue of a `execute_command` made with no sandbox open.

    `popleft` makes the call (or the guard refuses it) and gives back the outcome in a mock's
    shape, for `execute_command` to return or raise.
    """

    __slots__ = ("args", "client", "kwargs", "raises", "returns")

    def __init__(self, client: Any, args: tuple[Any, ...], options: dict[str, Any]) -> None:
        self.client = client
        self.args = args
        self.kwargs = options
        self.raises: BaseException | None = None
        self.returns: Any = None

    def popleft(self) -> _OutsideCall:
        __tracebackhide__ = True
        try:
            self.returns = _outside_command(
                _redis_client().Redis, "execute_command", self.client, self.args, self.kwargs
            )
        except BaseException as error:
            self.raises = error
        return self


def _outside_command(
    owner: type, attribute: str, target: Any, args: tuple[Any, ...], options: Any
) -> Any:
    """A command sent with no sandbox open: refused by the guard, or sent by redis-py."""
    __tracebackhide__ = True
    if _guards and _opens_sockets(target):
        raise _refuse(f"redis.{_name(args)}(...) was called") from None
    return _originals[owner, attribute](target, *args, **options)


def _outside_execute(owner: type, pipe: Any, raise_on_error: bool) -> Any:
    """A pipeline executed with no sandbox open: refused by the guard, or run by redis-py.

    For redis.asyncio, what redis-py's method returns is the coroutine the caller awaits.
    """
    __tracebackhide__ = True
    if _guards and _opens_sockets(pipe):
        raise _refused_pipeline(pipe) from None
    return _originals[owner, "execute"](pipe, raise_on_error)


def _check_connecting(connection: Any) -> None:
    """Refuse a connection opened inside the sandbox, or outside it under the guard."""
    __tracebackhide__ = True
    plugin = _hot[2]
    if plugin is not _INACTIVE:
        error = UnmockedConnectionError(_address(connection))
        plugin.verifier.report_unmocked(error)
        raise error
    if _guards and _is_socket_connection(type(connection)):
        raise _refuse(f"a redis connection to {_address(connection)} was opened") from None


def _opens_sockets(client: Any) -> bool:
    """Whether ``client`` (a client or a pipeline) talks to a server over the network.

    Clients whose connections open no socket, such as fakeredis' ``FakeRedis`` and
    ``FakeAsyncRedis``, are never refused: they reach no server.
    """
    connection_class = getattr(getattr(client, "connection_pool", None), "connection_class", None)
    return connection_class is None or _is_socket_connection(connection_class)


def _is_socket_connection(connection_class: type) -> bool:
    # redis-py's connections open their socket in ``_connect``; one that replaces it (fakeredis'
    # ``FakeConnection`` does) connects to something else.
    known = _SOCKET_CONNECTIONS.get(connection_class)
    if known is None:
        opener = next((k for k in connection_class.__mro__ if "_connect" in vars(k)), object)
        known = _SOCKET_CONNECTIONS[connection_class] = (
            opener.__module__.partition(".")[0] in _SOCKET_PACKAGES
        )
    return known


_SOCKET_CONNECTIONS: dict[type, bool] = {}


#: The packages whose own connection classes open sockets.
_SOCKET_PACKAGES = frozenset({"redis", "valkey"})


def _sync_pass_through(owner: type, attribute: str) -> Callable[..., Any]:
    """The interceptor of a connection's or pool's method; redis-py's own runs when allowed."""
    if attribute == "get_connection":

        def get_connection(pool: Any, *args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            if _hot[2] is _INACTIVE:
                return _originals[owner, attribute](pool, *args, **kwargs)
            return _unconnected(pool)

        return get_connection

    def connect(connection: Any, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        _check_connecting(connection)
        return _originals[owner, attribute](connection, *args, **kwargs)

    connect.__name__ = connect.__qualname__ = attribute
    return connect


# -- the asyncio interceptors -------------------------------------------------------------------


async def async_execute_command(client: Any, *args: Any, **options: Any) -> Any:
    __tracebackhide__ = True
    plugin = _hot[2]
    if plugin is _INACTIVE:
        owner = _redis_asyncio_client().Redis
        return await _outside_command(owner, "execute_command", client, args, options)
    mock = _consume(plugin, args, options)
    if mock.raises is not None:
        raise mock.raises
    return mock.returns


async def async_immediate_execute_command(pipe: Any, *args: Any, **options: Any) -> Any:
    __tracebackhide__ = True
    plugin = _hot[2]
    if plugin is _INACTIVE:
        owner = _redis_asyncio_client().Pipeline
        return await _outside_command(owner, "immediate_execute_command", pipe, args, options)
    return _immediate(plugin, pipe, args, options)


async def async_pipeline_execute(pipe: Any, raise_on_error: bool = True) -> list[Any]:
    __tracebackhide__ = True
    plugin = _hot[2]
    if plugin is _INACTIVE:
        owner = _redis_asyncio_client().Pipeline
        return await _outside_execute(owner, pipe, raise_on_error)  # type: ignore[no-any-return]
    stack = pipe.command_stack
    if not stack and not pipe.watching:
        return []
    try:
        return _run_batch(
            plugin, stack, pipe.is_transaction or pipe.explicit_transaction, raise_on_error
        )
    finally:
        await pipe.reset()


def _async_pass_through(owner: type, attribute: str) -> Callable[..., Any]:
    """`_sync_pass_through` for redis.asyncio, whose methods are coroutine functions."""
    if attribute == "get_connection":

        async def get_connection(pool: Any, *args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            if _hot[2] is _INACTIVE:
                return await _originals[owner, attribute](pool, *args, **kwargs)
            return _unconnected(pool)

        return get_connection

    async def connect(connection: Any, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        _check_connecting(connection)
        return await _originals[owner, attribute](connection, *args, **kwargs)

    connect.__name__ = connect.__qualname__ = attribute
    return connect


# -- where they go ------------------------------------------------------------------------------


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


def _connection_methods(connection_class: type) -> list[tuple[type, str]]:
    return [
        (_defining(connection_class, name), name)
        for name in _CONNECTING
        if hasattr(connection_class, name)
    ]


def _pools(module: Any) -> list[type]:
    """The connection pool classes of a redis-py module that define their own get_connection."""
    found = []
    for name in ("ConnectionPool", "BlockingConnectionPool"):
        pool = getattr(module, name, None)
        if pool is not None and "get_connection" in vars(pool):
            found.append(pool)
    return found


@functools.cache
def _async_modules() -> tuple[Any, Any] | None:
    """``redis.asyncio.client`` and ``redis.asyncio.connection``, or None before redis 4.2."""
    try:
        import redis.asyncio.client
        import redis.asyncio.connection
    except ImportError:  # pragma: no cover - redis-py 4.0 and 4.1
        return None
    return redis.asyncio.client, redis.asyncio.connection


def _redis_client() -> Any:
    import redis.client

    return redis.client


def _redis_asyncio_client() -> Any:
    modules = _async_modules()
    assert modules is not None
    return modules[0]


def _interceptors() -> tuple[Patch, ...]:
    """Every (class, attribute, interceptor) installed while anything holds the interception."""
    import redis.client
    import redis.connection

    patches: list[Patch] = [
        (redis.client.Redis, "execute_command", execute_command),
        (redis.client.Pipeline, "immediate_execute_command", immediate_execute_command),
        (redis.client.Pipeline, "execute", pipeline_execute),
    ]
    passing = _connection_methods(redis.connection.Connection)
    passing += [(pool, "get_connection") for pool in _pools(redis.connection)]
    patches += [(owner, name, _sync_pass_through(owner, name)) for owner, name in passing]
    modules = _async_modules()
    if modules is not None:
        aclient, aconnection = modules
        patches += [
            (aclient.Redis, "execute_command", async_execute_command),
            (aclient.Pipeline, "immediate_execute_command", async_immediate_execute_command),
            (aclient.Pipeline, "execute", async_pipeline_execute),
        ]
        passing = _connection_methods(aconnection.Connection)
        passing += [(pool, "get_connection") for pool in _pools(aconnection)]
        patches += [(owner, name, _async_pass_through(owner, name)) for owner, name in passing]
    return tuple(patches)


# -- the guard's refusals -----------------------------------------------------------------------

_SKIP_DIRS: tuple[str, ...] = ()
_RUNNER_DIRS: tuple[str, ...] = ()


def _call_site() -> str:
    """``file:line`` of the first frame outside redis-py and tripwire: the user's code."""
    global _SKIP_DIRS, _RUNNER_DIRS
    if not _SKIP_DIRS:
        import redis

        import tripwire

        _SKIP_DIRS = _directories(redis, tripwire)
        _RUNNER_DIRS = _directories(*(sys.modules.get(name) for name in ("_pytest", "pluggy")))
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_SKIP_DIRS) and not filename.startswith("<frozen"):
            if _RUNNER_DIRS and filename.startswith(_RUNNER_DIRS):
                # pytest called redis-py itself: a finalizer such as addfinalizer(r.flushdb).
                return _finalizer_site(frame)
            return where(filename, frame.f_lineno)
        frame = frame.f_back
    return "an unknown place"  # pragma: no cover


def _directories(*modules: Any) -> tuple[str, ...]:
    return tuple(
        os.path.dirname(str(module.__file__)) + os.sep for module in modules if module is not None
    )


def _finalizer_site(frame: FrameType | None) -> str:
    """Where the fixture is defined whose finalizer pytest is running in ``frame``'s stack."""
    while frame is not None:
        fixture = frame.f_locals.get("self")
        code = getattr(getattr(fixture, "func", None), "__code__", None)
        if code is not None and isinstance(getattr(fixture, "argname", None), str):
            site = where(code.co_filename, code.co_firstlineno)
            return f"{site} (a finalizer of the fixture {fixture.argname!r})"  # type: ignore[union-attr]
        frame = frame.f_back
    return "a finalizer that pytest ran"


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


def _refused_pipeline(pipe: Any) -> UnsandboxedInteractionError:
    names = ", ".join(_name(args) for args, _ in pipe.command_stack)
    pipe.command_stack = []
    return _refuse(f"redis pipeline.execute() [{names}] was called")
