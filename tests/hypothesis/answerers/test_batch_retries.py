"""A session's fault of a pipeline's or transaction's connection happens at the connection, under
the pipeline's own retry policy: redis-py sends the whole batch again (or, watching keys, raises
``WatchError``), and each sending is recorded."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.retry import Retry

import tripwire
from tripwire import StrictVerifier
from tripwire_hypothesis import Fault, RedisSession, Step

client = redis.Redis()
#: A client that never retries: every fault reaches the caller.
once = redis.Redis(retry=Retry(NoBackoff(), 0))
three = redis.Redis(retry=Retry(NoBackoff(), 2))

CLOSED = redis.exceptions.ConnectionError("Connection closed by server.")
TIMEOUT = redis.exceptions.TimeoutError("Timeout reading from socket")
WATCH_LOST = "A ConnectionError occurred while watching one or more keys"


def sent(session: RedisSession) -> list[tuple[str, str | None, bool]]:
    """Each command sent: its name, the class of the error its attempt failed with, and
    whether it was sent again."""
    return [
        (step.command, None if step.raises is None else type(step.raises).__name__, step.retried)
        for step in session.consumed
    ]


def assert_all(session: RedisSession) -> None:
    session.assert_sent([(c.command, *c.args) for c in session.consumed if not c.retried])


def transaction_of(target: Any) -> list[Any]:
    with target.pipeline() as pipe:
        pipe.incr("n")
        return pipe.execute()  # type: ignore[no-any-return]


def pipelined(target: Any) -> list[Any]:
    with target.pipeline(transaction=False) as pipe:
        pipe.incr("n")
        pipe.get("k")
        return pipe.execute()  # type: ignore[no-any-return]


def watched(target: Any) -> list[Any]:
    with target.pipeline() as pipe:
        pipe.watch("n")
        pipe.multi()
        pipe.incr("n")
        return pipe.execute()  # type: ignore[no-any-return]


SENT_AGAIN = [
    ("MULTI", None, True),
    ("INCRBY", None, True),
    ("EXEC", "ConnectionError", True),
    ("MULTI", None, False),
    ("INCRBY", None, False),
    ("EXEC", None, False),
]

# -- scripted sessions ---------------------------------------------------------------------------


def test_a_transaction_whose_exec_lost_its_connection_is_sent_again(
    verifier: StrictVerifier,
) -> None:
    session = RedisSession(
        [Step("INCRBY", returns=1), Step("EXEC", raises=CLOSED), Step("INCRBY", returns=2)]
    )
    session.install()
    with verifier.sandbox():
        assert transaction_of(client) == [2]
    assert sent(session) == SENT_AGAIN
    assert_all(session)


def test_a_pipeline_whose_reply_was_lost_is_sent_again(verifier: StrictVerifier) -> None:
    session = RedisSession(
        [
            Step("INCRBY", returns=1),
            Step("GET", raises=TIMEOUT),
            Step("INCRBY", returns=2),
            Step("GET", returns=b"v"),
        ]
    )
    session.install()
    with verifier.sandbox():
        assert pipelined(client) == [2, b"v"]
    assert sent(session) == [
        ("INCRBY", None, True),
        ("GET", "TimeoutError", True),
        ("INCRBY", None, False),
        ("GET", None, False),
    ]
    assert_all(session)


def test_a_client_that_never_retries_sees_the_batch_s_fault(verifier: StrictVerifier) -> None:
    session = RedisSession(
        [
            Step("INCRBY", returns=1),
            Step("EXEC", raises=CLOSED),
            Step("INCRBY", returns=1),
            Step("GET", raises=TIMEOUT),
        ]
    )
    session.install()
    with verifier.sandbox():
        with pytest.raises(redis.exceptions.ConnectionError) as closed:
            transaction_of(once)
        with pytest.raises(redis.exceptions.TimeoutError) as timed_out:
            pipelined(once)
    assert (closed.value, timed_out.value) == (CLOSED, TIMEOUT)
    assert sent(session) == [
        ("MULTI", None, False),
        ("INCRBY", None, False),
        ("EXEC", "ConnectionError", False),
        ("INCRBY", None, False),
        ("GET", "TimeoutError", False),
    ]
    assert_all(session)


def test_a_watching_pipeline_gets_a_watch_error_instead_of_a_retry(
    verifier: StrictVerifier,
) -> None:
    session = RedisSession(
        [Step("WATCH", returns=True), Step("INCRBY", returns=1), Step("EXEC", raises=CLOSED)]
    )
    session.install()
    with verifier.sandbox(), pytest.raises(redis.exceptions.WatchError) as raised:
        watched(client)
    assert str(raised.value) == WATCH_LOST
    assert isinstance(raised.value.__context__, redis.exceptions.ConnectionError)
    assert sent(session) == [
        ("WATCH", None, False),
        ("MULTI", None, False),
        ("INCRBY", None, False),
        ("EXEC", "ConnectionError", False),
    ]
    assert_all(session)


def test_a_batch_s_outage_fails_every_sending(verifier: StrictVerifier) -> None:
    session = RedisSession([Step("INCRBY", returns=1), Step("EXEC", raises=CLOSED, outage=True)])
    session.install()
    with verifier.sandbox(), pytest.raises(redis.exceptions.ConnectionError) as raised:
        transaction_of(three)
    assert str(raised.value) == "Connection closed by server."
    # Out of reach: the later sendings fail at their first command.
    assert sent(session) == [
        ("MULTI", None, True),
        ("INCRBY", None, True),
        ("EXEC", "ConnectionError", True),
        ("MULTI", None, True),
        ("INCRBY", "ConnectionError", True),
        ("MULTI", None, False),
        ("INCRBY", "ConnectionError", False),
    ]
    assert_all(session)


def test_a_mock_that_raises_a_fault_in_a_batch_raises_it_at_the_call(
    verifier: StrictVerifier,
) -> None:
    # The guide's meaning of mock_command(raises=...): the call raises it, retry or not.
    session = RedisSession([Step("INCRBY", returns=1)])
    session.install()
    tripwire.redis.mock_command("EXEC", returns=None, raises=CLOSED)
    with verifier.sandbox(), pytest.raises(redis.exceptions.ConnectionError):
        transaction_of(client)
    assert sent(session) == [
        ("MULTI", None, False),
        ("INCRBY", None, False),
        ("EXEC", "ConnectionError", False),
    ]
    assert_all(session)


def test_backoff_between_sendings_is_not_slept(
    verifier: StrictVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slept(seconds: float) -> None:
        raise AssertionError(f"slept {seconds} s")

    monkeypatch.setattr(redis.retry, "sleep", slept)
    patient = redis.Redis(retry=Retry(ExponentialBackoff(cap=3600, base=60), 3))
    session = RedisSession(
        [
            Step("INCRBY", returns=1),
            Step("EXEC", raises=CLOSED),
            Step("INCRBY", returns=2),
            Step("EXEC", raises=TIMEOUT),
            Step("INCRBY", returns=3),
        ]
    )
    session.install()
    with verifier.sandbox():
        assert transaction_of(patient) == [3]
    assert_all(session)


# -- model sessions ------------------------------------------------------------------------------


def test_a_transaction_whose_reply_was_lost_after_it_took_effect_applies_twice(
    verifier: StrictVerifier,
) -> None:
    session = RedisSession.from_faults([Fault(CLOSED, applied=True)])
    session.install()
    with verifier.sandbox():
        assert transaction_of(client) == [2]
    assert session.model.get("n") == b"2"
    assert sent(session) == SENT_AGAIN
    assert_all(session)


def test_a_pipelined_incr_whose_reply_was_lost_counts_twice(verifier: StrictVerifier) -> None:
    # INCR took effect, then the connection was lost reading GET's reply.
    session = RedisSession.from_faults([None, Fault(CLOSED, applied=True)])
    session.install()
    with verifier.sandbox():
        assert pipelined(client) == [2, None]
    assert session.model.get("n") == b"2"
    assert sent(session) == [
        ("INCRBY", None, True),
        ("GET", "ConnectionError", True),
        ("INCRBY", None, False),
        ("GET", None, False),
    ]
    assert_all(session)


def test_with_retries_off_a_lost_reply_applies_once_and_the_code_sees_it(
    verifier: StrictVerifier,
) -> None:
    session = RedisSession.from_faults(
        [Fault(CLOSED, applied=True), Fault(TIMEOUT), None, Fault(CLOSED, applied=True)]
    )
    session.install()
    with verifier.sandbox():
        with pytest.raises(redis.exceptions.ConnectionError):
            transaction_of(once)
        with pytest.raises(redis.exceptions.TimeoutError):
            pipelined(once)  # INCR's connection timed out before it took effect
        with pytest.raises(redis.exceptions.WatchError) as raised:
            watched(client)  # committed, and the reply lost: not sent again
    assert str(raised.value) == WATCH_LOST
    assert session.model.get("n") == b"2"
    assert_all(session)


# -- asyncio pipelines ---------------------------------------------------------------------------


def run_async(session: RedisSession, verifier: StrictVerifier, body: Any) -> Any:
    """Install ``session`` and run the coroutine function ``body`` in the sandbox."""
    import asyncio

    session.install()
    with verifier.sandbox():
        return asyncio.run(body())


def asyncio_clients() -> tuple[Any, Any]:
    """A default asyncio client, and one that never retries."""
    asyncio_redis = pytest.importorskip("redis.asyncio")
    retry = pytest.importorskip("redis.asyncio.retry")
    return asyncio_redis.Redis(), asyncio_redis.Redis(retry=retry.Retry(NoBackoff(), 0))


async def async_transaction(target: Any) -> list[Any]:
    async with target.pipeline() as pipe:
        pipe.incr("n")
        return await pipe.execute()  # type: ignore[no-any-return]


async def async_pipelined(target: Any) -> list[Any]:
    async with target.pipeline(transaction=False) as pipe:
        pipe.incr("n")
        pipe.get("k")
        return await pipe.execute()  # type: ignore[no-any-return]


async def async_watched(target: Any) -> list[Any]:
    async with target.pipeline() as pipe:
        await pipe.watch("n")
        pipe.multi()
        pipe.incr("n")
        return await pipe.execute()  # type: ignore[no-any-return]


async def outcome(call: Any) -> Any:
    try:
        return await call
    except redis.RedisError as error:
        return error


def test_an_asyncio_pipeline_sends_a_batch_again_as_a_sync_one(verifier: StrictVerifier) -> None:
    default, never = asyncio_clients()
    session = RedisSession(
        [
            Step("INCRBY", returns=1),
            Step("EXEC", raises=CLOSED),
            Step("INCRBY", returns=2),
            Step("EXEC", returns=None),
            Step("INCRBY", returns=1),
            Step("GET", raises=TIMEOUT),
            Step("INCRBY", returns=2),
            Step("GET", returns=b"v"),
            Step("INCRBY", returns=3),
            Step("EXEC", raises=CLOSED),
            Step("WATCH", returns=True),
            Step("INCRBY", returns=4),
            Step("EXEC", raises=CLOSED),
        ]
    )

    async def body() -> list[Any]:
        return [
            await async_transaction(default),
            await async_pipelined(default),
            await outcome(async_transaction(never)),
            await outcome(async_watched(default)),
        ]

    first, second, third, fourth = run_async(session, verifier, body)
    assert (first, second, third) == ([2], [2, b"v"], CLOSED)
    assert isinstance(fourth, redis.exceptions.WatchError)
    assert str(fourth) == WATCH_LOST
    assert sent(session) == [
        *SENT_AGAIN,
        ("INCRBY", None, True),
        ("GET", "TimeoutError", True),
        ("INCRBY", None, False),
        ("GET", None, False),
        ("MULTI", None, False),
        ("INCRBY", None, False),
        ("EXEC", "ConnectionError", False),
        ("WATCH", None, False),
        ("MULTI", None, False),
        ("INCRBY", None, False),
        ("EXEC", "ConnectionError", False),
    ]
    assert_all(session)


def test_an_asyncio_transaction_whose_reply_was_lost_applies_twice(
    verifier: StrictVerifier,
) -> None:
    default, never = asyncio_clients()
    session = RedisSession.from_faults(
        [
            Fault(CLOSED, applied=True),  # EXEC
            None,  # EXEC, sent again: n is 2
            Fault(CLOSED, applied=True),  # INCRBY
            None,  # INCRBY, sent again: n is 4
            None,  # GET
            Fault(CLOSED),  # EXEC, before it took effect
        ]
    )

    async def body() -> list[Any]:
        return [
            await async_transaction(default),
            await async_pipelined(default),
            await outcome(async_transaction(never)),
        ]

    first, second, third = run_async(session, verifier, body)
    assert (first, second, third) == ([2], [4, None], CLOSED)
    assert session.model.get("n") == b"4"
    assert_all(session)
