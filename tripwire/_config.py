"""Project settings from ``[tool.tripwire]`` in ``pyproject.toml``, and the ``allow`` marker.

``allow = ["redis"]`` in that table lets every test reach the real Redis outside the sandbox.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tripwire._errors import ConfigurationError, safe_repr
from tripwire._plugin import registered_plugins

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["Settings", "allowed_by_marker", "load_settings"]

#: Each accepted key of [tool.tripwire], with what it means.
KEYS = {"allow": "plugins whose real service every test may reach outside the sandbox"}


@dataclass(frozen=True)
class Settings:
    """tripwire's settings for one test run."""

    allow: frozenset[str] = frozenset()


def _plugin_names() -> list[str]:
    return sorted(spec.name for spec in registered_plugins())


def _check_names(where: str, names: Iterable[Any]) -> frozenset[str]:
    __tracebackhide__ = True
    known = _plugin_names()
    checked = []
    for name in names:
        if name not in known:
            raise ConfigurationError(
                f"{where} accepts the plugin names {', '.join(map(repr, known))}; "
                f"got {safe_repr(name)}"
            )
        checked.append(name)
    return frozenset(checked)


def load_settings(pyproject: Path | None) -> Settings:
    """The ``[tool.tripwire]`` table of ``pyproject``, checked; defaults when there is none."""
    if pyproject is None or not pyproject.is_file():
        return Settings()
    with pyproject.open("rb") as file:
        try:
            table = tomllib.load(file).get("tool", {}).get("tripwire", {})
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"{pyproject} is not valid TOML: {exc}") from None
    if not isinstance(table, dict):
        raise ConfigurationError(f"[tool.tripwire] in {pyproject} must be a table")
    for key in table:
        if key not in KEYS:
            accepted = ", ".join(f"{name!r} ({meaning})" for name, meaning in KEYS.items())
            raise ConfigurationError(
                f"[tool.tripwire] in {pyproject} has an unknown key {key!r}; "
                f"the accepted keys are: {accepted}"
            )
    allow = table.get("allow", [])
    if not isinstance(allow, list):
        raise ConfigurationError(
            f"[tool.tripwire] allow in {pyproject} must be a list of plugin names such as "
            f'["redis"]; got {safe_repr(allow)}'
        )
    return Settings(allow=_check_names(f"[tool.tripwire] allow in {pyproject}", allow))


def allowed_by_marker(markers: Iterable[Any]) -> frozenset[str]:
    """The plugin names of every ``@pytest.mark.allow(...)`` on a test, checked."""
    __tracebackhide__ = True
    names: set[str] = set()
    for marker in markers:
        if not marker.args or marker.kwargs:
            raise ConfigurationError(
                "@pytest.mark.allow() takes the names of the plugins to allow, such as "
                f'@pytest.mark.allow("redis"); got args={safe_repr(marker.args)}, '
                f"kwargs={safe_repr(marker.kwargs)}"
            )
        names |= _check_names("@pytest.mark.allow()", marker.args)
    return frozenset(names)
