"""Mocks whose ``returns`` redis-py could never return are refused when the sandbox opens."""

from __future__ import annotations

import pytest
import redis
from dirty_equals import IsInstance

import tripwire
from tripwire import InvalidArgumentError, StrictVerifier

HERE = "tests/redis/test_reply_checks.py"
ANY_OPTIONS = IsInstance(dict)


@pytest.mark.parametrize(
    ("command", "returns", "wanted"),
    [
        (
            "SCAN",
            [0, [b"k"]],
            "a tuple (an int, a list of bytes or str), or a tuple (a dict of node names "
            "('host:port') to ints, a list of bytes or str)",
        ),
        ("HGETALL", [b"f", b"v"], "a dict of bytes or str to bytes or str"),
        ("EXPIRE", 1, "a bool"),
        ("GET", 42, "None or bytes or str"),
        ("PING", "PONG", "True"),
        ("INCRBY", "1", "an int"),
        ("SMEMBERS", [b"a"], "a set of bytes or str"),
        (
            "ZRANGE",
            [[b"a", 1.0]],
            "a list of bytes or str, or a list of tuples (bytes or str, a float)",
        ),
        ("TIME", [1, 2], "a tuple (an int, an int)"),
        ("SCRIPT EXISTS", [1], "a list of bools"),
    ],
    ids=lambda value: value if isinstance(value, str) and value.isupper() else None,
)
def test_a_reply_redis_py_never_returns_is_refused(
    verifier: StrictVerifier, command: str, returns: object, wanted: str, line_of
) -> None:
    tripwire.redis.mock_command(command, returns=returns)  # the mock
    with pytest.raises(InvalidArgumentError) as excinfo, tripwire:
        pytest.fail("the sandbox opened")  # pragma: no cover
    line = line_of("# the mock")
    assert str(excinfo.value) == (
        f"mock_command() argument 'returns' must be what redis-py returns for {command}: "
        f"{wanted}, got {returns!r} ({type(returns).__name__})\n"
        f"The mock was registered at {HERE}:{line}; the sandbox was not opened. If this client "
        "does return it (a response callback of your own, RESP3), pass check_returns=False to "
        "mock_command."
    )
    assert not verifier.sandbox_open


@pytest.mark.parametrize(
    ("command", "returns"),
    [
        ("SCAN", (0, [b"k"])),
        ("SCAN", ({"cache.internal:7000": 0}, [b"k"])),  # RedisCluster.scan()
        ("HGETALL", {"f": "v"}),  # decode_responses=True
        ("SET", None),
        ("SET", b"old"),  # set(..., get=True)
        ("ZRANGE", [(b"a", 1.0)]),  # withscores=True
        ("LPOP", [b"a", b"b"]),  # lpop(name, count)
        ("SCRIPT LOAD", "made-up-sha"),
        ("EVALSHA", [1, b"two", None]),
        ("XADD", object()),  # not in the table: anything
    ],
)
def test_replies_redis_py_can_return_are_accepted(
    verifier: StrictVerifier, command: str, returns: object
) -> None:
    tripwire.redis.mock_command(command, returns=returns, required=False)
    with tripwire:
        pass


def test_check_returns_false_and_raises_skip_the_check(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("PING", returns="PONG", check_returns=False)
    tripwire.redis.mock_command("GET", returns=None, raises=redis.exceptions.TimeoutError)
    with tripwire:
        r = redis.Redis()
        assert r.execute_command("PING") == "PONG"
        with pytest.raises(redis.exceptions.TimeoutError):
            r.get("k")
    tripwire.redis.assert_command("PING")
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)
    verifier.verify_all()


def test_mocks_registered_after_a_sandbox_are_checked_at_the_next(
    verifier: StrictVerifier,
) -> None:
    tripwire.redis.mock_command("GET", returns=b"1")
    with tripwire:
        redis.Redis().execute_command("GET", "k")
    tripwire.redis.mock_command("GET", returns=2, times=None)
    refused = pytest.raises(InvalidArgumentError, match=r"^mock_command\(\) argument 'returns'")
    with refused, tripwire:
        pass  # pragma: no cover


def test_check_returns_must_be_a_bool(verifier: StrictVerifier) -> None:
    with pytest.raises(InvalidArgumentError) as excinfo:
        tripwire.redis.mock_command("GET", returns=None, check_returns=0)  # type: ignore[arg-type]
    assert str(excinfo.value) == (
        "mock_command() argument 'check_returns' must be a bool, got 0 (int)"
    )


def test_the_registration_line_offers_the_opt_out(verifier: StrictVerifier) -> None:
    mock = tripwire.redis.mock_command("PING", returns="PONG", check_returns=False)
    assert mock.registration_hint() == (
        "tripwire.redis.mock_command('PING', returns='PONG', check_returns=False)"
    )


def test_a_refused_mock_is_refused_at_every_opening(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("EXPIRE", returns=1)
    for _ in range(2):
        with pytest.raises(InvalidArgumentError), tripwire:
            pass  # pragma: no cover
    assert not verifier.sandbox_open


def test_every_queue_is_checked_past_commands_with_no_known_replies(
    verifier: StrictVerifier,
) -> None:
    tripwire.redis.mock_command("MY.COMMAND", returns=42)  # a module's: any reply goes
    tripwire.redis.mock_command("GET", returns=42)
    with pytest.raises(InvalidArgumentError, match=r"redis-py returns for GET"), tripwire:
        pass  # pragma: no cover


def test_the_mocks_queued_before_a_times_none_mock_are_checked(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=42)
    tripwire.redis.mock_command("GET", returns=b"1", times=None)
    with pytest.raises(InvalidArgumentError, match=r"got 42 \(int\)"), tripwire:
        pass  # pragma: no cover


def test_a_queue_already_checked_does_not_stop_the_check_of_the_next(
    verifier: StrictVerifier,
) -> None:
    tripwire.redis.mock_command("GET", returns=b"1", times=2, required=False)
    with tripwire:
        redis.Redis().execute_command("GET", "k")
    tripwire.redis.mock_command("INCRBY", returns="1")
    with pytest.raises(InvalidArgumentError, match=r"redis-py returns for INCRBY"), tripwire:
        pass  # pragma: no cover
    tripwire.redis.assert_command("GET", args=("k",))
