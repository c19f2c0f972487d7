"""The pytest entry point: a verifier per test, made on first use, verified at teardown; the guard.

Hooks, a fixture and a marker only; the machinery lives in the core modules. A test that never
uses tripwire costs a few attribute assignments: its verifier is made, and (by default) its
guard installed, only when it first registers a mock, opens a sandbox or asks for the fixture.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import types
from collections.abc import Callable, Generator
from typing import Any

import pytest

from tripwire import _context
from tripwire._config import (
    GUARD_ALL,
    GUARD_OFF,
    INI_NAMES,
    KEYS,
    Settings,
    allowed_by_marker,
    load_settings,
)
from tripwire._context import Saved, Scope, begin, end
from tripwire._errors import ConfigurationError
from tripwire._per_example import wrap_examples
from tripwire._plugin import PluginSpec, registered_plugins
from tripwire._verifier import StrictVerifier

_SETTINGS = pytest.StashKey[Settings]()


class _Test:
    """One test's tripwire state, from its setup to the end of its teardown."""

    __slots__ = ("allowed", "item", "lifts", "passed", "saved", "scope")

    def __init__(self, item: pytest.Item, guard: str, allowed: frozenset[str]) -> None:
        self.item = item
        self.allowed = allowed
        #: The functions that lift each plugin's guard, once installed.
        self.lifts: list[Callable[[], None]] = []
        #: Whether the test's body returned normally: only then is the verifier checked.
        self.passed = False
        self.scope = Scope(None if guard == GUARD_OFF else self.guard)
        self.saved: Saved = begin(self.scope)

    def guard(self) -> None:
        """Refuse, from now to the test's end, real calls of every plugin not allowed."""
        __tracebackhide__ = True
        for spec in registered_plugins():
            if spec.name in self.allowed or not spec.available():
                continue
            if spec.requires in sys.modules:
                self.lifts.append(spec.load().guard())
            else:
                # Nothing can call a library that is not imported: guard it if the test imports
                # it, rather than import it for every test (redis takes ~100 ms to import).
                self.lifts.append(_GuardOnImport(spec, self.lifts).remove)

    def suspend(self) -> bool:
        """Lift the guards while a fixture shared between tests runs; whether there were any."""
        lifts, self.lifts = self.lifts, []
        for lift in reversed(lifts):
            lift()
        return bool(lifts)

    def finish(self) -> StrictVerifier | None:
        """Close the test's sandboxes, lift its guards; its verifier if it is to be checked."""
        try:
            end(self.scope, self.saved)
        finally:
            for lift in reversed(self.lifts):
                lift()
        return self.scope.verifier if self.passed else None


_TEST = pytest.StashKey[_Test]()


class _GuardOnImport(importlib.abc.MetaPathFinder):
    """Installs a plugin's guard once its library is imported, until `remove` is called."""

    def __init__(self, spec: PluginSpec, lifts: list[Callable[[], None]]) -> None:
        self.spec = spec
        self.lifts = lifts
        sys.meta_path.insert(0, self)

    def remove(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)

    def find_spec(self, name: str, path: object = None, target: object = None) -> Any:
        if name != self.spec.requires:
            return None
        self.remove()
        found = importlib.util.find_spec(name)
        loader = getattr(found, "loader", None)
        if loader is None:
            return found
        execute = loader.exec_module

        def exec_module(module: types.ModuleType) -> None:
            del loader.exec_module  # the loader's own method again
            execute(module)
            self.lifts.append(self.spec.load().guard())

        loader.exec_module = exec_module
        return found


def pytest_addoption(parser: pytest.Parser) -> None:
    for key, (name, kind) in INI_NAMES.items():
        parser.addini(name, f"tripwire: {KEYS[key]} (or [tool.tripwire] {key})", type=kind)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "allow(*plugins): let this test reach the real services of the named tripwire plugins "
        '(for example "redis") outside the sandbox.',
    )
    inipath = config.inipath
    pyproject = inipath if inipath and inipath.name == "pyproject.toml" else None
    ini = {name: config.getini(name) for name, _ in INI_NAMES.values()}
    try:
        config.stash[_SETTINGS] = load_settings(
            pyproject or config.rootpath / "pyproject.toml", ini
        )
    except ConfigurationError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    __tracebackhide__ = True
    settings = item.config.stash[_SETTINGS]
    allowed = settings.allow | allowed_by_marker(item.iter_markers("allow"))
    test = item.stash[_TEST] = _Test(item, settings.guard, allowed)
    _running[:] = [test]
    if settings.guard == GUARD_ALL:
        test.scope.use()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    if fixturedef.scope == "function":
        return (yield)
    # A fixture shared between tests runs outside any one test: while it sets up, and while it
    # tears down, asking for the test's verifier names its scope instead of making one.
    outside = _Outside(fixturedef.scope)
    fixturedef.addfinalizer(outside.leave)  # runs after the fixture's own teardown
    outside.enter()
    try:
        result = yield
    finally:
        outside.leave()
    fixturedef.addfinalizer(outside.enter)  # runs before it
    return result


class _Outside:
    """A fixture shared between tests, while it runs: no test's verifier, and no test's guard.

    Like the test's own `@pytest.mark.allow`, the guard is a test's: a session-scoped fixture
    may reach the real server it prepares.
    """

    __slots__ = ("guarded", "saved", "scope")

    def __init__(self, scope: str) -> None:
        self.scope = Scope(outside=scope)
        self.saved: Saved | None = None
        self.guarded: _Test | None = None

    def enter(self) -> None:
        test = _running[-1] if _running else None
        if test is not None and test.suspend():
            self.guarded = test
        self.saved = begin(self.scope)

    def leave(self) -> None:
        saved, self.saved = self.saved, None
        if saved is not None:
            end(self.scope, saved)
        test, self.guarded = self.guarded, None
        if test is not None:
            test.guard()


#: The test being set up, run or torn down (a list, so that no hook needs ``global``).
_running: list[_Test] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    # Each example of a Hypothesis @given test gets a verifier of its own.
    unwrap = wrap_examples(item)
    try:
        result = yield
    finally:
        if unwrap is not None:
            unwrap()
    test = item.stash.get(_TEST, None)
    if test is not None:
        test.passed = True
    return result


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, None, None]:
    __tracebackhide__ = True
    # After the fixtures' teardown, which may still use the test's verifier.
    try:
        result = yield
    finally:
        test = item.stash.get(_TEST, None)
        verifier = None
        if test is not None:
            del item.stash[_TEST]
            _running.clear()
            verifier = test.finish()
    # Verify only a body that passed: a failing test already has its error, and a second one
    # derived from it would only hide it.
    if verifier is not None:
        verifier.verify_all()
        verifier.dispose()
    return result


@pytest.fixture
def tripwire_verifier() -> StrictVerifier:
    """The `StrictVerifier` of the current test, verified when the test ends."""
    return _context._verifier_for("the tripwire_verifier fixture")
