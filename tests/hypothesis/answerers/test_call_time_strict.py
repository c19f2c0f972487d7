"""Sessions drawn at call time stay strict and bounded.

Every answer is recorded and must be asserted; an allow-list refuses other commands; mocks
registered by hand are consumed first; code that loops forever, or calls from another thread,
fail the example with a message saying what to do.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import redis
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
        session.assert_sent({"SET": ("k", "v"), "GET": ("k",)})

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
    # assert_sent walks the calls in the order made, whatever the order of its entries.
    session.assert_sent({"GET": ("k",), "SET": ("k", "v")})
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
        except UnmockedInteractionError:
            # Examples that Hypothesis stops before the end (having run out of the draws it
            # replays) are not counted.
            answered.append(len(session.consumed))
            raise

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
        "calls. Install one session per example."
    )
