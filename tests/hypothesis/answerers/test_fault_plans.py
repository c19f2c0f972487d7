"""What the default fault plans show the code within Hypothesis' default 100 examples.

Each test runs a ``@given(redis_session())`` property for the default 100 examples under a few
seeds and counts what the code saw: a dropped connection or a timeout the plan singles out fails
every attempt of redis-py's retry policy (the code sees it), a command queued in a transaction
singled out for one fails the transaction's ``EXEC``, a call sent again fails when the plan
singles it out, however sticky the answers are, and stock runs short at every decrement of
half of the examples.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis
from hypothesis import HealthCheck, Phase, given, seed, settings

import tripwire
from tripwire_hypothesis import RedisSession, per_example_verifier
from tripwire_hypothesis import strategies as tripwire_strategies

client = redis.Redis()
TRANSIENT = (redis.ConnectionError, redis.TimeoutError)
SEEDS = range(3)


def seen_by_the_code(body: Callable[[], Any], seed_value: int) -> list[list[Any]]:
    """The calls the code saw (not those redis-py's retry policy sent again), per example, for
    the default 100 examples of ``body`` under ``seed_value``."""
    return [[call for call in story if not call.retried] for story in consumed(body, seed_value)]


def consumed(body: Callable[[], Any], seed_value: int) -> list[list[Any]]:
    """``session.consumed`` of each of the default 100 examples of ``body`` under ``seed_value``:
    every attempt of every call."""
    stories: list[list[Any]] = []

    @seed(seed_value)
    @settings(
        max_examples=100,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(tripwire_strategies.redis_session())
    @per_example_verifier
    def prop(session: RedisSession) -> None:
        session.install()
        with tripwire:
            try:  # noqa: SIM105 - the sandbox first, as a test of the code writes it
                body()
            except redis.RedisError:
                pass
        calls = [call for call in session.consumed if not call.retried]
        session.assert_sent([(call.command, *call.args) for call in calls])
        stories.append(session.consumed)

    with tripwire.use_verifier(tripwire.StrictVerifier()):
        prop()
    return stories


def test_most_dropped_connections_and_timeouts_reach_the_code() -> None:
    failed = seen = 0
    for seed_value in SEEDS:
        for story in consumed(lambda: client.get("k"), seed_value):
            if isinstance(story[0].raises, TRANSIENT):
                failed += 1  # the first attempt
                seen += isinstance(story[-1].raises, TRANSIENT) and story[-1].retried is False
    # redis-py's retry policy sends the command again: the code sees the fault when every
    # attempt fails, as the fault plans mostly make it (half of the time before them).
    assert seen >= failed * 2 / 3, (seen, failed)


def test_a_queued_command_singled_out_for_a_timeout_fails_the_transaction() -> None:
    def transaction() -> None:
        with client.pipeline() as pipe:
            pipe.incr("a")
            pipe.incr("b")
            pipe.incr("c")
            pipe.execute()

    for seed_value in SEEDS:
        stories = seen_by_the_code(transaction, seed_value)
        failed = [story for story in stories if isinstance(story[-1].raises, TRANSIENT)]
        # The batch fails as a whole: at EXEC, or, once every sending of it fails (an outage,
        # redis-py sending the batch again), at the first command of its last sending.
        assert all(
            story[-1].command == "EXEC"
            or [(call.command, *call.args) for call in story[-2:]]
            == [("MULTI",), ("INCRBY", "a", 1)]
            for story in failed
        )
        # The first three calls are queued: the plans singling them out fail the EXEC.
        assert len(failed) >= 15, (seed_value, len(failed))


def test_a_call_sent_again_fails_where_the_plan_singles_it_out() -> None:
    def lock() -> None:
        for _ in range(5):
            if client.set("lock", "token", nx=True):
                return

    later = 0
    for seed_value in SEEDS:
        stories = seen_by_the_code(lock, seed_value)
        later += sum(
            len(story) > 1 and isinstance(story[-1].raises, redis.TimeoutError) for story in stories
        )
    # A timeout at the second to fifth attempt, after refusals that may be given again.
    assert later >= 12, later


def test_stock_runs_short_at_every_decrement_of_many_examples() -> None:
    def take_three() -> None:
        for sku in ("a", "b", "c"):
            client.decrby(f"stock:{sku}", 1)

    short = 0
    for seed_value in SEEDS:
        for story in seen_by_the_code(take_three, seed_value):
            replies = [call.returns for call in story if call.raises is None]
            short += len(replies) == 3 and all(left < 0 for left in replies)
    # Half of the examples' decrements all answer below zero, but for those a fault ends (87 of
    # these 300 examples); drawn one decrement in five each, three in a row came in 13.
    assert short >= 45, short
