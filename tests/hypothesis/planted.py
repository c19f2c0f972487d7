"""The planted-bug tests' helpers: the guide's blocks, run as pytest would run them.

docs/hypothesis.md holds `module` blocks (the guide's app), `fails` blocks (a buggy module and the
property test of the correct one) and `report` blocks (what the failure prints). The planted-bug
tests (test_planted_bugs.py, test_planted_model_bugs.py) and benchmarks/report_time.py run them
through these helpers; the `check_*` functions are the checks both test files make of each bug.
"""

from __future__ import annotations

import ast
import linecache
import re
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

import tripwire
from tripwire_hypothesis import per_example_verifier

ROOT = Path(__file__).parents[2]
DOCUMENT = "docs/hypothesis.md"
GUIDE = (ROOT / DOCUMENT).read_text(encoding="utf-8")

# Deterministic, within 200 examples, and without the explain phase, whose "Explanation" lists
# absolute paths of this machine.
PLANTED = {
    "database": None,
    "derandomize": True,
    "deadline": None,
    "max_examples": 200,
    "phases": [Phase.explicit, Phase.generate, Phase.shrink],
    "suppress_health_check": [HealthCheck.too_slow],
}


def planted(test: object) -> object:
    """``test`` with `PLANTED` over the settings it has (the guide's own, if any)."""
    own = test._hypothesis_internal_use_settings  # type: ignore[attr-defined]
    # Hypothesis refuses a second @settings on a test; these are the guide's, kept underneath.
    vars(test).pop("_hypothesis_internal_settings_applied", None)
    return settings(own, **PLANTED)(test)  # type: ignore[arg-type]


BLOCK = re.compile(
    r"^(?:<!-- (?P<kind>module|fails|report): (?P<value>[^>]*?) -->\n)?"
    r"```(?P<language>\w*)\n(?P<code>.*?)^```$",
    flags=re.MULTILINE | re.DOTALL,
)


@dataclass
class Block:
    kind: str
    value: str
    language: str
    code: str
    #: The line of the document the code starts on.
    line: int


def blocks() -> Iterator[Block]:
    for match in BLOCK.finditer(GUIDE):
        line = GUIDE.count("\n", 0, match.start("code")) + 1
        yield Block(
            match["kind"] or "", match["value"] or "", match["language"], match["code"], line
        )


def compiled(block: Block) -> types.CodeType:
    # At the block's own lines, so that the page is the source tracebacks and reports read.
    return compile("\n" * (block.line - 1) + block.code, DOCUMENT, "exec", dont_inherit=True)


def fails_block(test: str) -> Block:
    (block,) = (b for b in blocks() if b.kind == "fails" and f"def {test}(" in b.code)
    return block


def shown_report(test: str) -> str:
    (block,) = (b for b in blocks() if b.kind == "report" and b.value == test)
    return block.code.rstrip("\n")


@pytest.fixture
def guide_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guide's `module` blocks, importable as the fails blocks import them."""
    lines = [f"{line}\n" for line in GUIDE.splitlines()]
    monkeypatch.setitem(linecache.cache, DOCUMENT, (len(GUIDE), None, lines, DOCUMENT))
    for block in blocks():
        if block.kind == "module":
            module = types.ModuleType(block.value)
            monkeypatch.setitem(sys.modules, block.value, module)
            exec(compiled(block), module.__dict__)


def run_planted(test: str) -> tuple[AssertionError, dict[str, object]]:
    """Run the guide's failing property ``test``; return its failure and the block's namespace."""
    namespace: dict[str, object] = {"__name__": "docs_example"}
    exec(compiled(fails_block(test)), namespace)
    prop = namespace[test]
    handle = prop.hypothesis  # type: ignore[attr-defined]
    handle.inner_test = per_example_verifier(handle.inner_test)
    with tripwire.use_verifier(tripwire.StrictVerifier()), pytest.raises(AssertionError) as failed:
        planted(prop)()  # type: ignore[operator]
    return failed.value, namespace


def report_of(failure: BaseException) -> str:
    return "\n".join([f"{type(failure).__name__}: {failure}", *failure.__notes__])


def printed_test(report: str) -> str:
    return report.split("# The same example as a plain pytest test:\n", 1)[1]


def check_story(test: str, story: tuple[str, str, str], session: str, imports: str) -> None:
    """The report of ``test``: its ``story`` (the message, the Draw lines, the printed session's
    script) around the ``session`` it drew, with the ``imports`` of the printed test."""
    message, draws, script = story
    failure, _ = run_planted(test)
    body = fails_block(test).code.split(f"def {test}(session):\n", 1)[1].rstrip("\n")
    assert report_of(failure) == (
        f"AssertionError: {message}\n"
        f"Failing test case: {test}(\n"
        f"    session={session},\n"
        ")\n"
        f"{draws}\n"
        "# The same example as a plain pytest test:\n"
        f"def {test}_example():\n"
        f"    {imports}\n"
        "\n"
        f"{script}\n"
        f"{body}"
    )


def check_pasted(test: str) -> None:
    """The test the report of ``test`` prints parses, and fails the same way when run as pasted."""
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


def check_shown(test: str) -> None:
    """The guide shows the report ``test`` really gives."""
    failure, _ = run_planted(test)
    assert shown_report(test) == report_of(failure), (
        f"update the <!-- report: {test} --> block of {DOCUMENT} to the real report"
    )
