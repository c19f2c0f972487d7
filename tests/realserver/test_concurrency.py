"""Threads and asyncio tasks started inside the sandbox share the mocks exactly.

They mix direct calls and pipelines on the same commands. Nothing is lost and nothing is
duplicated: each mock is consumed by exactly one call, which receives that mock's value and is
recorded once; each command's mocks are consumed in registration order (the verifier's timeline
lists them so), however the calls interleave. The clients point at the session's real
``redis-server``, which sees none of it.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import pytest
import redis
import redis.client
import redis.exceptions
from dirty_equals import IsInstance

import tripwire
from tripwire import StrictVerifier
from tripwire.plugins.redis_plugin import RedisCall

try:
    import redis.asyncio
except ImportError:  # redis-py 4.0 and 4.1
    ASYNCIO = False
else:
    ASYNCIO = True

ANY_OPTIONS = IsInstance(dict)
NEEDS_ASYNCIO = pytest.mark.skipif(not ASYNCIO, reason="redis.asyncio arrived in redis-py 4.2")
THREADS = 4
TASKS = 8
ROUNDS = 5
PIPELINE = 5
"""Each worker runs ROUNDS x (a GET, a SET, a pipeline of PIPELINE SETs)."""
TIMEOUT = 30.0

Call = tuple[str, tuple[Any, ...], Any]
"""A call a worker made: the command, its arguments after the name, and what it got back."""
BUILT_IN = ("MULTI", "EXEC")
"""What a transaction records around its commands without a mock."""


class _Server(Protocol):
    """The parts of conftest's ``RedisServer`` used here (conftest is not importable)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    def commands_processed(self) -> int: ...
    def delta_since(self, before: int) -> int: ...


@pytest.fixture
def busy_switching() -> Iterator[None]:
    """Switch threads every 10 microseconds, so that their calls interleave as much as possible."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(previous)


def register(workers: int) -> dict[str, list[RedisCall]]:
    """Enough GET and SET mocks for ``workers``; each returns ``(command, its index)``, a value
    redis-py never returns, which identifies the mock (hence ``check_returns=False``)."""
    counts = {"GET": workers * ROUNDS, "SET": workers * ROUNDS * (1 + PIPELINE)}
    return {
        command: [
            tripwire.redis.mock_command(command, returns=(command, n), check_returns=False)
            for n in range(count)
        ]
        for command, count in counts.items()
    }


def sync_worker(client: redis.Redis, name: str, start: threading.Barrier) -> list[Call]:
    calls: list[Call] = []
    start.wait()
    for round_ in range(ROUNDS):
        key = f"{name}:{round_}"
        calls.append(("GET", (key,), client.get(key)))
        calls.append(("SET", (key, round_), client.set(key, round_)))
        pipe = client.pipeline(transaction=round_ % 2 == 0)
        queued = [(f"{key}.{i}", i) for i in range(PIPELINE)]
        for args in queued:
            pipe.set(*args)
        calls.extend(batch(pipe.transaction, queued, pipe.execute()))
    return calls


async def async_worker(client: redis.asyncio.Redis, name: str) -> list[Call]:
    calls: list[Call] = []
    for round_ in range(ROUNDS):
        key = f"{name}:{round_}"
        calls.append(("GET", (key,), await client.get(key)))
        await asyncio.sleep(0)
        calls.append(("SET", (key, round_), await client.set(key, round_)))
        await asyncio.sleep(0)
        async with client.pipeline(transaction=round_ % 2 == 0) as pipe:
            queued = [(f"{key}.{i}", i) for i in range(PIPELINE)]
            for args in queued:
                pipe.set(*args)
            await asyncio.sleep(0)
            calls.extend(batch(pipe.is_transaction, queued, await pipe.execute()))
    return calls


def batch(transaction: bool, queued: list[tuple[str, int]], replies: list[Any]) -> list[Call]:
    """The calls a pipeline of SETs made; a transaction's between MULTI and EXEC."""
    sets: list[Call] = [("SET", args, got) for args, got in zip(queued, replies, strict=True)]
    return [("MULTI", (), True), *sets, ("EXEC", (), None)] if transaction else sets


