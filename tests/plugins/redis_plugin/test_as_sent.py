"""Assertions in Redis' own terms, and what an unmocked call was near."""

from __future__ import annotations

import pytest
import redis
from dirty_equals import IsInstance, IsStr

import tripwire
from tripwire import InteractionMismatchError, StrictVerifier, UnmockedInteractionError

HERE = "tests/plugins/redis_plugin/test_as_sent.py"
ANY_OPTIONS = IsInstance(dict)


def test_plain_values_match_as_redis_receives_them() -> None:
    tripwire.redis.mock_command("SET", returns=True, times=3)
    tripwire.redis.mock_command("ZRANGE", returns=[(b"a", 1.0)])
    with tripwire:
        r = redis.Redis()
        r.set("k", "v", ex=60)
        r.set("k", 1.5)
        r.set(b"k", b"60")
        r.zrange("z", 0, -1, withscores=True)
    tripwire.redis.assert_command("SET", args=("k", "v", "EX", "60"), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("SET", args=(b"k", "1.5"), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("SET", args=("k", 60), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("ZRANGE", args=("z", 0, -1, "WITHSCORES"), kwargs=ANY_OPTIONS)


def test_matchers_and_other_values_compare_as_they_are() -> None:
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        redis.Redis().execute_command("SET", "k", 60)
    with pytest.raises(InteractionMismatchError):
        tripwire.redis.assert_command("SET", args=("k", IsStr()))  # a matcher sees the int
    with pytest.raises(InteractionMismatchError):
        tripwire.redis.assert_command("SET", args=["k", True])  # redis-py never sends a bool
    tripwire.redis.assert_command("SET", args=["k", "60"])


def test_exactly_compares_the_value_redis_py_was_given(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("EXPIRE", returns=True, times=2)
    with tripwire:
        r = redis.Redis()
        r.execute_command("EXPIRE", "k", "60")
        r.execute_command("EXPIRE", "k", 60)
    with pytest.raises(InteractionMismatchError) as excinfo:
        tripwire.redis.assert_command("EXPIRE", args=("k", tripwire.redis.exactly(60)))
    assert str(excinfo.value) == (
        "Expected the next interaction to be:\n"
        "    tripwire.redis.assert_command('EXPIRE', args=('k', tripwire.redis.exactly(60)), "
        "kwargs={})\n"
        "but it was:\n"
        "    tripwire.redis.assert_command('EXPIRE', args=('k', '60'), kwargs={})\n"
        "Field by field (expected, then actual):\n"
        "    command  'EXPIRE' == 'EXPIRE'\n"
        "    args     ('k', tripwire.redis.exactly(60)) != ('k', '60')\n"
        "    kwargs   {} == {}\n"
        "Unasserted interactions, in the order they happened (2):\n"
        "    tripwire.redis.assert_command('EXPIRE', args=('k', '60'), kwargs={})\n"
        "    tripwire.redis.assert_command('EXPIRE', args=('k', 60), kwargs={})"
    )
    tripwire.redis.assert_command("EXPIRE", args=tripwire.redis.exactly(("k", "60")))
    tripwire.redis.assert_command("EXPIRE", args=("k", tripwire.redis.exactly(60)))


def test_a_mismatch_marks_arguments_equal_as_sent(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        redis.Redis().execute_command("SET", "k", 60)
    with pytest.raises(InteractionMismatchError) as excinfo:
        tripwire.redis.assert_command("SET", args=("k", "60"), kwargs={"px": 1})
    assert str(excinfo.value).splitlines()[4:8] == [
        "Field by field (expected, then actual):",
        "    command  'SET' == 'SET'",
        "    args     ('k', '60') == ('k', 60)  (equal as sent to Redis)",
        "    kwargs   {'px': 1} != {}",
    ]


def test_in_any_order_compares_as_sent_too() -> None:
    tripwire.redis.mock_command("INCRBY", returns=2, times=2)
    with tripwire:
        r = redis.Redis()
        r.incr("a", 2)
        r.incr("b", 3)
    with tripwire.in_any_order():
        tripwire.redis.assert_command("INCRBY", args=("b", "3"))
        tripwire.redis.assert_command("INCRBY", args=(b"a", b"2"))


def test_bytearray_and_memoryview_values_match_as_sent() -> None:
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        redis.Redis().execute_command("SET", "k", "v")
    tripwire.redis.assert_command("SET", args=(bytearray(b"k"), memoryview(b"v")))


class _RaisesOnCompare:
    def __eq__(self, other: object) -> bool:
        raise RuntimeError("cannot compare")

    __hash__ = None  # type: ignore[assignment]


def test_a_matcher_that_raises_is_no_match_even_where_other_values_match_as_sent(
    verifier: StrictVerifier,
) -> None:
    # 60 and "60" differ as Python values, so each value is compared again as sent.
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        redis.Redis().execute_command("SET", "k", "60", "x")
    with pytest.raises(InteractionMismatchError):
        tripwire.redis.assert_command("SET", args=("k", 60, _RaisesOnCompare()))


def test_a_str_that_utf_8_cannot_encode_is_a_mismatch_not_an_encoding_error(
    verifier: StrictVerifier,
) -> None:
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        redis.Redis().execute_command("SET", "k", 60)
    with pytest.raises(InteractionMismatchError) as excinfo:
        tripwire.redis.assert_command("SET", args=("k", "\ud800"))
    assert str(excinfo.value).splitlines()[6] == "    args     ('k', '\\ud800') != ('k', 60)"


# -- what an unmocked call was near ----------------------------------------------------------------


@pytest.mark.parametrize("times", [1, 2])
def test_a_mock_queued_for_the_method_name_is_pointed_out(
    verifier: StrictVerifier, line_of: pytest.FixtureRequest, times: int
) -> None:
    tripwire.redis.mock_command("INCR", returns=1, times=times)  # the method's name
    with tripwire, pytest.raises(UnmockedInteractionError) as excinfo:
        redis.Redis().incr("hits")
    line = line_of("# the method's name")  # type: ignore[operator]
    assert str(excinfo.value) == (
        "redis.INCRBY(...) was called but no mock was registered.\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_command('INCRBY', returns=...)\n"
        "Called with: args=('hits', 1), kwargs={}\n"
        f"A mock is queued for 'INCR' (registered at {HERE}:{line}), which this call cannot "
        "use: redis-py sends INCRBY for incr(). Register that mock for 'INCRBY' instead."
    )


def test_a_mock_queued_under_a_near_spelling_is_pointed_out(
    verifier: StrictVerifier, line_of: pytest.FixtureRequest
) -> None:
    tripwire.redis.mock_command("HGETAL", returns={})  # misspelt
    tripwire.redis.mock_command("SCRIPT_LOAD", returns="sha")  # underscore
    with tripwire:
        r = redis.Redis()
        with pytest.raises(UnmockedInteractionError) as hgetall:
            r.hgetall("h")
        with pytest.raises(UnmockedInteractionError) as script_load:
            r.script_load("return 1")
    misspelt, underscore = line_of("# misspelt"), line_of("# underscore")  # type: ignore[operator]
    assert str(hgetall.value).splitlines()[4] == (
        f"A mock is queued for 'HGETAL' (registered at {HERE}:{misspelt}), a name spelled "
        "differently: if it was meant for this call, register it for 'HGETALL'."
    )
    assert str(script_load.value).splitlines()[4] == (
        f"A mock is queued for 'SCRIPT_LOAD' (registered at {HERE}:{underscore}), a name "
        "spelled differently: if it was meant for this call, register it for 'SCRIPT LOAD'."
    )


def test_a_used_up_queue_says_how_many_mocks_it_had(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=b"1", times=2)
    with tripwire:
        r = redis.Redis()
        r.get("a")
        r.get("b")
        with pytest.raises(UnmockedInteractionError) as excinfo:
            r.get("c")
    assert str(excinfo.value).splitlines()[4] == (
        "All 2 mocks registered for 'GET' were used by earlier calls: register one more for "
        "this call (mock_command's times=N registers N at once, times=None answers any number "
        "of calls)."
    )


def test_an_unrelated_queue_is_not_mentioned(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire, pytest.raises(UnmockedInteractionError) as excinfo:
        redis.Redis().execute_command("GET", "k")
    assert str(excinfo.value) == (
        "redis.GET(...) was called but no mock was registered.\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_command('GET', returns=...)\n"
        "Called with: args=('k',), kwargs={}"
    )


def test_a_times_none_mock_whose_queue_is_empty_is_pointed_out(
    verifier: StrictVerifier, line_of: pytest.FixtureRequest
) -> None:
    tripwire.redis.mock_command("INCR", returns=1, times=None)  # answers every call
    with tripwire, pytest.raises(UnmockedInteractionError) as excinfo:
        redis.Redis().incr("hits")
    line = line_of("# answers every call")  # type: ignore[operator]
    assert str(excinfo.value).splitlines()[4] == (
        f"A mock is queued for 'INCR' (registered at {HERE}:{line}), which this call cannot "
        "use: redis-py sends INCRBY for incr(). Register that mock for 'INCRBY' instead."
    )


def test_at_most_two_near_spellings_are_pointed_out(verifier: StrictVerifier) -> None:
    for name in ("HGETAL", "HGETALLS", "HGETALX"):
        tripwire.redis.mock_command(name, returns={})
    with tripwire, pytest.raises(UnmockedInteractionError) as excinfo:
        redis.Redis().hgetall("h")
    notes = str(excinfo.value).splitlines()[4:]
    assert [note.split(" (registered")[0] for note in notes] == [
        "A mock is queued for 'HGETALLS'",  # the nearest first
        "A mock is queued for 'HGETAL'",
    ]


def test_a_name_near_only_without_its_x_is_not_pointed_out(verifier: StrictVerifier) -> None:
    # XLEN (a stream's length) and LLEN (a list's) are different commands.
    tripwire.redis.mock_command("LLEN", returns=0)
    with tripwire, pytest.raises(UnmockedInteractionError) as excinfo:
        redis.Redis().xlen("s")
    assert str(excinfo.value).splitlines()[4:] == []
