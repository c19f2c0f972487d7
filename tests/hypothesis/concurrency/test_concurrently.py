"""`RedisSession.concurrently` and `concurrently_async`: clients of one model, one at a time.

What a user sees: each callable's result or exception, blocking commands woken by another
client's write or timed out on the model's clock, and a client that never finishes failing the
example fast with a `StuckClientError` that names it, no thread or task left behind.
"""

from __future__ import annotations

import asyncio
import re
import threading
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import redis
from dirty_equals import IsInstance
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import InvalidArgument

import tripwire
from tests.client_configuration import pair
from tripwire_hypothesis import RedisSession, StuckClientError, per_example_verifier
from tripwire_hypothesis import strategies as tripwire_strategies

client = redis.Redis()
QUICK = settings(
    max_examples=20,
    database=None,
    deadline=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)


def _clients_left() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("tripwire client")]


def _consumed(session: RedisSession) -> None:
    session.assert_sent([(c.command, *c.args) for c in session.consumed if not c.retried])


def run(test: Callable[..., None]) -> None:
    """Run a ``@given`` test as the plugin would: a verifier per example."""
    handle = test.hypothesis  # type: ignore[attr-defined]
    handle.inner_test = per_example_verifier(handle.inner_test)
    with tripwire.use_verifier(tripwire.StrictVerifier()):
        QUICK(test)()


def test_each_client_returns_its_result_or_its_exception() -> None:
    @given(tripwire_strategies.redis_session(model=True, error_rate=0))
    def prop(session: RedisSession) -> None:
        session.install()

        def fails() -> None:
            client.get("k")
            raise KeyError("boom")

        with tripwire:
            results = session.concurrently(lambda: client.incr("n"), fails)
        assert _clients_left() == []
        assert results[0] == 1
        assert type(results[1]) is KeyError
        assert results[1].args == ("boom",)
        _consumed(session)

    run(prop)


def test_a_blocking_command_waits_for_another_clients_write() -> None:
    @given(tripwire_strategies.redis_session(model=True, error_rate=0))
    def prop(session: RedisSession) -> None:
        session.install()
        with tripwire:
            got = session.concurrently(
                lambda: client.blpop(["q"], timeout=0), lambda: client.rpush("q", "job")
            )
        assert got == [pair(b"q", b"job"), 1]
        _consumed(session)

    run(prop)


def test_a_blocking_command_times_out_on_the_models_clock() -> None:
    @given(tripwire_strategies.redis_session(model=True, error_rate=0))
    def prop(session: RedisSession) -> None:
        session.install()
        start = session.clock.time()
        with tripwire:
            got = session.concurrently(
                lambda: client.blpop(["q"], timeout=5), lambda: client.get("other")
            )
        assert got == [None, None]
        assert session.clock.time() == start + 5
        _consumed(session)

    run(prop)


def test_a_blocking_command_alone_times_out_at_once_and_moves_the_clock() -> None:
    @given(tripwire_strategies.redis_session(model=True, error_rate=0))
    def prop(session: RedisSession) -> None:
        session.install()
        start = session.clock.time()
        with tripwire:
            assert client.blpop(["q"], timeout=7) is None
        assert session.clock.time() == start + 7
        _consumed(session)

    run(prop)


def test_a_blocking_command_alone_with_no_timeout_fails_fast() -> None:
    @given(tripwire_strategies.redis_session(model=True, error_rate=0))
    def prop(session: RedisSession) -> None:
        session.install()
        with tripwire, pytest.raises(StuckClientError) as stuck:
            client.blpop(["q"], timeout=0)
        assert str(stuck.value) == (
            "BLPOP q 0 waits for a write, with no timeout, and no other client runs: it would "
            "wait forever. Give it a timeout, or run the writer with it in "
            "session.concurrently(...)."
        )

    run(prop)


def test_clients_that_wait_for_each_other_fail_naming_them_and_leave_no_thread() -> None:
    @given(tripwire_strategies.redis_session(model=True, error_rate=0))
    def prop(session: RedisSession) -> None:
        session.install()
        with tripwire, pytest.raises(StuckClientError) as stuck:
            session.concurrently(
                lambda: client.blpop(["q"], timeout=0), lambda: client.blpop(["r"], timeout=0)
            )
        assert str(stuck.value) == (
            "Every client waits for another, and none can run: client A waits in BLPOP q 0; "
            "client B waits in BLPOP r 0, with no timeout. A blocking command with timeout 0 "
            "waits for a write that no client will make. Give it a timeout, or make sure "
            "another client writes what it waits for."
        )
        assert _clients_left() == []

    run(prop)


def test_a_client_waiting_for_a_lock_another_holds_fails_after_the_timeout() -> None:
    @given(tripwire_strategies.redis_session(model=True, error_rate=0))
    def prop(session: RedisSession) -> None:
        session.install()
        lock = threading.Lock()

        def holder(key: str) -> None:
            with lock:  # A waits at GET holding it; B then waits for it forever
                client.get(key)

        with tripwire, pytest.raises(StuckClientError) as stuck:
            session.concurrently(lambda: holder("a"), lambda: holder("b"), timeout=0.1)
        assert str(stuck.value) == (
            "Client B ran for 0.1 s (wall clock) without sending a Redis command or returning: "
            "it may wait for something another client holds (a threading.Lock, an Event), or "
            "loop without Redis. Each client runs alone between two commands; pass "
            "session.concurrently(..., timeout=...) to give it longer."
        )
        assert _clients_left() == []

    run(prop)


