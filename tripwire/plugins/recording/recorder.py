"""Recording: the calls no mock covers are sent to a real Redis, and its replies become mocks.

`Recorder` is a `RedisPlugin` answerer (see ``RedisPlugin.answerer``): the plugin asks it only on
its slow path, for a call with no mock queued. It sends the call to a real server through a
*twin* of the caller's client (same library, same reply parsing: ``decode_responses``, RESP
version, response callbacks) and answers with what the server said, a reply or an error reply,
exactly as redis-py parsed it. The intercepted call then records it on the timeline as usual.

Only the twins reach the server. They are instances of private subclasses of redis-py's classes
(client, pipeline, connection, pool) whose methods call redis-py's own methods, kept by the
interception; every other object still meets the sandbox's refusals.

Pipelines and transactions: the first queued command the recorder is asked about runs the whole
batch on the server at once (MULTI ... EXEC for a transaction, so it applies atomically); each
queued command is then answered with its own reply, and EXEC with the transaction's outcome.
WATCH and the commands sent before MULTI go through a twin pipeline that keeps its connection,
so the watch holds until the transaction runs.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tripwire._errors import TripwireError, describe_call
from tripwire.plugins.recording.secrets import Placeholders, redact_url, scrub_args, scrub_reply
from tripwire.plugins.redis_plugin.intercept import interceptors as _intercept
from tripwire.plugins.redis_plugin.intercept import libraries as _libraries
from tripwire.plugins.redis_plugin.intercept import sockets as _sockets

if TYPE_CHECKING:
    from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin

__all__ = ["Recorder", "RecordingError", "Twins", "is_reply", "seeding_client", "unreachable"]

#: What a twin takes of the caller's connection settings: whatever changes how replies parse.
_PARSING = ("db", "encoding", "encoding_errors", "decode_responses", "protocol")


class RecordingError(TripwireError, RuntimeError):
    """The recording server could not be reached, or the call cannot be recorded."""


# -- twins: private classes that reach the server -----------------------------------------------


def _original(owner: type, attribute: str) -> Any:
    """redis-py's own method, as the interception keeps it (or as the class has it)."""
    found = _intercept._originals.get((owner, attribute))
    return found if found is not None else vars(owner)[attribute]


