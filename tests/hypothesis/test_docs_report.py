"""The guide docs/hypothesis.md: its app is the example app, and its full report is real.

``tests/docs`` runs every example of the page and compares the start of the failure it shows;
Hypothesis' explain phase adds notes to the rest on some runs only (not on a rerun from the
example database, nor under coverage), so the whole report is compared here with those left out.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest
from hypothesis import settings
from redis.exceptions import ConnectionError as RedisConnectionError

import tripwire
from tripwire_hypothesis import per_example_verifier

ROOT = Path(__file__).parents[2]
GUIDE = (ROOT / "docs" / "hypothesis.md").read_text(encoding="utf-8")
APP = (ROOT / "examples" / "redis_cache" / "app.py").read_text(encoding="utf-8")

#: What the explain phase adds: a comment line under the heading, and the lines it traced.
EXPLAINED = re.compile(
    r"\n    # The test always failed when commented parts were varied together\."
    r"|\nExplanation:\n.*",
    flags=re.DOTALL,
)


def block_after(marker: str) -> str:
    return GUIDE.split(marker, 1)[1].split("```", 2)[1].split("\n", 1)[1]


def test_the_guide_s_app_is_the_example_app() -> None:
    assert block_after("<!-- module: app -->") == APP.replace(
        '"""Simple Redis-backed cache."""\n\n', ""
    )


def test_the_full_report_in_the_guide_is_real(monkeypatch: pytest.MonkeyPatch) -> None:
    app = types.ModuleType("app")
    exec(compile(APP, "app.py", "exec"), app.__dict__)
    monkeypatch.setitem(sys.modules, "app", app)
    namespace: dict[str, object] = {"__name__": "docs_example"}
    code = block_after("<!-- fails: redis.exceptions.ConnectionError -->")
    # At the block's own lines, so that the page is the source Hypothesis and tracebacks read.
    padding = "\n" * GUIDE[: GUIDE.index(code)].count("\n")
    exec(compile(padding + code, "docs/hypothesis.md", "exec"), namespace)
    test = namespace["test_get_user_survives_an_outage"]
    handle = test.hypothesis  # type: ignore[attr-defined]
    handle.inner_test = per_example_verifier(handle.inner_test)
    with (
        tripwire.use_verifier(tripwire.StrictVerifier()),
        pytest.raises(RedisConnectionError) as failure,
    ):
        settings(database=None)(test)()  # type: ignore[operator]
    assert EXPLAINED.sub("", failure.exconly()) == block_after("the whole report reads").rstrip()
