"""mock_command(..., times=N) and times=None: repeated answers, each call recorded and asserted."""

from __future__ import annotations

import pytest
import redis
from dirty_equals import IsInstance

import tripwire
from tripwire import ConfigurationError, InvalidArgumentError, StrictVerifier, UnusedMocksError

HERE = "tests/redis/test_times.py"
ANY_OPTIONS = IsInstance(dict)


def test_times_answers_that_many_calls_each_recorded(verifier: StrictVerifier) -> None:
    first = tripwire.redis.mock_command("PING", returns=True, times=3)
    with tripwire:
        r = redis.Redis()
        assert [r.ping(), r.ping(), r.ping()] == [True, True, True]
    assert first.times == 3
    calls = [tripwire.redis.assert_command("PING", kwargs=ANY_OPTIONS) for _ in range(3)]
    assert calls[0] is first
    assert len({id(call) for call in calls}) == 3
    verifier.verify_all()


def test_times_keeps_registration_order_in_the_queue(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=b"first")
    tripwire.redis.mock_command("GET", returns=b"repeated", times=2)
    tripwire.redis.mock_command("GET", returns=b"last")
    with tripwire:
        r = redis.Redis()
        values = [r.get("k") for _ in range(4)]
    assert values == [b"first", b"repeated", b"repeated", b"last"]
    for _ in range(4):
        tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)
    verifier.verify_all()


def test_a_repeated_mock_used_in_part_says_how_many_times(
    verifier: StrictVerifier, line_of: pytest.FixtureRequest
) -> None:
    tripwire.redis.mock_command("PING", returns=True, times=3)  # registered here
    with tripwire:
        redis.Redis().ping()
    tripwire.redis.assert_command("PING", kwargs=ANY_OPTIONS)
    with pytest.raises(UnusedMocksError) as excinfo:
        verifier.verify_all()
    line = line_of("# registered here")  # type: ignore[operator]
    assert str(excinfo.value) == (
        "1 required mock was never used:\n"
        "    tripwire.redis.mock_command('PING', returns=True, times=3)  # registered at "
        f"{HERE}:{line}; used 1 of 3 times\n"
        "Remove each mock the code no longer needs, or pass required=False if it is optional."
    )


def test_times_none_answers_any_number_of_calls_after_the_others(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=b"first")
    tripwire.redis.mock_command("GET", returns=b"then", times=None)
    with tripwire:
        r = redis.Redis()
        assert [r.get("k") for _ in range(5)] == [b"first", b"then", b"then", b"then", b"then"]
        pipe = r.pipeline(transaction=False)
        pipe.get("k").get("k")
        assert pipe.execute() == [b"then", b"then"]
    for _ in range(7):
        call = tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)
    assert call.times is None
    verifier.verify_all()


def test_times_none_never_used_fails_unless_optional(
    verifier: StrictVerifier, line_of: pytest.FixtureRequest
) -> None:
    tripwire.redis.mock_command("PING", returns=True, times=None)  # required
    tripwire.redis.mock_command("ECHO", returns=b"x", times=None, required=False)
    with pytest.raises(UnusedMocksError) as excinfo:
        verifier.verify_all()
    line = line_of("# required")  # type: ignore[operator]
    assert str(excinfo.value) == (
        "1 required mock was never used:\n"
        "    tripwire.redis.mock_command('PING', returns=True, times=None)  # registered at "
        f"{HERE}:{line}; never used\n"
        "Remove each mock the code no longer needs, or pass required=False if it is optional."
    )


def test_nothing_can_be_queued_after_times_none(
    verifier: StrictVerifier, line_of: pytest.FixtureRequest
) -> None:
    tripwire.redis.mock_command("PING", returns=True, times=None)  # unlimited
    line = line_of("# unlimited")  # type: ignore[operator]
    for times in (1, 2, None):
        with pytest.raises(ConfigurationError) as excinfo:
            tripwire.redis.mock_command("ping", returns=True, times=times)
        assert str(excinfo.value) == (
            "mock_command('PING') was called after a mock of 'PING' with times=None (registered "
            f"at {HERE}:{line}), which answers every later call: this mock could never be used. "
            "Register it before the times=None mock."
        )


def test_a_spelling_seen_before_times_none_reaches_it(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=b"1")
    with tripwire:
        assert redis.Redis().execute_command(b"get", "k") == b"1"
    tripwire.redis.mock_command("GET", returns=b"2", times=None)
    with tripwire:
        r = redis.Redis()
        assert [r.execute_command(b"get", "k"), r.execute_command("GET", "k")] == [b"2", b"2"]
    for _ in range(3):
        tripwire.redis.assert_command("GET", args=("k",))


def test_an_exec_mock_with_times_fails_that_many_transactions(verifier: StrictVerifier) -> None:
    watch = redis.exceptions.WatchError("Watched variable changed.")
    tripwire.redis.mock_command("EXEC", returns=None, raises=watch, times=None)
    tripwire.redis.mock_command("INCRBY", returns=1, times=2)
    with tripwire:
        for _ in range(2):
            with pytest.raises(redis.exceptions.WatchError):
                redis.Redis().pipeline().incr("n").execute()
    for _ in range(2):
        tripwire.redis.assert_command("MULTI")
        tripwire.redis.assert_command("INCRBY", args=("n", 1))
        tripwire.redis.assert_command("EXEC")
    verifier.verify_all()


@pytest.mark.parametrize(
    "times", [0, -1, True, 1.0, "2"], ids=["zero", "negative", "bool", "float", "str"]
)
def test_times_must_be_a_positive_int_or_none(verifier: StrictVerifier, times: object) -> None:
    with pytest.raises(InvalidArgumentError) as excinfo:
        tripwire.redis.mock_command("GET", returns=None, times=times)  # type: ignore[arg-type]
    assert str(excinfo.value) == (
        "mock_command() argument 'times' must be a positive int, or None for any number of "
        f"calls, got {times!r} ({type(times).__name__})"
    )


def test_unused_mocks_of_every_kind_are_reported_in_registration_order(
    verifier: StrictVerifier, line_of: pytest.FixtureRequest
) -> None:
    tripwire.redis.mock_command("GET", returns=b"1", check_returns=False)  # unchecked
    tripwire.redis.mock_command("PING", returns=True, times=None)  # any number
    tripwire.redis.mock_command("SET", returns=True, times=2)  # twice
    with pytest.raises(UnusedMocksError) as excinfo:
        verifier.verify_all()
    lines = [line_of(f"# {tag}") for tag in ("unchecked", "any number", "twice")]  # type: ignore[operator]
    assert str(excinfo.value) == (
        "3 required mocks were never used:\n"
        "    tripwire.redis.mock_command('GET', returns=b'1', check_returns=False)  # registered "
        f"at {HERE}:{lines[0]}\n"
        "    tripwire.redis.mock_command('PING', returns=True, times=None)  # registered at "
        f"{HERE}:{lines[1]}; never used\n"
        "    tripwire.redis.mock_command('SET', returns=True, times=2)  # registered at "
        f"{HERE}:{lines[2]}; used 0 of 2 times\n"
        "Remove each mock the code no longer needs, or pass required=False if it is optional."
    )