def check_shared_exactly(mocks: dict[str, list[RedisCall]], workers: list[list[Call]]) -> None:
    """Each mock went to one call, which got its value; each worker took its mocks in FIFO order
    and finds its calls on the timeline in the order it made them."""
    registered = [mock for queue in mocks.values() for mock in queue]
    built_in = sorted(call[0] for worker in workers for call in worker if call[0] in BUILT_IN)
    workers = [[call for call in worker if call[0] not in BUILT_IN] for worker in workers]
    calls = [call for worker in workers for call in worker]
    entries = tripwire.current_verifier().timeline.entries
    # Each transaction recorded its MULTI and EXEC, which took no mock.
    assert sorted(e.command for e in entries if e.command in BUILT_IN) == built_in
    entries = [entry for entry in entries if entry.command not in BUILT_IN]
    assert len(calls) == len(registered)
    assert len(entries) == len(registered)
    assert {id(entry) for entry in entries} == {id(mock) for mock in registered}
    position = {id(entry): index for index, entry in enumerate(entries)}
    for command, args, got in calls:
        got_command, index = got
        assert got_command == command
        assert mocks[command][index].args == args
    for worker in workers:
        for command in mocks:
            indexes = [got[1] for name, _, got in worker if name == command]
            assert indexes == sorted(indexes)
        recorded_at = [position[id(mocks[got[0]][got[1]])] for _, _, got in worker]
        assert recorded_at == sorted(recorded_at), "a worker's calls were recorded out of order"


def assert_every_call(workers: list[list[Call]]) -> None:
    with tripwire.in_any_order():
        for worker in workers:
            for command, args, _ in worker:
                tripwire.redis.assert_command(command, args=args, kwargs=ANY_OPTIONS)


def async_client(server: _Server) -> redis.asyncio.Redis:
    return redis.asyncio.Redis(host=server.host, port=server.port)


@pytest.mark.usefixtures("busy_switching")
def test_threads(real_redis: redis.Redis, redis_server: _Server) -> None:
    mocks = register(THREADS)
    start = threading.Barrier(THREADS, timeout=TIMEOUT)
    before = redis_server.commands_processed()
    with tripwire, ThreadPoolExecutor(THREADS) as pool:
        futures = [
            pool.submit(sync_worker, real_redis, f"thread{n}", start) for n in range(THREADS)
        ]
        workers = [future.result(TIMEOUT) for future in futures]
    assert redis_server.delta_since(before) == 0
    check_shared_exactly(mocks, workers)
    assert_every_call(workers)


@pytest.mark.asyncio
@NEEDS_ASYNCIO
async def test_asyncio_tasks(redis_server: _Server) -> None:
    mocks = register(TASKS)
    client = async_client(redis_server)
    before = redis_server.commands_processed()
    async with tripwire:
        tasks = [asyncio.create_task(async_worker(client, f"task{n}")) for n in range(TASKS)]
        workers = list(await asyncio.gather(*tasks))
    assert redis_server.delta_since(before) == 0
    check_shared_exactly(mocks, workers)
    assert_every_call(workers)


@pytest.mark.asyncio
@NEEDS_ASYNCIO
@pytest.mark.usefixtures("busy_switching")
async def test_threads_and_tasks_together(real_redis: redis.Redis, redis_server: _Server) -> None:
    mocks = register(THREADS + TASKS)
    client = async_client(redis_server)
    start = threading.Barrier(THREADS, timeout=TIMEOUT)
    before = redis_server.commands_processed()
    async with tripwire:
        with ThreadPoolExecutor(THREADS) as pool:
            threads = [
                asyncio.wrap_future(pool.submit(sync_worker, real_redis, f"thread{n}", start))
                for n in range(THREADS)
            ]
            tasks = [asyncio.create_task(async_worker(client, f"task{n}")) for n in range(TASKS)]
            workers = list(await asyncio.gather(*threads, *tasks))
    assert redis_server.delta_since(before) == 0
    check_shared_exactly(mocks, workers)
    assert_every_call(workers)


