"""Faults of drawn and scripted sessions happen at the connection, under the client's own retry
policy: redis-py decides what the code sees, and each attempt is recorded."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from hypothesis import Phase, given, settings
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.retry import Retry

import tripwire
from tripwire import StrictVerifier
from tripwire_hypothesis import ConsumedStep, Fault, RedisSession, Step, per_example_verifier
from tripwire_hypothesis import strategies as tripwire_strategies

client = redis.Redis()
#: A client that never retries: every fault reaches the caller.
once = redis.Redis(retry=Retry(NoBackoff(), 0))
three = redis.Redis(retry=Retry(NoBackoff(), 2))

CLOSED = redis.exceptions.ConnectionError("Connection closed by server.")
TIMEOUT = redis.exceptions.TimeoutError("Timeout reading from socket")
WRONGTYPE = redis.exceptions.ResponseError(
    "WRONGTYPE Operation against a key holding the wrong kind of value"
)


def sent(session: RedisSession) -> list[tuple[str, str | None, bool]]:
    """Each command sent: its name, the class of the error its attempt failed with, and
    whether it was retried."""
    return [
        (step.command, None if step.raises is None else type(step.raises).__name__, step.retried)
        for step in session.consumed
    ]


def assert_all(session: RedisSession) -> None:
    session.assert_sent([(c.command, *c.args) for c in session.consumed if not c.retried])


# -- scripted sessions ---------------------------------------------------------------------------


def test_a_scripted_fault_is_retried_with_the_command_s_next_step(
    verifier: StrictVerifier,
) -> None:
    session = RedisSession([Step("INCRBY", raises=CLOSED), Step("INCRBY", returns=2)])
    session.install()
    with verifier.sandbox():
        assert client.incr("n") == 2
    assert sent(session) == [("INCRBY", "ConnectionError", True), ("INCRBY", None, False)]
    assert session.consumed[0] == ConsumedStep(
        0, "INCRBY", ("n", 1), {}, raises=CLOSED, retried=True
    )
    assert_all(session)


def test_a_client_that_never_retries_sees_a_scripted_fault(verifier: StrictVerifier) -> None:
    session = RedisSession([Step("INCRBY", raises=TIMEOUT), Step("INCRBY", returns=2)])
    session.install()
    with verifier.sandbox():
        with pytest.raises(redis.exceptions.TimeoutError) as raised:
            once.incr("n")
        assert raised.value is TIMEOUT
        assert once.incr("n") == 2
    assert sent(session) == [("INCRBY", "TimeoutError", False), ("INCRBY", None, False)]
    assert_all(session)


def test_a_scripted_outage_fails_every_attempt(verifier: StrictVerifier) -> None:
    session = RedisSession([Step("GET", raises=CLOSED, outage=True)])
    session.install()
    with verifier.sandbox(), pytest.raises(redis.exceptions.ConnectionError):
        three.get("k")
    assert sent(session) == [("GET", "ConnectionError", True)] * 2 + [
        ("GET", "ConnectionError", False)
    ]
    assert_all(session)


def test_a_retry_beyond_the_script_is_unmocked(verifier: StrictVerifier) -> None:
    session = RedisSession([Step("GET", raises=CLOSED)])
    session.install()
    with verifier.sandbox(), pytest.raises(tripwire.UnmockedInteractionError) as raised:
        client.get("k")
    assert str(raised.value).startswith("redis.GET(...) was called but no mock was registered.")
    assert sent(session) == [("GET", "ConnectionError", True)]


def test_an_error_reply_is_not_retried(verifier: StrictVerifier) -> None:
    session = RedisSession([Step("GET", raises=WRONGTYPE), Step("GET", returns=b"1")])
    session.install()
    with verifier.sandbox():
        with pytest.raises(redis.exceptions.ResponseError):
            client.get("k")
        assert client.get("k") == b"1"
    assert sent(session) == [("GET", "ResponseError", False), ("GET", None, False)]
    assert_all(session)


def test_a_retried_error_reply_reaches_the_caller(verifier: StrictVerifier) -> None:
    session = RedisSession([Step("GET", raises=CLOSED), Step("GET", raises=WRONGTYPE)])
    session.install()
    with verifier.sandbox(), pytest.raises(redis.exceptions.ResponseError) as raised:
        client.get("k")
    assert raised.value is WRONGTYPE
    assert sent(session) == [("GET", "ConnectionError", True), ("GET", "ResponseError", False)]
    assert_all(session)


def test_backoff_between_scripted_attempts_is_not_slept(
    verifier: StrictVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slept(seconds: float) -> None:
        raise AssertionError(f"slept {seconds} s")

    monkeypatch.setattr(redis.retry, "sleep", slept)
    patient = redis.Redis(retry=Retry(ExponentialBackoff(cap=3600, base=60), 3))
    session = RedisSession(
        [Step("GET", raises=CLOSED), Step("GET", raises=TIMEOUT), Step("GET", returns=b"1")]
    )
    session.install()
    with verifier.sandbox():
        assert patient.get("k") == b"1"
    assert_all(session)


def test_a_mock_that_raises_a_fault_raises_it_at_the_call(verifier: StrictVerifier) -> None:
    # The guide's meaning of mock_command(raises=...): the call raises it, retry or not.
    session = RedisSession([Step("GET", returns=b"1")])
    session.install()
    tripwire.redis.mock_command("GET", returns=None, raises=CLOSED)
    with verifier.sandbox():
        with pytest.raises(redis.exceptions.ConnectionError):
            client.get("k")
        assert client.get("k") == b"1"
    assert sent(session) == [("GET", "ConnectionError", False), ("GET", None, False)]
    assert_all(session)


# -- drawn sessions ------------------------------------------------------------------------------

quick = settings(
    max_examples=100,
    database=None,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
)
faulty = tripwire_strategies.redis_session(
    errors=tripwire_strategies.redis_errors(kinds=["connection", "timeout"]), error_rate=0.5
)


@quick
@given(faulty)
def test_drawn_faults_are_retried_or_outages(session: RedisSession) -> None:
    session.install()
    with tripwire:
        try:
            client.get("k")
        except redis.RedisError as error:
            failed: BaseException | None = error
        else:
            failed = None
    assert_all(session)
    *retried, last = session.consumed
    assert all(step.retried and step.raises is not None for step in retried)
    assert not last.retried
    assert failed is last.raises
    # The default policy: the first attempt and its retries (ten in redis-py 8).
    assert len(session.consumed) <= client.get_retry().get_retries() + 1
    if failed is not None:
        assert len(session.consumed) == client.get_retry().get_retries() + 1


@quick
@given(faulty)
def test_a_client_that_never_retries_sees_the_drawn_fault(session: RedisSession) -> None:
    session.install()
    with tripwire:
        try:
            once.get("k")
        except redis.RedisError as error:
            failed: BaseException | None = error
        else:
            failed = None
    assert_all(session)
    (get,) = session.consumed
    assert failed is get.raises
    assert not get.retried


def test_a_drawn_session_finds_a_command_sent_twice() -> None:
    # Most plans that single a call out fail every attempt of it (an outage): a transient fault
    # at this one call comes from the others, and from the plans of a rate. The run stops at
    # the first example that finds it.
    @settings(quick, max_examples=1000)
    @given(tripwire_strategies.redis_session())
    @per_example_verifier
    def counts_once(session: RedisSession) -> None:
        session.install()
        with tripwire:
            try:
                client.incr("hits")
                answered = True
            except redis.RedisError:
                answered = False  # every attempt failed
        assert_all(session)
        assert not answered or len(session.consumed) == 1, "INCR was sent twice"

    with pytest.raises(AssertionError, match="INCR was sent twice") as failed:
        counts_once()
    report = "\n".join(failed.value.__notes__)
    assert "Draw 1 (INCRBY('hits', 1)): raises redis.exceptions.ConnectionError(" in report
    assert "Draw 2 (INCRBY('hits', 1), every attempt fails): False\n" in report
    assert "Draw 3 (INCRBY('hits', 1), attempt 2): returns 1\n" in report
    assert (
        "    session = RedisSession([\n"
        "        Step('INCRBY', raises=redis.exceptions.ConnectionError('Connection closed by "
        "server.')),\n"
        "        Step('INCRBY', returns=1),\n"
        "    ])\n"
    ) in report


@quick
@given(faulty)
def test_the_answers_of_a_drawn_session_replay_its_attempts(session: RedisSession) -> None:
    def calls() -> list[object]:
        results: list[object] = []
        for target in (client, three, once):
            try:
                results.append(target.get("k"))
            except redis.RedisError as error:
                results.append(type(error))
        return results

    session.install()
    with tripwire:
        drawn = calls()
    assert_all(session)
    with tripwire.use_verifier(StrictVerifier()) as replaying:
        replay = RedisSession(session.answers)
        replay.install()
        with tripwire:
            assert calls() == drawn
        assert sent(replay) == sent(session)
        assert_all(replay)
        replaying.verify_all()


def test_an_outage_is_one_step_of_the_answers(verifier: StrictVerifier) -> None:
    @quick
    @given(
        tripwire_strategies.redis_session(
            errors=tripwire_strategies.redis_errors(kinds=["connection"]), error_rate=0.5
        )
    )
    @per_example_verifier
    def never_fails(session: RedisSession) -> None:
        session.install()
        with tripwire:
            client.get("k")
        assert_all(session)

    with pytest.raises(redis.exceptions.ConnectionError) as failed:
        never_fails()
    report = "\n".join(failed.value.__notes__)
    assert "Draw 2 (GET('k'), every attempt fails): True\n" in report
    assert (
        "        Step('GET', raises=redis.exceptions.ConnectionError('Connection closed by "
        "server.'), outage=True),\n    ])\n"
    ) in report


# -- asyncio clients -----------------------------------------------------------------------------


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


def test_an_asyncio_client_retries_a_scripted_fault(verifier: StrictVerifier) -> None:
    default, never = asyncio_clients()
    session = RedisSession(
        [
            Step("INCRBY", raises=CLOSED),
            Step("INCRBY", returns=2),
            Step("INCRBY", raises=TIMEOUT),
            Step("GET", raises=CLOSED, outage=True),
        ]
    )

    async def body() -> list[object]:
        results: list[object] = [await default.incr("n")]
        for call in (never.incr("n"), default.get("k")):
            try:
                results.append(await call)
            except redis.RedisError as error:
                results.append(error)
        return results

    assert run_async(session, verifier, body) == [2, TIMEOUT, CLOSED]
    retries = default.get_retry().get_retries()
    assert sent(session) == [
        ("INCRBY", "ConnectionError", True),
        ("INCRBY", None, False),
        ("INCRBY", "TimeoutError", False),
        *[("GET", "ConnectionError", True)] * retries,
        ("GET", "ConnectionError", False),
    ]
    assert_all(session)


@quick
@given(faulty)
def test_an_asyncio_client_retries_drawn_faults(session: RedisSession) -> None:
    import asyncio

    default, _ = asyncio_clients()

    async def body() -> BaseException | None:
        try:
            await default.get("k")
        except redis.RedisError as error:
            return error
        return None

    session.install()
    with tripwire:
        failed = asyncio.run(body())
    assert_all(session)
    *retried, last = session.consumed
    assert all(step.retried for step in retried)
    assert not last.retried
    assert failed is last.raises
    if failed is not None:
        assert len(session.consumed) == default.get_retry().get_retries() + 1


def test_an_asyncio_client_applies_a_retried_write_twice_in_a_model_session(
    verifier: StrictVerifier,
) -> None:
    default, never = asyncio_clients()
    session = RedisSession.from_faults(
        [
            Fault(CLOSED, applied=True),
            None,
            Fault(CLOSED, applied=True),
            Fault(TIMEOUT, outage=True),
        ]
    )

    async def body() -> list[object]:
        results: list[object] = [await default.incr("n")]  # the retry's reply: 2
        for call in (never.incr("n"), default.incr("n")):
            try:
                results.append(await call)
            except redis.RedisError as error:
                results.append(type(error))
        return results

    assert run_async(session, verifier, body) == [
        2,
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
    ]
    assert session.model.get("n") == b"3"  # applied twice, then once; the outage never arrived
    retries = default.get_retry().get_retries()
    assert sent(session) == [
        ("INCRBY", "ConnectionError", True),
        ("INCRBY", None, False),
        ("INCRBY", "ConnectionError", False),
        *[("INCRBY", "TimeoutError", True)] * retries,
        ("INCRBY", "TimeoutError", False),
    ]
    assert_all(session)
