"""Planted bugs: a property test over generated sessions finds each, shrunk to the minimal story.

Each small Redis-backed function below has one deliberate bug. Its property is run as a plain
Hypothesis test (under `per_example_verifier`, as the pytest plugin would), and the report
Hypothesis attaches to the failure must show the minimal session and its reproduction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import redis
from dirty_equals import IsInstance
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import tripwire
from tripwire_hypothesis import RedisSession, per_example_verifier
from tripwire_hypothesis import strategies as tripwire_strategies

# Deterministic, quick, and without the explain phase (it traces every line, and is slow).
deterministic = settings(
    database=None,
    derandomize=True,
    deadline=None,
    max_examples=200,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)


def report_of(check: Callable[[], None]) -> str:
    """Run a failing property and return what Hypothesis reports with the failure.

    The heading's wording depends on the Hypothesis version ("Falsifying example:" before 6.150,
    "Failing test case:" since), so it is replaced by a fixed one.
    """
    with pytest.raises(AssertionError) as failure:
        check()
    heading, _, rest = "\n".join(failure.value.__notes__).partition(" check(")
    assert heading in ("Falsifying example:", "Failing test case:")
    return "Failing example: check(" + rest


# -- a read-through cache that must degrade to a miss when Redis is unreachable -------------------


def cached_profile(client: redis.Redis, user_id: int) -> dict[str, Any] | None:
    try:
        raw = client.get(f"profile:{user_id}")
    except redis.TimeoutError:  # planted bug: a ConnectionError escapes
        return None
    return None if raw is None else dict(json.loads(raw))


def test_the_cache_crash_on_connection_error_shrinks_to_one_refused_get() -> None:
    profiles = st.none() | st.builds(lambda n: json.dumps({"id": n}).encode(), st.integers(0, 9))

    @deterministic
    @given(
        tripwire_strategies.redis_session(
            commands=["GET"], min_steps=1, max_steps=5, replies={"GET": profiles}, required=False
        )
    )
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        with tripwire:
            try:
                result: object = cached_profile(redis.Redis(), 7)
            except redis.RedisError as error:
                result = error
        (call,) = session.consumed
        if isinstance(call.raises, (redis.ConnectionError, redis.TimeoutError)):
            assert result is None, "an unreachable Redis must read as a cache miss"
        elif call.raises is None:
            assert result == (None if call.returns is None else json.loads(call.returns))
        session.assert_consumed(args=("profile:7",), kwargs=IsInstance(dict))

    assert report_of(check) == (
        "Failing example: check(\n"
        "    session=RedisSession(\n"
        "        tripwire.redis.mock_command('GET', returns=None, "
        "raises=redis.exceptions.ConnectionError('Connection closed by server.'), "
        "required=False),\n"
        "    ),\n"
        ")\n"
        "# The same example as a plain pytest test:\n"
        "def test_example():\n"
        "    tripwire.redis.mock_command('GET', returns=None, "
        "raises=redis.exceptions.ConnectionError('Connection closed by server.'), "
        "required=False)\n"
        "    with tripwire:\n"
        "        ...  # the code under test\n"
        "    tripwire.redis.assert_command('GET', args=('profile:7',), "
        "kwargs={'keys': ['profile:7']})"
    )


# -- a fixed-window rate limiter that is off by one ------------------------------------------------

LIMIT = 5


def allow_request(client: redis.Redis, user: str) -> bool:
    key = f"rate:{user}"
    count = int(client.incr(key))
    if count == 1:
        client.expire(key, 60)
    return count < LIMIT  # planted bug: the LIMIT-th request is refused


def test_the_off_by_one_rate_limiter_shrinks_to_the_limit_th_request() -> None:
    @deterministic
    @given(
        tripwire_strategies.redis_session(
            # redis-py's incr() sends INCRBY with an amount of 1.
            commands=["INCRBY"],
            min_steps=1,
            max_steps=1,
            replies={"INCRBY": st.integers(1, 2 * LIMIT)},
            error_rate=0,
        )
    )
    @per_example_verifier
    def check(session: RedisSession) -> None:
        # The first request of a window also sets its expiry; the session explores INCR only.
        tripwire.redis.mock_command("EXPIRE", returns=True, required=False)
        session.install()
        with tripwire:
            allowed = allow_request(redis.Redis(), "alice")
        (call,) = session.consumed
        session.assert_consumed(args=("rate:alice", 1), kwargs={})
        if call.returns == 1:
            tripwire.redis.assert_command("EXPIRE", args=("rate:alice", 60), kwargs={})
        assert allowed == (call.returns <= LIMIT)

    assert report_of(check) == (
        "Failing example: check(\n"
        "    session=RedisSession(\n"
        "        tripwire.redis.mock_command('INCRBY', returns=5),\n"
        "    ),\n"
        ")\n"
        "# The same example as a plain pytest test:\n"
        "def test_example():\n"
        "    tripwire.redis.mock_command('INCRBY', returns=5)\n"
        "    with tripwire:\n"
        "        ...  # the code under test\n"
        "    tripwire.redis.assert_command('INCRBY', args=('rate:alice', 1), kwargs={})"
    )


# -- a lock that ignores a failed SET NX ----------------------------------------------------------


def acquire_lock(client: redis.Redis, name: str, token: str) -> bool:
    client.set(f"lock:{name}", token, nx=True, ex=30)
    return True  # planted bug: SET NX answers None when another holder has the lock


def test_the_lock_ignoring_a_failed_set_nx_shrinks_to_one_refused_set() -> None:
    @deterministic
    @given(
        tripwire_strategies.redis_session(
            commands=["SET"], min_steps=1, max_steps=3, required=False
        )
    )
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        with tripwire:
            try:
                acquired: object = acquire_lock(redis.Redis(), "report", "token-1")
            except redis.RedisError as error:
                acquired = error
        (call,) = session.consumed
        session.assert_consumed(args=("lock:report", "token-1", "NX", "EX", 30), kwargs={})
        if call.raises is not None:
            assert acquired is call.raises, "a failing Redis must not grant the lock"
        else:
            assert acquired == (call.returns is True), "only a successful SET NX grants the lock"

    assert report_of(check) == (
        "Failing example: check(\n"
        "    session=RedisSession(\n"
        "        tripwire.redis.mock_command('SET', returns=None, required=False),\n"
        "    ),\n"
        ")\n"
        "# The same example as a plain pytest test:\n"
        "def test_example():\n"
        "    tripwire.redis.mock_command('SET', returns=None, required=False)\n"
        "    with tripwire:\n"
        "        ...  # the code under test\n"
        "    tripwire.redis.assert_command('SET', args=('lock:report', 'token-1', 'NX', 'EX', 30), "
        "kwargs={})"
    )
