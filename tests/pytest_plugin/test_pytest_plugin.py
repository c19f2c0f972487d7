"""The pytest plugin, seen from a user's test run (pytester)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("default")

HEADER = """
import pytest
import redis
import tripwire
"""


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_user=HEADER + source)
    return pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", *args)


def test_a_clean_test_passes(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
def test_ok():
    tripwire.redis.mock_command("GET", returns=b"v")
    with tripwire:
        assert redis.Redis().execute_command("GET", "k") == b"v"
    tripwire.redis.assert_command("GET", args=("k",), kwargs={})
""",
    )
    result.assert_outcomes(passed=1)


def test_unused_mock_is_a_teardown_error_with_location_and_hint(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
def test_unused():
    tripwire.redis.mock_command("GET", returns=b"v")
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_unused*",
            "E*UnusedMocksError: 1 required mock was never used:",
            "*tripwire.redis.mock_command('GET', returns=b'v')  # registered at test_user.py:6",
            "*Remove each mock the code no longer needs, or pass required=False if it is optional.",
        ]
    )


def test_unasserted_interaction_is_a_teardown_error(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
def test_unasserted():
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        redis.Redis().execute_command("SET", "k", "v")
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_unasserted*",
            "E*UnassertedInteractionsError: 1 interaction was recorded but never asserted:",
            "*tripwire.redis.assert_command('SET', args=('k', 'v'), kwargs={})",
        ]
    )


def test_optional_mocks_may_stay_unused(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
def test_optional():
    tripwire.redis.mock_command("PING", returns=True, required=False)
""",
    )
    result.assert_outcomes(passed=1)


def test_a_failing_body_gets_no_second_error(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
def test_fails():
    tripwire.redis.mock_command("GET", returns=b"v")
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        redis.Redis().execute_command("GET", "k")
    assert False, "the body's own failure"
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.no_fnmatch_line("*UnusedMocks*")
    result.stdout.no_fnmatch_line("*ERROR at teardown*")
    result.stdout.fnmatch_lines(["*the body's own failure*"])


def test_an_unmocked_call_fails_the_test_at_the_call(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
def test_unmocked():
    with tripwire:
        redis.Redis().get("k")
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E*UnmockedInteractionError: redis.GET(...) was called but no mock was registered.",
            "*Register a mock with:",
            "*tripwire.redis.mock_command('GET', returns=...)",
            "*/redis/commands/core.py:*: UnmockedInteractionError",
        ]
    )


def test_a_swallowed_unmocked_call_still_fails_the_test(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
def cached(key):
    try:
        return redis.Redis().get(key)
    except Exception:
        return None

def test_swallowed():
    with tripwire:
        assert cached("k") is None
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["E*UnmockedInteractionError: redis.GET(...) was called*"])


def test_no_state_leaks_between_tests(pytester: pytest.Pytester) -> None:
    # In a subprocess, so the module-level ORIGINAL is redis-py's own method.
    pytester.makepyfile(
        test_user=HEADER
        + """
ORIGINAL = redis.client.Redis.execute_command

def test_first_leaves_a_sandbox_open_and_fails():
    tripwire.redis.mock_command("GET", returns=1)
    tripwire.__enter__()
    raise RuntimeError("left open")

@pytest.mark.allow("redis")
def test_second_starts_clean(tripwire_verifier):
    assert redis.client.Redis.execute_command is ORIGINAL
    assert len(tripwire_verifier.timeline) == 0
    assert tripwire_verifier.plugins == ()

def test_third_has_a_working_sandbox(tripwire_verifier):
    with tripwire:
        with pytest.raises(tripwire.UnmockedInteractionError):
            redis.Redis().execute_command("GET", "k")
    tripwire_verifier._unmocked.clear()
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=1)


def test_tests_skipped_or_xfailed_in_the_body_are_not_verified(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
def test_skipped():
    tripwire.redis.mock_command("GET", returns=1)
    pytest.skip("not today")

@pytest.mark.xfail(reason="known", strict=True)
def test_xfailed():
    tripwire.redis.mock_command("GET", returns=1)
    assert False
""",
    )
    result.assert_outcomes(skipped=1, xfailed=1)


def test_a_verifier_for_each_test_and_the_fixture(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
seen = []

@pytest.mark.parametrize("n", range(3))
def test_each(n, tripwire_verifier):
    assert tripwire.current_verifier() is tripwire_verifier
    assert tripwire_verifier not in seen
    seen.append(tripwire_verifier)
""",
    )
    result.assert_outcomes(passed=3)


def test_the_allow_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = run(pytester, "", "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.allow(*plugins): *"])


def test_outside_a_test_there_is_no_verifier(pytester: pytest.Pytester) -> None:
    # In a subprocess, so that this test's own verifier is not the current one.
    pytester.makeconftest(
        """
import tripwire

try:
    tripwire.redis.mock_command("GET", returns=1)
except tripwire.NoActiveVerifierError as exc:
    print("AT IMPORT:", str(exc).splitlines()[0])
"""
    )
    pytester.makepyfile(test_user="def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "AT IMPORT: tripwire.redis.mock_command needs the verifier of the current test, "
            "but none is active."
        ]
    )
