"""Connection faults under the client's own retry policy: redis-py decides what the code sees.

redis-py retries a command that lost its connection or timed out (``Retry`` around sending the
command and reading its reply: in redis-py 8, ten retries with backoff by default; a client built
with ``retry=Retry(NoBackoff(), 0)`` does not retry). A session that injects such a fault at the
call would show the code an error redis-py never lets through, and never the write applied twice
that a retried command makes when the first attempt reached the server.

So when a session draws a fault that redis-py's retry may catch (a ``ConnectionError`` or a
``TimeoutError``, ``BusyLoadingError`` included) for a call of a client (sync, or asyncio:
`through_retries_async`), the call is run through that client's own ``execute_command``, on
a connection that stands for the server
(`_Wire`): each attempt asks the session what happens (a fault before the command took effect,
after it, or the reply), and redis-py's own code decides whether to try again and what reaches
the caller. The backoff between attempts is computed as redis-py computes it, and not slept: an
example costs no wall time. The reply is the session's, already in the shape the client's method
returns, so redis-py's reply parsing is skipped for it (``parse_response`` on the client, for the
length of the call). Drawn, scripted and model sessions share the bookkeeping (`resend`): the
first attempt's answer is the session's usual one, each later attempt gets its own, and each
attempt sent again is recorded. A pipeline's or transaction's batch runs through the
pipeline's own retry policy alike (`batch_retries`); a cluster client still gets the fault at
the call.

Facts relied on (redis-py 4.0 to 8.x, valkey-py 6): ``Redis.execute_command`` uses
``self.connection`` when set (instead of taking one from the pool), calls ``conn.retry.
call_with_retry`` around ``_send_command_parse_response``, which calls ``conn.send_command`` and
then ``self.parse_response(conn, command_name, **options)``; ``Retry`` keeps its backoff in
``_backoff``, whose ``compute(failures)`` it sleeps for and whose ``reset()`` it calls first.
"""

from __future__ import annotations

import copy
import importlib
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from redis import exceptions

from tripwire.plugins.redis_plugin.intercept import interceptors as intercept
from tripwire.plugins.redis_plugin.intercept.libraries import installed

if TYPE_CHECKING:
    from types import CodeType

    from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin

__all__ = [
    "RETRIED",
    "Attempt",
    "client_owner",
    "resend",
    "resend_async",
    "retries_async_of",
    "retries_of",
    "through_retries",
    "through_retries_async",
]


def _of_libraries(*names: str) -> tuple[type[BaseException], ...]:
    """The exception classes called ``names`` of each installed client library (redis-py, and
    valkey-py, whose clients raise its own)."""
    found: list[type[BaseException]] = []
    for library in installed():
        module = importlib.import_module(f"{library.name}.exceptions")
        # valkey-py's root is ValkeyError.
        found.extend(getattr(module, name.replace("Redis", library.name.title())) for name in names)
    return tuple(found) or tuple(getattr(exceptions, name) for name in names)


#: The errors the default retry policy catches: a fault of these classes runs through it.
RETRIED = _of_libraries("ConnectionError", "TimeoutError")
#: What a client's own ``execute_command`` may raise as the outcome of a call.
CLIENT_ERRORS = _of_libraries("RedisError")

#: One attempt's outcome, asked for as the command is sent: ``(returns, raises)``, ``raises``
#: being raised as the reply is read (a reply lost after the command took effect, or a server
#: error reply). An error raised by the function itself is a fault before the command took
#: effect.
Attempt = Callable[[int], tuple[Any, "BaseException | None"]]


class _NoWait:
    """A backoff that computes redis-py's delays and waits for none of them."""

    __slots__ = ("_backoff", "waited")

    def __init__(self, backoff: Any) -> None:
        self._backoff = backoff
        #: The seconds redis-py would have slept, in all.
        self.waited = 0.0

    def reset(self) -> None:
        self._backoff.reset()

    def compute(self, failures: int) -> float:
        self.waited += self._backoff.compute(failures)
        return 0


