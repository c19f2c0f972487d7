"""The same suite gives the same outcomes however pytest runs it.

One suite of tripwire tests (plain, Hypothesis, sync, async; passing, failing and with teardown
errors) runs in a subprocess under each mode users reach for: pytest-xdist, random order with
several seeds, --lf / --ff, and with the plugin disabled. Outcomes and error texts must match.
"""

from __future__ import annotations

import re

import pytest

SUITE = """
import asyncio

import pytest
import redis
from hypothesis import given, settings, strategies as st

import tripwire

FAST = settings(max_examples=10, database=None, derandomize=True, deadline=None)


def test_clean():
    tripwire.redis.mock_command("GET", returns=b"1")
    with tripwire:
        assert redis.Redis().get("k") == b"1"
    tripwire.redis.assert_command("GET", args=("k",), kwargs={"keys": ["k"]})


def test_unused_mock():
    tripwire.redis.mock_command("DEL", returns=1)


def test_unasserted():
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        redis.Redis().execute_command("SET", "k", "v")


def test_body_fails():
    tripwire.redis.mock_command("GET", returns=None)
    assert 1 == 2


@pytest.mark.asyncio
async def test_async_clean():
    import redis.asyncio as aredis

    tripwire.redis.mock_command("INCRBY", returns=3)
    async with tripwire:
        assert await aredis.Redis().incr("n", 3) == 3
    tripwire.redis.assert_command("INCRBY", args=("n", 3))


@FAST
@given(st.integers(min_value=0, max_value=100))
def test_property_clean(n):
    tripwire.redis.mock_command("GET", returns=str(n).encode())
    with tripwire:
        assert redis.Redis().execute_command("GET", "k") == str(n).encode()
    tripwire.redis.assert_command("GET", args=("k",))


@FAST
@given(st.integers(min_value=0, max_value=100))
def test_property_unused_from_ten(n):
    tripwire.redis.mock_command("GET", returns=None)
    if n < 10:
        with tripwire:
            redis.Redis().execute_command("GET", "k")
        tripwire.redis.assert_command("GET", args=("k",))


def test_outside_the_sandbox_is_refused():
    # Registering a mock uses tripwire: from there on the test refuses real Redis.
    tripwire.redis.mock_command("PING", returns=True, required=False)
    with pytest.raises(tripwire.UnsandboxedInteractionError):
        redis.Redis(host="127.0.0.1", port=1).get("k")
"""

EXPECTED = {
    ("PASSED", "test_suite.py::test_clean"),
    ("PASSED", "test_suite.py::test_unused_mock"),
    ("ERROR", "test_suite.py::test_unused_mock"),
    ("PASSED", "test_suite.py::test_unasserted"),
    ("ERROR", "test_suite.py::test_unasserted"),
    ("FAILED", "test_suite.py::test_body_fails"),
    ("PASSED", "test_suite.py::test_async_clean"),
    ("PASSED", "test_suite.py::test_property_clean"),
    ("FAILED", "test_suite.py::test_property_unused_from_ten"),
    ("PASSED", "test_suite.py::test_outside_the_sandbox_is_refused"),
}

#: Lines every mode must print, whatever the order or process.
MESSAGES = [
    "*UnusedMocksError: 1 required mock was never used:",
    "*tripwire.redis.mock_command('DEL', returns=1)  # registered at test_suite.py:20",
    "*UnassertedInteractionsError: 1 interaction was recorded but never asserted:",
    "*tripwire.redis.assert_command('SET', args=('k', 'v'), kwargs={})",
    "*Failing test case: test_property_unused_from_ten(",
    "*n=10,",
]

SUMMARY = re.compile(r"^(PASSED|FAILED|ERROR) (\S+?)(?: - .*)?$")


def outcomes(result: pytest.RunResult) -> set[tuple[str, str]]:
    found = set()
    for line in result.stdout.lines:
        match = SUMMARY.match(line)
        if match:
            found.add((match.group(1), match.group(2)))
    return found


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def assert_messages(result: pytest.RunResult) -> None:
    """Each expected line is printed (in any order: the run order may be random)."""
    for line in MESSAGES:
        result.stdout.fnmatch_lines([line])


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-rA", "-p", "no:randomly", *args)


@pytest.mark.parametrize(
    "mode",
    [
        pytest.param([], id="plain"),
        pytest.param(["-n", "2"], id="xdist"),
        pytest.param(["-p", "randomly", "--randomly-seed=1"], id="random-seed-1"),
        pytest.param(["-p", "randomly", "--randomly-seed=2"], id="random-seed-2"),
        pytest.param(["-p", "randomly", "--randomly-seed=3", "-n", "2"], id="random-xdist"),
    ],
)
def test_same_outcomes_and_messages(suite: pytest.Pytester, mode: list[str]) -> None:
    if "randomly" in mode:
        result = suite.runpytest_subprocess("-rA", *mode)
        result.stdout.fnmatch_lines(["Using --randomly-seed=*"])
    else:
        result = run(suite, *mode)
    assert outcomes(result) == EXPECTED
    assert_messages(result)


def test_last_failed_and_failed_first(suite: pytest.Pytester) -> None:
    first = run(suite)
    assert outcomes(first) == EXPECTED
    failing = {(o, n) for o, n in EXPECTED if o != "PASSED"}
    again = run(suite, "--lf")
    # --lf reruns the tests that failed or errored, with the same results.
    assert {(o, n) for o, n in outcomes(again) if o != "PASSED"} == failing
    assert "test_suite.py::test_clean" not in {n for _, n in outcomes(again)}
    assert_messages(again)
    first_failed = run(suite, "--ff")
    assert outcomes(first_failed) == EXPECTED


def test_plugin_disabled(suite: pytest.Pytester) -> None:
    result = run(suite, "-p", "no:tripwire")
    found = outcomes(result)
    # Every test that touches tripwire.redis fails with a clear error, and nothing errors at
    # teardown: there is no verifier.
    assert {o for o, n in found if n.endswith("test_unused_mock")} == {"FAILED"}
    assert not any(o == "ERROR" for o, _ in found)
    result.stdout.fnmatch_lines(
        ["*NoActiveVerifierError: tripwire.redis.mock_command needs the verifier of the current*"],
        consecutive=False,
    )
