"""What the property-test benchmarks share: the same examples every round, and paired timing.

Used by test_bench_hypothesis.py (answers drawn at call time) and test_bench_model.py (answers
from a model of Redis): each times variants of one ``@given`` test, with tripwire and without.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import redis
from hypothesis import HealthCheck, Phase, given, seed, settings

from tripwire_hypothesis._answerers.outcomes import COIN_SIDES

CLIENT = redis.Redis()  # redis-py reads its package metadata in every new client
#: redis_session()'s default error rate, as a cut of the 256-sided coin.
CUT = round(0.8 * COIN_SIDES)


def property_test(body: Any, strategy: Any, examples: int) -> Callable[[], None]:
    """``@given(strategy)(body)`` over the same ``examples`` examples every run (fixed seed,
    generate phase only)."""
    same_examples = settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    test: Callable[[], None] = seed(20261130)(same_examples(given(strategy)(body)))
    return test


def collect() -> None:
    gc.collect()


def paired_times(
    properties: Mapping[str, Callable[[], None]], rounds: int
) -> dict[str, list[float]]:
    """The CPU time of each variant in each round, timed back to back.

    pytest-benchmark times the variants one after the other; on a shared machine the load moves
    between them. Here each round runs them all in a shuffled order, each after a full
    collection, so that a ratio taken within a round compares like with like. Every variant runs
    once first, unmeasured.
    """
    shuffle = random.Random(0).shuffle
    spent: dict[str, list[float]] = {name: [] for name in properties}
    for test in properties.values():
        test()
    for _ in range(rounds):
        order = list(properties.items())
        shuffle(order)
        for name, test in order:
            gc.collect()
            start = time.process_time()
            test()
            spent[name].append(time.process_time() - start)
    return spent
