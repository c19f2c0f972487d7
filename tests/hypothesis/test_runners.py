"""Runners the pytest hook cannot see: find(), @given inside a test, state machines."""

from __future__ import annotations

import functools
import inspect
import sys
import threading
import tracemalloc
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

import tripwire
from tripwire import StrictVerifier, UnusedMocksError
from tripwire._per_example import hypothesis_examples
from tripwire._per_example import per_example_verifier as core_per_example_verifier
from tripwire_hypothesis import (
    NoExampleVerifierError,
    RedisSession,
    Step,
    VerifiedStateMachine,
    per_example_verifier,
)

quick = settings(
    database=None,
    deadline=None,
    max_examples=20,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
)

NO_EXAMPLE_VERIFIER = (
    "RedisSession.install() was called inside a Hypothesis example that has no verifier of its "
    "own, so its mocks would leak into the next example.\n"
    "The tripwire pytest plugin gives each example of a @given test its own verifier. find(), "
    "@given applied inside a test, and other runners need the decorator, below @given:\n"
    "    @given(...)\n"
    "    @tripwire_hypothesis.per_example_verifier\n"
    "    def check(session): ...\n"
    "A RuleBasedStateMachine needs the base class tripwire_hypothesis.VerifiedStateMachine."
)


def one_get(value: object) -> RedisSession:
    return RedisSession([Step("GET", returns=value)])


# -- per_example_verifier ----------------------------------------------------------------------


def test_the_decorator_is_the_core_s_and_idempotent() -> None:
    def check() -> None: ...

    wrapped = per_example_verifier(check)
    assert per_example_verifier is core_per_example_verifier
    assert per_example_verifier(wrapped) is wrapped
    assert wrapped.__wrapped__ is check  # type: ignore[attr-defined]
    assert wrapped.__name__ == "check"


def test_given_inside_a_test_gets_a_verifier_per_example_from_the_decorator(
    tripwire_verifier: StrictVerifier,
) -> None:
    seen: list[StrictVerifier] = []

    @quick
    @given(st.binary())
    @per_example_verifier
    def check(value: bytes) -> None:
        seen.append(tripwire.current_verifier())
        session = one_get(value)
        session.install()
        with tripwire:
            assert redis.Redis().execute_command("GET", "k") == value
        session.assert_sent([("GET", "k")])

    check()
    assert len({id(verifier) for verifier in seen}) == len(seen) == 20
    assert tripwire_verifier not in seen
    assert tripwire.current_verifier() is tripwire_verifier


def test_given_inside_a_test_without_the_decorator_refuses_to_install() -> None:
    @quick
    @given(st.binary())
    def check(value: bytes) -> None:
        one_get(value).install()

    with pytest.raises(NoExampleVerifierError) as error:
        check()
    assert str(error.value) == NO_EXAMPLE_VERIFIER


def test_find_with_the_decorator_verifies_each_candidate() -> None:
    def condition(n: int) -> bool:
        tripwire.redis.mock_command("INCRBY", returns=n)
        with tripwire:
            total = redis.Redis().incr("hits")
        tripwire.redis.assert_command("INCRBY", args=("hits", 1), kwargs={})
        return bool(total >= 10)

    assert find(st.integers(0, 100), per_example_verifier(condition), settings=quick) == 10


def test_find_without_the_decorator_refuses_to_install() -> None:
    with pytest.raises(
        NoExampleVerifierError, match=r"^RedisSession\.install\(\) was called inside"
    ):
        find(st.binary(), lambda value: one_get(value).install() is None, settings=quick)


def test_find_without_the_decorator_refuses_to_open_the_sandbox(
    tripwire_verifier: StrictVerifier,
) -> None:
    def condition(n: int) -> bool:
        with tripwire:
            pass
        return True

    with pytest.raises(NoExampleVerifierError) as excinfo:
        find(st.integers(), condition, settings=quick)
    assert str(excinfo.value).startswith(
        "the sandbox was opened inside a Hypothesis example that has no "
        "verifier of its own, so its mocks would leak into the next example.\n"
    )
    tripwire_verifier.dispose()
    # Nothing leaked into the test's own verifier.
    assert tripwire_verifier.plugins == () or not tripwire_verifier.plugins[0].unused_mocks()


