"""mock_command(..., times=N) and times=None: repeated answers, each call recorded and asserted."""

from __future__ import annotations

import threading
import traceback
import tracemalloc

import pytest
import redis
from dirty_equals import IsInstance

import tripwire
from tripwire import ConfigurationError, InvalidArgumentError, StrictVerifier, UnusedMocksError
from tripwire.plugins.redis_plugin.call import own_copy

HERE = "tests/plugins/redis_plugin/test_times.py"
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


# -- repeated replies and errors are each call's own (issue 22, items 7, 8, 10) ----------------


def test_each_call_of_a_times_n_mock_gets_its_own_reply(verifier: StrictVerifier) -> None:
    registered = {b"field": b"1"}
    tripwire.redis.mock_command("HGETALL", returns=registered, times=3)
    with tripwire:
        r = redis.Redis()
        replies = []
        for _ in range(3):
            reply = r.hgetall("h")
            replies.append(dict(reply))
            reply.pop(b"field")  # the code edits the reply it got
            reply[b"other"] = b"2"
    assert replies == [{b"field": b"1"}] * 3
    for _ in range(3):
        tripwire.redis.assert_command("HGETALL", args=("h",), kwargs=ANY_OPTIONS)
    verifier.verify_all()


def test_each_call_of_a_times_none_mock_gets_its_own_reply(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command(
        "LRANGE", returns=[b"a", [b"nested"]], times=None, check_returns=False
    )
    with tripwire:
        r = redis.Redis()
        replies = []
        for _ in range(3):
            reply = r.lrange("l", 0, -1)
            replies.append(repr(reply))
            reply.append(b"added")
            reply[1].append(b"added")
    assert replies == ["[b'a', [b'nested']]"] * 3
    for _ in range(3):
        tripwire.redis.assert_command("LRANGE", args=("l", 0, -1), kwargs=ANY_OPTIONS)
    verifier.verify_all()


def test_a_repeated_immutable_reply_is_the_registered_object(verifier: StrictVerifier) -> None:
    value = b"x" * 100
    tripwire.redis.mock_command("GET", returns=value, times=2)
    with tripwire:
        r = redis.Redis()
        replies = [r.get("k"), r.get("k")]
    assert replies[0] is value
    assert replies[1] is value
    for _ in range(2):
        tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


class _CodedError(redis.exceptions.ResponseError):
    pass


@pytest.mark.parametrize("times", [3, None], ids=["times=3", "times=None"])
def test_a_repeated_raises_instance_is_raised_fresh_by_each_call(
    verifier: StrictVerifier, times: int | None
) -> None:
    error = _CodedError("BUSY try again")
    error.code = "BUSY"  # type: ignore[attr-defined]
    tripwire.redis.mock_command("GET", returns=None, raises=error, times=times)
    raised = []
    with tripwire:
        r = redis.Redis()
        for _ in range(3):
            try:
                r.get("k")
            except _CodedError as caught:
                raised.append(caught)
    assert len({id(each) for each in raised}) == 3
    assert [(type(e), e.args, e.code) for e in raised] == [  # type: ignore[attr-defined]
        (_CodedError, ("BUSY try again",), "BUSY")
    ] * 3
    # Each error's traceback is its own call's, not every earlier call's too.
    depths = [len(traceback.extract_tb(each.__traceback__)) for each in raised]
    assert depths == [depths[0]] * 3
    for _ in range(3):
        tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


class _Unrebuildable(Exception):
    def __init__(self, first: str, second: str) -> None:
        super().__init__(f"{first} {second}")


def test_an_error_that_cannot_be_copied_is_raised_without_the_earlier_tracebacks(
    verifier: StrictVerifier,
) -> None:
    error = _Unrebuildable("no", "copy")
    tripwire.redis.mock_command("GET", returns=None, raises=error, times=None)
    depths = []
    with tripwire:
        r = redis.Redis()
        for _ in range(3):
            with pytest.raises(_Unrebuildable) as excinfo:
                r.get("k")
            depths.append(len(traceback.extract_tb(excinfo.value.__traceback__)))
    assert depths == [depths[0]] * 3
    for _ in range(3):
        tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


def test_a_repeat_count_costs_no_memory_per_repeat(verifier: StrictVerifier) -> None:
    tracemalloc.start()
    try:
        tripwire.redis.mock_command("PING", returns=True, times=200_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000  # 200,000 mocks took 36 MB
    with tripwire:
        r = redis.Redis()
        assert [r.ping() for _ in range(3)] == [True] * 3
    for _ in range(3):
        tripwire.redis.assert_command("PING", kwargs=ANY_OPTIONS)
    verifier.dispose()


def test_a_huge_repeat_count_is_registered_at_once_and_reported(
    verifier: StrictVerifier, line_of: pytest.FixtureRequest
) -> None:
    tripwire.redis.mock_command("GET", returns=b"before")
    tripwire.redis.mock_command("GET", returns=b"many", times=10**12)  # huge
    with tripwire:
        r = redis.Redis()
        assert [r.get("k") for _ in range(3)] == [b"before", b"many", b"many"]
    for _ in range(3):
        tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)
    with pytest.raises(UnusedMocksError) as excinfo:
        verifier.verify_all()
    line = line_of("# huge")  # type: ignore[operator]
    assert str(excinfo.value) == (
        "1 required mock was never used:\n"
        "    tripwire.redis.mock_command('GET', returns=b'many', times=1000000000000)  # "
        f"registered at {HERE}:{line}; used 2 of 1000000000000 times\n"
        "Remove each mock the code no longer needs, or pass required=False if it is optional."
    )


def test_a_reply_that_cannot_be_copied_is_shared_by_every_call(verifier: StrictVerifier) -> None:
    uncopyable = threading.Lock()  # copy.deepcopy refuses it
    tripwire.redis.mock_command("GET", returns=uncopyable, times=2, check_returns=False)
    with tripwire:
        r = redis.Redis()
        replies = [r.get("k"), r.get("k")]
    assert replies[0] is uncopyable
    assert replies[1] is uncopyable
    for _ in range(2):
        tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


def test_a_repeated_mock_used_in_part_is_reported_in_order_with_its_options(
    verifier: StrictVerifier, line_of: pytest.FixtureRequest
) -> None:
    tripwire.redis.mock_command("GET", returns=[b"odd"], times=3, check_returns=False)  # GET
    tripwire.redis.mock_command("PING", returns=True)  # PING
    with tripwire:
        assert redis.Redis().get("k") == [b"odd"]
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)
    with pytest.raises(UnusedMocksError) as excinfo:
        verifier.verify_all()
    get, ping = line_of("# GET"), line_of("# PING")  # type: ignore[operator]
    assert str(excinfo.value) == (
        "2 required mocks were never used:\n"
        "    tripwire.redis.mock_command('GET', returns=[b'odd'], times=3, check_returns=False)"
        f"  # registered at {HERE}:{get}; used 1 of 3 times\n"
        f"    tripwire.redis.mock_command('PING', returns=True)  # registered at {HERE}:{ping}\n"
        "Remove each mock the code no longer needs, or pass required=False if it is optional."
    )


