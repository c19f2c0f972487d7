"""Where redis-py is intercepted, and what happens there inside and outside the sandbox.

The interceptors are module-level functions, installed on redis-py's classes once and left in
place while anything needs them: a test that refuses real Redis (the guard) or an open sandbox.
Opening or closing a sandbox only changes which `RedisPlugin` is *active*; it sets no class
attribute. That keeps a sandbox cheap to open (a Hypothesis test opens one per example) and leaves
redis-py's classes, and the interpreter's caches of their attributes, alone.

With a plugin active, commands, pipelines, transactions and their asyncio twins consume its mocks;
connection pools hand out connections that never connect. Below them (`sockets`), every
connection method that opens a socket, sends or reads is refused (`UnmockedConnectionError`),
whoever holds the connection and whenever it connected: a PubSub, a cluster node, a pipeline's
``reset``, a connection used directly. So nothing reaches the network. With none active, the
guard refuses both layers with `UnsandboxedInteractionError`, and without a guard the call goes
to redis-py's own method.

Facts relied on (redis-py 4.0 to 8.x): ``Redis.execute_command(self, *args, **options)``;
``Pipeline.command_stack`` holds ``(args, options)`` pairs; pipelines send WATCH and the commands
that follow it before MULTI through ``immediate_execute_command``; the sync pipeline's transaction
flag is ``transaction``, the asyncio one's ``is_transaction``; asyncio ``Pipeline.reset`` is a
coroutine function.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from tripwire._plugin import Patches
from tripwire.plugins.redis_plugin.intercept import children as _children
from tripwire.plugins.redis_plugin.intercept import connections as _connections
from tripwire.plugins.redis_plugin.intercept import libraries as _libraries
from tripwire.plugins.redis_plugin.intercept import refusals as _refusals

if TYPE_CHECKING:
    from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin

__all__ = ["activate", "calling_client", "deactivate", "extend", "guard"]

Patch = tuple[type, str, Callable[..., Any]]

#: Commands after which a pipeline no longer watches keys (as redis-py's parse_response).
_UNWATCHING = frozenset({"UNWATCH", "DISCARD", "EXEC"})


#: Stands for the active plugin when no sandbox is open.
_INACTIVE: Any = object()

#: Every activated plugin, in activation order. The last one, the innermost open sandbox's, is
#: the one whose mocks the intercepted calls consume.
_stack: list[RedisPlugin] = []
#: What the interceptors need of that plugin, read in one step: its lookup, its timeline's
#: entries, and the plugin itself. Derived from `_stack` by `_refresh`.
_hot: tuple[dict[Any, Any], list[Any], Any] = ({}, [], _INACTIVE)
#: How many guards are on; with none, calls outside the sandbox reach redis-py.
_guards = 0
_installed = Patches()
#: redis-py's own methods, by (class, attribute), for calls made with no plugin active.
_originals: dict[tuple[type, str], Any] = {}
_lock = threading.RLock()
#: The client or pipeline whose call found no mock queued, in each thread: what an answerer
#: needs to know of it (a model's ``db``, a cluster's reply shape). Set on the slow paths only.
_calling = threading.local()
#: Further interceptors for each library (connections and pools, the cluster and PubSub clients),
#: each a function of an installed `_libraries.Library`. Registered through `extend` by the
#: modules that define them, which import this one.
_extensions: list[Callable[[Any], list[Patch]]] = []
#: Set while asyncio clients run one at a time (tripwire_hypothesis' ``concurrently_async``):
#: awaited around each command and batch, ``await async_gate(run, *arguments)``, to wait for
#: the task's turn before ``run(*arguments)`` answers it.
async_gate: Callable[..., Any] | None = None


def extend(provider: Callable[[Any], list[Patch]]) -> None:
    """Install ``provider(library)``'s interceptors with these, for every installed library."""
    if provider not in _extensions:
        _extensions.append(provider)


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
    # The last client answered in this thread is not kept alive past its sandbox.
    _calling.client = None


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
    if plugin is _INACTIVE:
        _hot = ({}, [], plugin)
    else:
        _hot = (plugin._lookup, plugin.verifier.timeline.entries, plugin)


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
        mock = plugin._exhausted(args, options)
    try:
        # Not mutated: `not in` hashes the arguments all the same.
        args in {None}  # noqa: B015 - see execute_command  # pragma: no mutate
    except (TypeError, ValueError):
        args = _snapshot(args)
    mock._sent = args
    mock.kwargs = options
    plugin._record(mock)
    return mock


def _remember_config(mock: Any, client: Any) -> None:
    """Keep the caller's response callbacks on ``mock``, for the reply check (see
    `execute_command`)."""
    try:  # noqa: SIM105 - as in execute_command
        mock._config = client.response_callbacks
    except AttributeError:
        pass  # a cluster pipeline, or a client of its own making: the default replies


