"""Checking what happened: `assert_command` on a short and a long timeline, and `verify_all`.

Everything is recorded before the clock starts, through the public API; only the assertions are
timed.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest

import tripwire
from tripwire.plugins.redis_plugin import RedisPlugin

ROUNDS = 150
ITERATIONS = 5
WARMUP_ROUNDS = 10
#: Assertions a run makes: its rounds, plus one more round and one call for pytest-benchmark's
#: result and ``--benchmark-cprofile``. Fewer than the 1,000 interactions of the short timeline.
ASSERTIONS = (WARMUP_ROUNDS + ROUNDS + 1) * ITERATIONS + 1
SHORT, LONG = 1_000, 100_000


def record_side_by_side(timeline: Any) -> dict[int, tripwire.StrictVerifier]:
    """A verifier with 1,000 calls of ``GET k`` and one with 100,000, each recorded in one go
    (``timeline`` is conftest's `GetTimeline`).

    Both benchmarks assert on these same two verifiers, so the process and its memory are the
    same whichever size is timed: the figures differ only in the length of the timeline.
    """
    verifiers = {SHORT: tripwire.StrictVerifier(), LONG: tripwire.StrictVerifier()}
    for size, verifier in verifiers.items():
        with tripwire.use_verifier(verifier):
            timeline.record(size)
    return verifiers


@pytest.fixture(scope="module")
def side_by_side(recorder: Any) -> dict[int, tripwire.StrictVerifier]:
    """The two timelines, recorded once for both benchmarks: each asserts its own."""
    verifiers = record_side_by_side(recorder)
    # The collection that 200,000 new objects are due for happens now, not in a timed round.
    gc.collect()
    return verifiers


@pytest.mark.benchmark(group="assert: assert_command('GET', args=('k',))")
@pytest.mark.parametrize("interactions", [SHORT, LONG], ids=["timeline-1k", "timeline-100k"])
def test_assert_command(
    benchmark, recorder, side_by_side: dict[int, tripwire.StrictVerifier], interactions: int
) -> None:
    assert_next = recorder.assert_next
    with tripwire.use_verifier(side_by_side[interactions]):
        # The timed assertions are those around the middle of the timeline: half of it is
        # already asserted before them and half still waits after them, so a cost that grew
        # with either half would show in the 100k figure.
        for _ in range((interactions - ASSERTIONS) // 2):
            assert_next()
        benchmark.pedantic(
            assert_next, rounds=ROUNDS, iterations=ITERATIONS, warmup_rounds=WARMUP_ROUNDS
        )


@pytest.mark.benchmark(group="verify_all: a clean test of 10,000 interactions")
def test_verify_all_clean_test(benchmark, timeline) -> None:
    def clean_test() -> tuple[tuple[tripwire.StrictVerifier], dict[str, object]]:
        # A new test's verifier every round, each of its 10,000 calls mocked and asserted,
        # as pytest's teardown receives it.
        verifier = tripwire.StrictVerifier()
        with tripwire.use_verifier(verifier):
            timeline.record(10_000)
            timeline.assert_many(10_000)
        return (verifier,), {}

    benchmark.pedantic(tripwire.StrictVerifier.verify_all, setup=clean_test, rounds=20)


def paired_ratio(rounds: int = 151, batch: int = 5) -> float:
    """The median ratio of one assertion's cost on the 100k timeline to that on the 1k one.

    pytest-benchmark times the two sizes one after the other, and on a shared machine the speed
    of the whole process can change between them. Here batches of assertions alternate between
    the two timelines, and a ratio is taken between neighbouring batches.
    """
    import statistics
    import time

    from conftest import GetTimeline  # run as a script, from benchmarks/

    timeline = GetTimeline()
    assert_next = timeline.assert_next
    lift_guard = RedisPlugin.guard()  # as in a pytest test
    try:
        verifiers = record_side_by_side(timeline)
        gc.collect()
        for size, verifier in verifiers.items():
            with tripwire.use_verifier(verifier):
                for _ in range((size - rounds * batch) // 2):
                    assert_next()
        ratios = []
        for _ in range(rounds):
            spent = {}
            for size, verifier in verifiers.items():
                with tripwire.use_verifier(verifier):
                    start = time.perf_counter()
                    for _ in range(batch):
                        assert_next()
                    spent[size] = time.perf_counter() - start
            ratios.append(spent[LONG] / spent[SHORT])
    finally:
        lift_guard()
    return statistics.median(ratios)


if __name__ == "__main__":
    print(f"assert_command, 100k timeline / 1k timeline: {paired_ratio():.2f}")
