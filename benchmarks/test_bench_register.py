"""Registering a mock: the line a test writes before the code under test runs.

Every call queues one more mock of GET, about 22,000 by the end of a run, on a verifier that is
never verified (`own_verifier`): none of them is consumed.
"""

from __future__ import annotations

import pytest

import tripwire
from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin

ROUNDS = 100
ITERATIONS = 200
WARMUP_ROUNDS = 10


def register_through_tripwire_redis() -> RedisCall:
    # A function of its own, as in a test: `tripwire.redis` finds the current verifier's plugin
    # at every use, and that lookup is part of what a user pays.
    return tripwire.redis.mock_command("GET", returns=b"v")


@pytest.mark.benchmark(group="register: mock_command('GET', returns=b'v')")
def test_register_mock_command(benchmark, own_verifier) -> None:
    registered = benchmark.pedantic(
        register_through_tripwire_redis,
        rounds=ROUNDS,
        iterations=ITERATIONS,
        warmup_rounds=WARMUP_ROUNDS,
    )
    assert not registered.consumed


@pytest.mark.benchmark(group="register: mock_command('GET', returns=b'v')")
def test_register_mock_command_on_plugin_made_by_hand(benchmark) -> None:
    # StrictVerifier and RedisPlugin used directly, as outside pytest: no `tripwire.redis` lookup.
    plugin = RedisPlugin(tripwire.StrictVerifier())
    registered = benchmark.pedantic(
        plugin.mock_command,
        args=("GET",),
        kwargs={"returns": b"v"},
        rounds=ROUNDS,
        iterations=ITERATIONS,
        warmup_rounds=WARMUP_ROUNDS,
    )
    assert not registered.consumed
