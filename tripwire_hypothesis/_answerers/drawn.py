"""Answers drawn at call time: what a session says when the code sends a command no mock covers.

The `RedisPlugin` asks its ``answerer`` on its slow path only (no mock queued for the command).
`Answerer` draws the call's outcome through Hypothesis, at that moment, so that whatever the code
sends next may depend on the answer: retries, polls, scans and branches need no script. Draws
replay and shrink like any other: towards fewer errors, simpler replies and shorter loops.

One draw per call, labelled with the call, so Hypothesis' report lists the story in order.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from tripwire._errors import UnmockedInteractionError, describe_call, safe_repr
from tripwire.plugins.redis_plugin.call import own_copy
from tripwire.plugins.redis_plugin.intercept.interceptors import calling_client
from tripwire.plugins.redis_plugin.passwords import scrub_args
from tripwire_hypothesis._answerers import batch_retries
from tripwire_hypothesis._answerers.clients import decodes, library_error, through_callbacks
from tripwire_hypothesis._answerers.outcomes import (
    _COMMIT,
    _COMMITTED,
    _EXEC_FAULTS,
    _FRESH_REPLIES,
    _WATCH,
    _WATCHED_EXEC,
    COIN_SIDES,
    OUTAGE,
    Call,
    Outcome,
    ReplySource,
    _command_errors,
    _exec_outcomes,
    _failing,
    _outcomes,
)
from tripwire_hypothesis._answerers.plans import ALWAYS, SHORT, for_command, targeted_error
from tripwire_hypothesis._answerers.retries import (
    RETRIED,
    resend,
    resend_async,
    retries_async_of,
    retries_of,
)
from tripwire_hypothesis._concurrency.schedule import client_here
from tripwire_hypothesis._reply_strategies.for_calls import (
    BELOW_ZERO,
    call_replies,
    command_name,
)
from tripwire_hypothesis._reply_strategies.stored import Stored, stored_replies

if TYPE_CHECKING:
    from types import FrameType

    from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin
    from tripwire_hypothesis._answerers.draws import Draws

__all__ = ["Answerer", "Policy"]

#: The counters that take (stock, quota, seats): the ones a "taken past zero" branch follows.
_TAKERS = frozenset({"DECR", "DECRBY"})


@dataclass(frozen=True, repr=False)
class Policy:
    """How a drawing session answers: the options of `redis_session`, checked."""

    #: Upper-case command names the session answers; ``None`` for every command.
    commands: frozenset[str] | None
    replies: Mapping[str, ReplySource]
    errors: SearchStrategy[BaseException] | None
    #: Calls fail when the coin is at or above this (``COIN_SIDES``: never).
    cut: int
    max_answers: int
    #: The call that made the strategy, for reprs: ``redis_session(commands=['GET'])``.
    spelled: str
    #: Whether a model of Redis answers (`tripwire_hypothesis._answerers.model`), and the fault
    #: kinds it injects.
    model: bool = False
    faults: tuple[str, ...] = ()
    #: Whether Hypothesis lets the model's clock move between steps (a model session's).
    time_passes: bool = False
    #: What the app stores under its keys (`tripwire_hypothesis._reply_strategies.stored`), or None.
    values: Stored | None = None
    #: How an example draws its fault plan and stickiness (a `plans.Spread`, in this package;
    #: its plan is ``None`` for calls failing at the rate ``cut`` says).
    plans: Any = None

    def __repr__(self) -> str:
        return self.spelled

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.spelled)


class Answerer:
    """The ``answerer`` of one example's `RedisPlugin`: draws each answer at the call."""

    __slots__ = (
        "_attempts",
        "_carried",
        "_count",
        "_outages",
        "_pending",
        "_planned",
        "_plugin",
        "_policy",
        "_site",
        "_thread",
        "answered",
        "draws",
        "in_batch",
        "lost",
        "sending",
    )

    def __init__(
        self, plugin: RedisPlugin, policy: Policy, draws: Draws, caller: FrameType
    ) -> None:
        self._plugin = plugin
        self._policy = policy
        self.draws = draws
        # Where the answers count as registered; not the frame itself, which would keep the
        # example's locals alive in a reference cycle.
        self._site = (caller.f_code, caller.f_lasti)
        self._thread = threading.get_ident()
        #: The mocks made for the calls answered so far, in call order, each attempt that
        #: redis-py's retry policy sent again included (but one for an outage's attempts).
        self.answered: list[RedisCall] = []
        #: How many calls were answered, their attempts counted once.
        self._count = 0
        #: The failed attempts of calls that redis-py's retry policy sent again, in order.
        self._attempts: list[RedisCall] = []
        #: The ids of the answered mocks that stand for every attempt of an outage.
        self._outages: set[int] = set()
        #: An asyncio client's call whose first attempt failed, until its retries are run.
        self._pending: tuple[Any, ...] | None = None
        #: Set by the pipeline interception while a batch's queued commands are answered.
        self.in_batch = False
        #: A batch's sending that lost its connection to this session's fault, until the
        #: pipeline's own retry policy runs (`batch_retries`).
        self.lost: batch_retries.Lost | None = None
        #: Which sending of a batch is answered: 2 and on when its retry policy sent it again.
        self.sending = 1
        #: Whether the plan singled out a transaction's queued command for a fault that fails
        #: the batch as a whole (a dropped connection, a timeout): its EXEC gets it.
        self._carried = False
        #: Whether the last fault answered is one the plan makes fail every attempt.
        self._planned = False

    def __call__(self, args: tuple[Any, ...], options: dict[str, Any]) -> RedisCall:
        __tracebackhide__ = True
        name = self._checked_name(args, options)
        call = Call(name, args[1:], options)
        draws = self.draws
        if self._carried and not self.in_batch:
            self._carried = False  # no EXEC took the fault
        client = calling_client()
        strategy = self._strategy(call, args, options, client)
        plan = draws.plan
        # The call the plan singles out fails, sent again or not.
        targeted = plan is not None and plan.target == len(self.answered) + 1
        last = draws.last.get(name) if draws.stickiness is not None and not targeted else None
        if last is not None and last[0] == call.args and self._again(draws.stickiness):
            # Sent again as it was: answered as last time (`tripwire_hypothesis._answerers.plans`),
            # with a reply and an error of its own.
            previous = last[1]
            outcome = draws.again(
                Outcome(own_copy(previous.returns), own_copy(previous.raises)), _Label(call)
            )
            outage = False
        else:
            outcome = draws.draw(strategy, _Label(call))
            # A fault the plan singles out fails every attempt, when the plan says so.
            outage = targeted and plan.outage
            if draws.stickiness is not None:
                self._remember(name, call.args, outcome)
        # For a batch that this call's fault fails (`resend_batch`).
        self._planned = outage
        returns, raises = made_by(client, name, args, options, outcome)
        mock = self._plugin.new_call(name, returns, raises, self._site)
        self.answered.append(mock)
        if raises is not None and isinstance(raises, RETRIED):
            if retries_of(client):
                later, done = self._attempts_of(call, mock, args, options, client, outage)
                final = resend(
                    self._plugin, self._site, client, args, options, mock, later, self._attempts
                )
                done(final)
                return final
            if retries_async_of(client):
                # An asyncio client: the interception awaits the retries (`retried_async`).
                later, done = self._attempts_of(call, mock, args, options, client, outage)
                self._pending = (mock, client, args, options, later, done)
        return mock

    def _again(self, stickiness: object) -> bool:
        """Whether a call sent again gets its last answer, as the example's stickiness says."""
        if stickiness is ALWAYS:
            return True
        return bool(self.draws.choose(stickiness))  # type: ignore[arg-type]

    def _remember(self, name: str, args: tuple[Any, ...], outcome: Outcome) -> None:
        """Keep ``outcome`` as the answer a call of ``name`` sent again may get."""
        source = self._policy.replies.get(name)
        function = source is not None and not isinstance(source, SearchStrategy)
        if outcome.raises is None and (name in _FRESH_REPLIES or function):
            # A counter counts on, a scan moves on, and a reply function answers from the
            # state it keeps: their replies are not given again.
            self.draws.last.pop(name, None)
            return
        self.draws.last[name] = (args, outcome)

    def _attempts_of(
        self,
        call: Call,
        first: RedisCall,
        args: tuple[Any, ...],
        options: dict[str, Any],
        client: Any,
        planned: bool,
    ) -> tuple[Callable[[int], RedisCall], Callable[[RedisCall], None]]:
        """For a call whose first attempt failed with a fault redis-py retries: the answer of
        each later attempt, drawn, or all of them failing alike (an outage, decided at the
        first retry, or ``planned`` by the example's plan); and what to note once the last
        attempt is known."""
        outage = False
        error = first.raises

        def later(number: int) -> RedisCall:
            nonlocal outage
            if number == 2:
                label = _Label(call, outage=True)
                # Planned: no draw, so that the fault takes no more draws than a reply.
                draws = self.draws
                outage = draws.again(True, label) if planned else draws.draw(OUTAGE, label)
            if outage:
                # The server stays out of reach: every attempt fails with the first one's error.
                return self._plugin.new_call(call.command, None, error, self._site)
            # Drawn afresh: a fault plan that singled out the first attempt spares the others.
            outcome = self.draws.draw(
                self._strategy(call, args, options, client), _Label(call, number)
            )
            returns, raises = made_by(client, call.command, args, options, outcome)
            mock = self._plugin.new_call(call.command, returns, raises, self._site)
            self.answered.append(mock)
            return mock

        def done(last: RedisCall) -> None:
            if outage:
                self._outages.add(id(first))
            elif last is not self.answered[-1]:
                self.answered.append(last)  # an error of redis-py's own making

        return later, done

    async def retried_async(self, mock: RedisCall) -> RedisCall:
        """What an asyncio client's call answered by ``mock`` ends with, once its own retry
        policy has run (the interception calls this for a mock that raises)."""
        pending, self._pending = self._pending, None
        if pending is None or pending[0] is not mock:
            return mock
        _, client, args, options, later, done = pending
        last = await resend_async(
            self._plugin, self._site, client, args, options, mock, later, self._attempts
        )
        done(last)
        return last

    def lost_batch(self, mock: RedisCall, start: int) -> bool:
        """Whether ``mock``, raised in a batch, is this session's fault of the batch's
        connection (the interception then sends it through the pipeline's retry policy)."""
        if not (
            self.answered
            and mock is self.answered[-1]
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
        retry policy has run: its later sendings drawn afresh, or all failing (an outage)."""
        lost, self.lost = self.lost, None
        assert lost is not None
        first = lost[0]

        planned, self._planned = self._planned, False

        def outage() -> bool:
            label = _outage_label(first)
            # Planned: no draw, as for a single command's fault (`_attempts_of`).
            out = bool(self.draws.again(True, label) if planned else self.draws.draw(OUTAGE, label))
            if out:
                self._outages.add(id(first))
            return out

        return batch_retries.resend_batch(
            self._plugin,
            self._site,
            pipe,
            stack,
            transaction,
            raise_on_error,
            lost,
            outage,
            self._attempts,
        )

    def _checked_name(self, args: tuple[Any, ...], options: dict[str, Any]) -> str:
        """The call's command name, once the session's limits allow it an answer."""
        __tracebackhide__ = True
        policy = self._policy
        name = command_name(args[0])
        if (
            (policy.commands is not None and name not in policy.commands)
            or self._count >= policy.max_answers
            or (threading.get_ident() != self._thread and client_here() is None)
        ):
            raise self._refusal(name, args, options) from None
        self._count += 1
        return name

    def _refusal(
        self, name: str, args: tuple[Any, ...], options: dict[str, Any]
    ) -> UnmockedInteractionError:
        """Why the session's limits refuse this call an answer."""
        policy = self._policy
        if policy.commands is not None and name not in policy.commands:
            allowed = ", ".join(sorted(policy.commands))
            return self._refuse(
                args,
                options,
                f"redis.{name}(...) was called, but this session answers only {allowed} "
                f"(redis_session(commands=...)) and no mock was registered for it.",
            )
        if self._count >= policy.max_answers:
            return self._refuse(
                args,
                options,
                f"redis.{name}(...) was called after this example's session had answered "
                f"{policy.max_answers} calls, its limit (max_answers={policy.max_answers}): "
                "the code may be looping forever (a retry with no bound, a scan that never "
                "reaches cursor 0). Fix the loop, or raise the limit with "
                "redis_session(max_answers=...).",
            )
        return self._refuse(
            args,
            options,
            f"redis.{name}(...) was called from thread {threading.current_thread().name!r}, "
            "but Hypothesis draws answers only in the thread running the example. Register "
            "mocks for calls made from other threads with tripwire.redis.mock_command(...).",
        )

    def answer_exec(self, watching: bool) -> RedisCall:
        """A transaction's EXEC: it commits, loses a race, or its connection fails."""
        __tracebackhide__ = True
        policy = self._policy
        plan = self.draws.plan
        draws = self.draws
        # The plan singles out this EXEC, or a command it queued that fails the batch.
        targeted = plan is not None and (self._carried or len(self.answered) + 1 == plan.target)
        self._carried = False
        # A fault the plan singles out fails every sending of the batch, when the plan says so.
        self._planned = targeted and plan is not None and plan.outage
        last = draws.last.get("EXEC") if draws.stickiness is not None and not targeted else None
        if last is not None and last[0] == (watching,) and self._again(draws.stickiness):
            # Another lost race after a lost race: answered as last time.
            previous = last[1]
            outcome = draws.again(Outcome(raises=own_copy(previous.raises)), self._exec_label())
            _, raises = made_by(calling_client(), "EXEC", ("EXEC",), {}, outcome)
            mock = self._plugin.new_call("EXEC", None, raises, self._site)
            self.answered.append(mock)
            return mock
        if plan is not None:
            strategy = _exec_outcomes(watching, plan.exec_errors, plan.cut)
            errors = plan.target_exec
            if targeted and errors is not None:
                # The plan fails this EXEC: no lost race stands in for the fault.
                strategy = _failing(strategy, errors, targeted_error(errors, draws.variant))
        elif policy.cut >= COIN_SIDES:
            strategy = _COMMITTED
        elif policy.errors is not None:
            errors = st.one_of(_WATCH, policy.errors) if watching else policy.errors
            strategy = _outcomes(_COMMIT, errors, policy.cut)
        else:
            # A transaction that watched nothing commits, or its connection fails.
            strategy = _WATCHED_EXEC if watching else _outcomes(_COMMIT, _EXEC_FAULTS, policy.cut)
        outcome = self.draws.draw(strategy, self._exec_label())
        if draws.stickiness is not None:
            draws.last["EXEC"] = ((watching,), outcome)
        _, raises = made_by(calling_client(), "EXEC", ("EXEC",), {}, outcome)
        mock = self._plugin.new_call("EXEC", None, raises, self._site)
        self.answered.append(mock)
        self._count += 1
        return mock

    def _exec_label(self) -> str:
        """How an EXEC's draw reads in the report: ``EXEC, attempt 2`` when sent again."""
        return "EXEC" if self.sending == 1 else f"EXEC, attempt {self.sending}"

    def unused(self) -> list[RedisCall]:
        # Every answer is made for the call that needs it.
        return []

    def _strategy(
        self, call: Call, args: tuple[Any, ...], options: dict[str, Any], client: Any
    ) -> SearchStrategy[Outcome]:
        __tracebackhide__ = True
        policy = self._policy
        # A transaction's queued command fails only with its own error reply (EXEC stands
        # for its connection); a pipeline's may lose the batch's connection.
        queued = self.in_batch and batch_retries.queued_only(calling_client())
        source = policy.replies.get(call.command)
        replies: SearchStrategy[Any] | None
        stored = policy.values
        # Text for a client that decodes its replies (`clients`).
        decode = bool(decodes(client))
        if stored is not None and source is None:
            source = stored_replies(args, options, decode, stored)
        if source is None:
            replies = call_replies(args, options, decode)
            if replies is None:
                raise self._refuse(
                    args,
                    options,
                    f"redis.{call.command}(...) was called, but tripwire_hypothesis has no "
                    "realistic replies for it and no mock was registered for it. Say what it "
                    f"answers: redis_session(replies={{{call.command!r}: <a strategy, or a "
                    "function of the call>}), or register a mock.",
                ) from None
            if call.command in _TAKERS and self.draws.plan is not None and self._short():
                replies = BELOW_ZERO  # the example's counters are short (`plans.SHORT`)
            elif call.command == "SCAN":
                node = cluster_node(client)
                if node is not None:
                    replies = _per_node(replies, node)
        elif isinstance(source, SearchStrategy):
            replies = source
        else:
            reply = source(call)
            replies = reply if isinstance(reply, SearchStrategy) else st.just(reply)
        plan = self.draws.plan
        if plan is not None:
            if policy.errors is None:  # the default families: the errors this command can get
                plan = for_command(plan, call.command)
            # The example's plan (`tripwire_hypothesis._answerers.plans`): this call fails, or
            # fails at the plan's rate, or does not.
            if len(self.answered) + 1 == plan.target:
                errors = plan.target_queued if queued else plan.target_errors
                if errors is not None:
                    return _failing(replies, errors, targeted_error(errors, self.draws.variant))
                # A transaction's queued command cannot fail with this family alone: the batch
                # does, as a whole, at its EXEC.
                self._carried = queued
            return _outcomes(replies, plan.queued_errors if queued else plan.errors, plan.cut)
        if policy.cut >= COIN_SIDES:
            errors = None
        elif policy.errors is not None:
            errors = policy.errors
        else:
            errors = _command_errors(call.command, queued)
        return _outcomes(replies, errors, policy.cut)

    def _short(self) -> bool:
        """Whether this example's decrements all answer below zero, drawn at its first one."""
        draws = self.draws
        short = draws.short
        if short is None:
            short = draws.short = bool(draws.choose(SHORT))
        return short

    def _refuse(
        self, args: tuple[Any, ...], options: dict[str, Any], headline: str
    ) -> UnmockedInteractionError:
        name = command_name(args[0])
        error = UnmockedInteractionError(
            headline,
            f"tripwire.redis.mock_command({name!r}, returns=...)",
            describe_call(scrub_args(name, args[1:]), options),
        )
        self._plugin.verifier.report_unmocked(error)
        return error


def made_by(
    client: Any, name: str, args: tuple[Any, ...], options: dict[str, Any], outcome: Outcome
) -> tuple[Any, BaseException | None]:
    """What ``client`` makes of a drawn outcome (`tripwire_hypothesis._answerers.clients`): the
    reply its own callbacks make, or the error as its own library raises it."""
    if client is None:
        return outcome.returns, outcome.raises
    if outcome.raises is not None:
        return None, library_error(client, outcome.raises)
    return through_callbacks(client, name, args, options, outcome.returns), None


def cluster_node(client: Any) -> str | None:
    """The name of a cluster client's node (in the sandbox, its only one); None for a client
    that is not a cluster's."""
    node = getattr(getattr(client, "nodes_manager", None), "default_node", None)
    name = getattr(node, "name", None)
    return name if isinstance(name, str) else None


@functools.lru_cache(maxsize=256)
def _per_node(pages: SearchStrategy[Any], node: str) -> SearchStrategy[Any]:
    """A cluster client's ``SCAN`` replies: ``({node: cursor}, keys)``, as ``RedisCluster.scan``
    returns them, from a single node's ``(cursor, keys)``."""
    return pages.map(lambda page: ({node: page[0]}, page[1]))


class _Label:
    """``INCRBY('ratelimit:alice', 1)``: how a call reads in Hypothesis' list of draws.

    Made into a string only if the report shows it.
    """

    __slots__ = ("attempt", "call", "outage")

    def __init__(self, call: Call, attempt: int = 1, *, outage: bool = False) -> None:
        self.call = call
        #: Which attempt of the call, when redis-py's retry policy sends it again.
        self.attempt = attempt
        #: Whether this draw decides if the call's fault fails every attempt.
        self.outage = outage

    def __str__(self) -> str:
        call = self.call
        arguments = ", ".join(map(_short_repr, scrub_args(call.command, call.args)))
        if len(arguments) > 60:
            arguments = arguments[:57] + "..."
        if self.outage:
            return f"{call.command}({arguments}), every attempt fails"
        again = f", attempt {self.attempt}" if self.attempt > 1 else ""
        return f"{call.command}({arguments}){again}"


def _outage_label(first: RedisCall) -> object:
    """How the draw of whether a batch's fault fails every sending reads in the report."""
    if first.command == "EXEC":
        return "EXEC, every attempt fails"
    return _Label(Call(first.command, first.args, first.kwargs), outage=True)


def _short_repr(value: object) -> str:
    # Plain strings and numbers, the common case, without safe_repr's care for odd objects.
    if type(value) in (str, bytes, int, float):
        return repr(value[:64] if isinstance(value, (str, bytes)) else value)
    return safe_repr(value)
