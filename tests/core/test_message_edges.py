"""Edges of the error messages and the attributes each error carries.

Each test here was written to catch a change to the messages that the rest of the suite let
through (mutation testing, `nox -s mutation`).
"""

from __future__ import annotations

import pytest
import redis
from dirty_equals import IsInstance, IsStr
from hypothesis import find, settings
from hypothesis import strategies as st

import tripwire
from tripwire import (
    AssertionInsideSandboxError,
    InteractionMismatchError,
    InvalidArgumentError,
    NoActiveVerifierError,
    NoExampleVerifierError,
    StrictVerifier,
    UnassertedInteractionsError,
    UnmockedInteractionError,
    UnusedMocksError,
    _context,
)
from tripwire._errors import MAX_LISTED


def test_exactly_as_many_records_as_are_listed_need_no_summary(verifier: StrictVerifier) -> None:
    for _ in range(MAX_LISTED):
        tripwire.redis.mock_command("PING", returns=True)
    with tripwire:
        for _ in range(MAX_LISTED):
            redis.Redis().execute_command("PING")
    with pytest.raises(UnassertedInteractionsError) as excinfo:
        verifier.verify_all()
    assert str(excinfo.value).splitlines() == [
        f"{MAX_LISTED} interactions were recorded but never asserted:",
        *["    tripwire.redis.assert_command('PING', args=(), kwargs={})"] * MAX_LISTED,
        "Assert each one after the sandbox closes, in the order shown "
        "(the lines above can be pasted).",
    ]


def test_one_swallowed_unmocked_call_is_counted_in_the_singular(
    verifier: StrictVerifier,
) -> None:
    def careless_cache_lookup() -> None:
        try:  # noqa: SIM105 - written as careless cache code is
            redis.Redis().execute_command("GET", "a")
        except UnmockedInteractionError:
            pass

    with tripwire:
        careless_cache_lookup()
    with pytest.raises(UnmockedInteractionError) as excinfo:
        verifier.verify_all()
    error = excinfo.value
    assert str(error) == (
        "redis.GET(...) was called but no mock was registered.\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_command('GET', returns=...)\n"
        "Called with: args=('a',), kwargs={}\n"
        "It was raised at the call (1 unmocked call in all) and is reported again at the end "
        "of the test, because code that catches exceptions can hide it."
    )
    assert (error.headline, error.hint, error.called_with) == (
        "redis.GET(...) was called but no mock was registered.",
        "tripwire.redis.mock_command('GET', returns=...)",
        "args=('a',), kwargs={}",
    )


def test_errors_keep_what_their_message_was_built_from(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=None)
    with tripwire:
        redis.Redis().get("k")
        with pytest.raises(AssertionInsideSandboxError) as inside:
            tripwire.redis.assert_command("GET", args=("k",))
    assert inside.value.helper == "assert_command()"
    tripwire.redis.assert_command("GET", args=("k",), kwargs={"keys": ["k"]})

    with _context._no_test(), pytest.raises(NoActiveVerifierError) as none_active:
        tripwire.current_verifier()  # as outside any test
    assert none_active.value.what == "tripwire.current_verifier()"


def test_matchers_inside_lists_and_dicts_are_shown_as_written(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        redis.Redis().execute_command("SET", ["a", "b"], "x", opt={"a": "v", "b": 2})
    with pytest.raises(InteractionMismatchError) as excinfo:
        tripwire.redis.assert_command(
            "SET", args=([IsStr(), "b"], "y"), kwargs={"opt": {"a": IsStr(), "b": 1}}
        )
    assert str(excinfo.value) == (
        "Expected the next interaction to be:\n"
        "    tripwire.redis.assert_command('SET', args=([IsStr(), 'b'], 'y'), "
        "kwargs={'opt': {'a': IsStr(), 'b': 1}})\n"
        "but it was:\n"
        "    tripwire.redis.assert_command('SET', args=(['a', 'b'], 'x'), "
        "kwargs={'opt': {'a': 'v', 'b': 2}})\n"
        "Field by field (expected, then actual):\n"
        "    command  'SET' == 'SET'\n"
        "    args     ([IsStr(), 'b'], 'y') != (['a', 'b'], 'x')\n"
        "    kwargs   {'opt': {'a': IsStr(), 'b': 1}} != {'opt': {'a': 'v', 'b': 2}}\n"
        "Unasserted interactions, in the order they happened (1):\n"
        "    tripwire.redis.assert_command('SET', args=(['a', 'b'], 'x'), "
        "kwargs={'opt': {'a': 'v', 'b': 2}})"
    )
    error = excinfo.value
    assert error.expected == (
        "tripwire.redis.assert_command('SET', args=([IsStr(), 'b'], 'y'), "
        "kwargs={'opt': {'a': IsStr(), 'b': 1}})"
    )
    assert error.actual is error.remaining[0]
    assert [(name, ok) for name, _, _, ok, _ in error.fields] == [
        ("command", True),
        ("args", False),
        ("kwargs", False),
    ]
    tripwire.redis.assert_command("SET", args=(["a", "b"], "x"), kwargs=IsInstance(dict))


def test_only_dirty_equals_matchers_are_shown_unmatched(verifier: StrictVerifier) -> None:
    class Token:
        """A value of the user's that happens to have a method named like dirty-equals' one."""

        def _repr_ne(self) -> str:  # pragma: no cover - must not be called
            return "not this"

        def __repr__(self) -> str:
            return "Token()"

    tripwire.redis.mock_command("GET", returns=Token())
    with pytest.raises(UnusedMocksError) as excinfo:
        verifier.verify_all()
    assert "    tripwire.redis.mock_command('GET', returns=Token())  # registered at " in str(
        excinfo.value
    )


def test_a_plugins_unmocked_error_without_a_note_is_three_lines() -> None:
    error = UnmockedInteractionError(
        "clock.now() was called but no mock was registered.",
        "clock.mock_now(returns=...)",
        "args=(), kwargs={}",
    )
    assert str(error) == (
        "clock.now() was called but no mock was registered.\n"
        "Register a mock with:\n"
        "    clock.mock_now(returns=...)\n"
        "Called with: args=(), kwargs={}"
    )


def test_a_sandbox_opened_in_an_example_without_a_verifier_says_so() -> None:
    def condition(n: int) -> bool:
        with tripwire:
            pass  # pragma: no cover - the sandbox is refused first
        return True  # pragma: no cover

    with pytest.raises(NoExampleVerifierError) as excinfo:
        find(st.integers(), condition, settings=settings(database=None))
    assert excinfo.value.what == "the sandbox was opened"


def test_an_unhashable_command_name_is_refused_like_any_other() -> None:
    with pytest.raises(InvalidArgumentError) as mock:
        tripwire.redis.mock_command(["GET"], returns=None)  # type: ignore[arg-type]
    assert str(mock.value) == (
        "mock_command() argument 'command' must be a non-empty str, got ['GET'] (list)"
    )
    with pytest.raises(InvalidArgumentError) as assertion:
        tripwire.redis.assert_command(["GET"])  # type: ignore[arg-type]
    assert str(assertion.value) == (
        "assert_command() argument 'command' must be a non-empty str, got ['GET'] (list)"
    )
