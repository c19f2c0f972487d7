"""Two concurrent clients of a model per example, against one client doing the same work.

Each round runs one ``@given(redis_session(model=True, error_rate=0))`` test for ``EXAMPLES``
examples, always the same ones (fixed seed, generate phase only): two withdrawals from a seeded
balance (``GET``, then ``SET``, each), checked against the model and asserted with
``session.assert_sent``. The variants differ only in how the withdrawals run:

- ``one client``: one after the other, in the example's thread;
- ``two clients``: ``session.concurrently(...)``, each a client of its own (a thread), with
  Hypothesis choosing which sends each command.

Per-example cost = a round's CPU time (of every thread of the process) / the examples it ran
(counted); the ratio is the median of the paired ratios (both variants timed back to back, in a
shuffled order). CPU time, not wall time: on a shared machine the wall time of either variant
varies with the other jobs far more than the two differ. Run as a script for
the paired measurement: ``python benchmarks/test_bench_concurrently.py [rounds]``.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

import tripwire
from tripwire_hypothesis import RedisSession, per_example_verifier
from tripwire_hypothesis import strategies as tripwire_strategies

EXAMPLES = 200
CLIENT = redis.Redis()

same_examples = settings(
    max_examples=EXAMPLES,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


#: Examples run by each variant, counted: per-example costs divide by what ran.
RUNS: dict[str, int] = {"one client": 0, "two clients": 0}


def withdraw(client: redis.Redis, amount: int) -> bool:
    balance = int(client.get("balance:alice") or 0)
    if balance < amount:
        return False
    client.set("balance:alice", balance - amount)
    return True


def one_client(session: RedisSession, balance: int, first: int, second: int) -> None:
    RUNS["one client"] += 1
    session.model.set("balance:alice", balance)
    session.install()
    with tripwire:
        paid = [withdraw(CLIENT, first), withdraw(CLIENT, second)]
    assert 0 <= int(session.model.get("balance:alice")) <= balance
    assert len(paid) == 2
    session.assert_sent([(c.command, *c.args) for c in session.consumed if not c.retried])


def two_clients(session: RedisSession, balance: int, first: int, second: int) -> None:
    RUNS["two clients"] += 1
    session.model.set("balance:alice", balance)
    session.install()
    with tripwire:
        paid = session.concurrently(
            lambda: withdraw(CLIENT, first), lambda: withdraw(CLIENT, second)
        )
    assert 0 <= int(session.model.get("balance:alice")) <= balance
    assert len(paid) == 2
    session.assert_sent([(c.command, *c.args) for c in session.consumed if not c.retried])


def property_test(body: Any) -> Callable[[], None]:
    # The amounts make the examples differ, so that both variants run all of them.
    strategy = tripwire_strategies.redis_session(model=True, error_rate=0)
    amounts = st.integers(0, 10_000)
    test: Callable[[], None] = seed(20261207)(
        same_examples(given(strategy, amounts, amounts, amounts)(per_example_verifier(body)))
    )
    return test


PROPERTIES = {"one client": property_test(one_client), "two clients": property_test(two_clients)}


def collect() -> None:
    gc.collect()


@pytest.mark.benchmark(group=f"session.concurrently: {EXAMPLES} examples of two withdrawals")
@pytest.mark.parametrize("variant", list(PROPERTIES))
def test_concurrent_property_test(benchmark: Any, variant: str) -> None:
    benchmark.pedantic(PROPERTIES[variant], setup=collect, rounds=10, warmup_rounds=1)


def paired_ratios(rounds: int) -> tuple[float, dict[str, float]]:
    """The median ratio of two clients to one, timed back to back in CPU time, and the median
    CPU time per example of each (in microseconds)."""
    import random
    import statistics
    import time

    shuffle = random.Random(0).shuffle
    ratios: list[float] = []
    per_example: dict[str, list[float]] = {name: [] for name in PROPERTIES}
    with tripwire.use_verifier(tripwire.StrictVerifier()):
        for test in PROPERTIES.values():
            test()
        for _ in range(rounds):
            order = list(PROPERTIES.items())
            shuffle(order)
            spent = {}
            for name, test in order:
                gc.collect()
                RUNS[name] = 0
                start = time.process_time()
                test()
                spent[name] = (time.process_time() - start) / RUNS[name]
            ratios.append(spent["two clients"] / spent["one client"])
            for name in PROPERTIES:
                per_example[name].append(spent[name] * 1e6)
    return statistics.median(ratios), {
        name: statistics.median(values) for name, values in per_example.items()
    }


def paired_bodies(rounds: int, loops: int = 200) -> tuple[float, dict[str, float]]:
    """The same pairing without Hypothesis: each example's body alone, replayed with
    ``RedisSession.from_faults([])`` (the first schedule: A, then B), CPU time per body."""
    import random
    import statistics
    import time

    def body(variant: str) -> None:
        session = RedisSession.from_faults([])
        with tripwire.use_verifier(tripwire.StrictVerifier()) as verifier:
            (one_client if variant == "one client" else two_clients)(session, 10, 5, 3)
            verifier.verify_all()

    shuffle = random.Random(0).shuffle
    ratios: list[float] = []
    per_body: dict[str, list[float]] = {name: [] for name in PROPERTIES}
    for _ in range(rounds):
        order = list(PROPERTIES)
        shuffle(order)
        spent = {}
        for name in order:
            gc.collect()
            start = time.process_time()
            for _ in range(loops):
                body(name)
            spent[name] = (time.process_time() - start) / loops
        ratios.append(spent["two clients"] / spent["one client"])
        for name in PROPERTIES:
            per_body[name].append(spent[name] * 1e6)
    return statistics.median(ratios), {
        name: statistics.median(values) for name, values in per_body.items()
    }


if __name__ == "__main__":
    import sys

    ratio, costs = paired_ratios(rounds=int(sys.argv[1]) if len(sys.argv) > 1 else 15)
    for name in PROPERTIES:
        print(f"{name:12} {costs[name]:7.0f} us per example")
    print(f"two clients / one client: {ratio:.2f} (Hypothesis examples)")
    from tripwire.plugins.redis_plugin.intercept import interceptors as _redis_intercept

    lift = _redis_intercept.guard()  # as under pytest: the interceptors stay installed
    try:
        ratio, costs = paired_bodies(rounds=int(sys.argv[1]) if len(sys.argv) > 1 else 15)
    finally:
        lift()
    for name in PROPERTIES:
        print(f"{name:12} {costs[name]:7.0f} us per body, without Hypothesis")
    print(f"two clients / one client: {ratio:.2f} (bodies alone)")
