"""``redis_session(values=...)``: what the app stores under its keys, read back by every reading
command of a key that matches, instead of arbitrary bytes."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import tripwire
from tripwire_hypothesis import RedisSession, per_example_verifier, redis_session

USERS = st.builds(lambda n: json.dumps({"id": n}), st.integers(0, 99))
COUNTS = st.integers(0, 9)
VALUES = {"user:*": USERS, "count:*": COUNTS}

quick = settings(
    max_examples=40,
    database=None,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def user(value: Any) -> bool:
    return value is None or json.loads(value)["id"] in range(100)


def count(value: Any) -> bool:
    return value is None or int(value) in range(10)


def items(check: Any) -> Any:
    return lambda reply: reply is None or all(check(item) for item in reply)


#: Each reading command, sent for a key (or keys) under a pattern, and what its reply must hold.
READS = {
    "GET": (("GET", "user:1"), user),
    "GETDEL": (("GETDEL", "user:1"), user),
    "MGET": (("MGET", "user:1", "count:2"), lambda r: user(r[0]) and count(r[1])),
    "HGET": (("HGET", "user:1", "name"), user),
    "HMGET": (("HMGET", "user:1", "a", "b"), lambda r: len(r) == 2 and all(map(user, r))),
    "HGETALL": (("HGETALL", "user:1"), lambda r: all(map(user, r.values()))),
    "HVALS": (("HVALS", "user:1"), items(user)),
    "LRANGE": (("LRANGE", "count:1", 0, -1), items(count)),
    "LINDEX": (("LINDEX", "count:1", 0), count),
    "LPOP": (("LPOP", "count:1"), count),
    "RPOP with a count": (("RPOP", "count:1", 2), items(count)),
    "LMOVE": (("LMOVE", "user:1", "done", "RIGHT", "LEFT"), user),
    "RPOPLPUSH": (("RPOPLPUSH", "user:1", "done"), user),
    "BLPOP": (
        ("BLPOP", "user:1", "count:1", 0),
        lambda r: r is None or r[0] in (b"user:1", b"count:1"),
    ),
    "ZRANGE": (("ZRANGE", "user:1", 0, -1), items(user)),
    "ZREVRANGE": (("ZREVRANGE", "user:1", 0, -1), items(user)),
    "SMEMBERS": (("SMEMBERS", "count:1"), items(count)),
    "SRANDMEMBER": (("SRANDMEMBER", "count:1"), count),
}


@pytest.mark.parametrize("read", list(READS))
def test_every_reading_command_answers_what_the_app_stores(read: str) -> None:
    call, holds = READS[read]
    answered: list[Any] = []

    @quick
    @given(redis_session(values=VALUES, error_rate=0))
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        with tripwire:
            reply = redis.Redis().execute_command(*call)
        assert holds(reply), reply
        answered.append(reply)
        session.assert_sent([call])

    check()
    assert any(reply not in (None, [], {}, set()) for reply in answered)


def test_zrange_withscores_pairs_stored_members_with_scores() -> None:
    @quick
    @given(redis_session(values={"board:*": USERS}, error_rate=0))
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        with tripwire:
            reply = redis.Redis().zrange("board:1", 0, -1, withscores=True)
        assert all(user(member) and isinstance(score, float) for member, score in reply)
        session.assert_sent([("ZRANGE", "board:1", 0, -1, "WITHSCORES")])

    check()


def test_a_key_no_pattern_matches_gets_realistic_replies() -> None:
    seen: list[Any] = []

    @quick
    @given(redis_session(values=VALUES, error_rate=0))
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        with tripwire:
            seen.append(redis.Redis().get("other:1"))
        session.assert_sent([("GET", "other:1")])

    check()
    assert any(value is not None and not value.startswith(b"{") for value in seen)


def test_one_strategy_is_every_key_s_and_values_are_stored_as_redis_py_sends_them() -> None:
    seen: list[Any] = []

    @quick
    @given(redis_session(values=st.sampled_from([7, 2.5, "é", b"\xff"]), error_rate=0))
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        with tripwire:
            seen.append(redis.Redis().get("any"))
        session.assert_sent([("GET", "any")])

    check()
    assert set(seen) == {None, b"7", b"2.5", "é".encode(), b"\xff"}


def test_decoded_sessions_answer_the_stored_text() -> None:
    seen: list[Any] = []

    @quick
    @given(redis_session(values={"user:*": USERS}, error_rate=0))
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        with tripwire:
            seen.append(redis.Redis(decode_responses=True).get("user:1"))
        session.assert_sent([("GET", "user:1")])

    check()
    assert {type(value) for value in seen} == {type(None), str}


def test_the_first_matching_pattern_wins() -> None:
    @quick
    @given(redis_session(values={"user:admin": st.just("root"), "user:*": USERS}, error_rate=0))
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        with tripwire:
            value = redis.Redis().get("user:admin")
        assert value in (None, b"root")
        session.assert_sent([("GET", "user:admin")])

    check()


def test_the_session_s_repr_shows_the_values() -> None:
    session = find(redis_session(values={"count:*": st.integers(0, 9)}), lambda _: True)
    assert repr(session) == (
        "redis_session(values={'count:*': integers(min_value=0, max_value=9)})"
    )


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        pytest.param(42, "42 (int)", id="not-a-strategy"),
        pytest.param({}, "{} (dict)", id="empty-mapping"),
        pytest.param({"": USERS}, "'' (str)", id="empty-pattern"),
        pytest.param({b"user:*": USERS}, "b'user:*' (bytes)", id="bytes-pattern"),
        pytest.param({"user:*": 42}, "42 (int)", id="pattern-to-a-value"),
    ],
)
def test_values_are_checked(values: object, shown: str) -> None:
    with pytest.raises(InvalidArgument) as error:
        redis_session(values=values)  # type: ignore[arg-type]
    assert str(error.value) == (
        "redis_session() argument 'values' must be a strategy of the values the app stores, or "
        "a mapping from key patterns (such as 'user:*') to such strategies, got " + shown
    )


def test_a_value_redis_py_cannot_store_is_refused_when_drawn() -> None:
    @quick
    @given(redis_session(values=st.just({"id": 1}), error_rate=0))
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        with tripwire:
            redis.Redis().get("user:1")
        session.assert_sent([("GET", "user:1")])

    with pytest.raises(InvalidArgument) as error:
        check()
    assert str(error.value) == (
        "redis_session() argument 'values' must be strategies drawing bytes, str, int or float "
        "values, got {'id': 1} (dict)"
    )


def test_a_model_session_starts_with_what_the_app_stores_where_the_code_reads_first() -> None:
    pytest.importorskip("fakeredis")
    seen: list[Any] = []

    @quick
    @given(redis_session(model=True, values={"user:*": USERS, "jobs": COUNTS}, error_rate=0))
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        client = redis.Redis()
        with tripwire:
            first = client.get("user:1")
            client.set("user:2", "mine")  # written first: the app's own
            mine = client.get("user:2")
            jobs = client.lrange("jobs", 0, -1)
            moved = client.lmove("jobs", "done")
        assert user(first)
        assert mine == b"mine"
        assert all(map(count, jobs))
        assert moved == (jobs[0] if jobs else None)  # LMOVE's default: LEFT to RIGHT
        assert session.model.lrange("done", 0, -1) == ([moved] if moved else [])
        seen.append((first, jobs))
        session.assert_sent([(c.command, *c.args) for c in session.consumed if not c.retried])

    check()
    assert {first is None for first, _ in seen} == {True, False}
    assert any(len(jobs) > 1 for _, jobs in seen)


def test_the_report_of_a_model_session_prints_the_initial_data_and_replays_it() -> None:
    pytest.importorskip("fakeredis")

    @settings(quick, max_examples=100)
    @given(redis_session(model=True, values={"user:*": USERS}, error_rate=0))
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        with tripwire:
            value = redis.Redis().get("user:1")
        session.assert_sent([("GET", "user:1")])
        assert value is None or json.loads(value)["id"] < 50, "an old user"

    with pytest.raises(AssertionError) as error:
        check()
    report = "\n".join(error.value.__notes__)
    assert "Draw 1 (initial user:1): b'{\"id\": 50}'\n" in report
    assert (
        "@example(session=RedisSession.from_faults([], initial={'user:1': b'{\"id\": 50}'}))"
    ) in report
    replayed = RedisSession.from_faults([None], initial={"user:1": b'{"id": 50}'})
    with tripwire.use_verifier(tripwire.StrictVerifier()):
        replayed.install()
        with tripwire:
            assert redis.Redis().get("user:1") == b'{"id": 50}'
        replayed.assert_sent([("GET", "user:1")])


def test_initial_data_is_checked() -> None:
    with pytest.raises(InvalidArgument) as error:
        RedisSession.from_faults([], initial=42)  # type: ignore[arg-type]
    assert str(error.value) == (
        "RedisSession.from_faults() argument 'initial' must be a mapping from keys to their "
        "data, got 42 (int)"
    )
