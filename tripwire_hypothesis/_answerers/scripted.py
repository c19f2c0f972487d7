"""Scripted answers: `Step`, the calls a session saw (`ConsumedStep`), and the `Script` answerer.

A `Step` is one command's answer, written by hand or printed by a failure report; a `Script` gives
a session's steps, in order per command, to the calls that no mock covers.
"""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tripwire._errors import safe_repr
from tripwire.plugins.redis_plugin.call import own_copy
from tripwire.plugins.redis_plugin.passwords import scrub_args
from tripwire_hypothesis._checks import invalid
from tripwire_hypothesis._reproduction import error_code

if TYPE_CHECKING:
    from types import CodeType

    from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin

__all__ = ["ConsumedStep", "Script", "Step", "normalise"]


@functools.lru_cache(maxsize=1024)
def normalise(command: str) -> str:
    """``"script  load"`` -> ``"SCRIPT LOAD"``: upper case, single spaces."""
    name = _NORMALISED.get(command)
    if name is None:
        name = " ".join(command.split()).upper()
        if len(_NORMALISED) < 1024:
            _NORMALISED[command] = name
    return name


#: The names `normalise` has seen: assert_sent spells the same few in every example.
_NORMALISED: dict[str, str] = {}


def _command_name(function: str, argument: str, value: object) -> str:
    if type(value) is not str or not value.strip():
        raise invalid(function, argument, "a non-empty str", value)
    return normalise(value)


@dataclass(frozen=True, slots=True)
class Step:
    """One scripted Redis command: the reply its mock returns, or the error it raises.

    ``Step("GET", returns=b"1")`` and ``Step("GET", raises=redis.exceptions.TimeoutError())``
    build steps by hand, for ``@example(session=RedisSession([...]))``.

    A connection error or a timeout is a fault of the call's connection: the client's own
    retry policy sends the command again (in a pipeline, its whole batch: each command takes
    its next step), answered by the command's next step, unless
    ``outage=True``, the server out of reach for every attempt, when the code sees the error
    once the policy gives up.
    """

    command: str
    returns: Any = None
    raises: BaseException | type[BaseException] | None = None
    outage: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "command", _command_name("Step", "command", self.command))
        raises = self.raises
        if raises is not None and not (
            isinstance(raises, BaseException)
            or (isinstance(raises, type) and issubclass(raises, BaseException))
        ):
            raise invalid("Step", "raises", "an exception instance, class or None", raises)
        if type(self.outage) is not bool:
            raise invalid("Step", "outage", "a bool", self.outage)
        if self.outage and raises is None:
            raise invalid("Step", "outage", "False for a step that raises nothing", self.outage)

    @property
    def failed(self) -> bool:
        """Whether this step raises an error instead of replying."""
        return self.raises is not None

    def registration(self, *, required: bool = True) -> str:
        """The ``tripwire.redis.mock_command(...)`` line that registers this step."""
        options = [f"returns={safe_repr(self.returns)}"]
        if self.raises is not None:
            options.append(f"raises={error_code(self.raises)}")
        if not required:
            options.append("required=False")
        return f"tripwire.redis.mock_command({self.command!r}, {', '.join(options)})"

    def __repr__(self) -> str:
        if self.raises is not None:
            outage = ", outage=True" if self.outage else ""
            return f"Step({self.command!r}, raises={error_code(self.raises)}{outage})"
        return f"Step({self.command!r}, returns={safe_repr(self.returns)})"


@dataclass(slots=True)
class ConsumedStep:
    """One Redis call the code made after the session was installed, and its outcome.

    Every call counts, whoever answered it: a scripted step, a drawn answer, a mock registered
    by hand, and the ``MULTI``/``EXEC`` around a transaction.
    """

    #: The call's position among the calls made since `RedisSession.install`.
    index: int
    command: str
    #: The call's positional arguments after the command name, and its keyword arguments.
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    #: What the call returned (``None`` when it raised).
    returns: Any = None
    #: What the call raised, or ``None``.
    raises: BaseException | type[BaseException] | None = None
    #: Whether this attempt failed and the client's retry policy sent the command again: the
    #: code never saw its outcome, the next call's is what it got.
    retried: bool = False

    def assertion(self) -> str:
        """The ``tripwire.redis.assert_command(...)`` line that asserts this call."""
        args = scrub_args(self.command, self.args)  # a password shown as ANY
        return (
            f"tripwire.redis.assert_command({self.command!r}, args={safe_repr(args)}, "
            f"kwargs={safe_repr(self.kwargs)})"
        )


