"""A pipeline's or transaction's connection faults under the pipeline's own retry policy.

redis-py sends a pipeline's batch (for a transaction: ``MULTI``, the queued commands, ``EXEC``)
in one write and reads its replies, the whole under ``conn.retry.call_with_retry``: a connection
error or a timeout sends the whole batch again. A pipeline that watches keys does not send it
again: its failure callback raises ``WatchError`` (the watch died with the connection), with
retries or without. redis-py 4.x and 5.x send a batch again only for the errors the connection's
``retry_on_timeout`` / ``retry_on_error`` name (by default none), 6.x and later for every error
the policy retries.

So when a session answers a queued command or a transaction's ``EXEC`` with such a fault (the
answerer tells the interception: ``lost_batch``), the batch's first sending ends there, and the
pipeline's own ``execute`` runs, on a connection that stands for the server (`retries._Wire`):
its first sending fails with that fault, each later one is the interception's own
(`interceptors._run_batch`), answered by the session again (drawn afresh, the script's next
steps, run on the model again: a batch whose reply was lost after it took effect applies
twice), or, for an outage, failing at once. redis-py's code decides what the code gets; the
backoff is computed and not slept. Each sending that failed and was sent again is recorded
(its ``MULTI``, queued commands and ``EXEC``), and marked as resent. A cluster pipeline still
gets the fault at the call.

Facts relied on (redis-py 4.0 to 8.x, valkey-py 6): ``Pipeline.execute`` uses
``self.connection`` when set, picks ``self._execute_transaction`` or ``self._execute_pipeline``
(instance attributes win), calls it as ``(conn, stack, raise_on_error)`` inside
``conn.retry.call_with_retry``, skips ``load_scripts`` when ``self.scripts`` is empty, and
calls ``self.reset()`` at the end (and, in 4.x and 5.x, in its failure callback).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tripwire.plugins.redis_plugin.intercept import interceptors as intercept
from tripwire_hypothesis._answerers.retries import RETRIED, _AsyncWire, _connection_of, _Wire
from tripwire_hypothesis._reply_strategies.for_calls import command_name

if TYPE_CHECKING:
    from types import CodeType

    from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin

__all__ = [
    "Lost",
    "batch_retries_of",
    "is_fault",
    "is_transaction",
    "queued_only",
    "resend_batch",
]

#: A batch's sending that lost its connection to a session's fault: the mock that raised it,
#: and where the sending began on the timeline.
Lost = tuple["RedisCall", int]


def batch_retries_of(pipe: Any) -> bool:
    """Whether a batch of ``pipe`` runs through its own retry policy here: a pipeline whose
    ``execute`` tripwire replaced, sync or asyncio (a cluster pipeline gets the fault at the
    call)."""
    execute = getattr(type(pipe), "execute", None)
    return execute is intercept.pipeline_execute or execute is intercept.async_pipeline_execute


def is_transaction(pipe: Any) -> bool:
    """Whether ``pipe``'s batch is a transaction (asyncio pipelines keep the flag in
    ``is_transaction``: their ``transaction`` is a method)."""
    flag = getattr(pipe, "is_transaction", None)
    if flag is None:
        flag = getattr(pipe, "transaction", False)
    return bool(flag or getattr(pipe, "explicit_transaction", False))


def is_fault(raises: Any) -> bool:
    """Whether a mock's ``raises`` is a fault redis-py's retry policy may retry."""
    if isinstance(raises, type):
        return issubclass(raises, RETRIED)
    return isinstance(raises, RETRIED)


class _Sendings:
    """The sendings of one batch whose first one lost its connection to a session's fault."""

    __slots__ = (
        "error",
        "failed",
        "is_outage",
        "number",
        "outage",
        "pipe",
        "plugin",
        "resent",
        "site",
        "stack",
        "transaction",
    )

    def __init__(
        self,
        plugin: RedisPlugin,
        site: tuple[CodeType, int],
        pipe: Any,
        stack: list[Any],
        transaction: bool,
        lost: Lost,
        outage: Callable[[], bool],
        resent: list[RedisCall],
    ) -> None:
        self.plugin = plugin
        self.site = site
        self.pipe = pipe
        self.stack = stack
        self.transaction = transaction
        first, start = lost
        raises = first.raises
        self.error: BaseException = raises() if isinstance(raises, type) else raises  # type: ignore[assignment]
        entries = plugin.verifier.timeline.entries
        end = len(entries)
        while end > start and entries[end - 1] is not first:
            end -= 1  # what other tasks recorded since (asyncio clients taking turns)
        #: What the last sending recorded, until it is known to be sent again.
        self.failed: list[Any] = entries[start:end]
        self.number = 0
        self.outage = outage
        self.is_outage = False
        self.resent = resent

    def send(self, raise_on_error: bool) -> list[Any]:
        """One sending of the batch, as redis-py's ``execute`` makes it."""
        __tracebackhide__ = True
        self.number += 1
        if self.number == 1:
            # Raised afresh: not with the traceback of the interception's sending.
            raise self.error.with_traceback(None)
        # The sending before this one failed, and redis-py sends the batch again.
        self.resent.extend(self.failed)
        if self.number == 2:
            self.is_outage = self.outage()
        plugin = self.plugin
        entries = plugin.verifier.timeline.entries
        start = len(entries)
        # The calling client for the answerer again: asyncio tasks may have run in between.
        intercept._calling.client = self.pipe
        answerer: Any = plugin.answerer
        numbered = hasattr(answerer, "sending")  # for its report: "EXEC, attempt 2"
        if numbered:
            answerer.sending = self.number
        try:
            if self.is_outage:
                self._out_of_reach()
            return intercept._run_batch(
                plugin, self.pipe, self.stack, self.transaction, raise_on_error, self.pipe.watching
            )
        except RETRIED:
            self.failed = entries[start:]
            answerer.lost = None  # handled here, by redis-py's retry policy
            raise
        finally:
            if numbered:
                answerer.sending = 1

    def _out_of_reach(self) -> None:
        """A sending of an outage: its first command fails, nothing reaches the server."""
        plugin = self.plugin
        if self.transaction:
            plugin._record_builtin(("MULTI",), {}, True)
        args, options = self.stack[0]
        # A copy: each attempt's error has no traceback of the attempts before.
        mock = plugin.new_call(command_name(args[0]), None, copy.copy(self.error), self.site)
        mock._sent = args
        mock.kwargs = options
        plugin._record(mock)
        raise mock.raises  # type: ignore[misc]


