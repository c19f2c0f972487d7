"""What a drawn call may be answered: its `Outcome`, and the strategies that draw outcomes.

The error families of a call (a dropped connection, a timeout, the error replies Redis can
answer its command), the coin that decides whether it fails, and a transaction's ``EXEC``.
`tripwire_hypothesis._answerers.drawn` draws from them, call by call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from redis import exceptions

from tripwire._errors import safe_repr
from tripwire_hypothesis._reply_strategies.command_errors import error_kinds_of
from tripwire_hypothesis._reply_strategies.errors import _build, redis_errors
from tripwire_hypothesis._reproduction import error_code

__all__ = ["COIN_SIDES", "OUTAGE", "Call", "Outcome"]

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
_DROPPED = redis_errors(kinds=["connection"])
_TIMEOUT = redis_errors(kinds=["timeout"])
_WATCH = st.builds(_watch_error)


@functools.lru_cache(maxsize=1024)
def _command_errors(command: str, queued: bool) -> SearchStrategy[BaseException]:
    """The errors a call of ``command`` may fail with: its connection dropped or a server
    loading its data, a timeout, or an error reply Redis can answer that command
    (`tripwire_hypothesis._reply_strategies.command_errors`), each family an equal share.

    Queued in a transaction (``queued``) a command can only fail with its own error reply:
    losing the connection fails the whole batch, which the transaction's EXEC stands for. (A
    pipeline without a transaction may lose it at any queued command: `batch_retries`.)
    """
    kinds = error_kinds_of(command)
    replies = redis_errors(kinds=[kind for kind in kinds if kind != "loading"])
    if queued:
        return replies
    return st.one_of(_CONNECTION if "loading" in kinds else _DROPPED, _TIMEOUT, replies)


#: A transaction's EXEC that committed.
_COMMIT = st.just(None)
_COMMITTED = _COMMIT.map(Outcome)
#: EXEC failing as a whole: its connection was dropped or timed out.
_EXEC_FAULTS = st.one_of(_CONNECTION, _TIMEOUT)


@functools.lru_cache(maxsize=1024)
def _failing(
    replies: SearchStrategy[Any],
    errors: SearchStrategy[BaseException],
    spec: tuple[str, int, int, int] | None,
) -> SearchStrategy[Outcome]:
    """A call the plan fails: the draws of its reply, which it does not give, then the error
    of ``spec`` (`plans.targeted_error`), or one drawn from ``errors`` when there is none.

    As many draws as the reply's, so that an example Hypothesis remakes with this plan out of
    one that replied there has the draws it needs, and the story with the reply is no longer
    than the one with the fault: shrinking goes to it once the plan's draws are at 0.
    """
    if spec is not None:
        return replies.map(functools.partial(_raised, spec))

    @st.composite
    def failing(draw: st.DrawFn) -> Outcome:
        draw(replies)
        return Outcome(raises=draw(errors))

    return failing()


def _raised(spec: tuple[str, int, int, int], reply: object) -> Outcome:
    # Made at each call: an exception raised in one example must not carry its traceback and
    # Hypothesis' notes into the next.
    return Outcome(raises=_build(spec))


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