@pytest.mark.parametrize(
    "value",
    [frozenset({b"a"}), (b"a", frozenset({b"b"})), range(3)],
    ids=["frozenset", "tuple", "range"],
)
def test_every_call_of_a_repeated_mock_gets_an_immutable_reply_itself(
    verifier: StrictVerifier, value: object
) -> None:
    tripwire.redis.mock_command("GET", returns=value, times=2, check_returns=False)
    with tripwire:
        r = redis.Redis()
        replies = [r.get("k"), r.get("k")]
    assert replies[0] is value
    assert replies[1] is value
    for _ in range(2):
        tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


@pytest.mark.parametrize("kind", [tuple, list], ids=["tuple", "list"])
def test_a_call_that_edits_a_nested_reply_leaves_the_next_calls_reply_as_registered(
    verifier: StrictVerifier, kind: type
) -> None:
    tripwire.redis.mock_command(
        "GET", returns=kind([b"a", [b"nested"]]), times=3, check_returns=False
    )
    seen = []
    with tripwire:
        r = redis.Redis()
        for _ in range(3):
            reply = r.get("k")
            seen.append(repr(reply))
            reply[1].append(b"added")
    assert seen == [repr(kind([b"a", [b"nested"]]))] * 3
    for _ in range(3):
        tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


def test_an_error_the_code_edits_leaves_the_next_calls_error_as_registered(
    verifier: StrictVerifier,
) -> None:
    error = _CodedError("BUSY try again")
    error.__notes__ = ["registered"]
    tripwire.redis.mock_command("GET", returns=None, raises=error, times=3)
    seen = []
    with tripwire:
        r = redis.Redis()
        for _ in range(3):
            try:
                r.get("k")
            except _CodedError as caught:
                seen.append((caught.args, list(caught.__notes__)))
                caught.args = ("edited",)
                caught.__notes__.append("seen by the code")
    assert seen == [(("BUSY try again",), ["registered"])] * 3
    for _ in range(3):
        tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


class _Reworded(Exception):
    def __init__(self, code: object) -> None:
        super().__init__(f"code {code}")  # made again from its args: "code code 5"


def test_an_error_made_again_with_other_args_is_raised_as_registered(
    verifier: StrictVerifier,
) -> None:
    tripwire.redis.mock_command("GET", returns=None, raises=_Reworded(5), times=None)
    messages = []
    with tripwire:
        r = redis.Redis()
        for _ in range(3):
            with pytest.raises(_Reworded) as excinfo:
                r.get("k")
            messages.append(str(excinfo.value))
    assert messages == ["code 5"] * 3
    for _ in range(3):
        tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


def test_own_copy_shares_only_what_no_call_can_change() -> None:
    frozen = frozenset({b"a"})
    assert own_copy(frozen) is frozen
    assert own_copy(KeyError) is KeyError
    nested = [b"a", [b"b"]]
    copied = own_copy(nested)
    assert copied == nested
    assert copied is not nested
    assert copied[1] is not nested[1]
