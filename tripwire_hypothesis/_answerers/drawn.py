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
from typing import TYPE_CHECKING, Any, NamedTuple

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from redis import exceptions

from tripwire._errors import UnmockedInteractionError, describe_call, safe_repr
from tripwire.plugins.redis_plugin.call import own_copy
from tripwire.plugins.redis_plugin.intercept.interceptors import calling_client
from tripwire_hypothesis._answerers.plans import ALWAYS
from tripwire_hypothesis._reply_strategies.errors import redis_errors
from tripwire_hypothesis._reply_strategies.for_calls import call_replies, command_name
from tripwire_hypothesis._reproduction import error_code

if TYPE_CHECKING:
    from types import FrameType

    from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin
    from tripwire_hypothesis._answerers.draws import Draws

__all__ = ["OUTAGE", "Answerer", "Call", "Outcome", "Policy"]

#: Each call draws a number below this and fails at or above a cut set by the error rate.
COIN_SIDES = 256
_COIN = st.integers(0, COIN_SIDES - 1)


class Call(NamedTuple):
    """A call the code under test made, as a reply function sees it.

    ``command`` is upper case; ``args`` are the arguments after the command name, as sent.
    """

    command: str
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]


#: A ``replies=`` entry: a strategy, or a function of the `Call` returning a strategy or a value.
ReplySource = SearchStrategy[Any] | Callable[[Call], Any]


class Outcome:
    """What one call was answered: a reply, or an error raised instead."""

    __slots__ = ("raises", "returns")

    def __init__(self, returns: Any = None, raises: BaseException | None = None) -> None:
        self.returns = returns
        self.raises = raises

    def __repr__(self) -> str:
        if self.raises is not None:
            return f"raises {error_code(self.raises)}"
        return f"returns {safe_repr(self.returns)}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis' report prints each draw with its pretty printer, which would otherwise
        # show the call that built it: Outcome(None).
        printer.text(repr(self))


def _watch_error() -> BaseException:
    return exceptions.WatchError("Watched variable changed.")


#: Error families, each given an equal share of the injected errors; the kind varies within.
#: Code tells a few families apart (connection, timeout, a server error reply, a lost race).
_CONNECTION = redis_errors(kinds=["connection", "loading"])
_TIMEOUT = redis_errors(kinds=["timeout"])
_RESPONSE = redis_errors(kinds=["wrongtype", "oom", "readonly", "err", "noperm", "misconf"])
_WATCH = st.builds(_watch_error)
_DIRECT_ERRORS = st.one_of(_CONNECTION, _TIMEOUT, _RESPONSE)
#: Inside a pipeline each queued command can only fail with its own error reply; losing the
#: connection fails the whole batch, which the transaction's EXEC stands for.
_QUEUED_ERRORS = _RESPONSE
#: A transaction's EXEC that committed.
_COMMIT = st.just(None)
_COMMITTED = _COMMIT.map(Outcome)
#: EXEC failing as a whole: its connection was dropped or timed out.
_EXEC_FAULTS = st.one_of(_CONNECTION, _TIMEOUT)


@functools.lru_cache(maxsize=64)
def _raising(errors: SearchStrategy[BaseException]) -> SearchStrategy[Outcome]:
    """A call the plan fails: two draws, as many as the simplest reply's or more, so that
    shrinking prefers the story with the reply; few enough that an example Hypothesis remakes
    with this plan seldom runs out of the draws it replays."""

    @st.composite
    def failing(draw: st.DrawFn) -> Outcome:
        draw(_PAD)
        return Outcome(raises=draw(errors))

    return failing()


_PAD = st.booleans()


@functools.lru_cache(maxsize=1024)
def _outcomes(
    replies: SearchStrategy[Any], errors: SearchStrategy[BaseException] | None, cut: int
) -> SearchStrategy[Outcome]:
    if errors is None or cut >= COIN_SIDES:
        return replies.map(Outcome)

    @st.composite
    def outcome(draw: st.DrawFn) -> Outcome:
        # The coin shrinks towards 0, a reply: failures shrink away first.
        if draw(_COIN) >= cut:
            return Outcome(raises=draw(errors))
        return Outcome(returns=draw(replies))

    return outcome()


#: Replies never given again to a call sent again: counters count on, cursors move on.
_FRESH_REPLIES = frozenset(
    {
        "INCR",
        "INCRBY",
        "INCRBYFLOAT",
        "DECR",
        "DECRBY",
        "HINCRBY",
        "HINCRBYFLOAT",
        "ZINCRBY",
        "SCAN",
        "SSCAN",
        "HSCAN",
        "ZSCAN",
        "XADD",
    }
)

_LOST = st.booleans()
#: Whether a fault that redis-py's retry policy would retry fails every attempt (an outage, which
#: the code sees) or passes (shrinking towards this: the attempts are drawn one by one).
OUTAGE = st.booleans()


