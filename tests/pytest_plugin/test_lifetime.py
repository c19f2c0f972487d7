"""What one test leaves behind reaches no other: sandboxes, threads, shared fixtures."""

from __future__ import annotations

import pytest


def run(pytester: pytest.Pytester, source: str) -> pytest.RunResult:
    pytester.makepyfile(test_suite=source)
    return pytester.runpytest_subprocess("-p", "no:randomly")


def run_here(pytester: pytest.Pytester, source: str) -> pytest.RunResult:
    """`run` in this process, where the mutation run's mutants are imported (see pyproject.toml).

    Only for suites that need no fresh process: this test's own guard and verifier stay in place
    around the run. pytest-asyncio, loaded here, is told its default (it warns otherwise).
    """
    pytester.makepyfile(test_suite=source)
    return pytester.runpytest(
        "-p", "no:randomly", "-o", "asyncio_default_fixture_loop_scope=function"
    )


def test_a_thread_leaving_late_does_not_close_the_next_tests_sandbox(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
import threading

import redis
import tripwire

entered, leave, left = threading.Event(), threading.Event(), threading.Event()


def worker():
    with tripwire:
        entered.set()
        leave.wait(10)
    left.set()


def test_first_starts_a_thread_that_stays_in_the_sandbox():
    threading.Thread(target=worker, daemon=True).start()
    assert entered.wait(10)


def test_second_keeps_its_sandbox_when_that_thread_leaves():
    tripwire.redis.mock_command("GET", returns=b"mine")
    with tripwire:
        leave.set()
        assert left.wait(10)
        assert redis.Redis().get("k") == b"mine"
    tripwire.redis.assert_command("GET", args=("k",), kwargs={"keys": ["k"]})
""",
    )
    result.assert_outcomes(passed=2)


def test_a_sandbox_left_open_by_a_failing_test_is_closed_at_its_end(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
import pytest
import redis
import tripwire
from tripwire import StrictVerifier
from tripwire.plugins.redis_plugin import RedisPlugin

ORIGINAL = redis.client.Redis.execute_command


def test_first_leaves_a_verifier_of_its_own_open():
    verifier = StrictVerifier()
    RedisPlugin(verifier).mock_command("GET", returns=b"leaked")
    verifier.sandbox().__enter__()
    raise RuntimeError("left open")


def test_second_is_refused_not_answered_by_the_leaked_mock(tripwire_verifier):
    with pytest.raises(tripwire.UnsandboxedInteractionError):
        redis.Redis(host="127.0.0.1", port=1).get("k")


@pytest.mark.allow("redis")
def test_third_sees_redis_py_itself():
    assert redis.client.Redis.execute_command is ORIGINAL
""",
    )
    result.assert_outcomes(passed=2, failed=1)


@pytest.mark.parametrize("scope", ["module", "session", "class"])
def test_a_shared_fixture_is_told_its_scope(pytester: pytest.Pytester, scope: str) -> None:
    result = run_here(
        pytester,
        f"""
import pytest
import tripwire


@pytest.fixture(scope="{scope}")
def shared():
    tripwire.redis.mock_command("GET", returns=b"1")


class TestShared:
    def test_uses_it(self, shared):
        pass
""",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "E*NoActiveVerifierError: tripwire.redis.mock_command needs the verifier of the "
            f"current test, but it was called in a {scope}-scoped fixture, which outlives any "
            "one test.",
            "E*tripwire gives each test its own verifier: register mocks in the test or in a "
            "function-scoped fixture (the default scope). A fixture shared between tests can "
            "make a verifier of its own:",
        ]
    )


def test_a_shared_fixtures_teardown_is_told_its_scope_too(pytester: pytest.Pytester) -> None:
    result = run_here(
        pytester,
        """
import pytest
import tripwire


@pytest.fixture(scope="module")
def shared():
    yield
    with tripwire:
        pass


def test_uses_it(shared, tripwire_verifier):
    pass
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "E*NoActiveVerifierError: `with tripwire:` needs the verifier of the current test, "
            "but it was called in a module-scoped fixture, which outlives any one test."
        ]
    )


def test_function_fixtures_share_the_tests_verifier_in_setup_and_teardown(
    pytester: pytest.Pytester,
) -> None:
    result = run_here(
        pytester,
        """
import pytest
import redis
import tripwire


@pytest.fixture
def cached():
    tripwire.redis.mock_command("GET", returns=b"1")
    yield
    tripwire.redis.assert_command("GET", args=("k",), kwargs={"keys": ["k"]})


def test_reads(cached):
    with tripwire:
        assert redis.Redis().get("k") == b"1"
""",
    )
    result.assert_outcomes(passed=1)


def test_a_refusal_in_a_fixture_finalizer_points_at_the_fixture(
    pytester: pytest.Pytester,
) -> None:
    result = run_here(
        pytester,
        """
import pytest
import redis


@pytest.fixture
def client(request):
    client = redis.Redis(host="127.0.0.1", port=1)
    request.addfinalizer(client.flushdb)
    return client


def test_uses_it(client, tripwire_verifier):
    pass
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "E*UnsandboxedInteractionError: redis.FLUSHDB(...) was called outside the tripwire "
            "sandbox, at test_suite.py:5 (a finalizer of the fixture 'client')."
        ]
    )
    result.stdout.no_fnmatch_line("*KeyError*")
    result.stdout.no_fnmatch_line("*During handling of the above exception*")