def test_a_client_looping_without_redis_is_stopped() -> None:
    @given(tripwire_strategies.redis_session(model=True, error_rate=0))
    def prop(session: RedisSession) -> None:
        session.install()

        def spins() -> None:
            while True:
                pass

        with tripwire, pytest.raises(StuckClientError, match=r"^Client A ran for 0\.05 s"):
            session.concurrently(spins, lambda: client.get("k"), timeout=0.05)
        assert _clients_left() == []

    run(prop)


def test_a_client_polling_forever_fails_at_max_answers_naming_it() -> None:
    @given(tripwire_strategies.redis_session(model=True, error_rate=0, max_answers=20))
    def prop(session: RedisSession) -> None:
        session.install()

        def polls() -> None:
            while client.get("never") is None:
                pass

        with tripwire, pytest.raises(StuckClientError) as stuck:
            session.concurrently(lambda: client.set("other", 1), polls)
        assert re.fullmatch(
            r"Client B was still sending commands when the clients had been answered 20 times "
            r"\(max_answers=20; steps: A [01], B \d+\): it may be looping forever, polling for "
            r"something no client does\. Fix the loop, or raise the limit with "
            r"redis_session\(max_answers=\.\.\.\)\.",
            str(stuck.value),
        )
        assert _clients_left() == []
        _consumed(session)

    run(prop)


def test_a_schedule_replays_exactly() -> None:
    session = RedisSession.from_faults([], schedule=["A", "B", "B", "A"])
    outcome: dict[str, Any] = {}

    def withdraw(amount: int) -> None:
        balance = int(client.get("balance") or 0)
        client.set("balance", balance - amount)

    with tripwire.use_verifier(tripwire.StrictVerifier()) as verifier:
        session.model.set("balance", 10)
        session.install()
        with tripwire:
            session.concurrently(lambda: withdraw(5), lambda: withdraw(3))
        outcome["balance"] = session.model.get("balance")
        _consumed(session)
        verifier.verify_all()
    assert outcome["balance"] == b"5"  # B's write lost: A read 10, B wrote 7, A wrote 5


def test_a_schedule_naming_a_client_that_is_not_waiting_is_refused() -> None:
    session = RedisSession.from_faults([], schedule=["B", "C"])
    with tripwire.use_verifier(tripwire.StrictVerifier()) as verifier:
        session.install()
        with tripwire, pytest.raises(StuckClientError) as stuck:
            session.concurrently(lambda: client.get("a"), lambda: client.get("b"))
        assert str(stuck.value) == (
            "The schedule replayed says client C runs next, but it is not waiting at a command "
            "(waiting: A). Replay the schedule with the code it was printed for."
        )
        _consumed(session)
        verifier.verify_all()


def test_asyncio_tasks_interleave_at_each_command() -> None:
    pytest.importorskip("redis.asyncio")
    import redis.asyncio

    seen: set[bytes] = set()

    @given(tripwire_strategies.redis_session(model=True, error_rate=0))
    def prop(session: RedisSession) -> None:
        aclient = redis.asyncio.Redis()
        session.model.set("n", 0)
        session.install()

        async def bump() -> None:
            value = int(await aclient.get("n"))
            await aclient.set("n", value + 1)

        async def main() -> list[Any]:
            return await session.concurrently_async(bump, bump)

        with tripwire:
            assert asyncio.run(main()) == [None, None]
        seen.add(session.model.get("n"))
        _consumed(session)

    run(prop)
    assert seen == {b"1", b"2"}  # some schedules lose an update, some do not


def test_an_asyncio_task_awaiting_another_fails_after_the_timeout_and_is_cancelled() -> None:
    pytest.importorskip("redis.asyncio")
    import redis.asyncio

    @given(tripwire_strategies.redis_session(model=True, error_rate=0))
    def prop(session: RedisSession) -> None:
        aclient = redis.asyncio.Redis()
        session.install()

        async def main() -> None:
            never = asyncio.Event()

            async def waits() -> None:
                await never.wait()

            with pytest.raises(StuckClientError, match=r"^Client A ran for 0\.05 s"):
                await session.concurrently_async(waits, lambda: aclient.get("k"), timeout=0.05)
            others = asyncio.all_tasks() - {asyncio.current_task()}
            assert others == set()

        with tripwire:
            asyncio.run(main())

    run(prop)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda s: s.concurrently(),
            "RedisSession.concurrently() argument 'functions' must be one or more callables, "
            "got () (tuple)",
            id="no-functions",
        ),
        pytest.param(
            lambda s: s.concurrently(print, 42),
            "RedisSession.concurrently() argument 'functions' must be callables, got 42 (int)",
            id="not-callable",
        ),
        pytest.param(
            lambda s: s.concurrently(print, timeout=0),
            "RedisSession.concurrently() argument 'timeout' must be a number of seconds > 0, "
            "got 0 (int)",
            id="timeout",
        ),
    ],
)
def test_invalid_arguments_are_refused(call: Callable[[Any], Any], message: str) -> None:
    session = RedisSession.from_faults([])
    with tripwire.use_verifier(tripwire.StrictVerifier()):
        session.install()
        with pytest.raises(InvalidArgument) as refused:
            call(session)
    assert str(refused.value) == message


