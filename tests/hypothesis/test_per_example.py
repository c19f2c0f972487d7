"""One verifier per Hypothesis example, seen from a user's test run (pytester)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("default")

HEADER = """
import pytest
import redis
import tripwire
from hypothesis import Phase, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

# Without the explain phase, which traces every line and is slow.
fast = settings(deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink])
quick = settings(fast, database=None, max_examples=20)
"""


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nasyncio_mode = strict\n"
    )
    pytester.makepyfile(test_user=HEADER + source)
    return pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", *args)


def test_every_example_gets_a_fresh_verifier_and_the_test_s_own_comes_back(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
seen = []

@quick
@given(st.integers())
def test_examples(x):
    seen.append(tripwire.current_verifier())

def test_afterwards():
    assert len(seen) == 20
    assert len({id(verifier) for verifier in seen}) == 20
    assert tripwire.current_verifier() not in seen
    assert not hasattr(test_examples.hypothesis.inner_test, "__tripwire_per_example__")
""",
    )
    result.assert_outcomes(passed=2)


def test_an_unused_mock_fails_its_example_and_shrinks_to_the_smallest(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
@settings(fast, database=None)
@given(st.integers(0, 1000))
def test_unused(x):
    if x >= 10:
        tripwire.redis.mock_command("GET", returns=x)
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E*UnusedMocksError: 1 required mock was never used:",
            "E*tripwire.redis.mock_command('GET', returns=10)  # registered at test_user.py:16",
            "E*    x=10,",
        ]
    )


def test_an_unasserted_interaction_fails_its_example(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
@quick
@given(st.booleans())
def test_unasserted(assert_it):
    tripwire.redis.mock_command("GET", returns=b"v")
    with tripwire:
        redis.Redis().execute_command("GET", "k")
    if assert_it:
        tripwire.redis.assert_command("GET", args=("k",), kwargs={})
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E*UnassertedInteractionsError: 1 interaction was recorded but never asserted:",
            "E*    assert_it=False,",
        ]
    )


def test_a_rejected_or_failing_example_is_not_verified(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
@quick
@given(st.integers(0, 10))
def test_rejected(x):
    tripwire.redis.mock_command("GET", returns=b"v")
    assume(x == 0)
    with tripwire:
        redis.Redis().execute_command("GET", "k")
    tripwire.redis.assert_command("GET", args=("k",), kwargs={})

@quick
@given(st.integers(0, 10))
def test_failing(x):
    tripwire.redis.mock_command("GET", returns=b"v")
    assert x < 3, "the body's own failure"
    with tripwire:
        redis.Redis().execute_command("GET", "k")
    tripwire.redis.assert_command("GET", args=("k",), kwargs={})
""",
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["E*AssertionError: the body's own failure", "E*x=3,"])
    result.stdout.no_fnmatch_line("*UnusedMocksError*")


def test_an_explicit_example_is_verified_too(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
@quick
@example(99)
@given(st.integers(0, 10))
def test_explicit(x):
    if x == 99:
        tripwire.redis.mock_command("GET", returns=b"v")
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["E*UnusedMocksError*", "E*explicit example: test_explicit(", "E*x=99,"]
    )


def test_parametrized_tests_and_methods_get_a_verifier_per_example(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
seen = []

@pytest.mark.parametrize("command", ["GET", "SET"])
@quick
@given(st.binary())
def test_parametrized(command, value):
    seen.append(tripwire.current_verifier())
    tripwire.redis.mock_command(command, returns=value)
    with tripwire:
        assert redis.Redis().execute_command(command, "k") == value
    tripwire.redis.assert_command(command, args=("k",), kwargs={})

class TestInAClass:
    @quick
    @given(st.binary())
    def test_method(self, value):
        seen.append(tripwire.current_verifier())
        tripwire.redis.mock_command("GET", returns=value, required=False)

def test_afterwards():
    assert len({id(verifier) for verifier in seen}) == len(seen) == 60
""",
    )
    result.assert_outcomes(passed=4)


def test_async_tests_are_verified_after_their_body(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import asyncio

@pytest.mark.asyncio
@quick
@given(st.integers(0, 100))
async def test_asyncio(x):
    await asyncio.sleep(0)
    tripwire.redis.mock_command("GET", returns=b"%d" % x)
    async with tripwire:
        await asyncio.sleep(0)
        redis.Redis().execute_command("GET", "k")
    tripwire.redis.assert_command("GET", args=("k",), kwargs={})
    if x >= 7:
        tripwire.redis.mock_command("SET", returns=True)

@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.anyio
@quick
@given(st.integers(0, 100))
async def test_anyio(x):
    if x >= 5:
        tripwire.redis.mock_command("DEL", returns=x)
""",
    )
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*test_asyncio*",
            "E*tripwire.redis.mock_command('SET', returns=True)*",
            "E*    x=7,",
            "*test_anyio*",
            "E*tripwire.redis.mock_command('DEL', returns=5)*",
            "E*    x=5,",
        ]
    )


def test_the_example_database_replays_the_saved_failure_first(pytester: pytest.Pytester) -> None:
    source = """
DB = DirectoryBasedExampleDatabase({db!r})
first = []

@settings(fast, database=DB)
@given(st.integers(0, 1000))
def test_saved(x):
    first.append(x)
    if x >= 10:
        tripwire.redis.mock_command("GET", returns=x)

@settings(fast, database=DB)
@given(st.integers(0, 1000))
def test_other(x):
    if x >= 20:
        tripwire.redis.mock_command("SET", returns=x)

def test_afterwards():
    print("first example:", first[0])
"""
    db = str(pytester.path / "examples-db")
    run(pytester, source.format(db=db)).assert_outcomes(passed=1, failed=2)
    replay = run(pytester, source.format(db=db), "-s")
    replay.assert_outcomes(passed=1, failed=2)
    replay.stdout.fnmatch_lines(["*first example: 10", "*returns=10)*", "*returns=20)*"])