class Script:
    """The ``answerer`` of a scripted session: its steps, in order per command.

    The steps answer the calls no mock covers, as a drawing session's answers do, so a script of
    a drawn example's answers replays it (mocks registered by hand are used first either way).
    A replay (`RedisSession.replay`) also answers a call beyond its steps, with the reply a drawn
    answer shrinks to, and leaves steps unused without complaint: the code may have changed.
    """

    __slots__ = (
        "_attempts",
        "_given",
        "_outages",
        "_pending",
        "_plugin",
        "_queues",
        "_replay",
        "_site",
        "in_batch",
        "lost",
    )

    def __init__(
        self,
        plugin: RedisPlugin,
        steps: list[RedisCall],
        site: tuple[CodeType, int],
        outages: frozenset[int] = frozenset(),
        replay: bool = False,
    ) -> None:
        self._plugin = plugin
        self._site = site
        self._queues: dict[str, deque[RedisCall]] = {}
        for step in steps:
            self._queues.setdefault(step.command, deque()).append(step)
        #: The ids of the steps that fail every attempt (``outage=True``).
        self._outages = outages
        #: The failed attempts that the client's retry policy sent again, in order.
        self._attempts: list[RedisCall] = []
        #: An asyncio client's call whose first attempt failed, until its retries are run.
        self._pending: tuple[Any, ...] | None = None
        self.in_batch = False
        #: The last step given that raises, and a batch's sending that lost its connection
        #: to it, until the pipeline's own retry policy runs (`batch_retries`).
        self._given: RedisCall | None = None
        self.lost: tuple[RedisCall, int] | None = None
        #: Whether it replays a story: a call beyond it gets the simplest answer.
        self._replay = replay

    def __call__(self, args: tuple[Any, ...], options: dict[str, Any]) -> RedisCall:
        __tracebackhide__ = True
        spelling = args[0]
        text = spelling.decode("utf-8", "replace") if isinstance(spelling, bytes) else spelling
        name = normalise(str(text))
        queue = self._queues.get(name)
        if queue:
            step = queue.popleft()
            if step.raises is not None:
                return self._maybe_retried(args, options, step, queue)
            return step
        if self._replay:
            return self._simplest(name, args, options)
        raise self._plugin._unmocked(args, options) from None

    def _simplest(self, name: str, args: tuple[Any, ...], options: dict[str, Any]) -> RedisCall:
        """A replay's answer to a call beyond its story: what a drawn answer shrinks to."""
        # Imported here: they import the reply strategies and redis-py, which a plain script
        # does not need.
        from tripwire.plugins.redis_plugin.intercept.interceptors import calling_client
        from tripwire_hypothesis._answerers.clients import decodes, through_callbacks
        from tripwire_hypothesis._reply_strategies.for_calls import simplest_reply

        # As a drawn answer: as the calling client makes it (`tripwire_hypothesis._answerers.
        # clients`).
        client = calling_client()
        reply = own_copy(simplest_reply(args, options, bool(decodes(client))))
        if client is not None and reply is not None:
            reply = through_callbacks(client, name, args, options, reply)
        return self._plugin.new_call(name, reply, None, self._site, required=False)

    def _maybe_retried(
        self,
        args: tuple[Any, ...],
        options: dict[str, Any],
        step: RedisCall,
        queue: deque[RedisCall],
    ) -> RedisCall:
        """A step that raises: a fault the client's retry policy retries runs through it,
        each later attempt answered by the command's next step (or failing alike, for an
        outage)."""
        __tracebackhide__ = True
        # Imported here: they import redis-py, which a script of replies does not need.
        from tripwire.plugins.redis_plugin.intercept.interceptors import calling_client
        from tripwire_hypothesis._answerers.retries import (
            RETRIED,
            resend,
            retries_async_of,
            retries_of,
        )

        self._given = step
        raises = step.raises
        fault = (
            issubclass(raises, RETRIED) if isinstance(raises, type) else isinstance(raises, RETRIED)
        )
        if not fault:
            return step
        client = calling_client()
        plugin = self._plugin
        outage = id(step) in self._outages

        def later(number: int) -> RedisCall:
            __tracebackhide__ = True
            if outage:  # every attempt fails with the step's error
                return plugin.new_call(step.command, None, raises, self._site)
            if queue:
                return queue.popleft()
            if self._replay:  # a replay's story may end before the retries do
                return self._simplest(step.command, args, options)
            raise plugin._unmocked(args, options)

        if retries_of(client):
            return resend(plugin, self._site, client, args, options, step, later, self._attempts)
        if retries_async_of(client):
            # An asyncio client: the interception awaits the retries (`retried_async`).
            self._pending = (step, client, args, options, later)
        return step

    async def retried_async(self, mock: RedisCall) -> RedisCall:
        """What an asyncio client's call answered by ``mock`` ends with, once its own retry
        policy has run (the interception calls this for a mock that raises)."""
        from tripwire_hypothesis._answerers.retries import resend_async

        pending, self._pending = self._pending, None
        if pending is None or pending[0] is not mock:
            return mock
        _, client, args, options, later = pending
        return await resend_async(
            self._plugin, self._site, client, args, options, mock, later, self._attempts
        )

    def answer_exec(self, watching: bool) -> RedisCall:
        queue = self._queues.get("EXEC")
        if queue:
            self._given = step = queue.popleft()
            return step
        return self._plugin.new_call("EXEC", None, None, self._site)  # it commits

    def lost_batch(self, mock: RedisCall, start: int) -> bool:
        """Whether ``mock``, raised in a batch, is a step's fault of the batch's connection
        (the interception then sends it through the pipeline's retry policy)."""
        # Imported here: they import redis-py, which a script of replies does not need.
        from tripwire.plugins.redis_plugin.intercept.interceptors import calling_client
        from tripwire_hypothesis._answerers import batch_retries

        if not (
            mock is self._given
            and batch_retries.is_fault(mock.raises)
            and batch_retries.batch_retries_of(calling_client())
        ):
            return False
        self.lost = (mock, start)
        return True

    def resend_batch(
        self, pipe: Any, stack: list[Any], transaction: bool, raise_on_error: bool
    ) -> Any:
        """What a batch whose sending `lost_batch` marked ends with, once the pipeline's own
        retry policy has run: later sendings answered by the next steps, or all failing (a
        step with ``outage=True``)."""
        from tripwire_hypothesis._answerers import batch_retries  # as in `lost_batch`

        lost, self.lost = self.lost, None
        assert lost is not None
        outage = id(lost[0]) in self._outages
        return batch_retries.resend_batch(
            self._plugin,
            self._site,
            pipe,
            stack,
            transaction,
            raise_on_error,
            lost,
            lambda: outage,
            self._attempts,
        )

    def unused(self) -> list[RedisCall]:
        if self._replay:
            return []
        return [step for queue in self._queues.values() for step in queue]
