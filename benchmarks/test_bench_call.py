"""The call the code under test makes, answered by each stand-in (see conftest.py).

The client and every mock are made before the clock starts; only the call is timed. tripwire's
timeline grows by one interaction per call, to about 22,000 by the end of a run;
`plot_scaling.py` shows that the cost of a call does not depend on that size.
"""

from __future__ import annotations

import pytest


@pytest.mark.benchmark(group="call: r.execute_command('GET', 'k')")
def test_call_execute_command(benchmark, stand_in) -> None:
    assert stand_in.time_each_call(benchmark, "execute_command", "GET", "k") == b"v"


@pytest.mark.benchmark(group="call: r.get('k')")
def test_call_get(benchmark, stand_in) -> None:
    assert stand_in.time_each_call(benchmark, "get", "k") == b"v"


def paired_costs(rounds: int = 301, batch: int = 200) -> dict[str, float]:
    """Median extra cost, in µs, of a call through tripwire over the constant-function floor.

    pytest-benchmark times the stand-ins one after the other, and on a shared machine the speed
    of the whole process can change between them. Here batches of calls alternate between
    tripwire and the floor, each batch's stand-in set up outside the clock, and the difference
    is taken between neighbouring batches.
    """
    import statistics
    import time
    from unittest import mock

    import redis

    import tripwire
    from tripwire.plugins.redis_plugin import RedisPlugin

    def constant(client: object, *args: object, **options: object) -> bytes:
        return b"v"

    client = redis.Redis()
    calls = {
        "r.execute_command('GET', 'k')": lambda: client.execute_command("GET", "k"),
        "r.get('k')": lambda: client.get("k"),
    }
    lift_guard = RedisPlugin.guard()  # as in a pytest test
    extra: dict[str, list[float]] = {name: [] for name in calls}
    try:
        with tripwire.use_verifier(tripwire.StrictVerifier()):
            for _ in range(rounds * batch * len(calls)):
                tripwire.redis.mock_command("GET", returns=b"v")
            for _ in range(rounds):
                for name, call in calls.items():
                    with tripwire:
                        start = time.perf_counter()
                        for _ in range(batch):
                            call()
                        spent = time.perf_counter() - start
                    with mock.patch.object(redis.Redis, "execute_command", constant):
                        start = time.perf_counter()
                        for _ in range(batch):
                            call()
                        floor = time.perf_counter() - start
                    extra[name].append((spent - floor) / batch * 1e6)
    finally:
        lift_guard()
    return {name: statistics.median(values) for name, values in extra.items()}


if __name__ == "__main__":
    for name, cost in paired_costs().items():
        print(f"{name:32} +{cost:.3f} µs over the constant function")
