"""What ``tripwire_hypothesis`` exports, and what importing it costs."""

from __future__ import annotations

import subprocess
import sys

import tripwire_hypothesis
from tripwire_hypothesis import strategies


def test_all_lists_exactly_the_public_names() -> None:
    def ours(name: str) -> bool:
        value = getattr(tripwire_hypothesis, name)
        home = getattr(value, "__module__", None) or getattr(value, "__name__", "")
        return home.startswith(("tripwire", "tripwire_hypothesis"))

    public = {name for name in dir(tripwire_hypothesis) if not name.startswith("_")}
    assert sorted(tripwire_hypothesis.__all__) == sorted(filter(ours, public))
    assert set(strategies.__all__) < set(tripwire_hypothesis.__all__)


def test_the_package_re_exports_the_strategies_module() -> None:
    assert tripwire_hypothesis.strategies is strategies
    for name in strategies.__all__:
        assert getattr(tripwire_hypothesis, name) is getattr(strategies, name)


def test_importing_hypothesis_or_the_package_does_not_import_redis() -> None:
    # Hypothesis imports the package through its entry point whenever it is itself imported.
    code = (
        "import sys, hypothesis, tripwire_hypothesis\n"
        "from hypothesis import strategies as st\n"
        "assert 'redis' not in sys.modules, 'redis imported'\n"
        "hypothesis.find(st.from_type(tripwire_hypothesis.RedisSession), lambda s: True)\n"
        "assert 'redis' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
