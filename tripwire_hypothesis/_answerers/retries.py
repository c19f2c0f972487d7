"""Connection faults under the client's own retry policy: redis-py decides what the code sees.

redis-py retries a command that lost its connection or timed out (``Retry`` around sending the
command and reading its reply: in redis-py 8, ten retries with backoff by default; a client built
with ``retry=Retry(NoBackoff(), 0)`` does not retry). A session that injects such a fault at the
call would show the code an error redis-py never lets through, and never the write applied twice
that a retried command makes when the first attempt reached the server.

So when a session draws a fault that redis-py's retry may catch (a ``ConnectionError`` or a
``TimeoutError``, ``BusyLoadingError`` included) for a call of a sync client, the call is run
through that client's own ``execute_command``, on a connection that stands for the server
(`_Wire`): each attempt asks the session what happens (a fault before the command took effect,
after it, or the reply), and redis-py's own code decides whether to try again and what reaches
the caller. The backoff between attempts is computed as redis-py computes it, and not slept: an
example costs no wall time. The reply is the session's, already in the shape the client's method
returns, so redis-py's reply parsing is skipped for it (``parse_response`` on the client, for the
length of the call).

Facts relied on (redis-py 4.0 to 8.x, valkey-py 6): ``Redis.execute_command`` uses
``self.connection`` when set (instead of taking one from the pool), calls ``conn.retry.
call_with_retry`` around ``_send_command_parse_response``, which calls ``conn.send_command`` and
then ``self.parse_response(conn, command_name, **options)``; ``Retry`` keeps its backoff in
``_backoff``, whose ``compute(failures)`` it sleeps for and whose ``reset()`` it calls first.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from redis import exceptions

from tripwire.plugins.redis_plugin.intercept import interceptors as intercept

__all__ = ["RETRIED", "Attempt", "client_owner", "retries_of", "through_retries"]

#: The errors redis-py's default retry policy catches: a fault of these classes runs through it.
RETRIED = (exceptions.ConnectionError, exceptions.TimeoutError)

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


def retries_of(client: Any) -> bool:
    """Whether a call of ``client`` runs through its own retry policy here: a sync client whose
    ``execute_command`` tripwire replaced (a pipeline, a cluster or an asyncio client gets the
    fault at the call)."""
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
    wire = _Wire(pool.connection_class(**pool.connection_kwargs), attempt)
    own = intercept._originals[owner, "execute_command"]
    saved = client.__dict__.get("connection"), "parse_response" in client.__dict__
    client.connection = wire
    client.parse_response = wire.parse_response
    try:
        return own(client, *args, **options), None
    except exceptions.RedisError as error:
        return None, error
    finally:
        client.connection = saved[0]
        if not saved[1]:
            del client.parse_response