def _owned(pipe: Any, wire: Any, send: Callable[..., Any], reset: Callable[[], Any]) -> Any:
    """Point ``pipe`` at ``wire`` and ``send``; returns what to put back after."""
    saved = pipe.__dict__.get("connection"), pipe.__dict__.get("scripts")
    pipe.connection = wire
    pipe.scripts = set()  # the interception loads no script: neither does this
    pipe._execute_transaction = pipe._execute_pipeline = send
    pipe.reset = reset  # the interception resets the pipeline once redis-py is done
    return saved


def _restore(pipe: Any, saved: Any) -> None:
    for name in ("_execute_transaction", "_execute_pipeline", "reset"):
        pipe.__dict__.pop(name, None)
    pipe.connection, pipe.scripts = saved


def _unused(number: int) -> tuple[Any, BaseException | None]:
    raise AssertionError("a batch is sent through the pipeline's own execute")  # pragma: no cover


def resend_batch(
    plugin: RedisPlugin,
    site: tuple[CodeType, int],
    pipe: Any,
    stack: list[Any],
    transaction: bool,
    raise_on_error: bool,
    lost: Lost,
    outage: Callable[[], bool],
    resent: list[RedisCall],
) -> Any:
    """Run a batch of ``pipe`` whose first sending lost its connection to a session's fault
    (``lost``) through the pipeline's own ``execute`` and retry policy: what the code gets
    (for an asyncio pipeline, the coroutine that gives it).

    ``outage()``, asked once at the first retry, says whether every later sending fails alike;
    each sending that failed and was sent again is added to ``resent``, its calls in order.
    """
    sendings = _Sendings(plugin, site, pipe, stack, transaction, lost, outage, resent)
    wire_of = _connection_of(pipe.connection_pool)
    own = intercept._originals[intercept._owner(pipe, "execute"), "execute"]
    if getattr(type(pipe), "execute", None) is intercept.async_pipeline_execute:
        return _resend_async(pipe, own, _AsyncWire(wire_of, _unused), sendings, raise_on_error)

    def send(connection: Any, commands: Any, raise_on_error: bool) -> list[Any]:
        __tracebackhide__ = True
        return sendings.send(raise_on_error)

    saved = _owned(pipe, _Wire(wire_of, _unused), send, _nothing)
    try:
        return own(pipe, raise_on_error)
    finally:
        _restore(pipe, saved)


async def _resend_async(
    pipe: Any, own: Any, wire: Any, sendings: _Sendings, raise_on_error: bool
) -> Any:
    async def send(connection: Any, commands: Any, raise_on_error: bool) -> list[Any]:
        __tracebackhide__ = True
        return sendings.send(raise_on_error)

    saved = _owned(pipe, wire, send, _nothing_async)
    try:
        return await own(pipe, raise_on_error)
    finally:
        _restore(pipe, saved)


def _nothing() -> None:
    pass


async def _nothing_async() -> None:
    pass


def queued_only(pipe: Any) -> bool:
    """Whether a command queued on ``pipe`` fails only with its own error reply: a
    transaction's (its ``EXEC`` stands for the connection), or a cluster pipeline's (which gets
    faults at the call); a pipeline's may lose the batch's connection."""
    return is_transaction(pipe) or not batch_retries_of(pipe)
