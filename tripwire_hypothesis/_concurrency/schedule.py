"""Concurrent clients of one model, interleaved by Hypothesis: `RedisSession.concurrently`.

Each callable runs as a client of its own (a thread; `tripwire_hypothesis._schedule_async` runs
coroutines as tasks), but only one runs at a time: a client runs until its next Redis command,
where it waits (`Scheduler.arrive`); once every client waits or has finished, Hypothesis chooses
which goes next (``0``, the simplest choice, keeps the one that ran last, so schedules shrink
towards the fewest switches). A pipeline's or transaction's batch is one step, as Redis runs it
at once. A blocking command (``BLPOP``) that finds nothing waits (`Scheduler.block`) until another
client writes, or, when no client can run, until the model's clock reaches its timeout.

Hypothesis' data belongs to the example's thread: a client's draws (its faults) are handed to
that thread, which waits for the clients meanwhile (`Scheduler._serve`). No client outlives
``concurrently``: on a failure each is stopped where it waits (`Stopped` is raised there).

A client that runs for ``timeout`` wall-clock seconds without reaching a command, that takes more
than ``max_answers`` steps, or that waits for a write no client will make, fails the example
with a `StuckClientError` naming it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from tripwire._errors import TripwireError

if TYPE_CHECKING:
    from tripwire_hypothesis._answerers.draws import Draws
    from tripwire_hypothesis._concurrency.clock import Clock
    from tripwire_hypothesis._concurrency.story import Story

__all__ = ["Scheduler", "Stopped", "StuckClientError", "client_here", "current", "waits_alone"]

#: Client names, by position.
NAMES = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

#: The pauses ``time_passes=True`` draws, in shrink order: a TTL of a second to a day can run
#: out in one. One step in three draws one; the coin shrinks towards 0, no pause.
PAUSES = (0.01, 0.1, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0, 86400.0)
_PAUSE_COIN = st.integers(0, 2)
_PAUSE = st.sampled_from(PAUSES)
_CHOICES = [st.integers(0, count - 1) for count in range(1, len(NAMES) + 1)]


class StuckClientError(TripwireError, AssertionError):
    """A client of `RedisSession.concurrently` never finishes: a deadlock, or a loop."""


class WouldBlock(Exception):
    """Raised in an asyncio client whose blocking command found nothing: the gate awaits."""

    def __init__(self, timeout: float, what: str) -> None:
        self.timeout = timeout
        self.what = what


def draw_pause(draws: Draws) -> float:
    """A pause before a step (``time_passes=True``): mostly none, shrinking to none."""
    if draws.choose(_PAUSE_COIN) != 2:
        return 0.0
    return float(draws.choose(_PAUSE))


class Stopped(BaseException):
    """Raised in a client where it waits, to stop it: the example is over."""


_current: Scheduler | None = None


def current() -> Scheduler | None:
    """The scheduler of the ``concurrently`` call running now, if any."""
    return _current


#: The client running in this thread, if it is one.
_here = threading.local()


def client_here() -> Client | None:
    """The client of ``concurrently`` that this thread runs, if any."""
    return getattr(_here, "client", None)


class Client:
    __slots__ = (
        "deadline",
        "function",
        "name",
        "outcome",
        "raised",
        "state",
        "steps",
        "task",
        "thread",
        "timed_out",
        "wake",
        "wakes_on_write",
        "what",
    )

    def __init__(self, name: str, function: Callable[[], Any]) -> None:
        self.name = name
        self.function = function
        #: "start", "ready" (waits at a command), "blocked", "running", "done".
        self.state = "start"
        self.deadline: float | None = None
        self.wakes_on_write = False
        self.timed_out = False
        self.steps = 0
        self.outcome: Any = None
        self.raised: BaseException | None = None
        self.thread: threading.Thread | None = None
        self.task: Any = None
        #: What it waits for, for messages: "BLPOP jobs 0".
        self.what = ""
        self.wake: threading.Condition | None = None


class Scheduler:
    """Runs clients one at a time, choosing at each command which goes next."""

    def __init__(
        self,
        functions: Sequence[Callable[[], Any]],
        *,
        clock: Clock,
        story: Story,
        draws: Draws | None,
        time_passes: bool,
        max_steps: int,
        answered: Callable[[], int],
        timeout: float,
    ) -> None:
        self.clients = [Client(NAMES[i], f) for i, f in enumerate(functions)]
        self.clock = clock
        self.story = story
        self.draws = draws
        self.time_passes = time_passes
        self.max_steps = max_steps
        self.answered = answered
        self.timeout = timeout
        self.running: Client | None = None
        self.last: Client | None = None
        self.writes = 0
        self.aborting = False
        # One lock; a condition for the example's thread and one per client, so that a hand-off
        # wakes only the thread it is for.
        self._lock = threading.Lock()
        self._main = threading.Condition(self._lock)
        self._request: tuple[Callable[..., Any], tuple[Any, ...]] | None = None
        self._reply: tuple[Any, BaseException | None] | None = None
        #: Whether the clients are asyncio tasks (`tripwire_hypothesis._schedule_async`).
        self.asynchronous = False

    # -- choosing ------------------------------------------------------------------------------

    def _draw(self, strategy: st.SearchStrategy[Any]) -> Any:
        assert self.draws is not None
        return self.draws.choose(strategy)

    def pause(self) -> float:
        """The pause before the next step: drawn, replayed, or none."""
        if self.story.script is not None or not self.time_passes or self.draws is None:
            return 0.0
        return draw_pause(self.draws)

    def choose(self) -> Client:
        """The next client to run, out of those waiting at a command."""
        ready = [client for client in self.clients if client.state == "ready"]
        ordered = ready
        last = self.last
        if last is not None and last in ready:
            # 0 keeps the last one running; then the others, in turn after it.
            at = self.clients.index(last)
            ordered = sorted(ready, key=lambda client: (self.clients.index(client) - at) % 26)
        if self.story.script is not None:
            pause, name = self.story.scripted()
            chosen = ordered[0]
            if name is not None:
                found = [client for client in ready if client.name == name]
                if not found:
                    raise StuckClientError(
                        f"The schedule replayed says client {name} runs next, but it is not "
                        f"waiting at a command (waiting: {', '.join(c.name for c in ready)}). "
                        "Replay the schedule with the code it was printed for."
                    )
                chosen = found[0]
        else:
            pause = self.pause()
            many = len(ordered) > 1 and self.draws is not None
            chosen = ordered[self._draw(_CHOICES[len(ordered) - 1]) if many else 0]
        if pause:
            self.clock.advance(pause)
            self._wake_timers()
        self.story.step(chosen.name, pause)
        return chosen

    def _wake_timers(self) -> None:
        now = self.clock.time()
        for client in self.clients:
            if client.state == "blocked" and client.deadline is not None and client.deadline <= now:
                client.state = "ready"
                client.timed_out = True

    def next_ready(self) -> None:
        """Make a client ready when none is: the clock moves to the first timeout, or fail."""
        if any(client.state == "ready" for client in self.clients):
            return
        blocked = [client for client in self.clients if client.state == "blocked"]
        timed = [client for client in blocked if client.deadline is not None]
        if not timed:
            raise StuckClientError(_deadlock(blocked))
        soonest = min(client.deadline for client in timed if client.deadline is not None)
        self.clock.advance(max(soonest - self.clock.time(), 0.0))
        self._wake_timers()

    def after_step(self, client: Client, writes: int) -> None:
        """A step ended: a write wakes the clients blocked on one."""
        if self.writes != writes:
            for other in self.clients:
                if other.state == "blocked" and other.wakes_on_write:
                    other.state = "ready"
        client.steps += 1
        if self.answered() >= self.max_steps and not all(
            other.state == "done" for other in self.clients
        ):
            raise self._polling(max(self.clients, key=lambda other: other.steps))

    def _polling(self, client: Client) -> StuckClientError:
        counts = ", ".join(f"{other.name} {other.steps}" for other in self.clients)
        return StuckClientError(
            f"Client {client.name} was still sending commands when the clients had been "
            f"answered {self.max_steps} times (max_answers={self.max_steps}; steps: "
            f"{counts}): it may be looping forever, polling for something no client does. "
            "Fix the loop, or raise the limit with redis_session(max_answers=...)."
        )

    def blocked(self, client: Client, timeout: float, what: str, *, on_write: bool) -> None:
        """Note that ``client`` waits (a blocking command, a sleep): for a write, or a time."""
        if client.deadline is None and timeout:
            client.deadline = self.clock.time() + timeout
        client.wakes_on_write = on_write
        client.what = what
        client.state = "blocked"

    # -- threads -------------------------------------------------------------------------------

    def run(self) -> list[Any]:
        """Run every client to its end; each one's result, or the exception it raised."""
        global _current
        if _current is not None:
            raise StuckClientError(
                "session.concurrently() was called inside a client of session.concurrently(): "
                "pass every client to one call."
            )
        _current = self
        clock = self.clock
        clock.sleeper = self.sleep
        self.story.shown = True
        try:
            with self._lock:
                for client in self.clients:
                    client.wake = threading.Condition(self._lock)
                    client.thread = threading.Thread(
                        target=self._client_main,
                        args=(client,),
                        name=f"tripwire client {client.name}",
                        daemon=True,
                    )
                    self._grant(client)
                    client.thread.start()
                    self._wait_for(client)
                # The first choice keeps the first client running, not the last one started.
                self.last = None
                while not all(client.state == "done" for client in self.clients):
                    self.next_ready()
                    chosen = self.choose()
                    writes = self.writes
                    self._grant(chosen)
                    self._wait_for(chosen)
                    self.after_step(chosen, writes)
            for client in self.clients:
                # Each has returned: its thread ends with its last line.
                if client.thread is not None:
                    client.thread.join()
        except BaseException:
            self._stop_all()
            raise
        finally:
            clock.sleeper = None
            _current = None
        return self._results()

    def _results(self) -> list[Any]:
        for client in self.clients:
            if isinstance(client.raised, TripwireError):
                raise client.raised
        return [
            client.raised if client.raised is not None else client.outcome
            for client in self.clients
        ]

    def _client_main(self, client: Client) -> None:
        _here.client = client
        try:
            # Started by `run` with the running role already its own.
            client.outcome = client.function()
        except Stopped:
            pass
        except BaseException as error:
            client.raised = error
        finally:
            with self._lock:
                client.state = "done"
                if self.running is client:
                    self.running = None
                self._main.notify()

    def _grant(self, client: Client) -> None:
        client.state = "running"
        self.running = client
        self.last = client
        if client.wake is not None:
            client.wake.notify()

    def _wait_for(self, client: Client) -> None:
        """Wait (holding the condition) until ``client`` waits or ends; serve its draws."""
        timeout = self.timeout
        while self.running is client:
            request = self._request
            if request is not None:
                self._request = None
                function, args = request
                wake = client.wake
                assert wake is not None
                try:
                    self._reply = (function(*args), None)
                except BaseException as error:
                    self._reply = (None, error)
                    wake.notify()
                    raise
                wake.notify()
                continue
            if not self._main.wait(timeout):
                raise StuckClientError(
                    f"Client {client.name} ran for {timeout:g} s (wall clock) without sending a "
                    "Redis command or returning: it may wait for something another client holds "
                    "(a threading.Lock, an Event), or loop without Redis. Each client runs "
                    "alone between two commands; pass session.concurrently(..., timeout=...) "
                    "to give it longer."
                )

    def relay(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run ``function(*args)`` in the example's thread (a draw), from a client's thread."""
        client = client_here()
        if client is None or client.wake is None:
            return function(*args)
        with self._lock:
            if self.aborting:
                raise Stopped
            self._request = (function, args)
            self._reply = None
            self._main.notify()
            while self._replied() is None and not self._stopping():
                client.wake.wait()
            reply = self._replied()
            self._reply = None
        if reply is None:
            raise Stopped
        value, error = reply
        if error is not None:
            raise Stopped
        return value

    # -- in a client's thread ------------------------------------------------------------------

    def client_now(self) -> Client | None:
        """The client whose code runs now, if any (not the example's own thread)."""
        return getattr(_here, "client", None)

    def arrive(self, client: Client) -> None:
        """``client`` reached a command: wait until it is chosen to send it."""
        client.deadline = None
        client.timed_out = False
        client.what = ""
        if self._alone(client):
            return
        client.state = "ready"
        self._hand_back(client)

    def _alone(self, client: Client) -> bool:
        """Whether ``client`` is the last one running, with nothing to choose or draw: it then
        takes its step without handing back to the example's thread."""
        if self.time_passes or self.story.script is not None or self.aborting:
            return False
        if any(other.state != "done" for other in self.clients if other is not client):
            return False
        self.story.step(client.name, 0.0)
        client.steps += 1
        if self.answered() >= self.max_steps:
            raise self._polling(client)
        return True

    def block(self, client: Client, timeout: float, what: str) -> bool:
        """A blocking command found nothing: wait for a write (False) or the timeout (True)."""
        self.blocked(client, timeout, what, on_write=True)
        self._hand_back(client)
        timed_out = client.timed_out
        client.timed_out = False
        return timed_out

    def sleep(self, seconds: float) -> bool:
        """``time.sleep`` in a client (under `Clock.patch_time`): the others run meanwhile."""
        client = self.client_now()
        if client is None:
            return False
        self.blocked(
            client, max(float(seconds), 0.0) or 1e-9, f"time.sleep({seconds!r})", on_write=False
        )
        self._hand_back(client)
        client.deadline = None
        return True

    def _hand_back(self, client: Client) -> None:
        wake = client.wake
        assert wake is not None
        with self._lock:
            if self.aborting:
                raise Stopped
            self.running = None
            self._main.notify()
            while self.running is not client and not self._stopping():
                wake.wait()
            if self._stopping():
                raise Stopped

    # -- stopping ------------------------------------------------------------------------------

    def _replied(self) -> tuple[Any, BaseException | None] | None:
        return self._reply  # a method, as `_stopping`

    def _stopping(self) -> bool:
        # A method: the flag changes in another thread while this one waits.
        return self.aborting

    def _stop_all(self) -> None:
        with self._lock:
            self.aborting = True
            self._main.notify_all()
            for client in self.clients:
                if client.wake is not None:
                    client.wake.notify_all()
        for client in self.clients:
            thread = client.thread
            if thread is None or not thread.is_alive():
                continue
            # A client woken to stop leaves at once, even on a loaded machine within this: an
            # exception sent into a thread that is already unwinding could land in the middle of
            # its cleanup (a weakref callback), where Python can only report it as unraisable.
            thread.join(2.0)
            if thread.is_alive() and thread.ident is not None:
                import ctypes  # only for a client that never reaches a command

                # Running Python code that never reaches a command: stopped at its next line.
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(thread.ident), ctypes.py_object(Stopped)
                )
                thread.join(2)


def _deadlock(blocked: list[Client]) -> str:
    waiting = "; ".join(f"client {client.name} waits in {client.what}" for client in blocked)
    return (
        f"Every client waits for another, and none can run: {waiting}, with no timeout. "
        "A blocking command with timeout 0 waits for a write that no client will make. "
        "Give it a timeout, or make sure another client writes what it waits for."
    )


def waits_alone(clock: Clock, timeout: float, what: str) -> None:
    """A blocking command in the example's own thread: nothing else can write, so it times
    out at once, the clock moved by its timeout; with no timeout it would wait forever."""
    if not timeout:
        raise StuckClientError(
            f"{what} waits for a write, with no timeout, and no other client runs: it would "
            "wait forever. Give it a timeout, or run the writer with it in "
            "session.concurrently(...)."
        )
    clock.advance(timeout)


def with_name(clients: Sequence[Client]) -> str:
    return ", ".join(client.name for client in clients)
