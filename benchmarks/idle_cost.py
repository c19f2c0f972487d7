"""What tripwire costs the tests that never use it: a paired measurement, run as a script.

    python benchmarks/idle_cost.py [--rounds 15] [--tests 2000] [--examples 300]

Three ratios, each of CPU time with tripwire over CPU time without it:

- ``default``: a generated suite of ``--tests`` trivial tests, run by pytest in a subprocess with
  the tripwire plugin enabled (as installed: the ``pytest11`` entry point) and no configuration,
  against the same suite with ``-p no:tripwire``.
- ``guard = "all"``: the same suite with ``[tool.tripwire] guard = "all"`` in its pyproject.toml.
- ``@given example``: one ``@given(st.integers())`` test whose body never touches tripwire, run
  in this process for ``--examples`` examples, with the per-example wrapper the pytest plugin
  applies to every ``@given`` test (inside a test's scope, as under pytest) against the bare test.

Each round runs the variants of one measurement back to back in a shuffled order and takes the
ratio within the round; the figures printed are the medians over the rounds. The subprocesses'
CPU time is read from ``getrusage(RUSAGE_CHILDREN)`` (user + system), so the interpreter's start,
collection and the run are all counted, as a user's ``pytest`` run pays them.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

INI = '[tool.pytest.ini_options]\nasyncio_default_fixture_loop_scope = "function"\n'


def write_suite(root: Path, tests: int, guard_all: bool) -> Path:
    root.mkdir()
    table = '[tool.tripwire]\nguard = "all"\n' if guard_all else ""
    (root / "pyproject.toml").write_text(INI + table)
    body = "".join(f"def test_{n}():\n    assert {n} >= 0\n\n\n" for n in range(tests))
    (root / "test_trivial.py").write_text(body)
    return root


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_suite(root: Path, *options: str) -> float:
    """CPU seconds of one ``pytest`` run of the suite in ``root``."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
    before = child_cpu()
    done = subprocess.run(
        [*command, *options], cwd=root, capture_output=True, text=True, check=False
    )
    spent = child_cpu() - before
    if done.returncode != 0:
        raise SystemExit(f"the suite in {root} failed:\n{done.stdout}\n{done.stderr}")
    return spent


def suite_ratios(rounds: int, tests: int) -> dict[str, tuple[float, float]]:
    """Median ratio to the run without tripwire, and median CPU µs per test, of each variant."""
    with tempfile.TemporaryDirectory() as tmp:
        plain = write_suite(Path(tmp) / "default", tests, guard_all=False)
        strict = write_suite(Path(tmp) / "all", tests, guard_all=True)
        variants: dict[str, Callable[[], float]] = {
            "without tripwire": lambda: run_suite(plain, "-p", "no:tripwire"),
            "default": lambda: run_suite(plain),
            'guard = "all"': lambda: run_suite(strict),
        }
        for run in variants.values():  # warm the file system cache and the bytecode caches
            run()
        spent: dict[str, list[float]] = {name: [] for name in variants}
        ratios: dict[str, list[float]] = {name: [] for name in variants}
        shuffle = random.Random(0).shuffle
        for _ in range(rounds):
            order = list(variants.items())
            shuffle(order)
            this_round = {name: run() for name, run in order}
            for name, seconds in this_round.items():
                spent[name].append(seconds)
                ratios[name].append(seconds / this_round["without tripwire"])
    return {
        name: (statistics.median(ratios[name]), statistics.median(spent[name]) / tests * 1e6)
        for name in variants
    }


def example_ratio(rounds: int, examples: int) -> tuple[float, float, float]:
    """Median ratio, and median µs per example without and with the wrapper."""
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis import strategies as st

    from tripwire._context import Scope, begin, end
    from tripwire._per_example import per_example_verifier

    same_examples = settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )

    def body(n: int) -> None:
        assert n == n

    def property_test(inner: Callable[[int], None]) -> Callable[[], None]:
        test: Callable[[], None] = seed(20261130)(same_examples(given(st.integers())(inner)))
        return test

    bare = property_test(body)
    wrapped = property_test(per_example_verifier(body))

    def with_tripwire() -> None:
        # As under the pytest plugin: the example runs inside the test's scope.
        scope = Scope()
        saved = begin(scope)
        try:
            wrapped()
        finally:
            end(scope, saved)

    variants = {"without tripwire": bare, "with tripwire": with_tripwire}
    for run in variants.values():
        run()
    ratios: list[float] = []
    spent: dict[str, list[float]] = {name: [] for name in variants}
    shuffle = random.Random(0).shuffle
    for _ in range(rounds):
        order = list(variants.items())
        shuffle(order)
        this_round = {}
        for name, run in order:
            gc.collect()
            start = time.process_time()
            run()
            this_round[name] = time.process_time() - start
            spent[name].append(this_round[name])
        ratios.append(this_round["with tripwire"] / this_round["without tripwire"])
    return (
        statistics.median(ratios),
        statistics.median(spent["without tripwire"]) / examples * 1e6,
        statistics.median(spent["with tripwire"]) / examples * 1e6,
    )


def wrapper_cost(calls: int = 200_000) -> float:
    """µs the per-example wrapper adds to one call of a body that never touches tripwire.

    The steadier figure on a loaded machine: the whole-example ratio above moves by a few percent
    from run to run, this by a few tens of nanoseconds.
    """
    from tripwire._context import Scope, begin, end
    from tripwire._per_example import per_example_verifier

    def body(n: int) -> None:
        assert n == n

    wrapped = per_example_verifier(body)
    scope = Scope()
    saved = begin(scope)
    try:
        differences = []
        for _ in range(7):
            start = time.process_time()
            for n in range(calls):
                wrapped(n)
            middle = time.process_time()
            for n in range(calls):
                body(n)
            differences.append((middle - start) - (time.process_time() - middle))
    finally:
        end(scope, saved)
    return statistics.median(differences) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="suite rounds (x4 for @given)")
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--skip-suite", action="store_true", help="only the @given measure")
    options = parser.parse_args()
    if not options.skip_suite:
        print(f"{options.tests} trivial tests, {options.rounds} rounds (CPU, paired):")
        for name, (ratio, per_test) in suite_ratios(options.rounds, options.tests).items():
            print(f"  {name:18} {ratio:.3f}x  {per_test:7.1f} µs per test")
    ratio, bare, wrapped = example_ratio(options.rounds * 4, options.examples)
    print(f"@given example that never touches tripwire, {options.examples} examples:")
    print(f"  {ratio:.3f}x  ({bare:.1f} µs without, {wrapped:.1f} µs with)")
    cost = wrapper_cost()
    print(f"  the wrapper alone: {cost:.2f} µs per example, {cost / bare:.2%} of one without it")


if __name__ == "__main__":
    main()
