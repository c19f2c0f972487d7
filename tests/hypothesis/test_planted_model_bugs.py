"""Planted bugs of the model examples of docs/hypothesis.md ("Stateful answers").

As tests/hypothesis/test_planted_bugs.py does for the call-time examples (whose helpers run the
guide's blocks here too), each `fails` block of a ``redis_session(model=True)`` property must,
within 200 examples and deterministically:

- fail with the message the property gives for that bug;
- shrink to the fewest faults, asserted exactly below as Hypothesis' `Draw` lines and as the
  ``RedisSession.from_faults([...])`` script of the printed test;
- print an ``@example(...)`` that fails on the bug and passes on the guide's fixed module;
- print a plain pytest test that parses, and that fails the same way when run as pasted;
- match, report for report, what the guide shows after `<!-- report: NAME -->`.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

import tripwire


def _sibling() -> ModuleType:
    # The guide's blocks run as test_planted_bugs.py runs them: one place says how.
    path = Path(__file__).with_name("test_planted_bugs.py")
    spec = importlib.util.spec_from_file_location("_planted_bugs_helpers", path)
    assert spec is not None
    assert spec.loader is not None
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_helpers = _sibling()
guide_modules = _helpers.guide_modules
run_planted = _helpers.run_planted
report_of = _helpers.report_of
printed_test = _helpers.printed_test
shown_report = _helpers.shown_report
fails_block = _helpers.fails_block
printed_example = _helpers.printed_example
run_example = _helpers.run_example

#: Each planted bug: the property's message, the Draw lines (the faults drawn, in call order),
#: and the session of the printed test.
CLOSED = "redis.exceptions.ConnectionError('Connection closed by server.')"
STORIES = {
    "test_no_job_is_lost": (
        "a job was lost",
        "Draw 1 (RPOP('jobs')): None\n"
        f"Draw 2 (LPUSH('jobs:processing', b'job-2')): Fault({CLOSED})\n"
        "Draw 3 (LPUSH('jobs:processing', b'job-2'), every attempt fails): True\n"
        "Draw 4 (RPOP('jobs')): None\n"
        "Draw 5 (LPUSH('jobs:processing', b'job-1')): None\n"
        "Draw 6 (LREM('jobs:processing', 1, b'job-1')): None\n"
        "Draw 7 (RPOP('jobs')): None",
        "    session = RedisSession.from_faults([\n"
        "        None,  # RPOP('jobs')\n"
        f"        Fault({CLOSED}, outage=True),  # LPUSH('jobs:processing', b'job-2')\n"
        "        None,  # RPOP('jobs')\n"
        "        None,  # LPUSH('jobs:processing', b'job-1')\n"
        "        None,  # LREM('jobs:processing', 1, b'job-1')\n"
        "        None,  # RPOP('jobs')\n"
        "    ])",
    ),
    "test_transfers_keep_the_total": (
        "the total is kept",
        "Draw 1 (WATCH('balance:alice')): None\n"
        "Draw 2 (GET('balance:alice')): None\n"
        "Draw 3 (EXEC): None\n"
        "Draw 4 (WATCH('balance:alice')): None\n"
        "Draw 5 (GET('balance:alice')): None\n"
        "Draw 6 (EXEC): Fault(redis.exceptions.WatchError('Watched variable changed.'))\n"
        f"Draw 7 (DECRBY('balance:alice', 5)): Fault({CLOSED}, applied=True)\n"
        "Draw 8 (DECRBY('balance:alice', 5), every attempt fails): False\n"
        "Draw 9 (DECRBY('balance:alice', 5), attempt 2): None\n"
        "Draw 10 (INCRBY('balance:carol', 5)): None",
        "    session = RedisSession.from_faults([\n"
        "        None,  # WATCH('balance:alice')\n"
        "        None,  # GET('balance:alice')\n"
        "        None,  # EXEC\n"
        "        None,  # WATCH('balance:alice')\n"
        "        None,  # GET('balance:alice')\n"
        "        Fault(redis.exceptions.WatchError('Watched variable changed.')),  # EXEC\n"
        f"        Fault({CLOSED}, applied=True),  # DECRBY('balance:alice', 5)\n"
        "        None,  # DECRBY('balance:alice', 5), attempt 2\n"
        "        None,  # INCRBY('balance:carol', 5)\n"
        "    ])",
    ),
}


@pytest.mark.usefixtures("guide_modules")
@pytest.mark.parametrize("test", list(STORIES))
def test_each_planted_bug_shrinks_to_the_fewest_faults(test: str) -> None:
    message, draws, script = STORIES[test]
    failure, _ = run_planted(test)
    report = report_of(failure)
    body = fails_block(test).code.split(f"def {test}(session):\n", 1)[1].rstrip("\n")
    assert report == (
        f"AssertionError: {message}\n"
        f"Failing test case: {test}(\n"
        "    session=redis_session(model=True),\n"
        ")\n"
        f"{draws}\n"
        "# Keep it as a regression test of the property, which passes once the code is fixed:\n"
        "# from hypothesis import example; from tripwire_hypothesis import Fault, RedisSession\n"
        f"{as_example(script)}\n"
        "# The same example as a plain pytest test:\n"
        f"def {test}_example():\n"
        "    from tripwire_hypothesis import Fault, RedisSession\n"
        "\n"
        f"{script}\n"
        f"{body}"
    )


@pytest.mark.usefixtures("guide_modules")
@pytest.mark.parametrize("test", list(STORIES))
def test_the_printed_test_parses_and_fails_the_same_way_when_pasted(test: str) -> None:
    failure, namespace = run_planted(test)
    pasted = printed_test(report_of(failure))
    ast.parse(pasted)
    exec(compile(pasted, "pasted.py", "exec"), namespace)
    example = namespace[f"{test}_example"]
    verifier = tripwire.StrictVerifier()
    with tripwire.use_verifier(verifier), pytest.raises(AssertionError) as again:
        example()  # type: ignore[operator]
    assert type(again.value) is type(failure)
    assert str(again.value) == str(failure)


@pytest.mark.usefixtures("guide_modules")
@pytest.mark.parametrize("test", list(STORIES))
def test_the_guide_shows_the_real_report(test: str) -> None:
    failure, _ = run_planted(test)
    assert shown_report(test) == report_of(failure), (
        f"update the <!-- report: {test} --> block of {_helpers.DOCUMENT} to the real report"
    )


def as_example(script: str) -> str:
    """The printed test's session script, as the printed @example spells it."""
    lines = [line[4:] for line in script.split("\n")]
    head = "@example(session=" + lines[0].split(" = ", 1)[1]
    return "\n".join([head, *lines[1:-1], lines[-1] + ")"])


@pytest.mark.usefixtures("guide_modules")
@pytest.mark.parametrize("test", list(STORIES))
def test_the_printed_example_fails_on_the_bug_and_passes_once_it_is_fixed(test: str) -> None:
    failure, _ = run_planted(test)
    example = printed_example(report_of(failure))
    with pytest.raises(AssertionError) as again:
        run_example(test, example, fixed=False)
    assert (type(again.value), str(again.value)) == (type(failure), str(failure))
    run_example(test, example, fixed=True)
