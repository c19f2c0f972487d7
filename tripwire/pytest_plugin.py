"""The pytest entry point: a verifier per test, made on first use, verified at teardown; the guard.

Hooks, a fixture and a marker only; the machinery lives in the core modules. A test that never
uses tripwire costs a few attribute assignments: its verifier is made, and (by default) its
guard installed, only when it first registers a mock, opens a sandbox or asks for the fixture.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from tripwire import _context
from tripwire._config import (
    GUARD_ALL,
    INI_NAMES,
    KEYS,
    Settings,
    active,
    allowed_by_marker,
    load_settings,
    use,
)
from tripwire._errors import ConfigurationError
from tripwire._per_example import wrap_examples
from tripwire._running import RunningTest, SharedFixture, running
from tripwire._verifier import StrictVerifier

#: ``--tripwire-record`` and its marker, fixture and hooks.
pytest_plugins = ["tripwire.plugins.recording.pytest_hooks"]

_SETTINGS = pytest.StashKey[Settings]()
_TEST = pytest.StashKey[RunningTest]()
_OUTER_SETTINGS = pytest.StashKey[Settings]()


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
        settings = load_settings(pyproject or config.rootpath / "pyproject.toml", ini)
    except ConfigurationError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_SETTINGS] = settings
    # A run inside a run (pytester) puts the outer run's settings back when it ends.
    config.stash[_OUTER_SETTINGS] = active()
    use(settings)


def pytest_unconfigure(config: pytest.Config) -> None:
    outer = config.stash.get(_OUTER_SETTINGS, None)
    if outer is not None:
        use(outer)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    __tracebackhide__ = True
    settings = item.config.stash[_SETTINGS]
    allowed = settings.allow | allowed_by_marker(item.iter_markers("allow"))
    test = item.stash[_TEST] = RunningTest(settings.guard, allowed)
    running.append(test)
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
    outside = SharedFixture(fixturedef.scope)
    fixturedef.addfinalizer(outside.leave)  # runs after the fixture's own teardown
    outside.enter()
    try:
        result = yield
    finally:
        outside.leave()
    fixturedef.addfinalizer(outside.enter)  # runs before it
    return result


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
            # Only this test: a pytest run inside it (pytester) pushes and pops its own tests.
            if test in running:
                running.remove(test)
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
