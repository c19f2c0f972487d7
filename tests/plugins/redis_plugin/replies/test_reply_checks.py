"""A mock whose ``returns`` the calling client could never get from redis-py is reported when the
sandbox closes: a `WrongReplyWarning` at the mock's line, or with ``reply_check = "error"`` an
`InvalidArgumentError`. The reply itself reaches the code as given: ``returns`` is any value."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator

import pytest
import redis
from dirty_equals import IsInstance

import tripwire
from tripwire import InvalidArgumentError, StrictVerifier, WrongReplyWarning, _config

HERE = "tests/plugins/redis_plugin/replies/test_reply_checks.py"
ANY_OPTIONS = IsInstance(dict)
REDIS_8 = int(redis.__version__.split(".")[0]) >= 8
#: For the replies that only clients of redis-py's default configuration get: skipped when the
#: tests' clients default to another (TRIPWIRE_TEST_CLIENT, see tests/conftest.py).
DEFAULT_CLIENTS_ONLY = pytest.mark.skipif(
    bool(os.environ.get("TRIPWIRE_TEST_CLIENT")),
    reason="a reply of redis-py's default client configuration, which other clients may get",
)


@pytest.fixture
def reply_check() -> Iterator[Callable[[str], None]]:
    """``reply_check(mode)``: the setting of ``reply_check`` for the rest of the test."""
    before = _config.active()

    def use(mode: str) -> None:
        _config.use(_config.Settings(guard=before.guard, reply_check=mode))

    yield use
    _config.use(before)


def message(command: str, wanted: str, returns: object, line: int) -> str:
    return (
        f"mock_command() argument 'returns' must be what redis-py returns for {command}: "
        f"{wanted}, got {returns!r} ({type(returns).__name__})\n"
        f"The mock registered at {HERE}:{line} answered a call that redis-py never answers so: "
        "the code was tested against a reply it cannot meet. If this client does get it (a "
        "response callback of your own), pass check_returns=False to mock_command; "
        'reply_check = false in [tool.tripwire] turns the check off, "error" makes it an error.'
    )


@pytest.mark.parametrize(
    ("command", "returns", "wanted"),
    [
        (
            "SCAN",
            [0, [b"k"]],
            "a tuple (an int, a list of bytes or str), or a tuple (a dict of node names "
            "('host:port') to ints, a list of bytes or str)",
        ),
        pytest.param(
            "HGETALL",
            [b"f", b"v"],
            "a dict of bytes or str to bytes or str",
            marks=DEFAULT_CLIENTS_ONLY,
        ),
        ("EXPIRE", 1, "a bool"),
        ("GET", 42, "None or bytes or str"),
        ("PING", "PONG", "True"),
        ("INCRBY", "1", "an int"),
        pytest.param("SMEMBERS", [b"a"], "a set of bytes or str", marks=DEFAULT_CLIENTS_ONLY),
        pytest.param(
            "ZRANGE",
            [[b"a", 1.0]],
            "a list of bytes or str, or a list of tuples (bytes or str, a float)",
            marks=DEFAULT_CLIENTS_ONLY,
        ),
        ("TIME", [1, 2], "a tuple (an int, an int)"),
        ("SCRIPT EXISTS", [1], "a list of bools"),
    ],
    ids=lambda value: value if isinstance(value, str) and value.isupper() else None,
)
def test_a_reply_redis_py_never_returns_is_reported_at_the_mocks_line(
    verifier: StrictVerifier, command: str, returns: object, wanted: str, line_of
) -> None:
    tripwire.redis.mock_command(command, returns=returns)  # the mock
    with pytest.warns(WrongReplyWarning) as caught, tripwire:
        received = redis.Redis().execute_command(command)
    assert received is returns  # the code gets the value as given
    line = line_of("# the mock")
    (warning,) = caught
    assert str(warning.message) == message(command, wanted, returns, line)
    assert (warning.filename, warning.lineno) == (__file__, line)


def test_with_reply_check_error_the_sandbox_raises_when_it_closes(
    verifier: StrictVerifier, reply_check: Callable[[str], None], line_of
) -> None:
    reply_check("error")
    tripwire.redis.mock_command("EXPIRE", returns=1)  # the EXPIRE mock
    with pytest.raises(InvalidArgumentError) as excinfo, tripwire:
        assert redis.Redis().expire("k", 10) == 1
    assert str(excinfo.value) == message("EXPIRE", "a bool", 1, line_of("# the EXPIRE mock"))
    assert not verifier.sandbox_open


def test_with_reply_check_off_nothing_is_checked(
    verifier: StrictVerifier, reply_check: Callable[[str], None]
) -> None:
    reply_check("off")
    tripwire.redis.mock_command("PING", returns="PONG")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with tripwire:
            assert redis.Redis().ping() == "PONG"


def test_the_guides_optional_ping_mock_is_accepted() -> None:
    # The guide's "Optional mocks": registered, never used, never checked.
    tripwire.redis.mock_command("PING", returns="PONG", required=False)
    with tripwire:
        pass


def test_any_object_passes_through_unchanged(verifier: StrictVerifier) -> None:
    anything = object()
    tripwire.redis.mock_command("XADD", returns=anything)  # not in the table: anything goes
    with tripwire:
        assert redis.Redis().execute_command("XADD", "s", "*", "f", "v") is anything


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
        ("BLPOP", (b"q", b"1")),
    ],
)
def test_replies_redis_py_can_return_are_accepted(command: str, returns: object) -> None:
    tripwire.redis.mock_command(command, returns=returns)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with tripwire:
            redis.Redis().execute_command(command)
    tripwire.redis.assert_command(command)


@pytest.mark.skipif(not REDIS_8, reason="legacy_responses arrived in redis-py 8")
@pytest.mark.parametrize(
    "options",
    [{"protocol": 3}, {"protocol": 2, "legacy_responses": False}],
    ids=["protocol=3", "legacy_responses=False"],
)
def test_replies_of_other_client_configurations_are_not_refused(
    options: dict[str, object],
) -> None:
    # What these clients return for BLPOP: a list, where a default client returns a tuple.
    client = redis.Redis(**options)  # type: ignore[arg-type]
    tripwire.redis.mock_command("BLPOP", returns=[b"q", b"1"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with tripwire:
            assert client.blpop(["q"], timeout=1) == [b"q", b"1"]
    tripwire.redis.assert_command("BLPOP", args=("q", 1), kwargs=ANY_OPTIONS)


@DEFAULT_CLIENTS_ONLY
def test_the_same_reply_from_a_default_client_is_reported(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("BLPOP", returns=[b"q", b"1"])
    expected = r"^mock_command\(\) argument 'returns' must be what redis-py returns for BLPOP"
    with pytest.warns(WrongReplyWarning, match=expected), tripwire:
        redis.Redis().blpop(["q"], timeout=1)


def test_pipelines_and_asyncio_are_checked(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("EXPIRE", returns=1)
    pipe = redis.Redis().pipeline(transaction=False)
    expected = r"returns for EXPIRE: a bool, got 1 \(int\)"
    with pytest.warns(WrongReplyWarning, match=expected), tripwire:
        assert pipe.expire("k", 1).execute() == [1]


@pytest.mark.asyncio
async def test_asyncio_clients_are_checked(verifier: StrictVerifier) -> None:
    aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")
    tripwire.redis.mock_command("INCRBY", returns="1")
    with pytest.warns(WrongReplyWarning, match=r"returns for INCRBY: an int, got '1' \(str\)"):
        async with tripwire:
            assert await aredis.Redis().incr("k") == "1"


def test_check_returns_false_and_raises_skip_the_check(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("PING", returns="PONG", check_returns=False)
    tripwire.redis.mock_command("GET", returns=None, raises=redis.exceptions.TimeoutError)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with tripwire:
            r = redis.Redis()
            assert r.execute_command("PING") == "PONG"
            with pytest.raises(redis.exceptions.TimeoutError):
                r.get("k")
    tripwire.redis.assert_command("PING")
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)
    verifier.verify_all()


def test_every_use_of_a_repeated_mock_is_checked_once_per_sandbox(
    verifier: StrictVerifier,
) -> None:
    tripwire.redis.mock_command("GET", returns=2, times=None)
    for _ in range(2):
        with pytest.warns(WrongReplyWarning) as caught, tripwire:  # noqa: PT031 - two calls
            redis.Redis().execute_command("GET", "k")
            redis.Redis().execute_command("GET", "k")
        assert len(caught) == 2


def test_a_failing_sandbox_shows_its_own_error(
    verifier: StrictVerifier, reply_check: Callable[[str], None]
) -> None:
    reply_check("error")
    tripwire.redis.mock_command("GET", returns=42)
    with pytest.raises(KeyError), tripwire:
        redis.Redis().execute_command("GET", "k")
        raise KeyError("the code's own error")


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


def test_a_client_with_its_own_callback_for_the_command_is_not_checked(
    verifier: StrictVerifier,
) -> None:
    client = redis.Redis()
    client.set_response_callback("EXPIRE", lambda response, **options: response)
    tripwire.redis.mock_command("EXPIRE", returns=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with tripwire:
            assert client.expire("k", 10) == 1
    tripwire.redis.assert_command("EXPIRE", args=("k", 10), kwargs=ANY_OPTIONS)


def test_a_pipeline_of_a_client_with_its_own_callback_is_not_checked(
    verifier: StrictVerifier,
) -> None:
    client = redis.Redis()
    client.set_response_callback("EXPIRE", lambda response, **options: response)
    tripwire.redis.mock_command("EXPIRE", returns=1)
    tripwire.redis.mock_command("EXPIRE", returns=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with tripwire:
            assert client.pipeline(transaction=False).expire("k", 10).execute() == [1]
            assert client.pipeline().expire("k", 10).execute() == [1]
    tripwire.redis.assert_command("EXPIRE", args=("k", 10), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("EXPIRE", args=("k", 10), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("EXEC")


@pytest.mark.asyncio
async def test_an_asyncio_client_with_its_own_callback_is_not_checked(
    verifier: StrictVerifier,
) -> None:
    aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")
    client = aredis.Redis()
    client.set_response_callback("EXPIRE", lambda response, **options: response)
    tripwire.redis.mock_command("EXPIRE", returns=1)
    tripwire.redis.mock_command("EXPIRE", returns=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        async with tripwire:
            assert await client.expire("k", 10) == 1
            assert await client.pipeline(transaction=False).expire("k", 10).execute() == [1]
    for _ in range(2):
        tripwire.redis.assert_command("EXPIRE", args=("k", 10), kwargs=ANY_OPTIONS)


def test_a_reply_equal_to_one_accepted_before_is_checked_on_its_own(
    verifier: StrictVerifier, line_of
) -> None:
    tripwire.redis.mock_command("EXPIRE", returns=True)
    tripwire.redis.mock_command("EXPIRE", returns=1)  # equal to True, but not a bool
    with pytest.warns(WrongReplyWarning) as caught, tripwire:  # noqa: PT031 - two calls
        r = redis.Redis()
        assert r.expire("k", 10) is True
        assert r.expire("k", 10) == 1
    (warning,) = caught
    assert str(warning.message) == message("EXPIRE", "a bool", 1, line_of("# equal to True"))


@pytest.mark.parametrize(
    "callbacks", ["none at all", None, ()], ids=["deleted", "None", "not a mapping"]
)
def test_a_client_without_redis_pys_callbacks_gets_the_default_replies_checked(
    verifier: StrictVerifier, callbacks: object, line_of
) -> None:
    client = redis.Redis()
    if callbacks == "none at all":
        del client.response_callbacks
    else:
        client.response_callbacks = callbacks  # type: ignore[assignment]
    tripwire.redis.mock_command("EXPIRE", returns=1)  # its EXPIRE mock
    with pytest.warns(WrongReplyWarning) as caught, tripwire:
        assert client.execute_command("EXPIRE", "k", 10) == 1
    (warning,) = caught
    assert str(warning.message) == message("EXPIRE", "a bool", 1, line_of("# its EXPIRE mock"))


def test_a_mock_not_checked_leaves_the_next_ones_checked(verifier: StrictVerifier, line_of) -> None:
    own = redis.Redis()
    own.set_response_callback("EXPIRE", lambda response, **options: response)
    tripwire.redis.mock_command("EXPIRE", returns=1)  # a reply its own callback may give
    tripwire.redis.mock_command("GET", returns=42)  # the GET mock
    with pytest.warns(WrongReplyWarning) as caught, tripwire:  # noqa: PT031 - two calls
        assert own.expire("k", 10) == 1
        assert redis.Redis().execute_command("GET", "k") == 42
    (warning,) = caught
    assert str(warning.message) == message("GET", "None or bytes or str", 42, line_of("# the GET"))


def test_a_reply_the_test_fixed_after_registering_it_is_not_reported(
    verifier: StrictVerifier, line_of
) -> None:
    fields = {b"f": 1}  # not a reply of HGETALL, until the test fixes it
    tripwire.redis.mock_command("HGETALL", returns=fields)
    fields[b"f"] = b"1"
    tripwire.redis.mock_command("GET", returns=42)  # a GET mock
    with pytest.warns(WrongReplyWarning) as caught, tripwire:  # noqa: PT031 - two calls
        r = redis.Redis()
        assert r.hgetall("h") == {b"f": b"1"}
        assert r.execute_command("GET", "k") == 42
    (warning,) = caught
    assert str(warning.message) == message(
        "GET", "None or bytes or str", 42, line_of("# a GET mock")
    )


@pytest.mark.parametrize("command", ["SMOVE", "RENAMENX"])
def test_a_wrong_none_after_other_replies_of_the_command_is_reported(
    verifier: StrictVerifier, command: str, line_of
) -> None:
    # SMOVE: its first reply is a wrong one; RENAMENX: a right one, then a mutable right one.
    first: list[object] = ["no"] if command == "SMOVE" else [True, True]
    for reply in first:
        tripwire.redis.mock_command(command, returns=reply, required=False)
    tripwire.redis.mock_command(command, returns=None, required=False)  # the None
    with pytest.warns(WrongReplyWarning) as caught, tripwire:  # noqa: PT031 - several calls
        for _ in [*first, None]:
            redis.Redis().execute_command(command)
    assert str(caught[-1].message) == message(command, "a bool", None, line_of("# the None"))


@DEFAULT_CLIENTS_ONLY
def test_a_reply_the_test_breaks_after_registering_it_is_checked_when_registered_again(
    verifier: StrictVerifier, line_of
) -> None:
    fields = {b"f": b"1"}
    tripwire.redis.mock_command("HGETALL", returns=fields)
    fields[b"f"] = 1  # type: ignore[assignment]  # no longer a reply of HGETALL
    tripwire.redis.mock_command("HGETALL", returns=fields)  # the same dict again
    with pytest.warns(WrongReplyWarning) as caught, tripwire:  # noqa: PT031 - two calls
        r = redis.Redis()
        assert r.hgetall("h") == r.hgetall("h") == {b"f": 1}
    (warning,) = caught
    wanted = "a dict of bytes or str to bytes or str"
    assert str(warning.message) == message(
        "HGETALL", wanted, {b"f": 1}, line_of("# the same dict again")
    )
