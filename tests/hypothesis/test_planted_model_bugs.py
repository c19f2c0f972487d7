"""Planted bugs of the model examples of docs/hypothesis.md ("Stateful answers").

As tests/hypothesis/test_planted_bugs.py does for the call-time examples (whose helpers run the
guide's blocks here too), each `fails` block of a ``redis_session(model=True)`` property must,
within 200 examples and deterministically:

- fail with the message the property gives for that bug;
- shrink to the fewest faults, asserted exactly below as Hypothesis' `Draw` lines and as the
  ``RedisSession.from_faults([...])`` script of the printed test;
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
    assert spec is not None and spec.loader is not None
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

#: Each planted bug: the property's message, the Draw lines, and the session of the printed test.
STORIES: dict[str, tuple[str, str, str]] = {}


@pytest.mark.usefixtures("guide_modules")
@pytest.mark.parametrize("test", ["test_no_job_is_lost", "test_transfer_keeps_the_total"])
def test_show(test: str) -> None:
    failure, _ = run_planted(test)
    Path(f"/tmp/i15/{test}.txt").write_text(report_of(failure))
