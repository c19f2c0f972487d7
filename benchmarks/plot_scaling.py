"""Draw the cost of one operation against the number of interactions already recorded.

    python benchmarks/plot_scaling.py [--out docs/img/scaling.png]

Left: one ``r.get("k")`` call, answered by each stand-in of conftest.py, after 1,000 to 100,000
earlier calls in the same test. Right: checking one call in a history of that size: tripwire's
``assert_command`` (the next interaction in order) against what a ``unittest.mock`` test writes,
indexing ``call_args_list`` or calling ``assert_any_call``. Each point is the median of several
timed batches taken around that size. Needs matplotlib (``pip install matplotlib``).
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import redis

import tripwire
from conftest import CALLS_PER_ROUND, KEY, STAND_INS, GetTimeline, StandIn

SIZES = [1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000]
#: Timed batches per point, and operations per batch. The assertions timed at a point must fit
#: in the smallest timeline, hence their smaller batches.
BATCHES = 25
BATCH = 60
ASSERT_BATCH = 20


def median_cost(operation: Callable[[], Any], batches: int, batch: int) -> float:
    """Median time of one ``operation()`` in µs, over ``batches`` batches of ``batch`` calls."""
    times = []
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(batch):
            operation()
        times.append((time.perf_counter() - start) / batch)
    return statistics.median(times) * 1e6


def call_costs(stand_in: StandIn) -> list[float]:
    """One ``r.get("k")`` at each size: the timed calls are centred on the size."""
    # The slow fakeredis gets smaller batches, in the proportion of its benchmark's rounds.
    batch = max(1, BATCH * stand_in.iterations // CALLS_PER_ROUND)
    window = BATCHES * batch
    costs = []
    with stand_in.open(SIZES[-1] + window) as client:
        made = 0
        for size in SIZES:
            for _ in range(size - window // 2 - made):
                client.get(KEY)
            costs.append(median_cost(lambda: client.get(KEY), BATCHES, batch))
            made = size + window - window // 2
    return costs


def assert_command_costs() -> list[float]:
    """tripwire: ``assert_command`` for the calls in the middle of a timeline of each size.

    All the timelines are recorded first and kept, then timed in turn, a few batches each per
    pass: a change in the machine's speed during the run then touches every size alike.
    """
    passes = 5
    timed = passes * BATCHES * ASSERT_BATCH // 4
    timeline = GetTimeline()
    assert_next = timeline.assert_next
    verifiers = []
    for size in SIZES:
        verifier = tripwire.StrictVerifier()
        with tripwire.use_verifier(verifier):
            timeline.record(size)
            timeline.assert_many(size // 2 - timed // 2)
        verifiers.append(verifier)
    gc.collect()
    times: list[list[float]] = [[] for _ in SIZES]
    for _ in range(passes):
        for verifier, spent in zip(verifiers, times, strict=True):
            with tripwire.use_verifier(verifier):
                for _ in range(BATCHES):
                    start = time.perf_counter()
                    for _ in range(ASSERT_BATCH // 4):
                        assert_next()
                    spent.append((time.perf_counter() - start) / (ASSERT_BATCH // 4))
    return [statistics.median(spent) * 1e6 for spent in times]


def mock_check_costs() -> tuple[list[float], list[float]]:
    """unittest.mock: checking the middle call of each size's history, two ways."""
    by_index, any_call = [], []
    for size in SIZES:
        with mock.patch.object(redis.Redis, "execute_command", return_value=b"v") as execute:
            client = redis.Redis()
            for _ in range(size):
                client.execute_command("GET", KEY)
        calls = execute.call_args_list

        def check_by_index(calls: list[Any] = calls, middle: int = size // 2) -> None:
            assert calls[middle] == mock.call("GET", KEY)

        def check_any_call(execute: mock.MagicMock = execute) -> None:
            execute.assert_any_call("GET", KEY)

        by_index.append(median_cost(check_by_index, BATCHES, ASSERT_BATCH))
        # It scans the whole history at every call: a few calls give a steady median.
        any_call.append(median_cost(check_any_call, 5, 1))
    return by_index, any_call


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/img/scaling.png", help="where to write the PNG")
    out = Path(parser.parse_args(argv).out)

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import FuncFormatter

    calls = {}
    for name, stand_in in STAND_INS.items():
        calls[name] = call_costs(stand_in)
        print(f"call     {name:18}", " ".join(f"{c:10.3f}" for c in calls[name]))
    checks = {"tripwire assert_command": assert_command_costs()}
    by_index, any_call = mock_check_costs()
    checks["unittest.mock: call_args_list[i] == call(...)"] = by_index
    checks["unittest.mock: assert_any_call(...)"] = any_call
    for name, costs in checks.items():
        print(f"check    {name:18}", " ".join(f"{c:10.3f}" for c in costs))

    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 5), constrained_layout=True)
    for axes, title, series in (
        (left, "one r.get('k') call", calls),
        (right, "checking one call that was made", checks),
    ):
        for name, costs in series.items():
            style = "-" if name.startswith("tripwire") else "--"
            axes.plot(SIZES, costs, style, marker="o", linewidth=2, label=name)
        axes.set_xscale("log")
        axes.set_yscale("log")
        # Down to the decade below the fastest point, so that its value can be read off.
        lowest = min(min(costs) for costs in series.values())
        axes.set_ylim(bottom=10 ** math.floor(math.log10(lowest)))
        axes.set_xticks(SIZES, [f"{size // 1000}k" for size in SIZES])
        axes.minorticks_off()
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axes.set_xlabel("interactions already recorded in the test")
        axes.set_ylabel("median time per operation, µs (log scale)")
        axes.set_title(title)
        axes.grid(True, which="major", alpha=0.3)
        axes.legend(fontsize="small")
    figure.suptitle(
        f"python-tripwire {tripwire.__version__}, redis-py {redis.__version__}, "
        f"CPython {sys.version.split()[0]}"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