@pytest.mark.parametrize(
    ("register", "called"),
    [
        (lambda: tripwire.redis.mock_command("GET", returns=b"1"), "mock_command()"),
        (lambda: tripwire.redis.mock_message("news", "hello"), "mock_message()"),
    ],
    ids=["mock_command", "mock_message"],
)
def test_find_without_the_decorator_refuses_registering_as_it_refuses_install(
    tripwire_verifier: StrictVerifier, register: Callable[[], object], called: str
) -> None:
    def condition(n: int) -> bool:
        register()
        return n > 3

    with pytest.raises(NoExampleVerifierError) as excinfo:
        find(st.integers(), condition, settings=quick)
    assert str(excinfo.value) == NO_EXAMPLE_VERIFIER.replace("RedisSession.install()", called)
    # Nothing was registered on the test's own verifier.
    tripwire_verifier.verify_all()


def test_given_inside_a_test_without_the_decorator_refuses_mock_command(
    tripwire_verifier: StrictVerifier,
) -> None:
    @quick
    @given(st.integers())
    def check(n: int) -> None:
        tripwire.redis.mock_command("GET", returns=n)

    with pytest.raises(NoExampleVerifierError, match=r"^mock_command\(\) was called inside"):
        check()
    tripwire_verifier.verify_all()


def test_mock_command_in_a_thread_outside_the_example_is_not_refused(
    tripwire_verifier: StrictVerifier,
) -> None:
    registered = []

    def condition(n: int) -> bool:
        # Another thread runs no example: Hypothesis' state is per thread.
        thread = threading.Thread(
            target=lambda: registered.append(tripwire.redis.mock_command("PING", returns=True))
        )
        thread.start()
        thread.join()
        return True

    find(st.integers(), condition, settings=quick)
    assert registered  # one per example run
    tripwire_verifier.dispose()


def test_given_inside_an_open_sandbox_refuses_mock_command(
    tripwire_verifier: StrictVerifier,
) -> None:
    @quick
    @given(st.integers())
    def check(n: int) -> None:
        # Registered in one example, it would answer the next one's call.
        tripwire.redis.mock_command("GET", returns=n)

    with tripwire, pytest.raises(NoExampleVerifierError) as excinfo:
        check()
    assert str(excinfo.value).startswith(
        "mock_command() was called inside a Hypothesis example that has no verifier of its own, "
        "so its mocks would leak into the next example.\n"
    )


def test_async_functions_get_an_async_wrapper() -> None:
    import asyncio

    async def check() -> StrictVerifier:
        await asyncio.sleep(0)
        return tripwire.current_verifier()

    wrapped = per_example_verifier(check)
    assert asyncio.iscoroutinefunction(wrapped)
    before = tripwire.current_verifier()
    own = asyncio.run(wrapped())
    assert own is not before
    assert tripwire.current_verifier() is before


def _positional(a: int, b: int) -> object:
    return (a, b, tripwire.current_verifier())


def _keyword_only(a: int, *, b: int) -> object:
    return (a, b, tripwire.current_verifier())


def _only_keyword_only(*, a: int, b: int) -> object:
    return (a, b, tripwire.current_verifier())


def _default(a: int, b: int = 4) -> object:
    return (a, b, tripwire.current_verifier())


def _positional_only(a: int, /, b: int) -> object:
    return (a, b, tripwire.current_verifier())


def _star(*args: int, **kwargs: int) -> object:
    return (args[0], kwargs["b"], tripwire.current_verifier())


def _tripwire_s_names(_tripwire_test: int, b: int) -> object:
    return (_tripwire_test, b, tripwire.current_verifier())


def _hide(__tracebackhide__: int, b: int) -> object:
    return (__tracebackhide__, b, tripwire.current_verifier())


