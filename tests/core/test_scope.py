"""A test's or an example's `Scope`: its verifier made on first use, what it closes at its end."""

from __future__ import annotations

import threading

import pytest
import redis

import tripwire
from tripwire import NoActiveVerifierError, StrictVerifier, use_verifier
from tripwire._context import Scope, _no_test, begin, end
from tripwire._per_example import Example, current_example
from tripwire.plugins.redis_plugin import RedisPlugin


def test_the_verifier_is_made_on_first_use_and_the_first_use_is_noted_once() -> None:
    uses = []
    scope = Scope(lambda: uses.append("used"))
    with _no_test():
        saved = begin(scope)
        try:
            assert scope.verifier is None
            assert uses == []
            verifier = tripwire.current_verifier()
            assert scope.verifier is verifier
            assert tripwire.current_verifier() is verifier
            assert uses == ["used"]
            with tripwire:
                pass
            assert uses == ["used"]
        finally:
            end(scope, saved)
        with pytest.raises(NoActiveVerifierError):
            tripwire.current_verifier()


def test_opening_any_sandbox_is_a_use_and_is_closed_when_the_scope_ends() -> None:
    uses = []
    scope = Scope(lambda: uses.append("used"))
    own = StrictVerifier()
    with _no_test():
        saved = begin(scope)
        try:
            own.sandbox().__enter__()  # left open, as by a failing test
            assert uses == ["used"]
            assert scope.opened == (own,)
            assert scope.verifier is None
        finally:
            end(scope, saved)
    assert not own.sandbox_open
    assert scope.opened == ()


def test_a_scope_ends_with_its_sandboxes_closed_and_the_previous_verifier_current() -> None:
    previous = tripwire.current_verifier()
    scope = Scope()
    saved = begin(scope)
    try:
        tripwire.__enter__()  # never left
        inner = tripwire.current_verifier()
        assert inner is not previous
        assert inner.sandbox_open
    finally:
        end(scope, saved)
    assert not inner.sandbox_open
    assert tripwire.current_verifier() is previous


def test_use_verifier_inside_a_scope_takes_precedence_and_hands_back() -> None:
    own = StrictVerifier()
    scope = Scope()
    saved = begin(scope)
    try:
        with use_verifier(own):
            assert tripwire.current_verifier() is own
        assert scope.verifier is None
        assert tripwire.current_verifier() is scope.verifier
    finally:
        end(scope, saved)


def test_a_shared_fixtures_scope_names_itself() -> None:
    scope = Scope(outside="module")
    saved = begin(scope)
    try:
        with pytest.raises(NoActiveVerifierError) as excinfo:
            tripwire.redis.mock_command("GET", returns=b"1")
    finally:
        end(scope, saved)
    assert excinfo.value.fixture_scope == "module"
    assert str(excinfo.value).startswith(
        "tripwire.redis.mock_command needs the verifier of the current test, but it was called "
        "in a module-scoped fixture, which outlives any one test.\n"
        "tripwire gives each test its own verifier: register mocks in the test or in a "
        "function-scoped fixture (the default scope). A fixture shared between tests can make a "
        "verifier of its own:\n"
        "    from tripwire import StrictVerifier\n"
    )


def test_a_thread_leaving_closes_the_sandbox_it_entered_not_another_verifiers() -> None:
    own = StrictVerifier()
    RedisPlugin(own).mock_command("GET", returns=b"own")
    entered, leave = threading.Event(), threading.Event()

    def worker() -> None:
        with tripwire:  # the test's verifier
            entered.set()
            leave.wait(10)

    thread = threading.Thread(target=worker)
    thread.start()
    assert entered.wait(10)
    with use_verifier(own), tripwire:
        leave.set()
        thread.join(10)
        assert redis.Redis().get("k") == b"own"
    own.get_plugin(RedisPlugin).assert_command("GET", args=("k",), kwargs={"keys": ["k"]})
    own.verify_all()
    assert not tripwire.current_verifier().sandbox_open


def test_a_thread_that_never_entered_closes_nothing() -> None:
    with tripwire:
        thread = threading.Thread(target=tripwire.__exit__, args=(None, None, None))
        thread.start()
        thread.join(10)
        assert tripwire.current_verifier().sandbox_open
    assert not tripwire.current_verifier().sandbox_open


def test_a_scope_makes_one_verifier_however_often_asked() -> None:
    scope = Scope()
    with _no_test():
        saved = begin(scope)
        try:
            first = scope.verifier_for("this test")
            assert scope.verifier_for("this test") is first
            assert tripwire.current_verifier() is first
        finally:
            end(scope, saved)


def test_a_scope_s_verifier_made_under_use_verifier_does_not_replace_it() -> None:
    scope = Scope()
    other = StrictVerifier()
    with _no_test():
        saved = begin(scope)
        try:
            with use_verifier(other):
                made = scope.verifier_for("a fixture")
                assert tripwire.current_verifier() is other
            assert tripwire.current_verifier() is made
        finally:
            end(scope, saved)


def test_the_verifier_of_a_scope_that_is_not_running_does_not_become_current() -> None:
    outer, inner = Scope(), Scope()
    with _no_test():
        saved_outer = begin(outer)
        saved_inner = begin(inner)
        try:
            outers = outer.verifier_for("the test")
            assert tripwire.current_verifier() is not outers
            assert tripwire.current_verifier() is inner.verifier
        finally:
            end(inner, saved_inner)
            end(outer, saved_outer)


def test_an_example_s_use_of_tripwire_is_its_test_s_use() -> None:
    uses = []
    test = Scope(lambda: uses.append("the test used tripwire"))
    with _no_test():
        saved = begin(test)
        try:
            example = Example()
            assert uses == []
            example_verifier = tripwire.current_verifier()
            assert uses == ["the test used tripwire"]
            example.finish(passed=True)
            assert tripwire.current_verifier() is not example_verifier
        finally:
            end(test, saved)


def test_an_example_calls_back_when_it_fails_and_only_then() -> None:
    failed = []
    with _no_test():
        passing = Example()
        passing.on_failure(lambda: failed.append("passing"))
        passing.finish(passed=True)
        failing = Example()
        failing.on_failure(lambda: failed.append("failing"))
        failing.on_failure(lambda: failed.append("failing, second"))
        failing.finish(passed=False)
    assert failed == ["failing", "failing, second"]


def test_the_current_example_is_the_running_one_unless_a_verifier_is_set_by_hand() -> None:
    with _no_test():
        assert current_example() is None
        example = Example()
        try:
            assert current_example() is example
            tripwire.current_verifier()
            assert current_example() is example
            with use_verifier(StrictVerifier()):
                assert current_example() is None
        finally:
            example.finish(passed=True)
        assert current_example() is None


def test_every_sandbox_left_open_during_a_scope_is_closed_when_it_ends() -> None:
    scope = Scope()
    first, second = StrictVerifier(), StrictVerifier()
    with _no_test():
        saved = begin(scope)
        try:
            first.sandbox().__enter__()
            second.sandbox().__enter__()
            second.sandbox().__enter__()  # opened twice, listed once
        finally:
            end(scope, saved)
    assert not first.sandbox_open
    assert not second.sandbox_open


def test_a_sandbox_opened_outside_any_test_is_left_to_its_owner() -> None:
    own = StrictVerifier()
    with _no_test():
        with own.sandbox():
            assert own.sandbox_open
        assert not own.sandbox_open
