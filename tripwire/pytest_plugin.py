"""The pytest entry point: a verifier per test, verified at teardown, and the guard.

Fixtures, markers and hooks only; the machinery lives in the core modules.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator

import pytest

from tripwire._config import Settings, allowed_by_marker, load_settings
from tripwire._context import _swap, release
from tripwire._errors import ConfigurationError
from tripwire._per_example import hypothesis_examples
from tripwire._plugin import registered_plugins
from tripwire._verifier import StrictVerifier

#: ``--tripwire-record`` and its marker, fixture and hooks.
pytest_plugins = ["tripwire.plugins._record_pytest"]

_CALL_PASSED = pytest.StashKey[bool]()
_SETTINGS = pytest.StashKey[Settings]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "allow(*plugins): let this test reach the real services of the named tripwire plugins "
        '(for example "redis") outside the sandbox.',
    )
    inipath = config.inipath
    pyproject = inipath if inipath and inipath.name == "pyproject.toml" else None
    try:
        config.stash[_SETTINGS] = load_settings(pyproject or config.rootpath / "pyproject.toml")
    except ConfigurationError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_PASSED] = report.passed
    return report


def _guard(request: pytest.FixtureRequest) -> list[Callable[[], None]]:
    """Refuse, for this test, real calls of every plugin the test does not allow.

    Returns the functions that lift each plugin's guard.
    """
    __tracebackhide__ = True
    allowed = request.config.stash[_SETTINGS].allow
    allowed |= allowed_by_marker(request.node.iter_markers("allow"))
    lifts = []
    try:
        for spec in registered_plugins():
            if spec.name not in allowed and spec.available():
                lifts.append(spec.load().guard())
    except BaseException:
        _lift(lifts)
        raise
    return lifts


def _lift(lifts: list[Callable[[], None]]) -> None:
    for lift in reversed(lifts):
        lift()


@pytest.fixture(autouse=True)
def _tripwire_per_test(request: pytest.FixtureRequest) -> Iterator[StrictVerifier]:
    __tracebackhide__ = True
    lifts = _guard(request)
    verifier = StrictVerifier()
    previous = _swap(verifier)
    try:
        yield verifier
    finally:
        release(verifier)
        _lift(lifts)
        _swap(previous)
    # Verify only a body that passed: a failing test already has its error, and a second one
    # derived from it would only hide it.
    if request.node.stash.get(_CALL_PASSED, False):
        verifier.verify_all()
        verifier.dispose()


@pytest.fixture
def tripwire_verifier(_tripwire_per_test: StrictVerifier) -> StrictVerifier:
    """The `StrictVerifier` of the current test, verified when the test ends."""
    return _tripwire_per_test


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    # Each example of a Hypothesis @given test gets a verifier of its own.
    with hypothesis_examples(item):
        return (yield)
