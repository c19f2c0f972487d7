"""How long `verify_all()` takes to fail with many unused mocks or unasserted interactions.

The message lists the first 20 records and counts the rest, so the cost should follow what is
shown, not how many records there are. Run: ``python benchmarks/verify_many.py [count]``.
"""

from __future__ import annotations

import sys
import time

import redis

from tripwire import StrictVerifier, VerificationError
from tripwire.plugins.redis_plugin import RedisPlugin


def unused_mocks(count: int, commands: tuple[str, ...] = ("GET",)) -> float:
    """Seconds `verify_all` takes with ``count`` required mocks never used.

    With several ``commands``, the mocks alternate between them, the worst case for putting
    them back in registration order.
    """
    verifier = StrictVerifier()
    plugin = RedisPlugin(verifier)
    for i in range(count):
        plugin.mock_command(commands[i % len(commands)], returns=i)
    return _time_verify(verifier)


def unasserted_interactions(count: int) -> float:
    """Seconds `verify_all` takes with ``count`` interactions recorded and never asserted."""
    verifier = StrictVerifier()
    plugin = RedisPlugin(verifier)
    for i in range(count):
        plugin.mock_command("GET", returns=str(i).encode())
    client = redis.Redis()
    with verifier.sandbox():
        for _ in range(count):
            client.execute_command("GET", "k")
    return _time_verify(verifier)


def _time_verify(verifier: StrictVerifier) -> float:
    start = time.perf_counter()
    try:
        verifier.verify_all()
    except VerificationError:
        pass
    else:  # pragma: no cover
        raise AssertionError("verify_all() passed")
    spent = time.perf_counter() - start
    verifier.dispose()
    return spent


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print(f"{count:,} unused GET mocks:                  {unused_mocks(count):.3f} s")
    alternating = unused_mocks(count, ("GET", "SET"))
    print(f"{count:,} unused mocks, GET and SET alternating: {alternating:.3f} s")
    print(f"{count:,} unasserted interactions:           {unasserted_interactions(count):.3f} s")
