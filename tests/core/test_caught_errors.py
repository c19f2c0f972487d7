"""An unmocked call's error is reported again at the end of the test only if the test never saw it.

The rule: an error that reached the frame that opened the sandbox (the test's ``with pytest.raises``
or ``try``, or the error failing the test) is not raised again by `verify_all`; one that the code
under test caught before it got there is.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
import redis

import tripwire
from tripwire import StrictVerifier, UnmockedInteractionError

REPORTED_AGAIN = (
    "redis.GET(...) was called but no mock was registered.\n"
    "Register a mock with:\n"
    "    tripwire.redis.mock_command('GET', returns=...)\n"
    "Called with: args=('hidden',), kwargs={}\n"
    "It was raised at the call (1 unmocked call in all) and is reported again at the end "
    "of the test, because code that catches exceptions can hide it."
)


def careless_lookup(key: str) -> object:
    """Code under test that hides every error."""
    try:
        return redis.Redis().execute_command("GET", key)
    except Exception:
        return None


def test_caught_by_pytest_raises_in_the_test(verifier: StrictVerifier) -> None:
    with tripwire, pytest.raises(UnmockedInteractionError):
        redis.Redis().execute_command("GET", "k")
    verifier.verify_all()


def test_caught_by_try_in_the_test(verifier: StrictVerifier) -> None:
    with tripwire:
        try:
            redis.Redis().execute_command("GET", "k")
        except UnmockedInteractionError as error:
            caught = error
    assert caught.headline == "redis.GET(...) was called but no mock was registered."
    verifier.verify_all()


def test_caught_by_the_callable_form_of_pytest_raises(verifier: StrictVerifier) -> None:
    with tripwire:
        # The form some suites still use: the error is caught in pytest's frame.
        pytest.raises(  # noqa: RUF061
            UnmockedInteractionError, redis.Redis().execute_command, "GET", "k"
        )
    verifier.verify_all()


def test_caught_outside_a_helper_that_opens_the_sandbox(verifier: StrictVerifier) -> None:
    def run() -> None:
        with tripwire:
            redis.Redis().get("k")

    with pytest.raises(UnmockedInteractionError):
        run()
    verifier.verify_all()


def test_swallowed_by_the_code_under_test_is_reported_again(verifier: StrictVerifier) -> None:
    with tripwire:
        assert careless_lookup("hidden") is None
    with pytest.raises(UnmockedInteractionError) as excinfo:
        verifier.verify_all()
    assert str(excinfo.value) == REPORTED_AGAIN


def test_swallowed_with_its_traceback_dropped_is_reported_again(verifier: StrictVerifier) -> None:
    def forgetful_lookup(key: str) -> object:
        """Code under test that hides every error and drops its traceback (no frames kept)."""
        try:
            return redis.Redis().execute_command("GET", key)
        except Exception as error:
            error.with_traceback(None)
            return None

    with tripwire:
        assert forgetful_lookup("hidden") is None
    with pytest.raises(UnmockedInteractionError) as excinfo:
        verifier.verify_all()
    assert str(excinfo.value) == REPORTED_AGAIN


def test_only_the_swallowed_one_of_two_is_reported_again(verifier: StrictVerifier) -> None:
    with tripwire:
        with pytest.raises(UnmockedInteractionError):
            redis.Redis().execute_command("GET", "seen")
        careless_lookup("hidden")
    with pytest.raises(UnmockedInteractionError) as excinfo:
        verifier.verify_all()
    assert str(excinfo.value) == REPORTED_AGAIN


def test_a_later_sandbox_of_the_same_test_counts_too(verifier: StrictVerifier) -> None:
    with tripwire:
        pass
    with tripwire, pytest.raises(UnmockedInteractionError):
        redis.Redis().execute_command("GET", "k")
    verifier.verify_all()


def caught_in_a_helper_s_own_sandbox() -> None:
    """A helper of the test that opens a sandbox and checks the call is refused in it."""
    with tripwire, pytest.raises(UnmockedInteractionError):
        redis.Redis().execute_command("GET", "seen")


def test_each_error_belongs_to_the_sandbox_it_was_raised_in(verifier: StrictVerifier) -> None:
    # Caught in the helper's block; the test's own block, opened later, changes nothing for it.
    caught_in_a_helper_s_own_sandbox()
    with tripwire:
        pass
    verifier.verify_all()


def test_a_later_sandbox_reports_only_its_own_swallowed_error(verifier: StrictVerifier) -> None:
    caught_in_a_helper_s_own_sandbox()
    with tripwire:
        careless_lookup("hidden")
    with pytest.raises(UnmockedInteractionError) as excinfo:
        verifier.verify_all()
    assert str(excinfo.value) == REPORTED_AGAIN


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_verified_before_the_sandbox_closed(verifier: StrictVerifier) -> None:
    # The block's frame is learnt when the sandbox closes; until then, every error counts.
    with tripwire:
        with pytest.raises(UnmockedInteractionError):
            redis.Redis().execute_command("GET", "hidden")
        with pytest.raises(UnmockedInteractionError) as excinfo:
            verifier.verify_all()
    assert str(excinfo.value) == REPORTED_AGAIN
    # Once closed, the same error is known to have reached the test.
    verifier.verify_all()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_raised_in_a_thread_never_reaches_the_test(verifier: StrictVerifier) -> None:
    # The thread dies with the error; the test only sees it at the end.
    def lookup() -> None:
        redis.Redis().execute_command("GET", "hidden")

    with tripwire:
        thread = threading.Thread(target=lookup)
        thread.start()
        thread.join()
    with pytest.raises(UnmockedInteractionError) as excinfo:
        verifier.verify_all()
    assert str(excinfo.value) == REPORTED_AGAIN


def test_a_thread_result_awaited_by_the_test_reaches_it(verifier: StrictVerifier) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with tripwire, ThreadPoolExecutor(1) as pool:
        future = pool.submit(redis.Redis().execute_command, "GET", "k")
        with pytest.raises(UnmockedInteractionError):
            future.result()
    verifier.verify_all()


@pytest.mark.asyncio
async def test_caught_in_an_async_test(verifier: StrictVerifier) -> None:
    import redis.asyncio as aredis

    async with tripwire:
        with pytest.raises(UnmockedInteractionError):
            await aredis.Redis().get("k")
        try:  # noqa: SIM105 - written as a test that checks the refusal would
            await aredis.Redis().get("k")
        except UnmockedInteractionError:
            pass
    verifier.verify_all()


@pytest.mark.asyncio
async def test_a_task_awaited_by_the_async_test_reaches_it(verifier: StrictVerifier) -> None:
    import redis.asyncio as aredis

    async with tripwire:
        task = asyncio.ensure_future(aredis.Redis().get("k"))
        with pytest.raises(UnmockedInteractionError):
            await task
    verifier.verify_all()


@pytest.mark.asyncio
async def test_swallowed_by_async_code_under_test(verifier: StrictVerifier) -> None:
    import redis.asyncio as aredis

    async def careless() -> object:
        try:
            return await aredis.Redis().execute_command("GET", "hidden")
        except Exception:
            return None

    async with tripwire:
        assert await careless() is None
    with pytest.raises(UnmockedInteractionError) as excinfo:
        verifier.verify_all()
    assert str(excinfo.value) == REPORTED_AGAIN


def test_the_guides_check_passes_with_the_tests_own_verifier(pytester: pytest.Pytester) -> None:
    # As the guide writes it, with the verifier the plugin makes for the test.
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        test_user="""
import pytest
import redis

import tripwire
from tripwire import UnmockedInteractionError


def test_unmocked_interaction_error():
    with tripwire, pytest.raises(UnmockedInteractionError) as excinfo:
        redis.Redis().execute_command("GET", "k")
    assert "redis.GET(...) was called" in str(excinfo.value)


def cached(key):
    try:
        return redis.Redis().get(key)
    except Exception:
        return None


def test_swallowed():
    with tripwire:
        assert cached("k") is None
"""
    )
    result = pytester.runpytest("-p", "tripwire", "-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_swallowed*"])
