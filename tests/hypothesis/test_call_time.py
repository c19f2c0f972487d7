"""Sessions that answer each Redis command when the code sends it: flows, strictness and limits.

`redis_session()` with no arguments answers whatever the code sends, so code whose next call
depends on the last answer (a first-hit EXPIRE, a retry, a SCAN loop) needs no script. The flows
below are correct implementations: over every example there is no unmocked call, no unused mock
and no unasserted interaction, and each test checks that every branch of the flow was explored.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from fnmatch import fnmatchcase
from typing import Any

import pytest
import redis
import redis.asyncio
from dirty_equals import IsInstance
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import tripwire
from tripwire import (
    InteractionMismatchError,
    StrictVerifier,
    UnassertedInteractionsError,
    UnmockedInteractionError,
)
from tripwire_hypothesis import ConsumedStep, RedisSession, Step, per_example_verifier
from tripwire_hypothesis import strategies as tripwire_strategies

deterministic = settings(
    database=None,
    derandomize=True,
    deadline=None,
    max_examples=50,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)

ANY_CALL: dict[str, Any] = {"args": IsInstance(tuple), "kwargs": IsInstance(dict)}


# -- a fixed-window rate limiter: INCR, then EXPIRE only on the window's first hit ----------------

LIMIT = 5


def allow_request(client: redis.Redis, user: str) -> bool:
    key = f"rate:{user}"
    count = int(client.incr(key))
    if count == 1:
        client.expire(key, 60)
    return count <= LIMIT


async def allow_request_async(client: redis.asyncio.Redis, user: str) -> bool:
    key = f"rate:{user}"
    count = int(await client.incr(key))
    if count == 1:
        await client.expire(key, 60)
    return count <= LIMIT


RATE_LIMITER_CALLS = {
    "INCRBY": {"args": ("rate:alice", 1)},
    "EXPIRE": {"args": ("rate:alice", 60)},
}


def rate_limiter_branch(session: RedisSession, allowed: object) -> str:
    """Check one rate-limiter example against its calls; name the branch it took."""
    incr, *rest = session.consumed
    session.assert_consumed(RATE_LIMITER_CALLS)
    if incr.raises is not None:
        assert (allowed, rest) == (incr.raises, [])
        return "INCR failed"
    assert [call.command for call in rest] == (["EXPIRE"] if incr.returns == 1 else [])
    if rest and rest[0].raises is not None:
        assert allowed is rest[0].raises
        return "EXPIRE failed"
    assert allowed == (incr.returns <= LIMIT)
    return "first hit" if rest else "later hit"


@settings(max_examples=50, deadline=None)
@given(tripwire_strategies.redis_session())
def test_a_session_with_no_arguments_answers_the_rate_limiter(session: RedisSession) -> None:
    # The pytest plugin gives each example its own verifier and verifies it.
    session.install()
    with tripwire:
        try:
            allowed: object = allow_request(redis.Redis(), "alice")
        except redis.RedisError as error:
            allowed = error
    rate_limiter_branch(session, allowed)


def test_the_rate_limiter_s_every_branch_is_explored_sync_and_asyncio() -> None:
    branches: Counter[tuple[str, str]] = Counter()

    @deterministic
    @given(tripwire_strategies.redis_session(), st.sampled_from(["sync", "asyncio"]))
    @per_example_verifier
    def check(session: RedisSession, flavour: str) -> None:
        session.install()
        with tripwire:
            try:
                if flavour == "sync":
                    allowed: object = allow_request(redis.Redis(), "alice")
                else:
                    allowed = asyncio.run(allow_request_async(redis.asyncio.Redis(), "alice"))
            except redis.RedisError as error:
                allowed = error
        branches[flavour, rate_limiter_branch(session, allowed)] += 1

    check()
    # (A failed EXPIRE after a first hit is rare: 3 in 1000 examples.)
    assert {branch for _, branch in branches} >= {"INCR failed", "first hit", "later hit"}
    assert {flavour for flavour, _ in branches} == {"sync", "asyncio"}


# -- a read retried on connection errors ----------------------------------------------------------

ATTEMPTS = 3
RETRIED = (redis.ConnectionError, redis.TimeoutError)


def get_with_retry(client: redis.Redis, key: str) -> bytes | None:
    for attempt in range(ATTEMPTS):
        try:
            value: bytes | None = client.get(key)
            return value
        except RETRIED:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def test_a_retry_loop_is_answered_call_by_call() -> None:
    attempts: Counter[int] = Counter()

    @deterministic
    @given(tripwire_strategies.redis_session(error_rate=0.6))
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        with tripwire:
            try:
                result: object = get_with_retry(redis.Redis(), "config")
            except redis.RedisError as error:
                result = error
        *retried, last = session.consumed
        session.assert_consumed(args=("config",), kwargs=IsInstance(dict))
        assert all(isinstance(call.raises, RETRIED) for call in retried)
        assert result is (last.raises if last.raises is not None else last.returns)
        if isinstance(last.raises, RETRIED):
            assert len(session.consumed) == ATTEMPTS
        attempts[len(session.consumed)] += 1

    check()
    assert set(attempts) == {1, 2, 3}


# -- a SCAN loop until the cursor is 0 -----------------------------------------------------------


def delete_users(client: redis.Redis) -> int:
    cursor, deleted = 0, 0
    while True:
        cursor, names = client.scan(cursor, match="user:*", count=100)
        if names:
            deleted += client.unlink(*names)
        if cursor == 0:
            return deleted


async def delete_users_async(client: redis.asyncio.Redis) -> int:
    cursor, deleted = 0, 0
    while True:
        cursor, names = await client.scan(cursor, match="user:*", count=100)
        if names:
            deleted += await client.unlink(*names)
        if cursor == 0:
            return deleted


def test_a_scan_loop_runs_until_a_drawn_cursor_is_0_sync_and_asyncio() -> None:
    pages: Counter[int] = Counter()

    @deterministic
    @given(tripwire_strategies.redis_session(error_rate=0), st.booleans())
    @per_example_verifier
    def check(session: RedisSession, asynchronous: bool) -> None:
        session.install()
        with tripwire:
            if asynchronous:
                deleted = asyncio.run(delete_users_async(redis.asyncio.Redis()))
            else:
                deleted = delete_users(redis.Redis())
        scans = [call for call in session.consumed if call.command == "SCAN"]
        unlinks = [call for call in session.consumed if call.command == "UNLINK"]
        assert [scan.returns[0] == 0 for scan in scans] == [False] * (len(scans) - 1) + [True]
        assert [unlink.args for unlink in unlinks] == [
            tuple(scan.returns[1]) for scan in scans if scan.returns[1]
        ]
        names = [name.decode() for scan in scans for name in scan.returns[1]]
        assert all(fnmatchcase(name, "user:*") for name in names)
        assert deleted == sum(unlink.returns for unlink in unlinks)
        session.assert_consumed(
            {
                "SCAN": {"args": (IsInstance(int), b"MATCH", "user:*", b"COUNT", 100)},
                "UNLINK": {"args": IsInstance(tuple)},
            },
            kwargs=IsInstance(dict),
        )
        pages[len(scans)] += 1

    check()
    assert {1, 2, 3} <= set(pages)


# -- strict: every answer is recorded and must be asserted ---------------------------------------


def test_an_unasserted_drawn_answer_fails_the_example() -> None:
    @deterministic
    @given(tripwire_strategies.redis_session(error_rate=0))
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        with tripwire:
            redis.Redis().get("k")

    with pytest.raises(UnassertedInteractionsError) as failure:
        check()
    assert str(failure.value) == (
        "1 interaction was recorded but never asserted:\n"
        "    tripwire.redis.assert_command('GET', args=('k',), kwargs={'keys': ['k']})\n"
        "Assert each one after the sandbox closes, in the order shown (the lines above can be "
        "pasted)."
    )


def test_an_allow_list_refuses_any_other_command() -> None:
    @deterministic
    @given(tripwire_strategies.redis_session(commands=["GET"]))
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        with tripwire:
            redis.Redis().set("k", "v")

    with pytest.raises(UnmockedInteractionError) as failure:
        check()
    assert str(failure.value) == (
        "redis.SET(...) was called, but this session answers only GET (redis_session(commands="
        "...)) and no mock was registered for it.\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_command('SET', returns=...)\n"
        "Called with: args=('k', 'v'), kwargs={}"
    )


def test_a_command_without_realistic_replies_asks_for_replies_or_a_mock() -> None:
    @deterministic
    @given(tripwire_strategies.redis_session())
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        with tripwire:
            redis.Redis().execute_command("JSON.GET", "doc")

    with pytest.raises(UnmockedInteractionError) as failure:
        check()
    assert str(failure.value) == (
        "redis.JSON.GET(...) was called, but tripwire_hypothesis has no realistic replies for it "
        "and no mock was registered for it. Say what it answers: redis_session(replies="
        "{'JSON.GET': <a strategy, or a function of the call>}), or register a mock.\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_command('JSON.GET', returns=...)\n"
        "Called with: args=('doc',), kwargs={}"
    )


# -- combined with mocks registered by hand --------------------------------------------------------


def test_mocks_registered_by_hand_are_consumed_first_then_answers_are_drawn() -> None:
    @deterministic
    @given(tripwire_strategies.redis_session(error_rate=0))
    @per_example_verifier
    def check(session: RedisSession) -> None:
        tripwire.redis.mock_command("GET", returns=b"cached")
        session.install()
        with tripwire:
            client = redis.Redis()
            first, second = client.get("k"), client.get("k")
            stored = client.set("k", "v")
        assert first == b"cached"
        assert stored is True
        assert session.consumed == (
            ConsumedStep(0, "GET", ("k",), {"keys": ["k"]}, b"cached"),
            ConsumedStep(1, "GET", ("k",), {"keys": ["k"]}, second),
            ConsumedStep(2, "SET", ("k", "v"), {}, True),
        )
        # Only what the session drew: the hand-made mock is in the test's own code.
        assert session.answers == (Step("GET", returns=second), Step("SET", returns=True))
        session.assert_consumed({"SET": {"args": ("k", "v")}}, args=("k",), kwargs=IsInstance(dict))

    check()


def test_calls_are_asserted_in_the_order_made_across_commands(verifier: StrictVerifier) -> None:
    session = RedisSession([Step("GET", returns=None), Step("SET", returns=True)])
    session.install()
    with tripwire:
        client = redis.Redis()
        client.set("k", "v")  # written before it is read: the order the test checks
        client.get("k")
    with pytest.raises(InteractionMismatchError) as failure:
        tripwire.redis.assert_command("GET", args=("k",), kwargs={"keys": ["k"]})
    assert str(failure.value) == (
        "Expected the next interaction to be:\n"
        "    tripwire.redis.assert_command('GET', args=('k',), kwargs={'keys': ['k']})\n"
        "but it was:\n"
        "    tripwire.redis.assert_command('SET', args=('k', 'v'), kwargs={})\n"
        "Field by field (expected, then actual):\n"
        "    command  'GET' != 'SET'\n"
        "    args     ('k',) != ('k', 'v')\n"
        "    kwargs   {'keys': ['k']} != {}\n"
        "Unasserted interactions, in the order they happened (2):\n"
        "    tripwire.redis.assert_command('SET', args=('k', 'v'), kwargs={})\n"
        "    tripwire.redis.assert_command('GET', args=('k',), kwargs={'keys': ['k']})"
    )
    # assert_consumed walks the calls in the order made, whatever the order of its entries.
    session.assert_consumed({"GET": {"args": ("k",)}, "SET": {"args": ("k", "v")}}, **ANY_CALL)
    verifier.verify_all()


# -- bounded --------------------------------------------------------------------------------------


def poll_until_set(client: redis.Redis, key: str) -> bytes:
    while True:  # a poll with no bound: loops forever if the key never appears
        value: bytes | None = client.get(key)
        if value is not None:
            return value


@pytest.mark.parametrize(
    ("options", "limit"),
    [pytest.param({}, 100, id="default"), pytest.param({"max_answers": 3}, 3, id="max_answers=3")],
)
def test_code_that_loops_forever_fails_the_example_at_the_cap(
    options: dict[str, Any], limit: int
) -> None:
    answered: list[int] = []

    @deterministic
    @given(tripwire_strategies.redis_session(replies={"GET": st.none()}, error_rate=0, **options))
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        try:
            with tripwire:
                poll_until_set(redis.Redis(), "job:1")
        finally:
            answered.append(len(session.consumed))

    with pytest.raises(UnmockedInteractionError) as failure:
        check()
    assert set(answered) == {limit}
    assert str(failure.value) == (
        f"redis.GET(...) was called after this example's session had answered {limit} calls, "
        f"its limit (max_answers={limit}): the code may be looping forever (a retry with no "
        "bound, a scan that never reaches cursor 0). Fix the loop, or raise the limit with "
        "redis_session(max_answers=...).\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_command('GET', returns=...)\n"
        "Called with: args=('job:1',), kwargs={'keys': ['job:1']}"
    )


def test_a_call_from_another_thread_is_refused() -> None:
    @deterministic
    @given(tripwire_strategies.redis_session(error_rate=0))
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        errors: list[BaseException] = []

        def work() -> None:
            try:
                redis.Redis().get("k")
            except BaseException as error:  # handed to the example's thread
                errors.append(error)

        with tripwire:
            worker = threading.Thread(target=work, name="worker")
            worker.start()
            worker.join()
        raise errors[0]

    with pytest.raises(UnmockedInteractionError) as failure:
        check()
    assert str(failure.value) == (
        "redis.GET(...) was called from thread 'worker', but Hypothesis draws answers only in the "
        "thread running the example. Register mocks for calls made from other threads with "
        "tripwire.redis.mock_command(...).\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_command('GET', returns=...)\n"
        "Called with: args=('k',), kwargs={'keys': ['k']}"
    )


@pytest.mark.asyncio
@settings(max_examples=50, deadline=None)
@given(tripwire_strategies.redis_session())
async def test_an_async_given_test_is_answered_under_pytest_asyncio(session: RedisSession) -> None:
    session.install()
    with tripwire:
        try:
            deleted: object = await delete_users_async(redis.asyncio.Redis())
        except redis.RedisError as error:
            deleted = error
    *_, last = session.consumed
    if last.raises is not None:
        assert deleted is last.raises
    else:
        assert deleted == sum(call.returns for call in session.consumed if call.command == "UNLINK")
    session.assert_consumed(**ANY_CALL)


def test_answers_replay_the_example_without_drawing() -> None:
    @deterministic
    @given(tripwire_strategies.redis_session())
    @per_example_verifier
    def check(session: RedisSession) -> None:
        session.install()
        with tripwire:
            try:
                allowed: object = allow_request(redis.Redis(), "alice")
            except redis.RedisError as error:
                allowed = error
        session.assert_consumed(RATE_LIMITER_CALLS)
        drawn = session.consumed
        with tripwire.use_verifier(StrictVerifier()) as replaying:
            replay = RedisSession(session.answers)
            replay.install()
            with tripwire:
                try:
                    again: object = allow_request(redis.Redis(), "alice")
                except redis.RedisError as error:
                    again = error
            assert replay.consumed == drawn
            assert again is allowed if isinstance(allowed, BaseException) else again == allowed
            replay.assert_consumed(RATE_LIMITER_CALLS)
            replaying.verify_all()

    check()


def test_one_example_installs_one_drawing_session() -> None:
    @deterministic
    @given(tripwire_strategies.redis_session(), tripwire_strategies.redis_session())
    @per_example_verifier
    def check(first: RedisSession, second: RedisSession) -> None:
        first.install()
        second.install()

    with pytest.raises(InvalidArgument) as failure:
        check()
    assert str(failure.value) == (
        "RedisSession.install() found another session already answering this example's Redis "
        "calls. Draw one session per example."
    )
