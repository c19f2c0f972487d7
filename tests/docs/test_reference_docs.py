"""The install instructions and the configuration reference say what the project really has.

The package index's ``python-tripwire`` is an older, different project (a deprecated name of
pytest-tripwire): an install line naming it alone installs that project. The extras tables list
the extras of ``pyproject.toml``, and the configuration reference every option, ini key and
environment variable tripwire reads.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
SOURCES = sorted(
    path
    for package in ("tripwire", "tripwire_hypothesis")
    for path in (ROOT / package).rglob("*.py")
)
#: ``pip install "python-tripwire[redis]"``: the index's name, with no URL or path after it.
INDEX_INSTALL = re.compile(r"pip install ['\"]?python-tripwire(\[[^\]]*\])?['\"]?(?!\S*\s*@)")
#: The sentences that say so, quoting the line that installs the other project.
WARNINGS = ("older, different project", "installs that one")
#: Extras for working on the project itself, not for its users.
OWN_EXTRAS = {"docs", "bench", "dev"}


def test_no_install_line_names_the_index_package_alone() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in [*DOCUMENTS, *SOURCES]
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if INDEX_INSTALL.search(line) and not any(warning in line for warning in WARNINGS)
    ]
    assert found == []


def test_the_wheel_the_readme_installs_is_the_one_pip_wheel_builds() -> None:
    version = PYPROJECT["project"]["version"]
    wheels = set(re.findall(r"python_tripwire-[^\s\"']+\.whl", (ROOT / "README.md").read_text()))
    assert wheels == {f"python_tripwire-{version}-py3-none-any.whl"}


@pytest.mark.parametrize("document", ["README.md", "docs/getting-started.md"])
def test_the_extras_tables_list_every_extra_a_user_installs(document: str) -> None:
    extras = set(PYPROJECT["project"]["optional-dependencies"]) - OWN_EXTRAS
    text = (ROOT / document).read_text()
    listed = set(re.findall(r"^\| `([a-z]+)` \|", text, flags=re.MULTILINE))
    assert listed == extras
    everything = PYPROJECT["project"]["optional-dependencies"]["all"]
    assert everything == ["python-tripwire[redis,matchers,record,hypothesis,model]"]
    assert "| `all` | `redis`, `matchers`, `record`, `hypothesis` and `model` |" in text


def test_the_model_extra_brings_lua() -> None:
    assert "fakeredis[lua]>=2.20" in PYPROJECT["project"]["optional-dependencies"]["model"]


def test_the_configuration_reference_names_every_option_and_ini_key(
    pytester: pytest.Pytester,
) -> None:
    shown = pytester.runpytest_subprocess("--help").stdout.str()
    options = set(re.findall(r"(--tripwire-[a-z-]+)", shown))
    ini_keys = set(re.findall(r"^  (tripwire_[a-z_]+) \(", shown, flags=re.MULTILINE))
    assert "--tripwire-record" in options
    assert {"tripwire_guard", "tripwire_allow"} <= ini_keys
    reference = (ROOT / "docs" / "configuration.md").read_text()
    undocumented = {name for name in options | ini_keys if f"`{name}" not in reference}
    assert undocumented == set(), "add these to docs/configuration.md"


def test_the_configuration_reference_names_every_environment_variable() -> None:
    variables = {
        name
        for path in SOURCES
        for name in re.findall(r"environ(?:\.get)?\(\s*[\"'](\w+)", path.read_text())
    }
    assert variables == {"TRIPWIRE_REDIS_SERVER", "PYTEST_ADDOPTS"}
    reference = (ROOT / "docs" / "configuration.md").read_text()
    assert all(f"`{name}`" in reference for name in variables)
