"""The guide docs/hypothesis.md shows the guide's own app.

Its reports are checked whole by the planted-bug tests (test_planted_bugs.py).
"""

from __future__ import annotations

import re
from pathlib import Path

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