@st.composite
def _watched_exec(draw: st.DrawFn) -> Outcome:
    # Optimistic locking is there for lost races: half of the watched EXECs lose one, which
    # shrinks away first; a dropped connection or a timeout is rarer.
    if draw(_LOST):
        return Outcome(raises=draw(_WATCH))
    if draw(_COIN) >= COIN_SIDES - COIN_SIDES // 8:
        return Outcome(raises=draw(_EXEC_FAULTS))
    return Outcome()


_WATCHED_EXEC = _watched_exec()


@functools.lru_cache(maxsize=256)
def _exec_outcomes(
    watching: bool, errors: SearchStrategy[BaseException] | None, cut: int
) -> SearchStrategy[Outcome]:
    """A planned EXEC: a watched one loses its race half of the time (shrinking away first),
    then it fails with ``errors`` when the coin is at or above ``cut``, or commits."""
    failing = _outcomes(_COMMIT, errors, cut)
    if not watching:
        return failing

    @st.composite
    def watched(draw: st.DrawFn) -> Outcome:
        if draw(_LOST):
            return Outcome(raises=draw(_WATCH))
        return draw(failing)

    return watched()


@dataclass(frozen=True, repr=False)
class Policy:
    """How a drawing session answers: the options of `redis_session`, checked."""

    #: Upper-case command names the session answers; ``None`` for every command.
    commands: frozenset[str] | None
    replies: Mapping[str, ReplySource]
    errors: SearchStrategy[BaseException] | None
    #: Calls fail when the coin is at or above this (``COIN_SIDES``: never).
    cut: int
    decode_responses: bool
    max_answers: int
    #: The call that made the strategy, for reprs: ``redis_session(commands=['GET'])``.
    spelled: str
    #: Whether a model of Redis answers (`tripwire_hypothesis._answerers.model`), and the fault
    #: kinds it injects.
    model: bool = False
    faults: tuple[str, ...] = ()
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
        "_plugin",
        "_policy",
        "_site",
        "_thread",
        "answered",
        "draws",
        "in_batch",
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
        #: The mocks made for the calls answered so far, in call order.
        self.answered: list[RedisCall] = []
        #: The failed attempts of calls that redis-py's retry policy sent again, in order.
        self._attempts: list[RedisCall] = []
        #: Set by the pipeline interception while a batch's queued commands are answered.
        self.in_batch = False

    def __call__(self, args: tuple[Any, ...], options: dict[str, Any]) -> RedisCall:
        __tracebackhide__ = True
        name = self._checked_name(args, options)
        call = Call(name, args[1:], options)
        draws = self.draws
        # Faults are raised at the call: redis-py's retry policy applies to a model session's
        # only (`tripwire_hypothesis._answerers.model`), for now.
        last = draws.last.get(name) if draws.stickiness is not None else None
        if last is not None and last[0] == call.args and self._again(draws.stickiness):
            # Sent again as it was: answered as last time (`tripwire_hypothesis._answerers.plans`),
            # with a reply and an error of its own.
            previous = last[1]
            outcome = draws.again(
                Outcome(own_copy(previous.returns), own_copy(previous.raises)), _Label(call)
            )
        else:
            outcome = draws.draw(self._strategy(call, args, options), _Label(call))
            if draws.stickiness is not None:
                self._remember(name, call.args, outcome)
        returns, raises = outcome.returns, outcome.raises
        mock = self._plugin.new_call(name, returns, raises, self._site)
        self.answered.append(mock)
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

    def _attempted(
        self, name: str, args: tuple[Any, ...], options: dict[str, Any], error: BaseException
    ) -> None:
        """Record an attempt of a call that failed with ``error`` and that redis-py's retry
        policy may try again: a test sees each attempt sent."""
        # Not counted towards max_answers: the client's retry policy bounds the attempts.
        mock = self._plugin.new_call(name, None, error, self._site)
        mock._sent = args
        mock.kwargs = options
        self._plugin._record(mock)
        self._attempts.append(mock)

    def _last_attempt(self, error: BaseException) -> RedisCall:
        """The mock of a call whose every attempt failed, the last with ``error``: that of its
        last attempt, recorded as the call itself (the interception records it)."""
        last = self._attempts[-1]
        if last.raises is not error:  # an error reply to a later attempt: a call of its own
            mock = self._plugin.new_call(last.command, None, error, self._site)
        else:
            self._attempts.pop()
            entries = self._plugin.verifier.timeline.entries
            if entries and entries[-1] is last:
                entries.pop()
            else:  # pragma: no cover - another thread recorded meanwhile
                entries.remove(last)
            mock = last
        self.answered.append(mock)
        return mock

    def _checked_name(self, args: tuple[Any, ...], options: dict[str, Any]) -> str:
        """The call's command name, once the session's limits allow it an answer."""
        __tracebackhide__ = True
        policy = self._policy
        name = command_name(args[0])
        if (
            (policy.commands is not None and name not in policy.commands)
            or len(self.answered) >= policy.max_answers
            or threading.get_ident() != self._thread
        ):
            raise self._refusal(name, args, options) from None
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
        if len(self.answered) >= policy.max_answers:
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
        last = draws.last.get("EXEC") if draws.stickiness is not None else None
        if last is not None and last[0] == (watching,) and self._again(draws.stickiness):
            # Another lost race after a lost race: answered as last time.
            previous = last[1]
            outcome = draws.again(Outcome(raises=own_copy(previous.raises)), "EXEC")
            mock = self._plugin.new_call("EXEC", None, outcome.raises, self._site)
            self.answered.append(mock)
            return mock
        if plan is not None:
            if len(self.answered) + 1 == plan.target and plan.target_exec is not None:
                # The plan fails this EXEC: no lost race stands in for the fault.
                strategy = _raising(plan.target_exec)
            else:
                strategy = _exec_outcomes(watching, plan.exec_errors, plan.cut)
        elif policy.cut >= COIN_SIDES:
            strategy = _COMMITTED
        elif policy.errors is not None:
            errors = st.one_of(_WATCH, policy.errors) if watching else policy.errors
            strategy = _outcomes(_COMMIT, errors, policy.cut)
        else:
            # A transaction that watched nothing commits, or its connection fails.
            strategy = _WATCHED_EXEC if watching else _outcomes(_COMMIT, _EXEC_FAULTS, policy.cut)
        outcome = self.draws.draw(strategy, "EXEC")
        if draws.stickiness is not None:
            draws.last["EXEC"] = ((watching,), outcome)
        mock = self._plugin.new_call("EXEC", None, outcome.raises, self._site)
        self.answered.append(mock)
        return mock

    def unused(self) -> list[RedisCall]:
        # Every answer is made for the call that needs it.
        return []

    def _strategy(
        self, call: Call, args: tuple[Any, ...], options: dict[str, Any]
    ) -> SearchStrategy[Outcome]:
        __tracebackhide__ = True
        policy = self._policy
        source = policy.replies.get(call.command)
        replies: SearchStrategy[Any] | None
        if source is None:
            replies = call_replies(args, options, policy.decode_responses)
            if replies is None:
                raise self._refuse(
                    args,
                    options,
                    f"redis.{call.command}(...) was called, but tripwire_hypothesis has no "
                    "realistic replies for it and no mock was registered for it. Say what it "
                    f"answers: redis_session(replies={{{call.command!r}: <a strategy, or a "
                    "function of the call>}), or register a mock.",
                ) from None
            if call.command == "SCAN":
                node = cluster_node(calling_client())
                if node is not None:
                    replies = _per_node(replies, node)
        elif isinstance(source, SearchStrategy):
            replies = source
        else:
            reply = source(call)
            replies = reply if isinstance(reply, SearchStrategy) else st.just(reply)
        plan = self.draws.plan
        if plan is not None:
            # The example's plan (`tripwire_hypothesis._answerers.plans`): this call fails, or
            # fails at the plan's rate, or does not.
            if len(self.answered) + 1 == plan.target:
                errors = plan.target_queued if self.in_batch else plan.target_errors
                if errors is not None:
                    return _raising(errors)
            return _outcomes(
                replies, plan.queued_errors if self.in_batch else plan.errors, plan.cut
            )
        if policy.cut >= COIN_SIDES:
            errors = None
        elif policy.errors is not None:
            errors = policy.errors
        else:
            errors = _QUEUED_ERRORS if self.in_batch else _DIRECT_ERRORS
        return _outcomes(replies, errors, policy.cut)

    def _refuse(
        self, args: tuple[Any, ...], options: dict[str, Any], headline: str
    ) -> UnmockedInteractionError:
        name = command_name(args[0])
        error = UnmockedInteractionError(
            headline,
            f"tripwire.redis.mock_command({name!r}, returns=...)",
            describe_call(args[1:], options),
        )
        self._plugin.verifier.report_unmocked(error)
        return error


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
        arguments = ", ".join(map(_short_repr, call.args))
        if len(arguments) > 60:
            arguments = arguments[:57] + "..."
        if self.outage:
            return f"{call.command}({arguments}), every attempt fails"
        again = f", attempt {self.attempt}" if self.attempt > 1 else ""
        return f"{call.command}({arguments}){again}"


def _short_repr(value: object) -> str:
    # Plain strings and numbers, the common case, without safe_repr's care for odd objects.
    if type(value) in (str, bytes, int, float):
        return repr(value[:64] if isinstance(value, (str, bytes)) else value)
    return safe_repr(value)
