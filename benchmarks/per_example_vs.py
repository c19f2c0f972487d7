"""Per-example CPU time of a property benchmark's tripwire variant: another checkout, and this one.

    python benchmarks/per_example_vs.py OTHER_CHECKOUT [MODULE] [PAIRS] [ROUNDS]

MODULE is a benchmark module with ``PROPERTIES`` and ``EXAMPLES`` (``test_bench_hypothesis``,
``test_bench_model``). Each pair runs one process per checkout, in turn, each importing its own
tripwire; each process times ``ROUNDS`` runs of the ``"tripwire"`` property and gives the median
per example. Prints both series, and the median of the pairs' ratios (this checkout / the other).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

ONE = """
import gc, importlib.util, statistics, sys, time
root, module, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, root)
spec = importlib.util.spec_from_file_location("bench", f"{root}/benchmarks/{module}.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
import tripwire
assert tripwire.__file__.startswith(root), tripwire.__file__
test = bench.PROPERTIES["tripwire"]
times = []
with tripwire.use_verifier(tripwire.StrictVerifier()):
    test()
    for _ in range(rounds):
        gc.collect(); t = time.process_time(); test(); times.append(time.process_time() - t)
print(statistics.median(times) / bench.EXAMPLES * 1e6)
"""


def per_example(root: Path, module: str, rounds: int) -> float:
    out = subprocess.run(
        [sys.executable, "-c", ONE, str(root), module, str(rounds)],
        check=True,
        capture_output=True,
        text=True,
        cwd="/",
    ).stdout
    return float(out.split()[-1])


def main() -> None:
    other = Path(sys.argv[1]).resolve()
    module = sys.argv[2] if len(sys.argv) > 2 else "test_bench_hypothesis"
    pairs = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    rows = [
        (per_example(other, module, rounds), per_example(HERE, module, rounds))
        for _ in range(pairs)
    ]
    print("other us/example", [round(base) for base, _ in rows])
    print("this  us/example", [round(head) for _, head in rows])
    ratios = [head / base for base, head in rows]
    print(f"median of the pairs' ratios (this / other): {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
