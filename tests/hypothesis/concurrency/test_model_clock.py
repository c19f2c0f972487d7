"""The model's clock: TTLs expire by it, Hypothesis moves it (``time_passes=True``), the code can
read it (``patch_time``), and time-machine can drive it (``follow``)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import InvalidArgument

import tripwire
from tripwire_hypothesis import RedisSession, per_example_verifier
from tripwire_hypothesis import strategies as tripwire_strategies

client = redis.Redis()


def _consumed(session: RedisSession) -> None:
    session.assert_sent([(c.command, *c.args) for c in session.consumed if not c.retried])


def test_a_ttl_runs_out_only_when_the_clock_moves_past_it() -> None:
    with tripwire.use_verifier(tripwire.StrictVerifier()):
        session = RedisSession.from_faults([])
        model = session.model
        model.set("k", 1, ex=10)
        time.sleep(0.01)  # the wall clock moves; the model's does not
        assert model.pttl("k") == 10_000
        session.clock.advance(10)
        assert model.get("k") == b"1"  # Redis: expired only once the time is past
        session.clock.advance(0.001)
        assert model.get("k") is None


def test_time_passes_shrinks_to_the_pause_that_expires_a_key() -> None:
    @given(tripwire_strategies.redis_session(model=True, error_rate=0, time_passes=True))
    def test_the_key_is_still_there(session: RedisSession) -> None:
        session.install()
        with tripwire:
            client.set("k", 1, ex=10)
            value = client.get("k")
        _consumed(session)
        assert value == b"1", "the key expired"

    handle = test_the_key_is_still_there.hypothesis  # type: ignore[attr-defined]
    handle.inner_test = per_example_verifier(handle.inner_test)
    planted = settings(
        database=None,
        derandomize=True,
        deadline=None,
        max_examples=200,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow],
    )(test_the_key_is_still_there)
    with tripwire.use_verifier(tripwire.StrictVerifier()), pytest.raises(AssertionError) as failed:
        planted()
    notes = "\n".join(failed.value.__notes__)
    assert (
        "# The schedule: each client's commands, in the order run:\n"
        "-: SET k 1 EX 10 -> True\n"
        "(30 s pass)\n"
        "-: GET k -> None\n"
    ) in notes
    assert "session = RedisSession.from_faults([], schedule=['-', 30.0, '-'])\n" in notes


def test_patch_time_gives_the_code_the_models_clock() -> None:
    with tripwire.use_verifier(tripwire.StrictVerifier()):
        clock = RedisSession.from_faults([]).clock
        real_sleep = time.sleep
        started = time.monotonic()
        with clock.patch_time():
            assert time.time() == clock.time()
            before = time.monotonic()
            time.sleep(3600)  # returns at once, the clock an hour on
            assert time.monotonic() - before == 3600
        assert time.sleep is real_sleep
        assert time.monotonic() - started < 60


def test_a_sleeping_client_lets_the_others_run() -> None:
    @given(tripwire_strategies.redis_session(model=True, error_rate=0))
    def prop(session: RedisSession) -> None:
        session.install()
        start = session.clock.time()

        def slow() -> Any:
            client.set("k", 1)
            client.rpush("go", 1)
            time.sleep(5)
            return client.get("k")

        def deleter() -> Any:
            client.blpop(["go"], timeout=0)  # until A has set it
            return client.delete("k")

        with tripwire, session.clock.patch_time():
            got = session.concurrently(slow, deleter)
        assert got == [None, 1]  # B deleted it while A slept
        assert session.clock.time() == start + 5
        _consumed(session)

    handle = prop.hypothesis  # type: ignore[attr-defined]
    handle.inner_test = per_example_verifier(handle.inner_test)
    with tripwire.use_verifier(tripwire.StrictVerifier()):
        settings(max_examples=10, database=None, deadline=None)(prop)()


def test_the_clock_follows_a_time_machine_traveller() -> None:
    time_machine = pytest.importorskip("time_machine")
    with tripwire.use_verifier(tripwire.StrictVerifier()):
        session = RedisSession.from_faults([])
        with time_machine.travel(1_000_000, tick=False) as traveller:
            session.clock.follow(traveller)
            assert session.clock.time() == 1_000_000
            session.model.set("k", 1, ex=10)
            traveller.shift(11)  # the traveller's time is the model's
            assert session.model.get("k") is None
            session.clock.advance(5)  # and the model's clock moves the traveller
            assert time.time() == 1_000_016


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda clock: clock.advance(-1),
            "Clock.advance() argument 'seconds' must be a number of seconds >= 0, got -1 (int)",
            id="advance-negative",
        ),
        pytest.param(
            lambda clock: clock.follow(42),
            "Clock.follow() argument 'traveller' must be a time-machine traveller (with "
            "shift()) or a freezegun one (with tick()), got 42 (int)",
            id="follow-not-a-traveller",
        ),
        pytest.param(
            lambda clock: tripwire_strategies.redis_session(model=True, time_passes="yes"),
            "redis_session() argument 'time_passes' must be a bool, got 'yes' (str)",
            id="time-passes-not-bool",
        ),
        pytest.param(
            lambda clock: tripwire_strategies.redis_session(time_passes=True),
            "redis_session() argument 'time_passes' must be False without model=True (the "
            "model's clock), got True (bool)",
            id="time-passes-without-model",
        ),
        pytest.param(
            lambda clock: RedisSession.from_faults([], schedule=["A", -1]),
            "RedisSession.from_faults() argument 'schedule' must be a list of client names "
            "('A', 'B', '-') and pauses in seconds, got -1 (int)",
            id="schedule-negative-pause",
        ),
    ],
)
def test_invalid_arguments_are_refused(call: Any, message: str) -> None:
    with tripwire.use_verifier(tripwire.StrictVerifier()):
        clock = RedisSession.from_faults([]).clock
        with pytest.raises(InvalidArgument) as refused:
            call(clock)
    assert str(refused.value) == message
