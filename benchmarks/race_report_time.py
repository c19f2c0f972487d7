"""How soon each planted race is found, and how long until it is reported.

The five races of the guide's "Races and time" (their `fails` blocks, read with the planted-bug
tests' helpers) and the three of tests/hypothesis/test_planted_races.py run as pytest would run
them (a verifier per example), with Hypothesis' default settings but 200 examples and a random
seed, without the explain phase, ``RUNS`` times each. Printed per race: how many runs found it,
the examples run until the first failing one (median, max), and the wall time from the start of
the test to the shrunk report (median, max)::

    python benchmarks/race_report_time.py [RUNS]
"""

from __future__ import annotations

import functools
import importlib.util
import statistics
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, settings

import tripwire
from tripwire_hypothesis import per_example_verifier

ROOT = Path(__file__).resolve().parents[1]
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]
GUIDE = [
    "test_every_withdrawal_is_paid_for",
    "test_one_holder_at_a_time",
    "test_a_lock_is_lost_only_when_it_expires",
    "test_a_request_is_charged_once",
    "test_everyone_who_joined_is_present",
]


def load(name: str, path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def counted(prop: Any, seen: dict[str, int]) -> Any:
    """``prop`` with a verifier per example, counting examples until the first failure."""
    handle = prop.hypothesis
    inner = per_example_verifier(handle.inner_test)

    @functools.wraps(inner)
    def run(*args: Any, **kwargs: Any) -> Any:
        seen["runs"] += 1
        try:
            return inner(*args, **kwargs)
        except AssertionError:
            seen.setdefault("first", seen["runs"])
            raise

    handle.inner_test = run
    return prop


def measure(make: Callable[[], Any]) -> tuple[int | None, float | None]:
    seen = {"runs": 0}
    prop = counted(make(), seen)
    vars(prop).pop("_hypothesis_internal_settings_applied", None)
    test = settings(
        prop._hypothesis_internal_use_settings,
        database=None,
        deadline=None,
        max_examples=200,
        phases=PHASES,
    )(prop)
    start = time.perf_counter()
    with tripwire.use_verifier(tripwire.StrictVerifier()):
        try:
            test()
        except AssertionError:
            return seen.get("first"), time.perf_counter() - start
    return None, None


def main(runs: int) -> None:
    helpers = load("planted_helpers", ROOT / "tests" / "hypothesis" / "planted.py")
    planted = load("planted_races", ROOT / "tests" / "hypothesis" / "test_planted_races.py")
    monkeypatch = pytest.MonkeyPatch()
    helpers.guide_modules.__wrapped__(monkeypatch)  # the guide's modules, importable

    def guide(test: str) -> Callable[[], Any]:
        def make() -> Any:
            namespace: dict[str, object] = {"__name__": "docs_example"}
            exec(helpers.compiled(helpers.fails_block(test)), namespace)
            return namespace[test]

        return make

    def factory(name: str) -> Callable[[], Any]:
        return planted.PLANTED_RACES[name][0]  # type: ignore[no-any-return]

    races = {test: guide(test) for test in GUIDE}
    races.update({name: factory(name) for name in ("transfer", "limiter", "jobs")})
    print(f"{'race':42} found  examples (median, max)  report (median, max)")
    for name, make in races.items():
        results = [measure(make) for _ in range(runs)]
        found = [(first, seconds) for first, seconds in results if first is not None]
        firsts = [first for first, _ in found]
        times = [seconds for _, seconds in found if seconds is not None]
        if not found:
            print(f"{name:42} 0/{runs}")
            continue
        print(
            f"{name:42} {len(found)}/{runs}  {statistics.median(firsts):5.0f} {max(firsts):5d}"
            f"            {statistics.median(times):5.2f} s {max(times):5.2f} s"
        )
    monkeypatch.undo()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
