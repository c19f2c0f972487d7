"""The faults a model session injects: `Fault`, the strategy that draws one, and the check of
``redis_session(model=True, faults=...)``.

A fault's coin shrinks towards no fault, so a failing example shrinks to the fewest faults.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st
from redis import exceptions

from tripwire_hypothesis._answerers.outcomes import COIN_SIDES
from tripwire_hypothesis._checks import invalid
from tripwire_hypothesis._reply_strategies.errors import _build
from tripwire_hypothesis._reproduction import error_code

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["FAULT_KINDS", "Fault", "check_faults"]


#: The faults a model session injects, in shrink order.
FAULT_KINDS = ("connection", "timeout", "loading", "readonly", "oom", "watch")
_COIN = st.integers(0, COIN_SIDES - 1)


class Fault:
    """How one call fails: the error the caller gets, and whether the command took effect.

    ``Fault(redis.exceptions.ConnectionError("Connection closed by server."), applied=True)`` is
    a connection lost after the command changed the data: the acknowledgement is lost, the
    change is not.

    A connection error or a timeout of a client's call (sync or asyncio), or of a pipeline's
    batch (at a transaction's ``EXEC``, or a queued command of a pipeline without one), is
    retried as the client's own retry policy says (redis-py 8: ten times; a pipeline that
    watches keys raises ``WatchError`` instead): the next attempts are decided one by one,
    unless ``outage=True``, the server out of reach for every later attempt, when the code
    sees the error once the policy gives up.
    """

    __slots__ = ("applied", "error", "outage")

    def __init__(
        self, error: BaseException, *, applied: bool = False, outage: bool = False
    ) -> None:
        if not isinstance(error, BaseException):
            raise invalid("Fault", "error", "an exception instance", error)
        if type(applied) is not bool:
            raise invalid("Fault", "applied", "a bool", applied)
        if type(outage) is not bool:
            raise invalid("Fault", "outage", "a bool", outage)
        self.error = error
        self.applied = applied
        self.outage = outage

    def __repr__(self) -> str:
        applied = ", applied=True" if self.applied else ""
        outage = ", outage=True" if self.outage else ""
        return f"Fault({error_code(self.error)}{applied}{outage})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fault):
            return NotImplemented
        return (type(self.error), self.error.args, self.applied, self.outage) == (
            type(other.error),
            other.error.args,
            other.applied,
            other.outage,
        )

    __hash__ = None  # type: ignore[assignment]


def _fault(kind: str, applied: bool) -> Fault:
    if kind == "watch":
        return Fault(exceptions.WatchError("Watched variable changed."))
    return Fault(_build((kind, 0, 0, 7000)), applied=applied)


#: What each kind can do: connection and timeout errors before or after the command took effect;
#: a server error reply changes nothing.
_SPECS = {
    kind: ((kind, False), (kind, True)) if kind in ("connection", "timeout") else ((kind, False),)
    for kind in FAULT_KINDS
}


_LOST_RACE = st.booleans()


@functools.lru_cache(maxsize=256)
def _faults(kinds: tuple[str, ...], cut: int) -> SearchStrategy[Fault | None]:
    if cut >= COIN_SIDES:
        return st.none()
    if "watch" in kinds:
        # A watched EXEC: optimistic locking is there for lost races, so half of them lose
        # one (shrinking away first); the other faults are as rare as anywhere.
        others = _faults(tuple(kind for kind in kinds if kind != "watch"), cut)

        @st.composite
        def race(draw: st.DrawFn) -> Fault | None:
            if draw(_LOST_RACE):
                return _fault("watch", False)
            return draw(others)

        return race()
    specs = [spec for kind in kinds for spec in _SPECS[kind]]
    if not specs:
        return st.none()
    # Made at each draw: an exception raised in one example must not carry its traceback and
    # Hypothesis' notes into the next.
    chosen = st.sampled_from(specs).map(lambda spec: _fault(*spec))

    @st.composite
    def fault(draw: st.DrawFn) -> Fault | None:
        # The coin shrinks towards 0, no fault: faults shrink away first.
        if draw(_COIN) < cut:
            return None
        return draw(chosen)

    return fault()


def check_faults(function: str, faults: object) -> tuple[str, ...]:
    """The fault kinds of ``redis_session(model=True, faults=...)``, in shrink order."""
    if faults is None:
        return FAULT_KINDS
    requirement = f"a non-empty sequence of fault kinds ({', '.join(map(repr, FAULT_KINDS))})"
    if isinstance(faults, (str, bytes)) or not isinstance(faults, Iterable):
        raise invalid(function, "faults", requirement, faults)
    given = list(faults)
    if not given:
        raise invalid(function, "faults", requirement + "; error_rate=0 turns faults off", faults)
    for kind in given:
        if kind not in FAULT_KINDS:
            raise invalid(function, "faults", requirement, kind)
    return tuple(kind for kind in FAULT_KINDS if kind in given)
