"""A test's or an example's `Scope`: its verifier made on first use, what it closes at its end."""

from __future__ import annotations

import threading

import pytest
import redis

import tripwire
from tripwire import NoActiveVerifierError, StrictVerifier, use_verifier
from tripwire._context import Scope, _no_test, begin, end
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
