"""How a drawn session draws its answers: through the ``draw`` of the strategy that made it.

`tripwire_hypothesis.redis_session` is a ``@composite`` strategy. The ``draw`` function it is
given draws from the example's data for as long as the example runs, so the session keeps it and
draws each answer with it when the code makes the call. Compared with drawing an ``st.data()``
object inside the strategy and drawing through that, this saves a nested draw per example and the
bookkeeping ``DataObject.draw`` does around every draw, while Hypothesis' report reads the same:
each answer is noted as ``Draw N (label): value``, formatted only if the note is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import note
from hypothesis.strategies import DrawFn, SearchStrategy

__all__ = ["Draws"]

T = TypeVar("T")


class Draws:
    """The draws of one example's session, numbered in the order made.

    ``plan`` is the example's fault plan (`tripwire_hypothesis._answerers.plans`; ``None`` when
    the session fails calls at a fixed rate), ``stickiness`` how often a call sent again gets its
    last answer, ``variant`` which message of its family the call the plan singles out fails
    with, ``short`` whether its counters all answer below zero (`plans.SHORT`, drawn at the
    first counter of a session with plans: ``None`` until then), and ``last``
    the last answer of each command, with the arguments it answered.
    """

    __slots__ = ("_draw", "count", "last", "plan", "relay", "short", "stickiness", "variant")

    def __init__(
        self,
        draw: DrawFn,
        plan: Any = None,
        stickiness: Any = None,
        variant: int = 0,
    ) -> None:
        self._draw = draw
        self.count = 0
        #: Set while clients run concurrently: runs a draw in the example's thread, which
        #: Hypothesis' data belongs to (`tripwire_hypothesis._concurrency.schedule`).
        self.relay: Callable[..., Any] | None = None
        self.plan = plan
        self.stickiness = stickiness
        self.variant = variant
        self.short: bool | None = None
        self.last: dict[str, tuple[tuple[Any, ...], Any]] = {}

    def choose(self, strategy: SearchStrategy[T]) -> T:
        """Draw from ``strategy`` a choice the report need not show (it shows what it made)."""
        return self._draw(strategy)

    def again(self, value: T, label: object) -> T:
        """Give ``value`` again, noted in the report as a draw labelled ``label``."""
        self.count += 1
        note(_Drawn(self.count, label, value))
        return value

    def draw(self, strategy: SearchStrategy[T], label: object) -> T:
        """Draw from ``strategy``; the report shows it with ``label`` (its `str`, made then)."""
        relay = self.relay
        if relay is not None:
            return relay(self._noted, strategy, label)  # type: ignore[no-any-return]
        return self._noted(strategy, label)

    def _noted(self, strategy: SearchStrategy[T], label: object) -> T:
        value = self._draw(strategy)
        self.count += 1
        note(_Drawn(self.count, label, value))
        return value


class _Drawn:
    """A note that becomes ``Draw N (label): value`` only when Hypothesis shows it."""

    __slots__ = ("count", "label", "value")

    def __init__(self, count: int, label: object, value: object) -> None:
        self.count = count
        self.label = label
        self.value = value

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"Draw {self.count} ({self.label}): ")
        printer.pretty(self.value)
