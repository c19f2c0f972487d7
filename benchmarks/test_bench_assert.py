"""Checking what happened: `assert_command` on a short and a long timeline, and `verify_all`.

Everything is recorded before the clock starts, through the public API (`GetTimeline` in
conftest.py); only the assertions are timed.
"""

from __future__ import annotations

import pytest

import tripwire

ROUNDS = 150
ITERATIONS = 5
WARMUP_ROUNDS = 10
#: Assertions a run makes: its rounds, plus one more round and one call for pytest-benchmark's
#: result and ``--benchmark-cprofile``. Fewer than the 1,000 interactions of the short timeline.
ASSERTIONS = (WARMUP_ROUNDS + ROUNDS + 1) * ITERATIONS + 1


@pytest.mark.benchmark(group="assert: assert_command('GET', args=('k',))")
@pytest.mark.parametrize("interactions", [1_000, 100_000], ids=["timeline-1k", "timeline-100k"])
def test_assert_command(benchmark, timeline, interactions: int) -> None:
    # The timed assertions are those around the middle of the timeline: half of it is already
    # asserted before them and half still waits after them, so a cost that grew with either
    # half would show in the 100k figure.
    timeline.record(interactions)
    timeline.assert_many((interactions - ASSERTIONS) // 2)
    benchmark.pedantic(
        timeline.assert_next, rounds=ROUNDS, iterations=ITERATIONS, warmup_rounds=WARMUP_ROUNDS
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
