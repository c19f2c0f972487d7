"""`RedisSession.concurrently` and `RedisSession.concurrently_async`: checks, then the scheduler.

Threads run under `tripwire_hypothesis._concurrency.schedule.Scheduler`. Coroutines run as
tasks under `AsyncScheduler`, the same choices made at the same points: a task reaches a command
in the asyncio interceptors, which await its turn (``interceptors.async_gate``), since the
answerer cannot await; a blocking command that finds nothing raises `WouldBlock` there, and the
gate awaits a write or the timeout before sending it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from hypothesis.errors import InvalidArgument

import tripwire_hypothesis._concurrency.schedule as _schedule
from tripwire.plugins.redis_plugin.intercept import interceptors as _redis_intercept
from tripwire_hypothesis._checks import invalid
from tripwire_hypothesis._concurrency.schedule import (
    NAMES,
    Client,
    Scheduler,
    Stopped,
    StuckClientError,
)

if TYPE_CHECKING:
    from tripwire_hypothesis._answerers.model import ModelAnswerer
    from tripwire_hypothesis._session import RedisSession

__all__ = ["run_tasks", "run_threads"]


def _answerer(session: RedisSession, what: str) -> ModelAnswerer:
    """The installed session's model answerer, or why ``what`` needs one."""
    installed = session._installed
    answerer = installed.answerer if installed is not None else None
    policy = session._policy
    if policy is None or not policy.model:
        raise InvalidArgument(
            f"RedisSession.{what}() needs a session answered by a model: draw it with "
            "redis_session(model=True)."
        )
    if answerer is None:
        raise InvalidArgument(
            f"RedisSession.{what}() needs the session installed first: call "
            "session.install() before `with tripwire:`."
        )
    return answerer  # type: ignore[return-value]


def _scheduler(
    what: str,
    session: RedisSession,
    functions: Sequence[Callable[[], Any]],
    timeout: float,
) -> Scheduler:
    answerer = _answerer(session, what)
    if not functions:
        raise invalid(f"RedisSession.{what}", "functions", "one or more callables", ())
    if len(functions) > len(NAMES):
        raise invalid(
            f"RedisSession.{what}", "functions", f"at most {len(NAMES)} callables", len(functions)
        )
    for function in functions:
        if not callable(function):
            raise invalid(f"RedisSession.{what}", "functions", "callables", function)
    if type(timeout) not in (int, float) or not timeout > 0:
        raise invalid(f"RedisSession.{what}", "timeout", "a number of seconds > 0", timeout)
    policy = answerer._policy
    model = answerer.model
    return Scheduler(
        functions,
        clock=model.clock,
        story=model.story,
        draws=answerer._script_draws(),
        time_passes=policy.time_passes,
        max_steps=policy.max_answers,
        answered=lambda: len(answerer.answered),
        timeout=float(timeout),
    )


def run_threads(
    session: RedisSession, what: str, functions: Sequence[Callable[[], Any]], timeout: float
) -> list[Any]:
    scheduler = _scheduler(what, session, functions, timeout)
    draws = scheduler.draws
    if draws is not None:
        draws.relay = scheduler.relay
    try:
        return scheduler.run()
    finally:
        if draws is not None:
            draws.relay = None


async def run_tasks(
    session: RedisSession,
    what: str,
    functions: Sequence[Callable[[], Awaitable[Any]]],
    timeout: float,
) -> list[Any]:
    scheduler = _scheduler(what, session, functions, timeout)
    return await AsyncScheduler(scheduler).run()


class AsyncScheduler:
    """`Scheduler`'s choices for asyncio tasks: one runs at a time, between two commands."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        scheduler.asynchronous = True
        self.tasks: dict[Any, Client] = {}
        self.running: Client | None = None
        self.go: dict[Client, asyncio.Future[None]] = {}
        self.changed: asyncio.Event | None = None

    def client_now(self) -> Client | None:
        try:
            task = asyncio.current_task()
        except RuntimeError:
            return None
        return self.tasks.get(task)

    async def run(self) -> list[Any]:
        scheduler = self.scheduler
        if _schedule._current is not None:
            raise StuckClientError(
                "session.concurrently_async() was called inside a client of "
                "session.concurrently(): pass every client to one call."
            )
        loop = asyncio.get_running_loop()
        self.changed = asyncio.Event()
        _schedule._current = scheduler
        scheduler.client_now = self.client_now  # type: ignore[method-assign]
        scheduler.story.shown = True
        saved_gate = _redis_intercept.async_gate
        _redis_intercept.async_gate = self.gate
        try:
            for client in scheduler.clients:
                client.state = "running"
                self.running = client
                scheduler.last = client
                client.task = loop.create_task(self._client_main(client))
                self.tasks[client.task] = client
                await self._wait_for(client)
            scheduler.last = None
            while not all(client.state == "done" for client in scheduler.clients):
                scheduler.next_ready()
                chosen = scheduler.choose()
                writes = scheduler.writes
                self._grant(chosen)
                await self._wait_for(chosen)
                scheduler.after_step(chosen, writes)
        except BaseException:
            await self._stop_all()
            raise
        finally:
            _redis_intercept.async_gate = saved_gate
            _schedule._current = None
        return scheduler._results()

    async def _client_main(self, client: Client) -> None:
        try:
            client.outcome = await client.function()
        except (Stopped, asyncio.CancelledError):
            pass
        except BaseException as error:
            client.raised = error
        finally:
            client.state = "done"
            self._handed_back(client)

    def _grant(self, client: Client) -> None:
        client.state = "running"
        self.running = client
        self.scheduler.last = client
        future = self.go.pop(client, None)
        if future is not None and not future.done():
            future.set_result(None)

    def _handed_back(self, client: Client) -> None:
        if self.running is client:
            self.running = None
        assert self.changed is not None
        self.changed.set()

    async def _wait_for(self, client: Client) -> None:
        changed = self.changed
        assert changed is not None
        timeout = self.scheduler.timeout
        while self.running is client:
            try:
                await asyncio.wait_for(changed.wait(), timeout)
            except asyncio.TimeoutError:
                raise StuckClientError(
                    f"Client {client.name} ran for {timeout:g} s (wall clock) without sending "
                    "a Redis command or returning: it may await something another client "
                    "holds (an asyncio.Lock, an Event), or loop without Redis. Each client "
                    "runs alone between two commands; pass "
                    "session.concurrently_async(..., timeout=...) to give it longer."
                ) from None
            changed.clear()

    async def _park(self, client: Client) -> None:
        future = asyncio.get_running_loop().create_future()
        self.go[client] = future
        self._handed_back(client)
        await future

    async def gate(self, run: Callable[..., Any], *args: Any) -> Any:
        """A command of an asyncio client: wait for its turn, then send it (again, when it
        blocked and another client wrote)."""
        client = self.client_now()
        if client is None:
            return run(*args)
        scheduler = self.scheduler
        if scheduler.aborting:
            raise Stopped
        client.deadline = None
        client.timed_out = False
        client.what = ""
        client.state = "ready"
        await self._park(client)
        while True:
            try:
                return run(*args)
            except _schedule.WouldBlock as blocked:
                scheduler.blocked(client, blocked.timeout, blocked.what, on_write=True)
                await self._park(client)

    async def _stop_all(self) -> None:
        self.scheduler.aborting = True
        tasks = [client.task for client in self.scheduler.clients if client.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
