"""Every tripwire error survives pickling and copying: same type, message and attributes.

A process pool sends a worker's exception back pickled; an error that cannot be rebuilt turns into
``BrokenProcessPool`` and hides what happened.
"""

from __future__ import annotations

import copy
import multiprocessing
import pickle
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
import redis

import tripwire
from tripwire import (
    AssertionInsideSandboxError,
    ConfigurationError,
    InteractionMismatchError,
    InvalidArgumentError,
    NoActiveVerifierError,
    NoExampleVerifierError,
    StrictVerifier,
    TripwireError,
    UnassertedInteractionsError,
    UnmockedConnectionError,
    UnmockedInteractionError,
    UnsandboxedInteractionError,
    UnusedMocksAndUnassertedInteractionsError,
    UnusedMocksError,
    VerificationError,
)
from tripwire.plugins.redis_plugin import RedisPlugin


def _unmocked() -> UnmockedInteractionError:
    verifier = StrictVerifier()
    RedisPlugin(verifier)
    with verifier.sandbox(), pytest.raises(UnmockedInteractionError) as excinfo:
        redis.Redis().execute_command("GET", "k")
    return excinfo.value


def _verification(unused: bool, unasserted: bool) -> VerificationError:
    verifier = StrictVerifier()
    plugin = RedisPlugin(verifier)
    if unasserted:
        plugin.mock_command("GET", returns=b"v")
        with verifier.sandbox():
            redis.Redis().execute_command("GET", "k", lambda: None)  # a value pickle refuses
    if unused:
        plugin.mock_command("SET", returns=True)
    with pytest.raises(VerificationError) as excinfo:
        verifier.verify_all()
    return excinfo.value


def _mismatch() -> InteractionMismatchError:
    verifier = StrictVerifier()
    plugin = RedisPlugin(verifier)
    plugin.mock_command("GET", returns=b"v")
    with verifier.sandbox():
        redis.Redis().execute_command("GET", "k")
    with pytest.raises(InteractionMismatchError) as excinfo:
        plugin.assert_command("GET", args=("other",))
    return excinfo.value


ERRORS: list[Any] = [
    pytest.param(lambda: InvalidArgumentError("bad"), id="InvalidArgumentError"),
    pytest.param(lambda: ConfigurationError("bad"), id="ConfigurationError"),
    pytest.param(lambda: NoActiveVerifierError("tripwire.redis"), id="NoActiveVerifierError"),
    pytest.param(lambda: NoExampleVerifierError("mocks"), id="NoExampleVerifierError"),
    pytest.param(
        lambda: AssertionInsideSandboxError("assert_command()"), id="AssertionInsideSandboxError"
    ),
    pytest.param(_unmocked, id="UnmockedInteractionError"),
    pytest.param(lambda: _unmocked().reported_again(2), id="UnmockedInteractionError-again"),
    pytest.param(lambda: UnmockedConnectionError("cache:6379"), id="UnmockedConnectionError"),
    pytest.param(
        lambda: UnsandboxedInteractionError("redis.GET(...) was called", "t.py:1", "redis", "x"),
        id="UnsandboxedInteractionError",
    ),
    pytest.param(_mismatch, id="InteractionMismatchError"),
    pytest.param(lambda: _verification(True, False), id="UnusedMocksError"),
    pytest.param(lambda: _verification(False, True), id="UnassertedInteractionsError"),
    pytest.param(lambda: _verification(True, True), id="UnusedMocksAndUnassertedInteractionsError"),
]

ROUND_TRIPS = {
    "pickle": lambda error: pickle.loads(pickle.dumps(error)),
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
}


def _described(value: Any) -> Any:
    """An attribute as a user sees it: records by their hints, other values by their repr."""
    if isinstance(value, list):
        return [_described(item) for item in value]
    if hasattr(value, "assertion_hint"):
        return (value.registration_hint(), value.assertion_hint(), value.location(), repr(value))
    return repr(value)


@pytest.mark.parametrize("make", ERRORS)
@pytest.mark.parametrize("how", sorted(ROUND_TRIPS))
def test_round_trip(make: Callable[[], TripwireError], how: str) -> None:
    error = make()
    again = ROUND_TRIPS[how](error)
    assert type(again) is type(error)
    assert str(again) == str(error)
    assert again.args == error.args
    assert {name: _described(value) for name, value in vars(again).items()} == {
        name: _described(value) for name, value in vars(error).items()
    }


def test_a_deep_copy_keeps_what_the_error_shares_with_the_copied_values() -> None:
    # copy.deepcopy's contract: an object reached twice is copied once.
    shared = {"k"}
    error = TripwireError(shared)
    error.note = shared  # type: ignore[attr-defined]
    again, copied = copy.deepcopy((error, shared))
    assert copied == shared
    assert copied is not shared
    assert again.args[0] is copied
    assert again.note is copied  # type: ignore[attr-defined]


def test_an_unmocked_connection_was_opened_unless_told_otherwise() -> None:
    opened = str(UnmockedConnectionError("cache:6379"))
    assert opened.startswith("A connection to cache:6379 was opened inside the sandbox")
    assert str(UnmockedConnectionError("cache:6379", "used to send a command")).startswith(
        "A connection to cache:6379 was used to send a command inside the sandbox"
    )


def test_a_value_that_cannot_be_pickled_keeps_its_repr() -> None:
    verifier = StrictVerifier()
    plugin = RedisPlugin(verifier)
    plugin.mock_command("SET", returns=True)
    unpicklable = lambda: None  # noqa: E731
    with verifier.sandbox():
        redis.Redis().execute_command("SET", "k", unpicklable)
    with pytest.raises(InteractionMismatchError) as excinfo:
        plugin.assert_command("SET", args=("k", Decimal("1.5")))
    again = pickle.loads(pickle.dumps(excinfo.value))
    name, want, got, equal, note = again.fields[1]
    # What pickles is kept as it was; what does not, by its repr.
    assert (name, want, equal, note) == ("args", ("k", Decimal("1.5")), False, "")
    assert repr(got) == repr(("k", unpicklable))
    assert str(again) == str(excinfo.value)


def test_every_public_error_is_covered() -> None:
    covered = {param.id.split("-")[0] for param in ERRORS}
    public = {
        name
        for name in tripwire.__all__
        if isinstance(getattr(tripwire, name), type)
        and issubclass(getattr(tripwire, name), TripwireError)
    }
    assert public - covered == {"TripwireError", "VerificationError"}  # never raised themselves
    assert {UnusedMocksError.__name__, UnassertedInteractionsError.__name__} <= covered
    assert UnusedMocksAndUnassertedInteractionsError.__name__ in covered


#: Runs in the worker process: an unmocked call inside a sandbox of its own. Sent as text, so the
#: worker needs to import nothing of the tests.
WORKER = """
import redis
from tripwire import StrictVerifier
from tripwire.plugins.redis_plugin import RedisPlugin

verifier = StrictVerifier()
RedisPlugin(verifier)
with verifier.sandbox():
    redis.Redis().execute_command("GET", "k")
"""


def test_a_worker_process_sends_the_error_back() -> None:
    # A fresh interpreter (fork would copy this process's threads and guard).
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        future = pool.submit(exec, WORKER, {})
        with pytest.raises(UnmockedInteractionError) as excinfo:
            future.result(timeout=120)
    assert str(excinfo.value) == (
        "redis.GET(...) was called but no mock was registered.\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_command('GET', returns=...)\n"
        "Called with: args=('k',), kwargs={}"
    )
    assert excinfo.value.hint == "tripwire.redis.mock_command('GET', returns=...)"
