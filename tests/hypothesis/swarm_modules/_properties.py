"""The property of each module of this folder, as its author would write it: `redis_session()`.

Each is a function of the module (correct, or with a bug planted) returning the ``@given`` test.
The sessions keep the default fault plans; ``replies=`` says what the app stores where its code
decodes it (JSON profiles, balances).
"""

# ruff: noqa: PT018 - a property reads as its contract: one clause per branch

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import redis
from dirty_equals import IsTuple
from hypothesis import given
from hypothesis import strategies as st

import tripwire
from tripwire_hypothesis import strategies as tripwire_strategies

CLIENT = redis.Redis()
TRANSIENT = (redis.ConnectionError, redis.TimeoutError)


def seen(session: Any) -> list[Any]:
    """The calls the code saw: redis-py's retry policy sent again the ones marked retried."""
    return [call for call in session.consumed if not call.retried]


def cache(app: ModuleType) -> Callable[..., None]:
    profiles = st.none() | st.builds(lambda n: json.dumps({"id": n}).encode(), st.integers(1, 9))

    @given(
        user_id=st.integers(1, 99),
        session=tripwire_strategies.redis_session(replies={"GET": profiles}),
    )
    def test(user_id: int, session: Any) -> None:
        session.install()
        with tripwire:
            try:
                result = app.get_profile(CLIENT, user_id, lambda n: {"id": n})
            except redis.RedisError as error:
                result = error
        get, *rest = seen(session)
        if isinstance(get.raises, TRANSIENT):
            assert result == {"id": user_id} and not rest, "an unreachable cache reads through"
        elif get.raises is not None:
            assert result is get.raises and not rest, "a server error reaches the reader"
        elif get.returns is not None:
            assert result == json.loads(get.returns) and not rest, "a hit is decoded"
        else:
            (write,) = rest
            assert write.command == "SET"
            if write.raises is None or isinstance(write.raises, TRANSIENT):
                assert result == {"id": user_id}, "a miss reads through"
            else:
                assert result is write.raises, "a server error reaches the reader"
        session.assert_sent(
            {
                "GET": (f"profile:{user_id}",),
                "SET": IsTuple(
                    f"profile:{user_id}", json.dumps({"id": user_id}), "EX", 300, check_order=False
                ),
            }
        )

    return test


def lock(app: ModuleType) -> Callable[..., None]:
    @given(tripwire_strategies.redis_session())
    def test(session: Any) -> None:
        session.install()
        with tripwire:
            try:
                result = app.acquire(CLIENT, "report", "token-1")
            except redis.RedisError as error:
                result = error
        *refused, last = seen(session)
        assert len(refused) < 5, "at most 5 attempts"
        assert all(refusal(s) for s in refused), "only a refusal or a dropped connection is retried"
        if result is True:
            assert last.returns is True
        elif result is False:
            assert len(refused) == 4, "5 refusals before giving up"
            assert refusal(last)
        else:
            assert result is last.raises and not isinstance(result, redis.ConnectionError)
        session.assert_sent(
            {"SET": IsTuple("lock:report", "token-1", "NX", "PX", 30_000, check_order=False)}
        )

    return test


def refusal(step: Any) -> bool:
    """Whether a SET NX was refused: another holder has the lock, or the connection dropped."""
    return isinstance(step.raises, redis.ConnectionError) or (
        step.raises is None and step.returns is None
    )


def transfer(app: ModuleType) -> Callable[..., None]:
    balances = st.integers(0, 20).map(lambda n: str(n).encode())

    @given(tripwire_strategies.redis_session(replies={"GET": balances}))
    def test(session: Any) -> None:
        session.install()
        with tripwire:
            try:
                outcome = app.transfer(CLIENT, "alice", "bob", 5)
            except (redis.RedisError, app.TransferConflict) as error:
                outcome = error
        calls = seen(session)
        commands = [call.command for call in calls]
        # A lost race, or a watched EXEC's connection lost: redis-py raises WatchError for both.
        lost = sum(call.command == "EXEC" and call.raises is not None for call in calls)
        if outcome is False:
            assert commands[-1] == "UNWATCH", "only a short balance refuses a transfer"
        elif outcome is True:
            assert commands[-4:] == ["MULTI", "DECRBY", "INCRBY", "EXEC"]
            assert calls[-1].raises is None
        elif isinstance(outcome, app.TransferConflict):
            assert lost == 5, "gives up after 5 lost races"
        else:
            assert outcome is raised(calls), "a failure reaches the caller"
            assert not isinstance(outcome, redis.WatchError)
        assert lost <= 5 and commands.count("WATCH") <= 5, "at most 5 attempts"
        session.assert_sent(
            {
                "WATCH": ("balance:alice",),
                "GET": ("balance:alice",),
                "UNWATCH": (),
                "DECRBY": ("balance:alice", 5),
                "INCRBY": ("balance:bob", 5),
            },
        )

    return test