@functools.wraps(_positional)
def _keyword_decorator(**kwargs: int) -> object:
    # A decorator that passes keyword arguments only: its own signature is the one called.
    return _positional(**kwargs)


class _Callable:
    def __call__(self, a: int, b: int) -> object:
        return (a, b, tripwire.current_verifier())


SHAPES = [
    pytest.param(_positional, (3,), {"b": 4}, id="positional"),
    pytest.param(_positional, (), {"a": 3, "b": 4}, id="positional-by-keyword"),
    pytest.param(_keyword_only, (3,), {"b": 4}, id="keyword-only"),
    pytest.param(_only_keyword_only, (), {"a": 3, "b": 4}, id="only-keyword-only"),
    pytest.param(_default, (3,), {}, id="default"),
    pytest.param(_positional_only, (3,), {"b": 4}, id="positional-only"),
    pytest.param(_star, (3,), {"b": 4}, id="star"),
    pytest.param(_tripwire_s_names, (), {"_tripwire_test": 3, "b": 4}, id="tripwire-s-names"),
    pytest.param(_hide, (), {"__tracebackhide__": 3, "b": 4}, id="tracebackhide"),
    pytest.param(_keyword_decorator, (), {"a": 3, "b": 4}, id="keyword-decorator"),
    pytest.param(_Callable(), (3,), {"b": 4}, id="callable-object"),
]


@pytest.mark.parametrize(("check", "args", "kwargs"), SHAPES)
def test_every_signature_gets_its_arguments_and_a_verifier_per_call(
    check: Any, args: tuple[int, ...], kwargs: dict[str, int]
) -> None:
    wrapped = per_example_verifier(check)
    assert inspect.signature(wrapped) == inspect.signature(check)  # the wrapped one's, if any
    before = tripwire.current_verifier()
    first = wrapped(*args, **kwargs)
    second = wrapped(*args, **kwargs)
    # Not 1: a parameter overwritten with True would still compare equal to it.
    assert first[:2] == second[:2] == (3, 4)
    assert len({id(first[2]), id(second[2]), id(before)}) == 3
    assert tripwire.current_verifier() is before


def test_a_callable_without_a_signature_is_wrapped_too() -> None:
    assert per_example_verifier(max)(1, 2) == 2


def test_an_example_that_never_uses_tripwire_keeps_nothing() -> None:
    def check(n: int) -> int:
        return n

    wrapped = per_example_verifier(check)
    for n in range(100):
        wrapped(n)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(10_000):
            wrapped(n=n)
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # Even one byte kept per example would be 10 kB.
    assert kept < 1_000


def test_a_mock_left_unused_fails_the_call_of_a_test_with_its_own_signature() -> None:
    @per_example_verifier
    def check(a: int, *, b: int) -> None:
        tripwire.redis.mock_command("GET", returns=b"v")

    with pytest.raises(UnusedMocksError):
        check(1, b=2)


def test_a_wrong_call_names_the_test() -> None:
    def check(a: int, *, b: int) -> None: ...

    wrapped = per_example_verifier(check)
    message = (
        "test_a_wrong_call_names_the_test.<locals>.check() "
        "missing 1 required keyword-only argument: 'b'"
    )
    with pytest.raises(TypeError) as raised:
        wrapped(1)
    assert str(raised.value) == message


def test_async_functions_keep_their_keyword_only_parameters() -> None:
    import asyncio

    async def check(a: int, *, b: int) -> tuple[int, int, StrictVerifier]:
        await asyncio.sleep(0)
        return (a, b, tripwire.current_verifier())

    wrapped = per_example_verifier(check)
    assert asyncio.iscoroutinefunction(wrapped)
    before = tripwire.current_verifier()
    a, b, own = asyncio.run(wrapped(a=1, b=2))
    assert (a, b) == (1, 2)
    assert own is not before
    assert tripwire.current_verifier() is before


# -- VerifiedStateMachine ------------------------------------------------------------------------


