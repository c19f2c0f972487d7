"""Drawn batches: a fault of a pipeline's or transaction's connection is drawn at the batch, the
pipeline's own retry policy sends the batch again, and the session's answers replay it."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
import redis
from hypothesis import Phase, given, settings
from redis.backoff import NoBackoff
from redis.retry import Retry

import tripwire
from tripwire import StrictVerifier
from tripwire_hypothesis import RedisSession, per_example_verifier
from tripwire_hypothesis import strategies as tripwire_strategies

client = redis.Redis()
once = redis.Redis(retry=Retry(NoBackoff(), 0))
three = redis.Redis(retry=Retry(NoBackoff(), 2))


def sent(session: RedisSession) -> list[tuple[str, str | None, bool]]:
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


async def async_pipelined(target: Any) -> list[Any]:
    async with target.pipeline(transaction=False) as pipe:
        pipe.incr("n")
        pipe.get("k")
        return await pipe.execute()  # type: ignore[no-any-return]


async def outcome(call: Any) -> Any:
    try:
        return await call
    except redis.RedisError as error:
        return error


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


def batches() -> list[object]:
    results: list[object] = []
    for run in (transaction_of, pipelined):
        for target in (client, three, once):
            try:
                results.append(run(target))
            except redis.RedisError as error:
                results.append(type(error))
    return results


@quick
@given(faulty)
def test_drawn_batch_faults_are_sent_again_or_reach_the_code(session: RedisSession) -> None:
    session.install()
    with tripwire:
        try:
            results = transaction_of(client)
        except redis.RedisError as error:
            failed: BaseException | None = error
        else:
            failed = None
    assert_all(session)
    consumed = session.consumed
    last = consumed[-1]
    sendings = [index for index, step in enumerate(consumed) if step.command == "MULTI"]
    # Every sending but the last was sent again; what the code got is the last one's.
    assert [step.retried for step in consumed] == [
        index < sendings[-1] for index in range(len(consumed))
    ]
    if failed is None:
        assert results == [session.consumed[-2].returns]
    else:
        assert failed is last.raises  # an outage: its last sending's error
        assert len(sendings) == client.get_retry().get_retries() + 1


@quick
@given(faulty)
def test_the_answers_of_a_drawn_session_replay_its_sendings(session: RedisSession) -> None:
    session.install()
    with tripwire:
        drawn = batches()
    assert_all(session)
    with tripwire.use_verifier(StrictVerifier()) as replaying:
        replay = RedisSession(session.answers)
        replay.install()
        with tripwire:
            assert batches() == drawn
        assert sent(replay) == sent(session)
        assert_all(replay)
        replaying.verify_all()


@quick
@given(faulty)
def test_an_asyncio_pipeline_sends_drawn_batches_again_or_the_code_gets_the_fault(
    session: RedisSession,
) -> None:
    import asyncio

    default = pytest.importorskip("redis.asyncio").Redis()
    session.install()
    with tripwire:
        result = asyncio.run(outcome(async_pipelined(default)))
    assert_all(session)
    consumed = session.consumed
    firsts = [index for index, step in enumerate(consumed) if step.args == ("n", 1)]
    assert [step.retried for step in consumed] == [
        index < firsts[-1] for index in range(len(consumed))
    ]
    last = consumed[-1]
    if isinstance(result, redis.RedisError):
        assert result is last.raises
        assert len(firsts) == default.get_retry().get_retries() + 1
    else:
        assert result == [step.returns for step in consumed[firsts[-1] :]]


def test_a_model_session_finds_a_transaction_applied_twice() -> None:
    @settings(quick, max_examples=300)
    @given(tripwire_strategies.redis_session(model=True, faults=["connection"]))
    @per_example_verifier
    def counts_once(session: RedisSession) -> None:
        session.install()
        with tripwire, contextlib.suppress(redis.RedisError):  # every sending failed
            transaction_of(client)
        assert_all(session)
        assert int(session.model.get("n") or 0) <= 1, "the transaction applied twice"

    with pytest.raises(AssertionError, match="the transaction applied twice") as failed:
        counts_once()
    report = "\n".join(failed.value.__notes__)
    assert (
        "Draw 1 (EXEC): Fault(redis.exceptions.ConnectionError('Connection closed by server.'), "
        "applied=True)\n"
        "Draw 2 (EXEC, every attempt fails): False\n"
        "Draw 3 (EXEC, attempt 2): None\n"
    ) in report
    assert (
        "    session = RedisSession.from_faults([\n"
        "        Fault(redis.exceptions.ConnectionError('Connection closed by server.'), "
        "applied=True),  # EXEC\n"
        "        None,  # EXEC, attempt 2\n"
        "    ])\n"
    ) in report