def raised(calls: list[Any]) -> BaseException | None:
    """The error a transaction's caller gets: EXEC's, else the first of its queued commands'."""
    last = calls[-1]
    if last.command != "EXEC" or last.raises is not None:
        return last.raises  # type: ignore[no-any-return]
    begin = max(i for i, call in enumerate(calls) if call.command == "MULTI")
    return next(call.raises for call in calls[begin:] if call.raises is not None)


def poll(app: ModuleType) -> Callable[..., None]:
    @given(tripwire_strategies.redis_session())
    def test(session: Any) -> None:
        session.install()
        with tripwire:
            try:
                outcome = app.wait_for_result(CLIENT, 7)
            except (redis.RedisError, app.ResultTimeout) as error:
                outcome = error
        calls = seen(session)
        polls = [call for call in calls if call.command == "GET"]
        assert len(polls) <= 60, "at most 60 polls"
        if isinstance(outcome, app.ResultTimeout):
            assert len(polls) == 60, "gives up after 60 empty polls"
        elif isinstance(outcome, redis.RedisError):
            assert outcome is calls[-1].raises, "a failure reaches the caller"
            assert not (calls[-1].command == "DEL" and isinstance(outcome, redis.ConnectionError))
        else:
            assert outcome == polls[-1].returns, "the result is handed over"
            handover = calls[-1].raises
            assert handover is None or isinstance(handover, redis.ConnectionError)
            assert calls[-1].command == "DEL"
        session.assert_sent(
            {
                "GET": ("job:7:result",),
                "DEL": ("job:7:result",),
            },
        )

    return test


def session_store(app: ModuleType) -> Callable[..., None]:
    @given(tripwire_strategies.redis_session())
    def test(session: Any) -> None:
        session.install()
        with tripwire:
            try:
                fields = app.load_session(CLIENT, "s1")
            except redis.RedisError as error:
                fields = error
        read, *rest = seen(session)
        if read.raises is not None:
            assert fields is read.raises and not rest, "a failure reaches the reader"
        elif not read.returns:
            assert fields is None and not rest, "no such session"
        else:
            (renew,) = rest
            if renew.raises is None or isinstance(renew.raises, TRANSIENT):
                assert fields == read.returns, "renewing is best effort"
            else:
                assert fields is renew.raises, "a server error reaches the reader"
        session.assert_sent(
            {
                "HGETALL": ("session:s1",),
                "EXPIRE": ("session:s1", 1800),
            },
        )

    return test


def inventory(app: ModuleType) -> Callable[..., None]:
    @given(tripwire_strategies.redis_session())
    def test(session: Any) -> None:
        session.install()
        with tripwire:
            try:
                outcome = app.reserve(CLIENT, 42, "sku-1", 3)
            except (redis.RedisError, app.OutOfStock) as error:
                outcome = error
        calls = seen(session)
        if isinstance(outcome, redis.RedisError):
            assert outcome is calls[-1].raises, "a failure reaches the caller"
        session.assert_sent(
            {
                "EXISTS": ("order:42",),
                "HSET": IsTuple("order:42", "sku", "sku-1", "quantity", 3),
                "DECRBY": ("stock:sku-1", 3),
                "INCRBY": ("stock:sku-1", 3),
                "DEL": ("order:42",),
                "EXPIRE": ("order:42", 900),
            },
        )

    return test


PROPERTIES: dict[str, Callable[[ModuleType], Callable[..., None]]] = {
    "cache": cache,
    "lock": lock,
    "transfer": transfer,
    "poll": poll,
    "session_store": session_store,
    "inventory": inventory,
}
