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