class _Wire:
    """The connection of one call run through redis-py: each attempt is answered by the session.

    Everything else a connection is asked (its retry settings, ``retry_on_error``, its address
    for redis-py's logs) is the pool's own connection's, never connected.
    """

    def __init__(self, real: Any, attempt: Attempt) -> None:
        self._real = real
        self._attempt = attempt
        self._sent = 0
        self._reply: tuple[Any, BaseException | None] = (None, None)
        retry = copy.copy(real.retry)
        retry._backoff = _NoWait(retry._backoff)
        self.retry = retry

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def connect(self, *args: Any, **kwargs: Any) -> None:
        pass  # the session stands for the server: nothing to open

    def disconnect(self, *args: Any, **kwargs: Any) -> None:
        pass

    def should_reconnect(self) -> bool:
        return False

    def send_command(self, *args: Any, **kwargs: Any) -> None:
        self._sent += 1
        self._reply = (None, None)
        self._reply = self._attempt(self._sent)

    def parse_response(self, connection: Any, command_name: Any, **options: Any) -> Any:
        """What the client's ``parse_response`` gives for this attempt."""
        returns, raises = self._reply
        if raises is not None:
            raise raises
        return returns


class _AsyncWire(_Wire):
    """`_Wire` for an asyncio client, whose connection's methods are coroutines."""

    async def connect(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        pass

    async def disconnect(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        pass

    async def send_command(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _Wire.send_command(self, *args, **kwargs)

    async def parse_response(self, connection: Any, command_name: Any, **options: Any) -> Any:
        return _Wire.parse_response(self, connection, command_name, **options)


#: A connection of each pool, made once and never connected: what a `_Wire` reads its retry
#: settings and address from (making one costs more than the rest of a retried call).
_CONNECTIONS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _connection_of(pool: Any) -> Any:
    connection = _CONNECTIONS.get(pool)
    if connection is None:
        connection = _CONNECTIONS[pool] = pool.connection_class(**pool.connection_kwargs)
    return connection


def retries_async_of(client: Any) -> bool:
    """Whether a call of ``client`` is an asyncio client's that runs through its own retry
    policy here (`through_retries_async`)."""
    return getattr(type(client), "execute_command", None) is intercept.async_execute_command


def retries_of(client: Any) -> bool:
    """Whether a call of ``client`` runs through its own retry policy here: a sync client whose
    ``execute_command`` tripwire replaced (a pipeline or a cluster gets the fault at the call;
    an asyncio client: `retries_async_of`)."""
    return getattr(type(client), "execute_command", None) is intercept.execute_command


def client_owner(client: Any) -> type:
    """The class of ``client`` whose ``execute_command`` tripwire replaced: redis-py's own is
    the one `through_retries` runs."""
    return intercept._owner(client, "execute_command")


def through_retries(
    client: Any, owner: type, args: tuple[Any, ...], options: dict[str, Any], attempt: Attempt
) -> tuple[Any, BaseException | None]:
    """Run ``client.execute_command(*args, **options)`` with redis-py's own method of ``owner``
    and retry policy, each attempt answered by ``attempt(number)`` (1 for the first).

    Returns what the caller gets: ``(value, None)``, or ``(None, error)`` for the error that
    redis-py let through.
    """
    pool = client.connection_pool
    wire = _Wire(_connection_of(pool), attempt)
    own = intercept._originals[owner, "execute_command"]
    saved = client.__dict__.get("connection"), "parse_response" in client.__dict__
    client.connection = wire
    client.parse_response = wire.parse_response
    try:
        return own(client, *args, **options), None
    except CLIENT_ERRORS as error:
        return None, error
    finally:
        client.connection = saved[0]
        if not saved[1]:
            del client.parse_response


async def through_retries_async(
    client: Any, owner: type, args: tuple[Any, ...], options: dict[str, Any], attempt: Attempt
) -> tuple[Any, BaseException | None]:
    """`through_retries` for an asyncio client: its own ``execute_command`` and retry policy."""
    pool = client.connection_pool
    wire = _AsyncWire(_connection_of(pool), attempt)
    own = intercept._originals[owner, "execute_command"]
    saved = client.__dict__.get("connection"), "parse_response" in client.__dict__
    client.connection = wire
    client.parse_response = wire.parse_response
    try:
        return await own(client, *args, **options), None
    except CLIENT_ERRORS as error:
        return None, error
    finally:
        client.connection = saved[0]
        if not saved[1]:
            del client.parse_response


class _Resending:
    """The attempts of one call whose first answer is a fault: each later one answered by a
    mock of its own, each that failed and was sent again recorded, in order."""

    __slots__ = ("args", "current", "first_recorded", "later", "options", "plugin", "resent")

    def __init__(
        self,
        plugin: RedisPlugin,
        args: tuple[Any, ...],
        options: dict[str, Any],
        first: RedisCall,
        later: Callable[[int], RedisCall],
        resent: list[RedisCall],
        first_recorded: bool,
    ) -> None:
        self.plugin = plugin
        self.args = args
        self.options = options
        self.current = first
        self.later = later
        self.resent = resent
        self.first_recorded = first_recorded

    def attempt(self, number: int) -> tuple[Any, BaseException | None]:
        if number > 1:
            # The attempt before this one failed and redis-py sends the command again.
            previous = self.current
            if number > 2 or not self.first_recorded:
                previous._sent = self.args
                previous.kwargs = self.options
                self.plugin._record(previous)
            self.resent.append(previous)
            self.current = self.later(number)
        raises = self.current.raises
        if raises is None:
            return self.current.returns, None
        error = raises() if isinstance(raises, type) else raises
        if isinstance(error, RETRIED):
            # The connection failed: nothing was read. Raised afresh each time (an outage's
            # attempts share the error), not with the tracebacks of the attempts before.
            raise error.with_traceback(None)
        return None, error  # an error reply, read as the reply

    def last(self, raises: BaseException | None, site: tuple[CodeType, int]) -> RedisCall:
        """The mock of the last attempt, given what redis-py let through."""
        current = self.current
        given = current.raises
        if (
            raises is not None
            and raises is not given
            and not (isinstance(given, type) and type(raises) is given)
        ):
            # redis-py raised an error of its own making after the attempts.
            current = self.plugin.new_call(current.command, None, raises, site)
        return current


def resend(
    plugin: RedisPlugin,
    site: tuple[CodeType, int],
    client: Any,
    args: tuple[Any, ...],
    options: dict[str, Any],
    first: RedisCall,
    later: Callable[[int], RedisCall],
    resent: list[RedisCall],
) -> RedisCall:
    """Run a call of the sync ``client`` whose first answer, ``first``, is a fault redis-py may
    retry, through the client's own retry policy: attempt ``number`` (2 for the first retry)
    is answered by the mock ``later(number)``.

    Each attempt that failed and was sent again is recorded as redis-py sent it, and added to
    ``resent``, in order. Returns the mock of the last attempt, what the caller gets (for the
    interception to record); a mock made here counts as registered at ``site``.
    """
    run = _Resending(plugin, args, options, first, later, resent, first_recorded=False)
    _, raises = through_retries(client, client_owner(client), args, options, run.attempt)
    return run.last(raises, site)


async def resend_async(
    plugin: RedisPlugin,
    site: tuple[CodeType, int],
    client: Any,
    args: tuple[Any, ...],
    options: dict[str, Any],
    first: RedisCall,
    later: Callable[[int], RedisCall],
    resent: list[RedisCall],
) -> RedisCall:
    """`resend` for an asyncio client, once the interception recorded ``first``: the last
    attempt's mock is recorded here too, when it is another."""
    run = _Resending(plugin, args, options, first, later, resent, first_recorded=True)
    owner = client_owner(client)
    _, raises = await through_retries_async(client, owner, args, options, run.attempt)
    last = run.last(raises, site)
    if last is not first:
        last._sent = args
        last.kwargs = options
        plugin._record(last)
    return last
