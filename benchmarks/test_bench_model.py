"""A property test answered by a model of Redis, per example: with tripwire and without.

Each round runs one ``@given`` test of the guide's reliable queue (``LMOVE`` to a processing
list, then ``LREM`` once handled; two jobs; rounds until the queue is empty) for ``EXAMPLES``
examples, always the same ones (fixed seed, generate phase only). Both variants run the code on
a fresh fakeredis server per example and draw each call's fault the same way (one draw per
call, from the same strategy, applied before or after the command takes effect); they differ
only in what tripwire adds:

- ``tripwire``: ``@given(redis_session(model=True))``, the model seeded through
  ``session.model``, ``session.install()``, ``with tripwire:``, and ``session.assert_sent``,
  with a fresh verifier per example, verified at its end (`per_example_verifier`, as the pytest
  plugin applies it to ``@given`` tests): every call intercepted, recorded and asserted;
- ``fakeredis, faults by hand``: ``@given(st.data())``, a plain ``fakeredis.FakeRedis`` of a
  fresh server whose ``execute_command`` draws the fault and applies it (what a user writes
  without tripwire), and the calls checked by hand.

Per-example cost = a round's median / ``EXAMPLES``; the ratio of the variants is the ratio of
their medians. Run as a script for the paired measurement: ``python
benchmarks/test_bench_model.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fakeredis
import pytest
import redis
from hypothesis import strategies as st

import tripwire
from benchmarks.property_runs import CLIENT, CUT, collect, paired_times, property_test
from tripwire_hypothesis import RedisSession, per_example_verifier
from tripwire_hypothesis import strategies as tripwire_strategies
from tripwire_hypothesis._answerers.faults import _faults

EXAMPLES = 200
#: The faults a model session draws for a command that writes (LMOVE, LREM).
KINDS = ("connection", "timeout", "loading", "readonly", "oom")
JOBS = {b"job-1", b"job-2"}


def work_one(client: redis.Redis, handle: Callable[[bytes], object]) -> bool:
    job = client.lmove("jobs", "jobs:processing", "RIGHT", "LEFT")
    if job is None:
        return False
    handle(job)
    client.lrem("jobs:processing", 1, job)
    return True


def drain(client: redis.Redis) -> list[bytes]:
    handled: list[bytes] = []
    for _ in range(10):
        try:
            if not work_one(client, handled.append):
                break
        except redis.RedisError:
            pass
    return handled


def kept(client: redis.Redis) -> set[bytes]:
    return {*client.lrange("jobs", 0, -1), *client.lrange("jobs:processing", 0, -1)}


def with_tripwire(session: RedisSession) -> None:
    session.model.rpush("jobs", *sorted(JOBS))
    session.install()
    with tripwire:
        handled = drain(CLIENT)
    assert kept(session.model) | set(handled) >= JOBS
    session.assert_sent(
        {
            "LMOVE": ("jobs", "jobs:processing", "RIGHT", "LEFT"),
            "LREM": lambda call: ("jobs:processing", 1, call.args[2]),
        }
    )


class FaultyFakeRedis(fakeredis.FakeRedis):
    """fakeredis, failing each command as a drawn fault says: the by-hand stand-in."""

    def __init__(self, data: Any, calls: list[tuple[Any, ...]]) -> None:
        super().__init__(server=fakeredis.FakeServer())
        self.data = data
        self.calls = calls

    def execute_command(self, *args: Any, **options: Any) -> Any:
        self.calls.append(args)
        fault = self.data.draw(_faults(KINDS, CUT))
        if fault is not None and not fault.applied:
            raise fault.error
        reply = super().execute_command(*args, **options)
        if fault is not None:
            raise fault.error
        return reply


def without_tripwire(data: Any) -> None:
    calls: list[tuple[Any, ...]] = []
    client = FaultyFakeRedis(data, calls)
    plain = fakeredis.FakeRedis(server=client.connection_pool.connection_kwargs["server"])
    plain.rpush("jobs", *sorted(JOBS))
    handled = drain(client)
    assert kept(plain) | set(handled) >= JOBS
    for args in calls:
        assert args[:3] in (("LMOVE", "jobs", "jobs:processing"), ("LREM", "jobs:processing", 1))


PROPERTIES = {
    "tripwire": property_test(
        per_example_verifier(with_tripwire), tripwire_strategies.redis_session(model=True), EXAMPLES
    ),
    "fakeredis, faults by hand": property_test(without_tripwire, st.data(), EXAMPLES),
}


@pytest.mark.allow("redis")  # the by-hand variant's plain fakeredis clients
@pytest.mark.benchmark(group=f"@given(redis_session(model=True)): {EXAMPLES} examples of a queue")
@pytest.mark.parametrize("variant", list(PROPERTIES))
def test_model_property_test(benchmark: Any, variant: str) -> None:
    benchmark.pedantic(PROPERTIES[variant], setup=collect, rounds=10, warmup_rounds=1)


def paired_ratios(rounds: int) -> tuple[dict[str, float], dict[str, float]]:
    """Median ratio of each variant to the by-hand one, timed back to back in CPU time, and the
    median CPU time per example of each (in microseconds)."""
    import statistics

    # Unsandboxed calls reach redis-py (no guard): the by-hand variant needs them.
    with tripwire.use_verifier(tripwire.StrictVerifier()):
        spent = paired_times(PROPERTIES, rounds)
    base = spent["fakeredis, faults by hand"]
    return (
        {
            name: statistics.median(time / alone for time, alone in zip(times, base, strict=True))
            for name, times in spent.items()
        },
        {name: statistics.median(times) / EXAMPLES * 1e6 for name, times in spent.items()},
    )


if __name__ == "__main__":
    import sys

    ratios, costs = paired_ratios(rounds=int(sys.argv[1]) if len(sys.argv) > 1 else 15)
    for name in PROPERTIES:
        print(f"{name:28} {ratios[name]:.3f}  {costs[name]:7.0f} us per example")