def _snapshot(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """``args`` with each mutable buffer copied: what was sent, whatever the caller does next.

    A ``bytearray`` stays one; a ``memoryview`` becomes the bytes it showed.
    """
    copied = []
    for arg in args:
        if isinstance(arg, bytearray):
            arg = bytearray(arg)
        elif isinstance(arg, memoryview):
            try:
                hash(arg)  # only a read-only view of bytes can be hashed, and cannot change
            except (TypeError, ValueError):
                arg = arg.tobytes()
        copied.append(arg)
    return tuple(copied)


def _result(mock: RedisCall) -> Any:
    """A consumed mock's place in a pipeline's reply list: its value, or its exception."""
    raises = mock.raises
    if raises is None:
        return mock.returns
    return raises() if isinstance(raises, type) else raises


def _run_batch(
    plugin: RedisPlugin,
    pipe: Any,
    stack: Iterable[Any],
    transaction: bool,
    raise_on_error: bool,
    watching: bool,
) -> list[Any]:
    """What a pipeline's ``execute()`` does with its queued commands, sync and asyncio alike.

    A transaction is recorded as redis-py sends it (tests/realserver/test_transactions.py):
    MULTI, which needs no mock, the queued commands, then EXEC.
    """
    __tracebackhide__ = True
    answerer = plugin.answerer
    # Where this sending of the batch begins on the timeline, should it be sent again.
    start = 0 if answerer is None else len(plugin.verifier.timeline.entries)
    if transaction:
        plugin._record_builtin(("MULTI",), {}, True)
    # Each queued command consumes its own mock, in queue order, recorded like a direct call.
    # A loop, not a comprehension: before Python 3.12 a comprehension is a frame of its own,
    # which would show in the traceback of an unmocked command.
    results = []
    if answerer is not None:
        answerer.in_batch = True
    try:
        for args, options in stack:
            mock = _consume(plugin, args, options)
            _remember_config(mock, pipe)
            if mock.raises is None:
                results.append(mock.returns)
            elif _lost(answerer, mock, start):
                # A session's fault of the batch's connection: no later reply is read.
                raise _result(mock)
            else:
                results.append(_result(mock))
    finally:
        if answerer is not None:
            # Not mutated: every answerer reads it only as true or false, so None is the same.
            answerer.in_batch = False  # pragma: no mutate
    if transaction:
        # An EXEC mock, when one is queued, decides whether the transaction commits: its
        # `raises` fails it as Redis would (WatchError when a watched key changed). Its
        # `returns` is not used; the queued commands' mocks are the reply.
        exec_call = plugin._consume_if_queued(("EXEC",), {})
        if exec_call is None:
            exec_call = plugin._exec_without_mock(watching)
        if exec_call.raises is not None:
            _lost(answerer, exec_call, start)
            raise _result(exec_call)
    if raise_on_error:
        for result in results:
            if isinstance(result, BaseException):
                raise result
    return results


def _lost(answerer: Any, mock: RedisCall, start: int) -> bool:
    """Whether ``mock``, which raises, is a session's fault of a batch's connection, which the
    pipeline's own retry policy may send again (told to the answerer with the timeline index
    where this sending of the batch began: `_resending`)."""
    lost = getattr(answerer, "lost_batch", None)
    return lost is not None and bool(lost(mock, start))


def _resending(plugin: RedisPlugin) -> Any:
    """The answerer's ``resend_batch``, when the batch that just failed lost its connection
    to a session's fault; None otherwise (the error is the caller's)."""
    answerer = plugin.answerer
    if getattr(answerer, "lost", None) is None:
        return None
    return answerer.resend_batch  # type: ignore[union-attr]


# -- the sync interceptors ----------------------------------------------------------------------


def execute_command(client: Any, *args: Any, **options: Any) -> Any:
    """``Redis.execute_command``: the call that matters most, so `_consume` is written out here."""
    __tracebackhide__ = True
    lookup, entries, plugin = _hot
    try:
        # Hashing the arguments (in C, the str hashes cached) raises for a bytearray or a
        # writable memoryview (TypeError, ValueError), which the caller may change once the
        # call returns; `_consume` copies them. Not mutated: `not in` hashes them all the same.
        args in {None}  # noqa: B015  # pragma: no mutate
        mock = lookup[args[0]].popleft()
    except (KeyError, IndexError, TypeError, ValueError):
        # Also a spelling of the command not seen yet, or no mock left: `_consume` sorts it out.
        if plugin is _INACTIVE:
            # The call is made when the mock's `raises` is read, after this block: an error
            # raised in here would print this exception first, as the error's context.
            mock = _OutsideCall(client, args, options)
        else:
            _calling.client = client
            mock = _consume(plugin, args, options)
    else:
        mock._sent = args
        mock.kwargs = options
        # ``entries.append``, not a bound ``append`` kept aside: the interpreter has a fast path
        # for the former that pays for the hashing above.
        entries.append(mock)
    try:  # noqa: SIM105 - free when nothing is raised; contextlib.suppress is a call
        # The caller's response callbacks, which decide its replies, for the reply check when
        # the sandbox closes: a plain attribute (its pool's ``connection_kwargs`` is a property
        # in redis-py 8), and not the client, whose finaliser's warnings keeping it would move.
        mock._config = client.response_callbacks
    except AttributeError:
        pass  # a client of its own making: checked against the default replies
    raises = mock.raises
    if raises is not None:
        raise raises
    return mock.returns


def immediate_execute_command(pipe: Any, *args: Any, **options: Any) -> Any:
    __tracebackhide__ = True
    plugin = _hot[2]
    if plugin is _INACTIVE:
        owner = _owner(pipe, "immediate_execute_command")
        return _outside_command(owner, "immediate_execute_command", pipe, args, options)
    return _immediate(plugin, pipe, args, options)


def _immediate(plugin: RedisPlugin, pipe: Any, args: tuple[Any, ...], options: Any) -> Any:
    """A command a pipeline sends at once (WATCH and what follows it before MULTI)."""
    __tracebackhide__ = True
    _calling.client = pipe
    mock = _consume(plugin, args, options)
    if mock.raises is not None:
        raise mock.raises
    if mock.command == "WATCH":
        pipe.watching = True
    elif mock.command in _UNWATCHING:
        # Not mutated: redis-py and tripwire read it only as true or false, so None is the same.
        pipe.watching = False  # pragma: no mutate
    return mock.returns


def pipeline_execute(pipe: Any, raise_on_error: bool = True) -> list[Any]:
    __tracebackhide__ = True
    plugin = _hot[2]
    if plugin is _INACTIVE:
        return _outside_execute(_owner(pipe, "execute"), pipe, raise_on_error)  # type: ignore[no-any-return]
    stack = pipe.command_stack
    if not stack and not pipe.watching:
        return []
    try:
        transaction = pipe.transaction or pipe.explicit_transaction
        _calling.client = pipe
        try:
            return _run_batch(plugin, pipe, stack, transaction, raise_on_error, pipe.watching)
        except BaseException:
            resend = _resending(plugin)
            if resend is None:
                raise
        # A session's fault of the connection: the pipeline's own retry policy decides.
        return resend(pipe, stack, transaction, raise_on_error)  # type: ignore[no-any-return]
    finally:
        pipe.reset()


class _OutsideCall:
    """Stands for the mock of an `execute_command` made with no sandbox open.

    Reading `raises` makes the call (or the guard refuses it), once, and keeps its outcome in a
    mock's shape, for `execute_command` to raise or return.
    """

    __slots__ = ("_config", "args", "client", "kwargs", "returns")

    #: Set by reading `raises`, and read only when that found no error.
    returns: Any

    def __init__(self, client: Any, args: tuple[Any, ...], options: dict[str, Any]) -> None:
        self.client = client
        self.args = args
        self.kwargs = options

    @property
    def raises(self) -> BaseException | None:
        __tracebackhide__ = True
        client = self.client
        try:
            owner = _owner(client, "execute_command")
            self.returns = _outside_command(
                owner, "execute_command", client, self.args, self.kwargs
            )
        except BaseException as error:
            return error
        return None


def _outside_command(
    owner: type, attribute: str, target: Any, args: tuple[Any, ...], options: Any
) -> Any:
    """A command sent with no sandbox open: refused by the guard, or sent by redis-py."""
    __tracebackhide__ = True
    if _guards and _connections.client_opens_sockets(target):
        raise _refusals.refused_command(args) from None
    return _originals[owner, attribute](target, *args, **options)


def _outside_execute(owner: type, pipe: Any, raise_on_error: bool) -> Any:
    """A pipeline executed with no sandbox open: refused by the guard, or run by redis-py.

    For redis.asyncio, what redis-py's method returns is the coroutine the caller awaits.
    """
    __tracebackhide__ = True
    if _guards and _connections.client_opens_sockets(pipe):
        raise _refusals.refused_pipeline(pipe) from None
    return _originals[owner, "execute"](pipe, raise_on_error)


# -- the asyncio interceptors -------------------------------------------------------------------


async def async_execute_command(client: Any, *args: Any, **options: Any) -> Any:
    __tracebackhide__ = True
    plugin = _hot[2]
    if plugin is _INACTIVE:
        owner = _owner(client, "execute_command")
        return await _outside_command(owner, "execute_command", client, args, options)
    gate = async_gate
    if gate is not None:
        mock = await gate(_async_consume, plugin, client, args, options)
    else:
        mock = _async_consume(plugin, client, args, options)
    if mock.raises is not None:
        # A fault a session answered at the connection: the client's own retry policy decides
        # what the caller gets (an answerer that can tell says so).
        retried = getattr(plugin.answerer, "retried_async", None)
        if retried is not None:
            last: RedisCall = await retried(mock)
            if last.raises is None:
                return last.returns
            raise last.raises
        raise mock.raises
    return mock.returns


def _async_consume(
    plugin: RedisPlugin, client: Any, args: tuple[Any, ...], options: Any
) -> RedisCall:
    __tracebackhide__ = True
    _calling.client = client
    mock = _consume(plugin, args, options)
    _remember_config(mock, client)
    return mock


async def async_immediate_execute_command(pipe: Any, *args: Any, **options: Any) -> Any:
    __tracebackhide__ = True
    plugin = _hot[2]
    if plugin is _INACTIVE:
        owner = _owner(pipe, "immediate_execute_command")
        return await _outside_command(owner, "immediate_execute_command", pipe, args, options)
    gate = async_gate
    if gate is not None:
        return await gate(_immediate, plugin, pipe, args, options)
    return _immediate(plugin, pipe, args, options)


async def async_pipeline_execute(pipe: Any, raise_on_error: bool = True) -> list[Any]:
    __tracebackhide__ = True
    plugin = _hot[2]
    if plugin is _INACTIVE:
        owner = _owner(pipe, "execute")
        return await _outside_execute(owner, pipe, raise_on_error)  # type: ignore[no-any-return]
    stack = pipe.command_stack
    if not stack and not pipe.watching:
        return []
    try:
        transaction = pipe.is_transaction or pipe.explicit_transaction
        gate = async_gate
        try:
            if gate is not None:
                return await gate(  # type: ignore[no-any-return]
                    _async_batch, plugin, pipe, stack, transaction, raise_on_error
                )
            _calling.client = pipe
            return _run_batch(plugin, pipe, stack, transaction, raise_on_error, pipe.watching)
        except BaseException:
            resend = _resending(plugin)
            if resend is None:
                raise
        # A session's fault of the connection: the pipeline's own retry policy decides.
        return await resend(pipe, stack, transaction, raise_on_error)  # type: ignore[no-any-return]
    finally:
        await pipe.reset()


def _async_batch(
    plugin: RedisPlugin, pipe: Any, stack: Any, transaction: bool, raise_on_error: bool
) -> list[Any]:
    __tracebackhide__ = True
    _calling.client = pipe
    return _run_batch(plugin, pipe, stack, transaction, raise_on_error, pipe.watching)


def calling_client() -> Any:
    """The client or pipeline whose call, in this thread, is being answered with no mock
    queued (by a plugin's ``answerer``); None if unknown."""
    return getattr(_calling, "client", None)


# -- where they go ------------------------------------------------------------------------------


def _owner(target: Any, attribute: str) -> type:
    """The class whose ``attribute`` was replaced for ``target``, a client or pipeline of
    redis-py or valkey-py (or a subclass): its own method is ``_originals[owner, attribute]``.

    Called only outside the sandbox, on the way to the library's own method.
    """
    cls = type(target)
    # Not mutated: a cache, which changes only the speed (a class missing from it is looked up).
    owner = _OWNERS.get((cls, attribute))  # pragma: no mutate
    if owner is None:
        owner = _OWNERS[cls, attribute] = next(
            klass for klass in cls.__mro__ if (klass, attribute) in _originals
        )
    return owner


#: `_owner`'s answers, by (class of the target, attribute).
_OWNERS: dict[tuple[type, str], type] = {}


def _interceptors() -> tuple[Patch, ...]:
    """Every (class, attribute, interceptor) installed while anything holds the interception."""
    patches: list[Patch] = []
    for library in _libraries.installed():
        sync = library.sync
        patches += [
            (sync.client, "execute_command", execute_command),
            (sync.pipeline, "immediate_execute_command", immediate_execute_command),
            (sync.pipeline, "execute", pipeline_execute),
        ]
        side = library.asyncio
        if side is not None:
            patches += [
                (side.client, "execute_command", async_execute_command),
                (side.pipeline, "immediate_execute_command", async_immediate_execute_command),
                (side.pipeline, "execute", async_pipeline_execute),
            ]
        for provide in _extensions:
            patches += provide(library)
    if patches:
        # Processes started meanwhile (spawn, forkserver) refuse real Redis too. Imported here:
        # importing tripwire does not load multiprocessing.
        import multiprocessing.process

        process = multiprocessing.process.BaseProcess
        start = _children.refusing_start(vars(process)["start"], guard)
        patches.append((process, "start", start))
    return tuple(patches)
