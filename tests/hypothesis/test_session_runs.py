"""A session kept across runs (an ``@example``, a rerun) starts each run afresh: its model, its
replies, its errors (issue 22, items 5 and 7)."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import redis
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st
from redis.backoff import NoBackoff
from redis.retry import Retry

import tripwire
from tripwire_hypothesis import RedisSession, Step, per_example_verifier

explicit_only = settings(phases=[Phase.explicit], database=None, deadline=None)


def run_twice(session: RedisSession, body: Callable[[RedisSession], Any]) -> list[Any]:
    """What ``body`` returned in each of two runs of an ``@example`` holding ``session``."""
    seen: list[Any] = []

    @explicit_only
    @example(session=session)
    @given(session=st.just(RedisSession()))
    @per_example_verifier
    def check(session: RedisSession) -> None:
        seen.append(body(session))

    check()
    check()
    return seen


def test_from_faults_gives_each_run_a_fresh_model() -> None:
    def body(session: RedisSession) -> Any:
        before = session.model.get("counter")
        session.model.rpush("seeded", "x")
        session.install()
        with tripwire:
            value = redis.Redis().incr("counter")
        session.assert_sent([("INCRBY", "counter", 1)])
        return before, value, session.model.llen("seeded")

    assert run_twice(RedisSession.from_faults([]), body) == [(None, 1, 1), (None, 1, 1)]


def test_a_scripted_session_gives_each_run_its_own_reply() -> None:
    def body(session: RedisSession) -> Any:
        session.install()
        with tripwire:
            reply = redis.Redis().hgetall("h")
        session.assert_sent([("HGETALL", "h")])
        seen = dict(reply)
        reply.clear()  # the code edits the reply it got
        return seen

    session = RedisSession([Step("HGETALL", returns={b"f": b"1"})])
    assert run_twice(session, body) == [{b"f": b"1"}] * 2
    assert session.steps[0].returns == {b"f": b"1"}


def test_a_scripted_session_raises_its_error_without_the_earlier_runs_traceback() -> None:
    def body(session: RedisSession) -> Any:
        session.install()
        with tripwire:
            try:
                redis.Redis(retry=Retry(NoBackoff(), 0)).get("k")
            except redis.exceptions.TimeoutError as error:
                caught = error
        session.assert_sent([("GET", "k")])
        return len(traceback.extract_tb(caught.__traceback__))

    error = redis.exceptions.TimeoutError("Timeout reading from socket")
    first, second = run_twice(RedisSession([Step("GET", raises=error)]), body)
    assert second == first
