"""A pipeline of ten commands, and asyncio calls, answered by each stand-in.

Pipeline rounds build a pipeline of ten SETs and execute it; asyncio rounds await
``client.get("k")`` a hundred times on one event loop. Mocks are registered before the clock
starts (pedantic setup for the pipeline, up front for asyncio).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from unittest import mock

import fakeredis
import pytest
import redis
import redis.asyncio as aredis

import tripwire

COMMANDS = 10
AWAITS = 100
ROUNDS = 200


def run_pipeline(client: Any) -> list[Any]:
    pipe = client.pipeline()
    for n in range(COMMANDS):
        pipe.set(f"k{n}", n)
    return pipe.execute()  # type: ignore[no-any-return]


# -- pipeline --------------------------------------------------------------------------------------


def tripwire_pipeline(benchmark: Any) -> list[Any]:
    verifier = tripwire.StrictVerifier()
    with tripwire.use_verifier(verifier):
        client = redis.Redis()

        def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
            for _ in range(COMMANDS):
                tripwire.redis.mock_command("SET", returns=True)
            return (client,), {}

        with tripwire:
            return benchmark.pedantic(  # type: ignore[no-any-return]
                run_pipeline, setup=setup, rounds=ROUNDS, warmup_rounds=5
            )


def patch_object_pipeline(benchmark: Any) -> list[Any]:
    with mock.patch.object(redis.client.Pipeline, "execute", return_value=[True] * COMMANDS):
        return benchmark.pedantic(  # type: ignore[no-any-return]
            run_pipeline, args=(redis.Redis(),), rounds=ROUNDS, warmup_rounds=5
        )


def magicmock_pipeline(benchmark: Any) -> list[Any]:
    client = mock.MagicMock(spec=redis.Redis)
    client.pipeline.return_value.execute.return_value = [True] * COMMANDS
    return benchmark.pedantic(  # type: ignore[no-any-return]
        run_pipeline, args=(client,), rounds=ROUNDS, warmup_rounds=5
    )


def fakeredis_pipeline(benchmark: Any) -> list[Any]:
    client = fakeredis.FakeRedis()
    return benchmark.pedantic(  # type: ignore[no-any-return]
        run_pipeline, args=(client,), rounds=ROUNDS, warmup_rounds=5
    )


PIPELINES: dict[str, Callable[[Any], list[Any]]] = {
    "tripwire": tripwire_pipeline,
    "patch.object": patch_object_pipeline,
    "MagicMock(spec)": magicmock_pipeline,
    "fakeredis": fakeredis_pipeline,
}


@pytest.mark.benchmark(group="pipeline: 10 x SET, execute()")
@pytest.mark.parametrize(
    "stand_in",
    [
        pytest.param(name, marks=pytest.mark.allow("redis")) if name == "fakeredis" else name
        for name in PIPELINES
    ],
)
def test_pipeline_of_ten(benchmark: Any, stand_in: str) -> None:
    assert PIPELINES[stand_in](benchmark) == [True] * COMMANDS


# -- asyncio ---------------------------------------------------------------------------------------


async def hundred_gets(client: Any) -> Any:
    reply = None
    for _ in range(AWAITS):
        reply = await client.get("k")
    return reply


@contextmanager
def tripwire_async(calls: int) -> Iterator[Any]:
    with tripwire.use_verifier(tripwire.StrictVerifier()):
        for _ in range(calls):
            tripwire.redis.mock_command("GET", returns=b"v")
        with tripwire:
            yield aredis.Redis()


@contextmanager
def patch_object_async(calls: int) -> Iterator[Any]:
    with mock.patch.object(aredis.Redis, "execute_command", return_value=b"v"):
        yield aredis.Redis()


@contextmanager
def fakeredis_async(calls: int) -> Iterator[Any]:
    client = fakeredis.FakeAsyncRedis()
    asyncio.run(client.set("k", b"v"))
    yield client


ASYNC: dict[str, Callable[[int], AbstractContextManager[Any]]] = {
    "tripwire": tripwire_async,
    "patch.object (AsyncMock)": patch_object_async,
    "fakeredis": fakeredis_async,
}


@pytest.mark.benchmark(group="asyncio: 100 x await r.get('k')")
@pytest.mark.parametrize(
    "stand_in",
    [
        pytest.param(name, marks=pytest.mark.allow("redis")) if name == "fakeredis" else name
        for name in ASYNC
    ],
)
def test_async_get(benchmark: Any, stand_in: str) -> None:
    loop = asyncio.new_event_loop()
    try:
        with ASYNC[stand_in]((ROUNDS + 6) * AWAITS) as client:
            reply = benchmark.pedantic(
                lambda: loop.run_until_complete(hundred_gets(client)),
                rounds=ROUNDS,
                warmup_rounds=5,
            )
    finally:
        loop.close()
    assert reply == b"v"


def paired_transaction_cost(rounds: int = 301, batch: int = 100) -> tuple[float, float]:
    """Median extra cost, in µs, of running the pipeline of ten SETs as a transaction, and the
    median cost of the pipeline without one.

    What a transaction adds is recording its MULTI and EXEC. Batches alternate between
    ``pipeline()`` and ``pipeline(transaction=False)``, pipelines built and mocks registered
    outside the clock, and the difference is taken between neighbouring batches.
    """
    import statistics
    import time

    from tripwire.plugins.redis_plugin import RedisPlugin

    def pipelines(transaction: bool) -> list[Any]:
        made = []
        for _ in range(batch):
            pipe = client.pipeline(transaction=transaction)
            for n in range(COMMANDS):
                pipe.set(f"k{n}", n)
            made.append(pipe)
        return made

    def timed(made: list[Any]) -> float:
        with tripwire:
            start = time.perf_counter()
            for pipe in made:
                pipe.execute()
            return time.perf_counter() - start

    client = redis.Redis()
    lift_guard = RedisPlugin.guard()  # as in a pytest test
    extra: list[float] = []
    base: list[float] = []
    try:
        with tripwire.use_verifier(tripwire.StrictVerifier()):
            for _ in range(rounds * batch * COMMANDS * 2):
                tripwire.redis.mock_command("SET", returns=True)
            for round_ in range(rounds):
                # Either is built and timed first as often as the other.
                if round_ % 2:
                    plain, transactions = pipelines(False), pipelines(True)
                    without = timed(plain)
                    spent = timed(transactions) - without
                else:
                    transactions, plain = pipelines(True), pipelines(False)
                    spent = timed(transactions)
                    without = timed(plain)
                    spent -= without
                extra.append(spent / batch * 1e6)
                base.append(without / batch * 1e6)
    finally:
        lift_guard()
    return statistics.median(extra), statistics.median(base)


if __name__ == "__main__":
    cost, base = paired_transaction_cost()
    print(
        f"pipeline(transaction=False), 10 x SET: {base:.3f} µs per execute(); "
        f"pipeline() (a transaction): +{cost:.3f} µs"
    )
