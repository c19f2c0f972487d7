"""The exact text of every error tripwire raises: wording changes must be deliberate."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from dirty_equals import IsInstance, IsStr

import tripwire
from tripwire import (
    AssertionInsideSandboxError,
    InteractionMismatchError,
    NoActiveVerifierError,
    StrictVerifier,
    UnassertedInteractionsError,
    UnmockedInteractionError,
    UnusedMocksAndUnassertedInteractionsError,
    UnusedMocksError,
    VerificationError,
)
from tripwire._errors import MAX_LISTED

HERE = "tests/core/test_messages.py"


def test_unmocked_call_with_no_mock_at_all(verifier: StrictVerifier) -> None:
    with tripwire, pytest.raises(UnmockedInteractionError) as excinfo:
        redis.Redis().execute_command("GET", "mykey")
    assert str(excinfo.value) == (
        "redis.GET(...) was called but no mock was registered.\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_command('GET', returns=...)\n"
        "Called with: args=('mykey',), kwargs={}"
    )


def test_unmocked_call_after_the_queue_ran_out(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=b"1")
    with tripwire:
        r = redis.Redis()
        r.get("a")
        with pytest.raises(UnmockedInteractionError) as excinfo:
            r.get("b")
    assert str(excinfo.value) == (
        "redis.GET(...) was called but no mock was registered.\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_command('GET', returns=...)\n"
        "Called with: args=('b',), kwargs={'keys': ['b']}\n"
        "The one mock registered for 'GET' was used by an earlier call: register one more for "
        "this call (mock_command's times=N registers N at once, times=None answers any number "
        "of calls)."
    )


def test_unmocked_lower_case_and_bytes_commands_are_named_upper_case(
    verifier: StrictVerifier,
) -> None:
    with tripwire:
        r = redis.Redis()
        with pytest.raises(UnmockedInteractionError, match=r"^redis\.HGET\(\.\.\.\) was"):
            r.execute_command("hget", "h", "f")
        with pytest.raises(UnmockedInteractionError, match=r"^redis\.SCRIPT LOAD\(\.\.\.\) was"):
            r.execute_command(b"script load", "return 1")


def test_swallowed_unmocked_call_is_reported_again_by_verify_all(
    verifier: StrictVerifier,
) -> None:
    def careless_cache_lookup(key: str) -> None:
        try:  # noqa: SIM105 - written as careless cache code is
            redis.Redis().execute_command("GET", key)
        except Exception:
            pass

    with tripwire:
        for key in ("a", "b"):
            careless_cache_lookup(key)
    with pytest.raises(UnmockedInteractionError) as excinfo:
        verifier.verify_all()
    assert str(excinfo.value) == (
        "redis.GET(...) was called but no mock was registered.\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_command('GET', returns=...)\n"
        "Called with: args=('a',), kwargs={}\n"
        "It was raised at the call (2 unmocked calls in all) and is reported again at the end "
        "of the test, because code that catches exceptions can hide it."
    )


def test_assertion_inside_the_sandbox(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=None)
    with tripwire:
        redis.Redis().execute_command("GET", "k")
        with pytest.raises(AssertionInsideSandboxError) as excinfo:
            tripwire.redis.assert_command("GET", args=("k",))
    assert str(excinfo.value) == (
        "assert_command() was called while the sandbox is still open.\n"
        "Interactions are asserted after the code under test has finished: move the assertion "
        "below the `with tripwire:` block."
    )
    tripwire.redis.assert_command("GET", args=("k",))


def test_mismatch_shows_each_field_and_what_remains(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=b"v")
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        r = redis.Redis()
        r.execute_command("GET", "k")
        r.execute_command("SET", "k", "v", ex=3)
    with pytest.raises(InteractionMismatchError) as excinfo:
        tripwire.redis.assert_command("GET", args=("j",))
    assert str(excinfo.value) == (
        "Expected the next interaction to be:\n"
        "    tripwire.redis.assert_command('GET', args=('j',), kwargs={})\n"
        "but it was:\n"
        "    tripwire.redis.assert_command('GET', args=('k',), kwargs={})\n"
        "Field by field (expected, then actual):\n"
        "    command  'GET' == 'GET'\n"
        "    args     ('j',) != ('k',)\n"
        "    kwargs   {} == {}\n"
        "Unasserted interactions, in the order they happened (2):\n"
        "    tripwire.redis.assert_command('GET', args=('k',), kwargs={})\n"
        "    tripwire.redis.assert_command('SET', args=('k', 'v'), kwargs={'ex': 3})"
    )
    # The interaction stays unasserted: the right assertion still succeeds.
    tripwire.redis.assert_command("GET", args=("k",))
    tripwire.redis.assert_command("SET", args=("k", "v"), kwargs={"ex": 3})


def test_mismatch_shows_matchers_as_written(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        redis.Redis().execute_command("SET", "k", "v")
    with pytest.raises(InteractionMismatchError) as excinfo:
        tripwire.redis.assert_command("SET", args=(IsStr(regex="k"), 1), kwargs=IsInstance(dict))
    assert str(excinfo.value) == (
        "Expected the next interaction to be:\n"
        "    tripwire.redis.assert_command('SET', args=(IsStr(regex='k'), 1), "
        "kwargs=IsInstance(<class 'dict'>))\n"
        "but it was:\n"
        "    tripwire.redis.assert_command('SET', args=('k', 'v'), kwargs={})\n"
        "Field by field (expected, then actual):\n"
        "    command  'SET' == 'SET'\n"
        "    args     (IsStr(regex='k'), 1) != ('k', 'v')\n"
        "    kwargs   IsInstance(<class 'dict'>) == {}\n"
        "Unasserted interactions, in the order they happened (1):\n"
        "    tripwire.redis.assert_command('SET', args=('k', 'v'), kwargs={})"
    )
    tripwire.redis.assert_command("SET", args=("k", "v"))


def test_mismatch_when_everything_was_asserted(verifier: StrictVerifier) -> None:
    with pytest.raises(InteractionMismatchError) as excinfo:
        tripwire.redis.assert_command("DEL", args=("k",))
    assert str(excinfo.value) == (
        "Expected the next interaction to be:\n"
        "    tripwire.redis.assert_command('DEL', args=('k',), kwargs={})\n"
        "but every recorded interaction has already been asserted.\n"
        "No unasserted interactions remain."
    )


def test_mismatch_in_any_order(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=None)
    with tripwire:
        redis.Redis().execute_command("GET", "k")
    with tripwire.in_any_order(), pytest.raises(InteractionMismatchError) as excinfo:
        tripwire.redis.assert_command("GET", args=("x",))
    assert str(excinfo.value) == (
        "No unasserted interaction matches:\n"
        "    tripwire.redis.assert_command('GET', args=('x',), kwargs={})\n"
        "Unasserted interactions, in the order they happened (1):\n"
        "    tripwire.redis.assert_command('GET', args=('k',), kwargs={})"
    )
    tripwire.redis.assert_command("GET", args=("k",))


def test_unused_mocks(verifier: StrictVerifier, line_of: Callable[[str], int]) -> None:
    tripwire.redis.mock_command("GET", returns=b"x")  # unused GET
    tripwire.redis.mock_command("SET", returns=True, raises=ValueError("no"))  # unused SET
    tripwire.redis.mock_command("PING", returns=b"PONG", required=False)
    with pytest.raises(UnusedMocksError) as excinfo:
        verifier.verify_all()
    assert type(excinfo.value) is UnusedMocksError
    assert str(excinfo.value) == (
        "2 required mocks were never used:\n"
        f"    tripwire.redis.mock_command('GET', returns=b'x')  # registered at {HERE}:"
        f"{line_of('# unused GET')}\n"
        "    tripwire.redis.mock_command('SET', returns=True, raises=ValueError('no'))  "
        f"# registered at {HERE}:{line_of('# unused SET')}\n"
        "Remove each mock the code no longer needs, or pass required=False if it is optional."
    )


def test_unasserted_interactions(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("INCRBY", returns=1)
    tripwire.redis.mock_command("PING", returns=True, required=False)
    with tripwire:
        redis.Redis().incr("hits")
    with pytest.raises(UnassertedInteractionsError) as excinfo:
        verifier.verify_all()
    assert type(excinfo.value) is UnassertedInteractionsError
    assert str(excinfo.value) == (
        "1 interaction was recorded but never asserted:\n"
        "    tripwire.redis.assert_command('INCRBY', args=('hits', 1), kwargs={})\n"
        "Assert each one after the sandbox closes, in the order shown "
        "(the lines above can be pasted)."
    )


def test_unused_and_unasserted_together(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=None)
    mock = tripwire.redis.mock_command("DEL", returns=1)
    with tripwire:
        redis.Redis().execute_command("GET", "k")
    with pytest.raises(UnusedMocksAndUnassertedInteractionsError) as excinfo:
        verifier.verify_all()
    error = excinfo.value
    assert isinstance(error, UnusedMocksError)
    assert isinstance(error, UnassertedInteractionsError)
    assert str(error) == (
        "1 required mock was never used:\n"
        f"    tripwire.redis.mock_command('DEL', returns=1)  # registered at {mock.location()}\n"
        "Remove each mock the code no longer needs, or pass required=False if it is optional.\n"
        "1 interaction was recorded but never asserted:\n"
        "    tripwire.redis.assert_command('GET', args=('k',), kwargs={})\n"
        "Assert each one after the sandbox closes, in the order shown "
        "(the lines above can be pasted)."
    )


def test_long_lists_are_summarised(verifier: StrictVerifier) -> None:
    count = MAX_LISTED + 5
    for _ in range(count):
        tripwire.redis.mock_command("PING", returns=True)
    with tripwire:
        for _ in range(count):
            redis.Redis().execute_command("PING")
    with pytest.raises(UnassertedInteractionsError) as excinfo:
        verifier.verify_all()
    lines = str(excinfo.value).splitlines()
    assert lines[0] == f"{count} interactions were recorded but never asserted:"
    assert (
        lines[1 : MAX_LISTED + 1]
        == ["    tripwire.redis.assert_command('PING', args=(), kwargs={})"] * MAX_LISTED
    )
    assert lines[MAX_LISTED + 1] == "    ... and 5 more"


def test_no_active_verifier_messages() -> None:
    outside = (
        "needs the verifier of the current test, but none is active.\n"
        "Inside pytest the tripwire plugin creates one for every test: check that the plugin is "
        "not disabled (-p no:tripwire) and that the call happens during a test, not at import or "
        "collection time.\n"
        "Outside pytest, construct one yourself:\n"
        "    from tripwire import StrictVerifier\n"
        "    from tripwire.plugins.redis_plugin import RedisPlugin\n"
        "    verifier = StrictVerifier()\n"
        "    redis_mock = RedisPlugin(verifier)\n"
        "    with verifier.sandbox():\n"
        "        ...\n"
        "    verifier.verify_all()"
    )
    from tripwire import _context

    with _context._no_test():
        with pytest.raises(NoActiveVerifierError) as excinfo:
            tripwire.redis.mock_command("GET", returns=None)
        assert str(excinfo.value) == f"tripwire.redis.mock_command {outside}"
        with pytest.raises(NoActiveVerifierError) as excinfo, tripwire:
            pass
        assert str(excinfo.value) == f"`with tripwire:` {outside}"
        with pytest.raises(NoActiveVerifierError) as excinfo:
            tripwire.current_verifier()
        assert str(excinfo.value) == f"tripwire.current_verifier() {outside}"


def test_unreprable_values_do_not_hide_the_error(verifier: StrictVerifier) -> None:
    class Unprintable:
        def __repr__(self) -> str:
            raise RuntimeError("broken repr")

    tripwire.redis.mock_command("GET", returns=Unprintable())
    with pytest.raises(VerificationError) as excinfo:
        verifier.verify_all()
    assert "mock_command('GET', returns=<Unprintable object; repr() raised RuntimeError>)" in str(
        excinfo.value
    )


def test_a_raising_eq_counts_as_a_mismatch_and_is_reported(verifier: StrictVerifier) -> None:
    class Touchy:
        def __eq__(self, other: object) -> bool:
            raise ValueError("cannot compare")

        __hash__ = object.__hash__

        def __repr__(self) -> str:
            return "Touchy()"

    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        redis.Redis().execute_command("SET", "k", "v")
    with pytest.raises(InteractionMismatchError) as excinfo:
        tripwire.redis.assert_command("SET", args=(Touchy(), "v"))
    assert str(excinfo.value) == (
        "Expected the next interaction to be:\n"
        "    tripwire.redis.assert_command('SET', args=(Touchy(), 'v'), kwargs={})\n"
        "but it was:\n"
        "    tripwire.redis.assert_command('SET', args=('k', 'v'), kwargs={})\n"
        "Field by field (expected, then actual):\n"
        "    command  'SET' == 'SET'\n"
        "    args     (Touchy(), 'v') != ('k', 'v')  (comparing them raised ValueError: "
        "cannot compare)\n"
        "    kwargs   {} == {}\n"
        "Unasserted interactions, in the order they happened (1):\n"
        "    tripwire.redis.assert_command('SET', args=('k', 'v'), kwargs={})"
    )
    # Nothing was lost: the interaction is still there to assert.
    tripwire.redis.assert_command("SET", args=("k", "v"))
    verifier.verify_all()