class LocalCache(VerifiedStateMachine):
    """A two-level cache: keys starting with "hot:" are answered locally, without Redis."""

    runs: list[StrictVerifier] = []  # noqa: RUF012 - shared on purpose, across runs

    def __init__(self) -> None:
        super().__init__()
        self.runs.append(tripwire.current_verifier())
        self.client = redis.Redis()

    @rule(key=st.sampled_from(["user:1", "user:2", "hot:1"]))
    def read(self, key: str) -> None:
        tripwire.redis.mock_command("GET", returns=b"v")
        with tripwire:
            if not key.startswith("hot:"):
                self.client.get(key)
        if not key.startswith("hot:"):
            tripwire.redis.assert_command("GET", args=(key,), kwargs={"keys": [key]})


def test_each_state_machine_run_has_its_own_verifier_and_shrinks_to_a_minimal_program(
    tripwire_verifier: StrictVerifier,
) -> None:
    LocalCache.runs.clear()
    with pytest.raises(tripwire.UnusedMocksError) as failure:
        run_state_machine_as_test(LocalCache, settings=settings(quick, stateful_step_count=5))
    assert len({id(verifier) for verifier in LocalCache.runs}) == len(LocalCache.runs) > 1
    assert tripwire_verifier not in LocalCache.runs
    assert tripwire.current_verifier() is tripwire_verifier
    assert failure.value.__notes__[1:] == [
        "state = LocalCache()",
        "state.read(key='hot:1')",
        "state.teardown()",
    ]


class Passing(VerifiedStateMachine):
    @rule()
    def nothing(self) -> None:
        tripwire.redis.mock_command("PING", returns=True, required=False)


def test_a_passing_state_machine_restores_the_test_s_verifier(
    tripwire_verifier: StrictVerifier,
) -> None:
    run_state_machine_as_test(Passing, settings=quick)
    assert tripwire.current_verifier() is tripwire_verifier


def test_a_verifier_made_inside_each_example_is_allowed() -> None:
    # A fresh verifier per example, by hand, leaks nothing from one example into the next.
    @quick
    @given(st.binary())
    def check(value: bytes) -> None:
        verifier = StrictVerifier()
        with tripwire.use_verifier(verifier):
            session = one_get(value)
            session.install()
        assert len(verifier.plugins) == 1

    check()


def test_a_failing_async_example_is_not_verified_and_restores_the_verifier() -> None:
    import asyncio

    async def check() -> None:
        tripwire.redis.mock_command("GET", returns=b"never used")
        raise LookupError("the body's own failure")

    before = tripwire.current_verifier()
    with pytest.raises(LookupError, match="the body's own failure"):
        asyncio.run(per_example_verifier(check)())
    assert tripwire.current_verifier() is before


# -- the pytest hook's recognition of @given tests ---------------------------------------------


def given_item(inner_test: object) -> SimpleNamespace:
    return SimpleNamespace(obj=SimpleNamespace(hypothesis=SimpleNamespace(inner_test=inner_test)))


def test_the_hook_wraps_inner_test_for_the_call_only() -> None:
    def inner() -> None: ...

    item = given_item(inner)
    with hypothesis_examples(item):
        assert item.obj.hypothesis.inner_test.__wrapped__ is inner
    assert item.obj.hypothesis.inner_test is inner


@pytest.mark.parametrize(
    "item",
    [
        pytest.param(SimpleNamespace(), id="no-obj"),
        pytest.param(SimpleNamespace(obj=len), id="not-a-given-test"),
        pytest.param(given_item(None), id="inner-test-not-callable"),
    ],
)
def test_the_hook_leaves_other_items_alone(item: SimpleNamespace) -> None:
    before = dict(vars(item))
    with hypothesis_examples(item):
        pass
    assert vars(item) == before


def test_the_hook_does_nothing_before_hypothesis_is_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def inner() -> None: ...

    monkeypatch.delitem(sys.modules, "hypothesis")
    item = given_item(inner)
    with hypothesis_examples(item):
        assert item.obj.hypothesis.inner_test is inner
