"""The model's clock: what its TTLs expire by, moved only by the example.

fakeredis reads the time with ``time.time()`` at each command (the time its keys expire by, its
``TIME``, its stream ids). A model of Redis installs `_ModelTime` in fakeredis' modules in place
of the ``time`` module: while a command of a model runs (`ModelClient.execute_command`, which
sets `running`), its ``time()`` is that model's `Clock`; any other fakeredis server reads the
wall clock as before.

A `Clock` starts at the wall clock's time when the example's model is made and moves only when
told: `Clock.advance`, a pause Hypothesis draws (``redis_session(model=True,
time_passes=True)``), a blocking command's timeout, a ``time.sleep`` under `Clock.patch_time`.
So replays are exact, and no example waits. `Clock.follow` hands it to time-machine (or
freezegun): the clock then reads the traveller's time and moves it.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis.errors import InvalidArgument

from tripwire_hypothesis._checks import invalid

__all__ = ["Clock", "install_model_time", "running"]

#: The clock of the model command running in this thread (``running.clock``), if any.
running = threading.local()


class _ModelTime:
    """Stands for the ``time`` module in fakeredis' modules: the running model's clock."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    def time(self) -> float:
        clock = getattr(running, "clock", None)
        return time.time() if clock is None else clock.time()


_MODEL_TIME = _ModelTime()
_installed = False


def install_model_time() -> None:
    """Make every loaded fakeredis module read the time through `_ModelTime` (once)."""
    global _installed
    if _installed:
        return
    _installed = True
    for name, module in list(sys.modules.items()):
        if name.startswith("fakeredis") and getattr(module, "time", None) is time:
            module.time = _MODEL_TIME  # type: ignore[attr-defined]


class Clock:
    """The clock of one example's model of Redis: seconds since the epoch, moved only by you.

    ``session.clock`` of a ``redis_session(model=True)`` session. TTLs expire by it; it starts
    at the wall clock's time when the example's model is made and stands still until
    `advance` (or a pause Hypothesis draws with ``time_passes=True``, a blocking command's
    timeout, a ``time.sleep`` under `patch_time`) moves it.
    """

    __slots__ = ("_follows", "_now", "_start", "sleeper")

    def __init__(self) -> None:
        self._now = self._start = float(int(time.time()))
        self._follows: Any = None
        #: Set while `RedisSession.concurrently` runs: what a client's sleep does instead.
        self.sleeper: Callable[[float], bool] | None = None

    def time(self) -> float:
        """The model's time, in seconds since the epoch, as ``time.time()`` gives it."""
        if self._follows is not None:
            return time.time()
        return self._now

    def monotonic(self) -> float:
        """Seconds since the clock started, as ``time.monotonic()`` would count them."""
        return self.time() - self._start

    def advance(self, seconds: float) -> None:
        """Move the clock ``seconds`` on: keys whose TTL ran out by then are gone."""
        if type(seconds) not in (int, float) or not seconds >= 0:
            raise invalid("Clock.advance", "seconds", "a number of seconds >= 0", seconds)
        if not seconds:
            return
        follows = self._follows
        if follows is None:
            self._now += seconds
        elif hasattr(follows, "shift"):
            follows.shift(seconds)  # time-machine
        else:
            import datetime

            follows.tick(datetime.timedelta(seconds=seconds))  # freezegun

    def sleep(self, seconds: float) -> None:
        """``time.sleep`` on the model's clock: returns at once, the clock moved on.

        In a client of `RedisSession.concurrently`, the other clients run meanwhile.
        """
        sleeper = self.sleeper
        if sleeper is not None and sleeper(seconds):
            return
        self.advance(max(float(seconds), 0.0))

    def follow(self, traveller: Any) -> None:
        """Read the time from a time-machine traveller (or a freezegun one) and move it.

        ``with time_machine.travel(0, tick=False) as traveller: session.clock.follow(traveller)``:
        ``time.time()`` in the code, the model's TTLs and the pauses Hypothesis draws then all
        keep the traveller's time.
        """
        if not (hasattr(traveller, "shift") or hasattr(traveller, "tick")):
            raise invalid(
                "Clock.follow",
                "traveller",
                "a time-machine traveller (with shift()) or a freezegun one (with tick())",
                traveller,
            )
        self._follows = traveller

    @contextmanager
    def patch_time(self) -> Iterator[Clock]:
        """Give the code the model's clock: ``time.time()``, ``time.monotonic()`` and
        ``time.sleep()`` read and move it while the block runs.

        Only calls through the ``time`` module are reached (``from time import time`` made
        earlier is not): time-machine, with `follow`, reaches those too. Not for asyncio code,
        whose event loop reads ``time.monotonic()``: give it `time` and `sleep` by hand.
        """
        if self._follows is not None:
            raise InvalidArgument(
                "Clock.patch_time() was called on a clock that follows a traveller: "
                "time-machine already gives the code the traveller's time."
            )
        saved = time.time, time.monotonic, time.sleep
        time.time, time.monotonic = self.time, self.monotonic
        time.sleep = self.sleep  # type: ignore[assignment]
        try:
            yield self
        finally:
            time.time, time.monotonic, time.sleep = saved

    def __repr__(self) -> str:
        return f"<Clock at {self.time():.3f}, {self.monotonic():g} s after its start>"
