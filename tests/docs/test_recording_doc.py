"""The Redis guide's "Recording a real session" shows a real recording, and its pasted test.

The guide's test-before-recording is recorded here with ``--tripwire-record=new`` (against the
``redis-server`` the recording starts); what the terminal prints must be the guide's ``text``
block, line for line, and the guide's pasted test must hold those lines around its
``with tripwire:`` block (tests/docs/test_doc_examples.py runs that test).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import redis

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "redis.md"

pytestmark = [
    pytest.mark.filterwarnings("default"),
    # The guide shows what current redis-py sends: before 7.1, Lock sent SET's options in
    # another order.
    pytest.mark.skipif(
        tuple(map(int, redis.__version__.split(".")[:2])) < (7, 1),
        reason="the guide's recording shows redis-py 7.1+ behaviour",
    ),
]


def section_blocks() -> list[str]:
    text = GUIDE.read_text()
    section = text.split("## Recording a real session\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```\w+\n(.*?)^```$", section, flags=re.M | re.S)


def test_the_guides_recording_is_what_the_recorder_prints(pytester: pytest.Pytester) -> None:
    before, printed, pasted = section_blocks()[:3]
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_jobs=before)
    result = pytester.runpytest(
        "-p", "no:randomly", "-p", "no:cacheprovider", "--tripwire-record=new", "test_jobs.py"
    )
    result.assert_outcomes(passed=1)
    shown = printed.splitlines()
    start = shown.index("test_jobs.py::test_a_lock")
    lines = result.outlines
    first = lines.index("test_jobs.py::test_a_lock")
    assert lines[first : first + len(shown) - start] == shown[start:]
    assert shown[start - 1] in lines  # the section's title
    recorded = [line.strip() for line in shown[start:] if line.startswith("    tripwire.")]
    # The guide's code is formatted (ruff): compare the statements, not their layout.
    mocks = [dump(line) for line in recorded if ".mock_command(" in line]
    asserts = [dump(line) for line in recorded if ".assert_command(" in line]
    function = ast.parse(pasted).body[-1]
    assert isinstance(function, ast.FunctionDef)
    statements = [ast.dump(statement) for statement in function.body]
    block = next(i for i, node in enumerate(function.body) if isinstance(node, ast.With))
    assert statements[:block] == mocks
    assert statements[block + 1 :] == asserts


def dump(line: str) -> str:
    return ast.dump(ast.parse(line).body[0])


def test_the_guides_verify_example_reports_what_the_guide_shows(pytester: pytest.Pytester) -> None:
    test, shown = section_blocks()[3:5]
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_claims=test)
    # Without a server the test passes: the wrong mock goes unnoticed.
    pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider").assert_outcomes(passed=1)
    result = pytester.runpytest(
        "-p", "no:randomly", "-p", "no:cacheprovider", "--tripwire-record=verify", "test_claims.py"
    )
    result.assert_outcomes(failed=1)
    lines = shown.splitlines()
    failed = next(line for line in lines if line.startswith("FAILED"))
    result.stdout.fnmatch_lines([failed.replace("[", "[[]").replace("...", "*")])
    title = next(i for i, line in enumerate(lines) if "tripwire: mocks verified" in line)
    first = result.outlines.index(lines[title])
    assert result.outlines[first : first + len(lines) - title] == lines[title:]