def test_concurrently_needs_an_installed_model_session() -> None:
    with tripwire.use_verifier(tripwire.StrictVerifier()):
        with pytest.raises(InvalidArgument) as refused:
            RedisSession.from_faults([]).concurrently(print)
        assert str(refused.value) == (
            "RedisSession.concurrently() needs the session installed first: call "
            "session.install() before `with tripwire:`."
        )
        with pytest.raises(InvalidArgument) as refused:
            RedisSession().concurrently(print)
        assert str(refused.value) == (
            "RedisSession.concurrently() needs a session answered by a model: draw it with "
            "redis_session(model=True)."
        )


def test_an_asyncio_blocking_command_waits_for_another_tasks_write() -> None:
    pytest.importorskip("redis.asyncio")
    import redis.asyncio

    @given(tripwire_strategies.redis_session(model=True, error_rate=0))
    def prop(session: RedisSession) -> None:
        aclient = redis.asyncio.Redis()
        session.install()
        start = session.clock.time()

        async def main() -> list[Any]:
            return await session.concurrently_async(
                lambda: aclient.blpop(["q"], timeout=0),
                lambda: aclient.rpush("q", "job"),
                lambda: aclient.blpop(["never"], timeout=3),
            )

        with tripwire:
            got = asyncio.run(main())
        assert got == [[b"q", b"job"], 1, None] or got == [(b"q", b"job"), 1, None]
        assert session.clock.time() == start + 3  # the last one timed out on the model's clock
        _consumed(session)

    run(prop)


def test_asyncio_pipelines_and_transactions_run_whole_in_their_turn() -> None:
    pytest.importorskip("redis.asyncio")
    import redis.asyncio

    from tests.core.test_tracebacks import tripwire_frames_shown

    seen: set[tuple[Any, ...]] = set()

    @given(tripwire_strategies.redis_session(model=True, error_rate=0))
    def prop(session: RedisSession) -> None:
        aclient = redis.asyncio.Redis()
        session.model.set("n", 5)
        session.install()

        async def writes() -> Any:
            return await aclient.pipeline(transaction=False).set("n", 7).get("n").execute()

        async def bumps() -> Any:
            async with aclient.pipeline() as pipe:
                await pipe.watch("n")
                value = int(await pipe.get("n"))
                pipe.multi()
                pipe.set("n", value + 1)
                return await pipe.execute()

        async def fails() -> Any:
            assert await redis.asyncio.Redis(db=1).get("n") is None  # its own database
            pipe = aclient.pipeline(transaction=False).lpush("n", 1)
            (error,) = await pipe.execute(raise_on_error=False)
            assert isinstance(error, redis.exceptions.ResponseError)
            return await aclient.pipeline(transaction=False).lpush("n", 1).execute()

        async def main() -> list[Any]:
            return await session.concurrently_async(writes, bumps, fails)

        with tripwire:
            wrote, bumped, failed = asyncio.run(main())
        assert wrote == [True, b"7"]
        assert isinstance(failed, redis.exceptions.ResponseError)
        assert str(failed).startswith("WRONGTYPE")
        assert tripwire_frames_shown(pytest.ExceptionInfo.from_exception(failed)) == []
        sent = [c.command for c in session.consumed]
        assert sent.index("MULTI") + 2 == sent.index("EXEC")
        outcome = bumped if isinstance(bumped, list) else type(bumped).__name__
        seen.add((repr(outcome), session.model.get("n")))
        _consumed(session)

    run(prop)
    # Each client's commands and batches wait for its turn: the other client's SET came before
    # the WATCH, between the WATCH and the EXEC, or after the EXEC.
    assert seen == {("[True]", b"8"), ("'WatchError'", b"7"), ("[True]", b"7")}


def test_an_asyncio_tasks_pipeline_keeps_its_clients_response_callbacks() -> None:
    pytest.importorskip("redis.asyncio")
    import redis.asyncio

    @given(tripwire_strategies.redis_session(model=True, error_rate=0))
    def prop(session: RedisSession) -> None:
        aclient = redis.asyncio.Redis()
        aclient.set_response_callback("EXPIRE", lambda response, **options: response)
        session.install()
        tripwire.redis.mock_command("EXPIRE", returns=1)  # what this client's callback returns

        async def expires() -> Any:
            return await aclient.pipeline(transaction=False).expire("k", 10).execute()

        async def main() -> list[Any]:
            return await session.concurrently_async(expires)

        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no WrongReplyWarning
            with tripwire:
                assert asyncio.run(main()) == [[1]]
        tripwire.redis.assert_command("EXPIRE", args=("k", 10), kwargs=IsInstance(dict))

    run(prop)
