# ruff: noqa: PT017 - a fuzzed call may succeed or fail; each failure is checked where caught
"""Fuzzing the public API: arbitrary arguments and call orders.

Whatever a user throws at `mock_command`, `assert_command`, `in_any_order`, the sandbox and the
intercepted call, the only exceptions they can see are the documented ones with their documented
messages; no patch outlives a sandbox; nothing leaks into the next test.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import tripwire
from tripwire import (
    AssertionInsideSandboxError,
    InteractionMismatchError,
    InvalidArgumentError,
    StrictVerifier,
    UnmockedInteractionError,
    UnsandboxedInteractionError,
    VerificationError,
)
from tripwire._context import _swap, release

from .test_faults import patched_state

WRONG_REPLY = re.compile(
    r"^mock_command\(\) argument 'returns' must be what redis-py returns for [A-Z ]+: .+, "
    r"got .+ \(\w+\)\nThe mock was registered at .+; the sandbox was not opened\. .+$",
    re.DOTALL,
)
ARGUMENT_ERROR = re.compile(
    r"^(mock_command|assert_command|execute_command)\(\) argument '\w+' must be .+, "
    r"got .+ \(\w+\)$",
    re.DOTALL,
)
UNMOCKED = re.compile(
    r"^redis\.(.+)\(\.\.\.\) was called but no mock was registered\.\n"
    r"Register a mock with:\n"
    r"    tripwire\.redis\.mock_command\((.+), returns=\.\.\.\)(  # not paste-ready: .*)?\n"
    r"Called with: args=.*, kwargs=.*",
    re.DOTALL,
)
MISMATCH = re.compile(
    r"^(Expected the next interaction to be:|No unasserted interaction matches:)\n", re.DOTALL
)
VERIFICATION = re.compile(
    r"^\d+ (required mocks? (was|were) never used|interactions? (was|were) recorded but never"
    r" asserted):\n",
)

commands = st.one_of(
    st.sampled_from(["GET", "get", "SET", "Del", "SCRIPT LOAD", "hget"]),
    st.text(max_size=12),
    st.binary(max_size=8),
    st.integers(),
    st.none(),
    st.just("\N{SNOWMAN}" * 3),
    st.just("x" * 10_000),
)
anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.binary(max_size=5),
    st.lists(st.integers(), max_size=3),
    st.tuples(st.text(max_size=3)),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
raises = st.one_of(
    st.none(),
    st.just(redis.exceptions.ConnectionError("down")),
    st.just(redis.exceptions.TimeoutError),
    st.just(KeyError),
    anything,
)
required = st.one_of(st.booleans(), anything)


class PublicApiFuzz(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.verifier = StrictVerifier()
        self.previous = _swap(self.verifier)
        self.outside = patched_state()
        self.depth = 0
        self.client = redis.Redis(host="127.0.0.1", port=1)

    @rule(command=commands, returns=anything, raises=raises, required=required)
    def register(self, command: Any, returns: Any, raises: Any, required: Any) -> None:
        try:
            tripwire.redis.mock_command(command, returns=returns, raises=raises, required=required)
        except InvalidArgumentError as exc:
            assert ARGUMENT_ERROR.match(str(exc)), str(exc)

    @rule(command=commands, args=st.lists(anything, max_size=3))
    def call(self, command: Any, args: list[Any]) -> None:
        try:
            self.client.execute_command(command, *args)
        except UnmockedInteractionError as exc:
            assert self.depth > 0
            assert UNMOCKED.match(str(exc)), str(exc)
        except InvalidArgumentError as exc:
            assert self.depth > 0
            assert ARGUMENT_ERROR.match(str(exc)), str(exc)
        except UnsandboxedInteractionError as exc:
            assert self.depth == 0
            assert " was called outside the tripwire sandbox, at " in str(exc)
        except (redis.exceptions.RedisError, KeyError):
            assert self.depth > 0  # a mock's own `raises`

    @rule()
    def open_sandbox(self) -> None:
        try:
            tripwire.__enter__()
        except InvalidArgumentError as exc:
            # A mock whose returns redis-py could never give: refused at every opening.
            assert WRONG_REPLY.match(str(exc)), str(exc)
            return
        self.depth += 1

    @precondition(lambda self: self.depth > 0)
    @rule()
    def close_sandbox(self) -> None:
        tripwire.__exit__(None, None, None)
        self.depth -= 1

    @rule(command=commands, args=anything, kwargs=anything, any_order=st.booleans())
    def assert_(self, command: Any, args: Any, kwargs: Any, any_order: bool) -> None:
        try:
            if any_order:
                with tripwire.in_any_order():
                    tripwire.redis.assert_command(command, args=args, kwargs=kwargs)
            else:
                tripwire.redis.assert_command(command, args=args, kwargs=kwargs)
        except InvalidArgumentError as exc:
            assert ARGUMENT_ERROR.match(str(exc)), str(exc)
        except AssertionInsideSandboxError:
            assert self.depth > 0
        except InteractionMismatchError as exc:
            assert MISMATCH.match(str(exc)), str(exc)

    @precondition(lambda self: self.depth == 0)
    @rule()
    def verify(self) -> None:
        try:
            self.verifier.verify_all()
        except UnmockedInteractionError as exc:
            assert UNMOCKED.match(str(exc)), str(exc)
        except VerificationError as exc:
            assert VERIFICATION.match(str(exc)), str(exc)

    @invariant()
    def intercepted_only_inside_the_sandbox(self) -> None:
        # Opening and closing sandboxes never touches redis-py's classes: the interceptors stay
        # installed for the whole test, and only which verifier they serve changes.
        assert patched_state() == self.outside
        assert self.verifier.sandbox_open == (self.depth > 0)
        if self.depth == 0:
            with pytest.raises(UnsandboxedInteractionError):
                redis.Redis(host="127.0.0.1", port=1).get("outside")

    def teardown(self) -> None:
        release(self.verifier)
        _swap(self.previous)
        # No patch outlives the sandbox, and the test's own verifier is current again.
        assert patched_state() == self.outside


PublicApiFuzz.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# A reply that redis-py never gives for its command (DEL answered None) is reported with a
# WrongReplyWarning when the sandbox closes: the fuzzer registers such replies on purpose.
test_public_api_fuzz = pytest.mark.filterwarnings("ignore::tripwire.WrongReplyWarning")(
    PublicApiFuzz.TestCase
)


def test_the_fuzzed_runs_left_nothing_behind(tripwire_verifier: StrictVerifier) -> None:
    assert tripwire.current_verifier() is tripwire_verifier
    assert len(tripwire_verifier.timeline) == 0
    with tripwire, pytest.raises(UnmockedInteractionError):
        redis.Redis().get("k")
    tripwire_verifier._unmocked.clear()