def _calling_original(owner: type, attribute: str) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return _original(owner, attribute)(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = attribute
    return method


@dataclass(frozen=True)
class _Classes:
    client: type
    pipeline: type
    pool: type
    #: URL scheme -> the connection class a pool made from such a URL uses.
    connections: dict[str, type]


#: URL scheme -> the name of the connection class redis-py's ``from_url`` picks for it.
_CONNECTIONS = {
    "redis": "Connection",
    "rediss": "SSLConnection",
    "unix": "UnixDomainSocketConnection",
}


@functools.cache
def _twin_classes(library: _libraries.Library) -> _Classes:
    """Subclasses of a library's sync classes whose intercepted methods run the library's own."""
    side = library.sync
    methods = {name: _calling_original(owner, name) for owner, name in side.connection_methods()}
    module = importlib.import_module(f"{library.name}.connection")
    # The same methods, on top of the TLS and unix socket connections: their own ``_connect``
    # wraps the socket in TLS, or opens a unix one.
    # Each keeps the library's own ``_connect``, which the interception refuses elsewhere.
    connections = {
        scheme: type(
            f"Recording{name}",
            (getattr(module, name),),
            {
                **methods,
                _sockets.RECORDING: True,
                "_connect": _calling_original(
                    _libraries._defining(getattr(module, name), "_connect"), "_connect"
                ),
            },
        )
        for scheme, name in _CONNECTIONS.items()
    }
    base_pool = library_pool(library)
    pool = type(
        "RecordingConnectionPool",
        (base_pool,),
        {"get_connection": _calling_original(base_pool, "get_connection")},
    )
    pipeline = type(
        "RecordingPipeline",
        (side.pipeline,),
        {
            "immediate_execute_command": _calling_original(
                side.pipeline, "immediate_execute_command"
            ),
            "execute": _calling_original(side.pipeline, "execute"),
        },
    )
    client = type(
        "RecordingClient",
        (side.client,),
        {"execute_command": _calling_original(side.client, "execute_command")},
    )
    return _Classes(client, pipeline, pool, connections)


def library_pool(library: _libraries.Library) -> type:
    """The library's ``ConnectionPool``, the first of the pools it intercepts."""
    return library.sync.pools[0]


def _library_of(target: Any) -> _libraries.Library:
    for library in _libraries.installed():
        side = library.asyncio
        if isinstance(target, library.sync.client) or (
            side is not None and isinstance(target, side.client)
        ):
            return library
    raise RecordingError(f"cannot record a call made through {type(target).__qualname__}")


class Twins:
    """The recording server's clients: one twin per client of the code under test."""

    def __init__(self, url: str) -> None:
        self.url = url
        #: (id(pool), id(callbacks)) of the code's clients -> (pool, callbacks, their twin); the
        #: objects are kept so that their ids stay their own. A pipeline shares its client's.
        self._clients: dict[tuple[int, int], tuple[Any, Any, Any]] = {}
        self._pools: list[Any] = []

    def client(self, library: _libraries.Library, settings: dict[str, Any]) -> Any:
        """A twin client of ``library`` with these connection settings (`_PARSING`), checked to
        reach the server (a refused connection or password is the recording's, not a reply)."""
        classes = _twin_classes(library)
        pool_class: Any = classes.pool
        connection = classes.connections[urlsplit(self.url).scheme]
        pool = pool_class.from_url(self.url, connection_class=connection, **settings)
        # redis-py 4.0 lets the URL's scheme choose the class over the argument.
        pool.connection_class = connection
        self._pools.append(pool)
        twin = classes.client(connection_pool=pool)
        try:
            twin.ping()
        except Exception as error:
            raise unreachable(self.url, error) from error
        return twin

    def twin_of(self, client: Any) -> Any:
        """The twin of a client (or pipeline) of the code under test, made on first use."""
        library = _library_of(client)
        pool, callbacks = client.connection_pool, client.response_callbacks
        key = (id(pool), id(callbacks))
        known = self._clients.get(key)
        if known is not None:
            return known[2]
        kwargs = pool.connection_kwargs
        settings = {name: kwargs[name] for name in _PARSING if kwargs.get(name) is not None}
        twin = self.client(library, settings)
        # The caller's own callbacks, so that replies parse as the caller would parse them.
        twin.response_callbacks = callbacks
        self._clients[key] = (pool, callbacks, twin)
        return twin

    def pipeline_of(self, twin: Any, transaction: bool) -> Any:
        pipe = twin.pipeline(transaction=transaction)
        pipe.__class__ = _twin_classes(_library_of(twin)).pipeline
        return pipe

    def close(self) -> None:
        self._clients.clear()
        for pool in self._pools:
            pool.disconnect()
        self._pools.clear()


def seeding_client(twins: Twins) -> Any:
    """A redis-py client of the recording server for the test's own setup, refused inside the
    sandbox (where the calls are the code's, and are recorded)."""
    library = next(lib for lib in _libraries.installed() if lib.name == "redis")
    client = twins.client(library, {})
    client.__class__ = _seeding_class(library)
    return client


@functools.cache
def _seeding_class(library: _libraries.Library) -> type:
    base: Any = _twin_classes(library).client

    def execute_command(self: Any, *args: Any, **options: Any) -> Any:
        if _intercept._stack:
            raise RecordingError(
                "tripwire_record_client was called inside `with tripwire:`. It arranges the "
                "recording server's data before the sandbox opens; inside it, the calls are the "
                "code under test's, and are recorded."
            )
        return base.execute_command(self, *args, **options)

    return type("SeedingClient", (base,), {"execute_command": execute_command})


# -- where the call came from -------------------------------------------------------------------

#: The interceptors' code objects, and the name of their local holding the caller's object.
_CALLERS: dict[CodeType, str] = {
    _intercept.execute_command.__code__: "client",
    _intercept.async_execute_command.__code__: "client",
    _intercept._immediate.__code__: "pipe",
    _intercept._run_batch.__code__: "stack",
}


def _intercepted_frame() -> FrameType:
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_code not in _CALLERS:
        frame = frame.f_back
    if frame is None:
        raise RecordingError(
            "the recorder supports redis-py's clients, pipelines and transactions, sync and "
            "asyncio; Redis Cluster and pub/sub are not supported yet. Register mocks for this "
            "call by hand: tripwire.redis.mock_command(...)."
        )
    return frame


# -- the answerer -------------------------------------------------------------------------------


def is_reply(error: BaseException) -> bool:
    """Whether ``error`` is the server's answer (an error reply, a lost race), recorded as
    ``raises``, rather than a failure to reach the server."""
    return isinstance(error, _reply_errors())


@functools.cache
def _reply_errors() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = []
    for library in _libraries.installed():
        exceptions = importlib.import_module(f"{library.name}.exceptions")
        # A refused password is the reply to the code's own AUTH or HELLO: the twin's connection
        # was checked when it was made (`Twins.client`).
        found += [
            exceptions.ResponseError,
            exceptions.WatchError,
            exceptions.AuthenticationError,
        ]
    return tuple(found)


@dataclass
class _Batch:
    """A pipeline's queued commands, run on the server when the first of them was answered."""

    stack: Any
    results: list[Any]
    #: The error the whole batch raised (a lost race, an aborted transaction), if any.
    error: BaseException | None = None
    #: How many of the stack's commands were answered so far.
    answered: int = 0


class Recorder:
    """The ``answerer`` of a recorded test's `RedisPlugin`."""

    def __init__(
        self,
        plugin: RedisPlugin,
        twins: Twins,
        site: tuple[CodeType, int],
        placeholders: Placeholders | None = None,
    ) -> None:
        self._plugin = plugin
        self._placeholders = placeholders or Placeholders({})
        self._twins = twins
        self._site = site
        #: id(pipeline of the code) -> (that pipeline, its twin), for WATCH and what follows.
        self._pipes: dict[int, tuple[Any, Any]] = {}
        self._batch: _Batch | None = None
        #: The mocks made so far, in call order, each with the repr of its reply at that moment
        #: and a note for the reader (empty if none).
        self.answered: list[tuple[RedisCall, str, str]] = []
        self.in_batch = False

    def __call__(self, args: tuple[Any, ...], options: dict[str, Any]) -> RedisCall:
        __tracebackhide__ = True
        frame = _intercepted_frame()
        name = _name(args[0])
        if _CALLERS[frame.f_code] == "stack":
            return self._queued(frame, name, args)
        try:
            if _CALLERS[frame.f_code] == "pipe":
                twin = self._twin_pipe(frame.f_locals["pipe"])
                reply = twin.immediate_execute_command(*args, **dict(options))
            else:
                twin = self._twins.twin_of(frame.f_locals["client"])
                reply = twin.execute_command(*args, **dict(options))
        except Exception as error:
            return self._failed(name, args, options, error)
        return self._answer(name, reply, None)

    def answer_exec(self, watching: bool) -> RedisCall:
        __tracebackhide__ = True
        frame = _intercepted_frame()
        batch = self._batch
        if batch is None or batch.stack is not frame.f_locals["stack"]:
            # Every queued command had a mock of its own: the transaction runs now.
            batch = self._run(frame)
        self._batch = None
        if batch.error is None:
            # A committing EXEC needs no mock: nothing to print for it.
            return self._plugin.new_call("EXEC", None, None, self._site)
        return self._answer("EXEC", None, batch.error)

    def unused(self) -> list[RedisCall]:
        return []  # every answer is made for the call that needs it

    def close(self) -> None:
        for _, twin in self._pipes.values():
            twin.reset()
        self._pipes.clear()

    # -- pipelines ------------------------------------------------------------------------------

    def _twin_pipe(self, pipe: Any) -> Any:
        known = self._pipes.get(id(pipe))
        if known is None:
            twin = self._twins.pipeline_of(self._twins.twin_of(pipe), transaction=True)
            known = self._pipes[id(pipe)] = (pipe, twin)
        return known[1]

    def _queued(self, frame: FrameType, name: str, args: tuple[Any, ...]) -> RedisCall:
        batch = self._batch
        if batch is None or batch.stack is not frame.f_locals["stack"]:
            batch = self._run(frame)
        stack = batch.stack
        for index in range(batch.answered, len(stack)):
            if stack[index][0] is args:
                batch.answered = index + 1
                break
        else:  # pragma: no cover - the interception passes the stack's own tuples
            raise RecordingError(f"{name} is not one of the pipeline's queued commands")
        if batch.error is not None:
            return self._answer(name, None, None, "queued; the transaction did not commit")
        result = batch.results[index]
        if isinstance(result, BaseException):
            return self._answer(name, None, result)
        return self._answer(name, result, None)

    def _run(self, frame: FrameType) -> _Batch:
        """Run the batch of the `_run_batch` frame ``frame`` on the server."""
        local = frame.f_locals
        stack = local["stack"]
        caller = frame.f_back
        assert caller is not None
        pipe = caller.f_locals["pipe"]
        twin = self._twin_pipe(pipe)
        twin.transaction = bool(local["transaction"])
        # Copies: redis-py consumes options (``keys``) that the timeline keeps for assertions.
        twin.command_stack = [(args, dict(options)) for args, options in stack]
        twin.scripts = set(getattr(pipe, "scripts", ()))
        batch = _Batch(stack, [])
        try:
            batch.results = twin.execute(raise_on_error=False)
        except Exception as error:
            if not is_reply(error):
                raise unreachable(self._twins.url, error) from error
            batch.error = error
        self._batch = batch
        return batch

    # -- answers --------------------------------------------------------------------------------

    def _answer(
        self, name: str, returns: Any, raises: BaseException | None, note: str = ""
    ) -> RedisCall:
        mock = self._plugin.new_call(name, returns, raises, self._site)
        shown = self._placeholders.code(scrub_reply(name, returns))
        self.answered.append((mock, shown, note))
        return mock

    def _failed(
        self, name: str, args: tuple[Any, ...], options: dict[str, Any], error: Exception
    ) -> RedisCall:
        __tracebackhide__ = True
        if is_reply(error):
            return self._answer(name, None, error)
        raise unreachable(self._twins.url, error, args, options) from error


def unreachable(
    url: str, error: BaseException, args: tuple[Any, ...] = (), options: Any = None
) -> BaseException:
    """The error to raise when the recording server at ``url`` did not answer a call."""
    if isinstance(error, TripwireError):
        return error
    call = ""
    if args:
        name = _name(args[0])
        shown = scrub_args(name, args[1:])
        call = f" redis.{name}({describe_call(shown, options or {})})"
    return RecordingError(
        f"The recording server at {redact_url(url)} did not answer{call}: "
        f"{type(error).__name__}: {str(error).rstrip('.')}. Check that it is running (pytest "
        "--tripwire-record-url=redis://127.0.0.1:6379/0), or let tripwire start one."
    )


def _name(spelling: Any) -> str:
    if isinstance(spelling, bytes):
        spelling = spelling.decode("utf-8", "replace")
    return str(spelling).upper()
