"""How long a failing property takes to be reported: the four planted bugs of the Hypothesis guide.

Each bug's `fails` block of docs/hypothesis.md is run as pytest would run it (a verifier per
example) with Hypothesis' default settings but 200 examples (the planted-bug tests' budget) and a
random seed, until Hypothesis raises the shrunk failure; the wall time from the start of the test
to the report is printed, with how many runs found the bug. Each bug runs ``RUNS`` times with the
explain phase (Hypothesis' default) and as many without it, alternating::

    python benchmarks/report_time.py [RUNS]

The blocks are read with the planted-bug tests' own helpers (tests/hypothesis/planted.py).
"""

from __future__ import annotations

import statistics
import sys
import time
import types

import pytest
from hypothesis import Phase, settings

import tripwire
from tripwire.plugins.redis_plugin import RedisPlugin
from tripwire_hypothesis import per_example_verifier


def planted_bug_helpers() -> types.ModuleType:
    from tests.hypothesis import planted

    return planted


def time_to_report(helpers: types.ModuleType, test: str, phases: list[Phase]) -> float | None:
    """Seconds until the failure is reported, or None if 200 examples did not find the bug."""
    namespace: dict[str, object] = {"__name__": "docs_example"}
    exec(helpers.compiled(helpers.fails_block(test)), namespace)
    prop = namespace[test]
    handle = prop.hypothesis  # type: ignore[attr-defined]
    handle.inner_test = per_example_verifier(handle.inner_test)
    run = settings(database=None, deadline=None, max_examples=200, phases=phases)(prop)  # type: ignore[arg-type]
    start = time.perf_counter()
    try:
        run()
    except AssertionError:
        return time.perf_counter() - start
    return None


def main(runs: int) -> None:
    helpers = planted_bug_helpers()
    monkeypatch = pytest.MonkeyPatch()
    helpers.guide_modules.__wrapped__(monkeypatch)
    variants = {
        "with explain": list(Phase),
        "without explain": [phase for phase in Phase if phase is not Phase.explain],
    }
    lift = RedisPlugin.guard()  # as in a pytest test
    try:
        with tripwire.use_verifier(tripwire.StrictVerifier()):
            print(f"{'planted bug':22} {'phases':16} {'found':>7} {'median':>8} {'max':>8}")
            for test in helpers.STORIES:
                times: dict[str, list[float | None]] = {name: [] for name in variants}
                for _ in range(runs):
                    for name, phases in variants.items():
                        times[name].append(time_to_report(helpers, test, phases))
                for name, results in times.items():
                    spent = [seconds for seconds in results if seconds is not None]
                    median = statistics.median(spent) if spent else float("nan")
                    worst = max(spent, default=float("nan"))
                    found = f"{len(spent)}/{runs}"
                    print(f"{test:22} {name:16} {found:>7} {median:7.2f}s {worst:7.2f}s")
    finally:
        lift()
        monkeypatch.undo()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