@pytest.mark.allow("redis")
@pytest.mark.usefixtures("busy_switching")
def test_threads_with_sandboxes_of_their_own(
    real_redis: redis.Redis, redis_server: _Server
) -> None:
    mocks = register(THREADS)
    start = threading.Barrier(THREADS, timeout=TIMEOUT)

    def sandboxed(name: str) -> list[Call]:
        with tripwire:
            return sync_worker(real_redis, name, start)

    assert real_redis.ping() is True
    before = redis_server.commands_processed()
    with ThreadPoolExecutor(THREADS) as pool:
        workers = list(pool.map(sandboxed, [f"thread{n}" for n in range(THREADS)]))
    assert redis_server.delta_since(before) == 0
    assert not tripwire.current_verifier().sandbox_open
    check_shared_exactly(mocks, workers)
    # The last sandbox to close restored redis-py: the real server answers again.
    before = redis_server.commands_processed()
    assert real_redis.set("after-threads", "real") is True
    assert real_redis.get("after-threads") == b"real"
    assert redis_server.delta_since(before) == 2
    assert_every_call(workers)


@pytest.mark.usefixtures("busy_switching")
def test_transactions_in_threads_with_an_injected_watch_error(
    real_redis: redis.Redis, redis_server: _Server
) -> None:
    attempts: dict[str, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(THREADS, timeout=TIMEOUT)

    def transfer(name: str) -> Any:
        def move(pipe: redis.client.Pipeline) -> None:
            with lock:
                attempts[name] = attempts.get(name, 0) + 1
            pipe.get(name)
            pipe.multi()
            pipe.set(name, 1)

        start.wait()
        return real_redis.transaction(move, name)

    # One transaction, whichever reaches EXEC first, fails and is retried.
    for _ in range(THREADS + 1):
        tripwire.redis.mock_command("WATCH", returns=True)
        tripwire.redis.mock_command("GET", returns=None)
        tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("EXEC", returns=None, raises=redis.exceptions.WatchError("x"))
    names = [f"account{n}" for n in range(THREADS)]
    before = redis_server.commands_processed()
    with tripwire, ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(transfer, names, timeout=TIMEOUT))
    assert redis_server.delta_since(before) == 0
    assert results == [[True]] * THREADS
    assert sorted(attempts.values()) == [1] * (THREADS - 1) + [2]
    with tripwire.in_any_order():
        # Every attempt reached EXEC: the one that took the EXEC mock failed, the rest committed.
        for name in names:
            for _ in range(attempts[name]):
                tripwire.redis.assert_command("WATCH", args=(name,))
                tripwire.redis.assert_command("GET", args=(name,), kwargs=ANY_OPTIONS)
                tripwire.redis.assert_command("MULTI")
                tripwire.redis.assert_command("SET", args=(name, 1), kwargs=ANY_OPTIONS)
                tripwire.redis.assert_command("EXEC")


def test_the_last_exec_mock_goes_to_exactly_one_of_racing_transactions(
    real_redis: redis.Redis,
    redis_server: _Server,
    verifier: StrictVerifier,
) -> None:
    # Eight transactions race for three EXEC mocks: checking for and taking an EXEC mock is
    # one step, so exactly three fail with WatchError and none finds the queue emptied under it.
    def transaction(key: str) -> Any:
        pipe = real_redis.pipeline(transaction=True)
        pipe.set(key, 1)
        try:
            return pipe.execute()
        except redis.exceptions.WatchError:
            return "WatchError"

    keys = [f"k{n}" for n in range(8)]
    for _ in keys:
        tripwire.redis.mock_command("SET", returns=True)
    for _ in range(3):
        tripwire.redis.mock_command("EXEC", returns=None, raises=redis.exceptions.WatchError("x"))
    before = redis_server.commands_processed()
    with tripwire, ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(transaction, key) for key in keys]
        outcomes = [future.result(TIMEOUT) for future in futures]
    assert redis_server.delta_since(before) == 0
    assert sorted(map(str, outcomes)) == ["WatchError"] * 3 + ["[True]"] * 5
    with tripwire.in_any_order():
        for key in keys:  # three EXECs failed, five committed
            tripwire.redis.assert_command("MULTI")
            tripwire.redis.assert_command("SET", args=(key, 1), kwargs=ANY_OPTIONS)
            tripwire.redis.assert_command("EXEC")
    verifier.verify_all()
