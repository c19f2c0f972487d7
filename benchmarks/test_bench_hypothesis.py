"""A property test over `redis_session()`, per example: with tripwire and without.

Each round runs one ``@given`` test of the guide's ``get_user`` for ``EXAMPLES`` examples of a
one-step ``GET`` session (a hit, a miss or an injected error), always the same examples (fixed
seed, generate phase only). The variants differ only in how Redis is answered and checked:

- ``tripwire``: ``session.install()``, ``with tripwire:``, ``session.assert_consumed(...)``, with a
  fresh verifier per example, verified at its end (`per_example_verifier`, as the pytest plugin
  applies it to ``@given`` tests);
- ``without tripwire``: the same drawn session, answered by a plain function put in place of
  ``Redis.execute_command`` with ``unittest.mock.patch.object``, and the call checked by hand.

Per-example cost = a round's median / ``EXAMPLES``; the ratio of two variants is the ratio of
their medians.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
import redis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

import tripwire
from examples.redis_cache.app import get_user
from tripwire_hypothesis import RedisSession, per_example_verifier
from tripwire_hypothesis import strategies as tripwire_strategies

EXAMPLES = 300
CLIENT = redis.Redis()  # redis-py reads its package metadata in every new client

same_examples = settings(
    max_examples=EXAMPLES,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
USER_IDS = st.integers(min_value=1)
SESSIONS = tripwire_strategies.redis_session(commands=["GET"], min_steps=1, max_steps=1)


def read(user_id: int) -> object:
    try:
        return get_user(user_id, CLIENT)
    except Exception as error:  # a corrupt cached document, or an injected Redis error
        return error


def with_tripwire(user_id: int, session: RedisSession) -> None:
    session.install()
    with tripwire:
        read(user_id)
    key = f"user:{user_id}"
    session.assert_consumed(args=(key,), kwargs={"keys": [key]})


def without_tripwire(user_id: int, session: RedisSession) -> None:
    (step,) = session.steps
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def execute_command(client: Any, *args: Any, **options: Any) -> Any:
        calls.append((args, options))
        if step.raises is not None:
            raise step.raises
        return step.returns

    with mock.patch.object(redis.Redis, "execute_command", execute_command):
        read(user_id)
    key = f"user:{user_id}"
    assert calls == [(("GET", key), {"keys": [key]})]


def property_test(body: Any) -> Callable[[], None]:
    test: Callable[[], None] = seed(20261124)(same_examples(given(USER_IDS, SESSIONS)(body)))
    return test


PROPERTIES = {
    "tripwire": property_test(per_example_verifier(with_tripwire)),
    "without tripwire": property_test(without_tripwire),
}


def collect() -> None:
    gc.collect()


@pytest.mark.benchmark(group=f"@given(redis_session()): {EXAMPLES} examples of get_user")
@pytest.mark.parametrize("variant", list(PROPERTIES))
def test_property_test(benchmark: Any, variant: str) -> None:
    # Each round starts from a collected heap, as in `paired_ratios`: otherwise whichever variant
    # happens to run when a full collection of Hypothesis' garbage falls due pays for it.
    # Collections during a round are still timed.
    benchmark.pedantic(PROPERTIES[variant], setup=collect, rounds=15, warmup_rounds=1)


def paired_ratios(rounds: int) -> dict[str, float]:
    """Median ratios of each variant to ``without tripwire``, timed back to back in CPU time.

    pytest-benchmark times the variants one after the other; on a shared machine the load moves
    between them. Here each round runs all three in a shuffled order, after a full collection,
    and a ratio is taken within the round.
    """
    import contextlib
    import gc
    import random
    import statistics
    import time

    from tripwire.plugins.redis_plugin import RedisPlugin

    shuffle = random.Random(0).shuffle
    ratios: dict[str, list[float]] = {name: [] for name in PROPERTIES}
    # As in a pytest test: a verifier of the test's own, and the guard that refuses real Redis
    # outside the sandbox (it keeps tripwire's interceptors installed for the whole test).
    lift_guard = RedisPlugin.guard()
    with contextlib.ExitStack() as stack:
        stack.callback(lift_guard)
        stack.enter_context(tripwire.use_verifier(tripwire.StrictVerifier()))
        for test in PROPERTIES.values():
            test()
        for _ in range(rounds):
            order = list(PROPERTIES.items())
            shuffle(order)
            spent = {}
            for name, test in order:
                gc.collect()
                start = time.process_time()
                test()
                spent[name] = time.process_time() - start
            for name in PROPERTIES:
                ratios[name].append(spent[name] / spent["without tripwire"])
    return {name: statistics.median(values) for name, values in ratios.items()}


if __name__ == "__main__":
    for name, ratio in paired_ratios(rounds=31).items():
        print(f"{name:24} {ratio:.3f}")
