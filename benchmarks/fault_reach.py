"""How often each error family reaches each of the first calls the code makes, as the code sees it.

Code that sends five ``GET``s on a default client and stops at the first error it sees runs as a
``@given(redis_session(...))`` property for 100 examples under each of N seeds; a (family, call)
pair counts for a seed when that call failed with that family after the calls before it
succeeded. Connection errors and timeouts are retried by redis-py's own retry policy, so the code
sees them only when every attempt fails.

    python benchmarks/fault_reach.py 100                   # the default fault plans
    python benchmarks/fault_reach.py 100 error_rate=0.2    # a fixed error rate

Prints, per family, the share of seeds that reached each of the five calls
(docs/hypothesis.md, "What the default 100 examples cover").
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from typing import Any

import redis
from hypothesis import HealthCheck, Phase, given, seed, settings

import tripwire
from tripwire.plugins.redis_plugin import RedisPlugin
from tripwire_hypothesis import RedisSession, per_example_verifier
from tripwire_hypothesis import strategies as tripwire_strategies

CALLS = 5
FAMILIES = ("connection", "timeout", "response")
_BY_CLASS = {"ConnectionError": "connection", "BusyLoadingError": "connection"}


def family(error: BaseException) -> str:
    if isinstance(error, redis.TimeoutError):
        return "timeout"
    return _BY_CLASS.get(type(error).__name__, "response")


def reached(seed_value: int, strategy: Any) -> set[tuple[str, int]]:
    """The (family, call) pairs the code saw fail in 100 examples under ``seed_value``."""
    client = redis.Redis()
    hit: set[tuple[str, int]] = set()

    @seed(seed_value)
    @settings(
        max_examples=100,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    @per_example_verifier
    def prop(session: RedisSession) -> None:
        session.install()
        with tripwire:
            for index in range(CALLS):
                try:
                    client.get(f"k{index}")
                except redis.RedisError:
                    break
        seen = [call for call in session.consumed if not call.retried]
        for position, call in enumerate(seen, start=1):
            if call.raises is not None:
                hit.add((family(call.raises), position))
                break
        session.assert_sent([(call.command, *call.args) for call in seen])

    prop()
    return hit


def main() -> None:
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    options = {
        name: ast.literal_eval(value) for name, value in (a.split("=", 1) for a in sys.argv[2:])
    }
    strategy = tripwire_strategies.redis_session(**options)
    counts: Counter[tuple[str, int]] = Counter()
    lift = RedisPlugin.guard()
    try:
        with tripwire.use_verifier(tripwire.StrictVerifier()):
            for seed_value in range(seeds):
                counts.update(reached(seed_value, strategy))
    finally:
        lift()
    for name in FAMILIES:
        shares = " ".join(f"{counts[name, call] / seeds:6.0%}" for call in range(1, CALLS + 1))
        print(f"{name:11}", shares)


if __name__ == "__main__":
    main()