def test_a_refusal_in_a_test_finalizer_says_pytest_ran_it(pytester: pytest.Pytester) -> None:
    result = run_here(
        pytester,
        """
import redis


def test_cleans_up(request, tripwire_verifier):
    request.node.addfinalizer(redis.Redis(host="127.0.0.1", port=1).flushdb)
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "E*UnsandboxedInteractionError: redis.FLUSHDB(...) was called outside the tripwire "
            "sandbox, at a finalizer that pytest ran."
        ]
    )


# The suite's own guard is this test's: it allows redis, so only the guard of the suite run
# inside it is in place.
@pytest.mark.allow("redis")
def test_fixtures_shared_between_tests_are_not_guarded(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.tripwire]\nguard = "all"\n')
    result = run_here(
        pytester,
        """
import pytest
import redis
import tripwire

CLOSED = dict(host="127.0.0.1", port=1, socket_connect_timeout=0.2)


@pytest.fixture(scope="module")
def prepared():
    # Belongs to no test: it may reach the server it prepares.
    with pytest.raises(redis.exceptions.ConnectionError):
        redis.Redis(**CLOSED).flushall()
    yield
    with pytest.raises(redis.exceptions.ConnectionError):
        redis.Redis(**CLOSED).flushall()


def test_guarded_around_it(prepared):
    with pytest.raises(tripwire.UnsandboxedInteractionError):
        redis.Redis(**CLOSED).ping()
""",
    )
    result.assert_outcomes(passed=1)


EXAMPLES_IN_AN_OPEN_SANDBOX = """
import pytest
import redis
from hypothesis import find, given, settings, strategies as st

import tripwire
from tripwire import NoExampleVerifierError


def test_given_run_inside_an_open_sandbox():
    @settings(max_examples=5, database=None)
    @given(st.integers())
    def check(n):
        # Registered in one example, it would answer the next one's call.
        tripwire.redis.mock_command("GET", returns=n)

    with tripwire, pytest.raises(NoExampleVerifierError) as excinfo:
        check()
    assert str(excinfo.value).startswith(
        "mock_command() was called inside a Hypothesis example that has no verifier of its own"
    )


def test_find_inside_an_open_sandbox():
    def condition(n):
        tripwire.redis.mock_command("GET", returns=n, required=False)
        return True

    with tripwire, pytest.raises(NoExampleVerifierError):
        find(st.integers(), condition, settings=settings(database=None))


def test_a_sandbox_reopened_inside_an_example():
    @settings(max_examples=5, database=None)
    @given(st.integers())
    def check(n):
        with tripwire:
            redis.Redis().get("k")

    tripwire.redis.mock_command("GET", returns=b"1", required=False)
    with tripwire, pytest.raises(NoExampleVerifierError) as excinfo:
        check()
    assert str(excinfo.value).startswith("the sandbox was opened inside a Hypothesis example")
"""


def test_no_mock_is_shared_between_examples_run_in_an_open_sandbox(
    pytester: pytest.Pytester,
) -> None:
    result = run(pytester, EXAMPLES_IN_AN_OPEN_SANDBOX)
    result.assert_outcomes(passed=3)


def test_a_pytest_run_inside_a_test_leaves_the_outer_test_in_place(
    pytester: pytest.Pytester,
) -> None:
    # The last test runs pytest in its own process (pytester's in-process run), and the session
    # fixture tears down after it: still outside that test's guard, so redis-py is reached
    # (nothing listens on port 1) instead of refused.
    pytester.makepyprojecttoml('[tool.tripwire]\nguard = "all"\n')
    pytester.makeconftest(
        """
import pytest
import redis

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def shared():
    yield
    try:
        redis.Redis(port=1).ping()
    except redis.ConnectionError:
        pass
"""
    )
    result = run(
        pytester,
        """
def test_uses_the_shared_fixture(shared):
    pass


def test_runs_pytest_inside(pytester):
    pytester.makepyfile("def test_inner():\\n    pass\\n")
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)
""",
    )
    result.assert_outcomes(passed=2)


def test_a_failing_test_shows_its_own_error_and_is_not_verified(pytester: pytest.Pytester) -> None:
    result = run_here(
        pytester,
        """
import tripwire


def test_fails():
    tripwire.redis.mock_command("GET", returns=None)
    assert 1 == 2
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assert 1 == 2*"])
    result.stdout.no_fnmatch_line("*UnusedMocksError*")


@pytest.mark.allow("redis")  # this suite's own guard would refuse the call below
def test_guard_false_never_refuses_in_a_test_that_uses_tripwire(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntripwire_guard = false\n")
    result = run_here(
        pytester,
        """
import pytest
import redis
import tripwire


def test_uses_tripwire_then_reaches_redis():
    tripwire.redis.mock_command("GET", returns=None, required=False)
    with pytest.raises(redis.exceptions.ConnectionError):
        redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2).ping()
""",
    )
    result.assert_outcomes(passed=1)
