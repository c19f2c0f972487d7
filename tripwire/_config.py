"""tripwire's settings, and the ``allow`` marker: every way to configure it, in one place.

Settings come from ``[tool.tripwire]`` in ``pyproject.toml`` or, under the names of `INI_NAMES`,
from pytest's own ini options (``[pytest]`` in ``pytest.ini``, ``setup.cfg``, ``tox.ini``,
``[tool.pytest.ini_options]``, or ``-o tripwire_guard=all``). A setting given in both is an error.

- ``guard``: where a real Redis call outside the sandbox is refused. ``"used"`` (the default):
  in the tests that use tripwire, from their first use on (a mock registered, a sandbox opened,
  the ``tripwire_verifier`` fixture). ``"all"``: in every test. ``false``: never.
- ``allow = ["redis"]``: no test refuses the named plugins' real services.
- ``reply_check``: what happens when a mock answers a call with a reply the calling client could
  never get from redis-py. ``"warn"`` (the default): a `WrongReplyWarning` when the sandbox
  closes. ``"error"``: `InvalidArgumentError` then. ``false``: no check.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tripwire._errors import ConfigurationError, safe_repr
from tripwire._plugin import registered_plugins

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "GUARD_ALL",
    "GUARD_OFF",
    "GUARD_USED",
    "INI_NAMES",
    "KEYS",
    "REPLY_CHECK_ERROR",
    "REPLY_CHECK_OFF",
    "REPLY_CHECK_WARN",
    "Settings",
    "active",
    "allowed_by_marker",
    "load_settings",
    "use",
]

#: Each accepted key of [tool.tripwire], with what it means.
KEYS = {
    "allow": "plugins whose real service every test may reach outside the sandbox",
    "guard": 'which tests refuse real calls outside the sandbox: "used" by default, "all" or false',
    "reply_check": (
        'what a reply the client could never get does: "warn" by default, "error" or false'
    ),
}
#: The pytest ini option of each key, and its type for pytest's ``addini``.
INI_NAMES: dict[str, tuple[str, Literal["string", "args"]]] = {
    "guard": ("tripwire_guard", "string"),
    "allow": ("tripwire_allow", "args"),
    "reply_check": ("tripwire_reply_check", "string"),
}

GUARD_USED = "used"
GUARD_ALL = "all"
GUARD_OFF = "off"
#: Accepted spellings of ``guard``: TOML's ``false``, or the string an ini file gives.
_GUARDS: dict[Any, str] = {"used": GUARD_USED, "all": GUARD_ALL, False: GUARD_OFF}
_INI_GUARDS = {"used": GUARD_USED, "all": GUARD_ALL, "false": GUARD_OFF}

REPLY_CHECK_WARN = "warn"
REPLY_CHECK_ERROR = "error"
REPLY_CHECK_OFF = "off"
#: Accepted spellings of ``reply_check``, in TOML and in an ini file.
_REPLY_CHECKS: dict[Any, str] = {
    "warn": REPLY_CHECK_WARN,
    "error": REPLY_CHECK_ERROR,
    False: REPLY_CHECK_OFF,
}
_INI_REPLY_CHECKS = {"warn": REPLY_CHECK_WARN, "error": REPLY_CHECK_ERROR, "false": REPLY_CHECK_OFF}


@dataclass(frozen=True)
class Settings:
    """tripwire's settings for one test run."""

    allow: frozenset[str] = frozenset()
    guard: str = GUARD_USED
    reply_check: str = REPLY_CHECK_WARN


#: The settings of the test run under way (the defaults outside pytest).
_active = Settings()


def active() -> Settings:
    """The settings of the test run under way."""
    return _active


def use(settings: Settings) -> None:
    """Make ``settings`` those of the test run under way (the pytest plugin's configure)."""
    global _active
    _active = settings


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


def _table(pyproject: Path | None) -> dict[str, Any]:
    if pyproject is None or not pyproject.is_file():
        return {}
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
    return table


def load_settings(pyproject: Path | None, ini: Mapping[str, Any] | None = None) -> Settings:
    """The settings in ``pyproject``'s ``[tool.tripwire]`` and in ``ini``, checked.

    ``ini`` maps each ini option name of `INI_NAMES` to its value; an empty value is unset.
    """
    table = _table(pyproject)
    ini = ini or {}
    values: dict[str, tuple[str, Any]] = {}
    for key in INI_NAMES:
        if key in table:
            values[key] = (f"[tool.tripwire] {key} in {pyproject}", table[key])
        ini_name = INI_NAMES[key][0]
        if ini.get(ini_name):
            if key in values:
                raise ConfigurationError(
                    f"tripwire's {key!r} is set both in [tool.tripwire] in {pyproject} and in "
                    f"the pytest ini option {ini_name}; keep one of them"
                )
            values[key] = (f"the pytest ini option {ini_name}", ini[ini_name])
    settings = Settings()
    if "allow" in values:
        where, allow = values["allow"]
        if not isinstance(allow, list):
            raise ConfigurationError(
                f'{where} must be a list of plugin names such as ["redis"]; got {safe_repr(allow)}'
            )
        settings = Settings(allow=_check_names(where, allow))
    if "guard" in values:
        where, guard = values["guard"]
        accepted = _INI_GUARDS if where.startswith("the pytest") else _GUARDS
        if type(guard) not in (str, bool) or guard not in accepted:
            spelled = ", ".join("false" if value is False else repr(value) for value in accepted)
            raise ConfigurationError(f"{where} must be one of {spelled}; got {safe_repr(guard)}")
        settings = Settings(allow=settings.allow, guard=accepted[guard])
    if "reply_check" in values:
        where, check = values["reply_check"]
        accepted = _INI_REPLY_CHECKS if where.startswith("the pytest") else _REPLY_CHECKS
        if type(check) not in (str, bool) or check not in accepted:
            spelled = ", ".join("false" if value is False else repr(value) for value in accepted)
            raise ConfigurationError(f"{where} must be one of {spelled}; got {safe_repr(check)}")
        settings = Settings(allow=settings.allow, guard=settings.guard, reply_check=accepted[check])
    return settings


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
