"""The pytest entry point: a verifier per test, verified at teardown.

Fixtures, markers and hooks only; the machinery lives in the core modules.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest

from tripwire._context import _swap, release
from tripwire._verifier import StrictVerifier

_CALL_PASSED = pytest.StashKey[bool]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "allow(*plugins): let this test reach the real services of the named tripwire plugins "
        '(for example "redis") outside the sandbox.',
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_PASSED] = report.passed
    return report


@pytest.fixture(autouse=True)
def _tripwire_per_test(request: pytest.FixtureRequest) -> Iterator[StrictVerifier]:
    verifier = StrictVerifier()
    previous = _swap(verifier)
    try:
        yield verifier
    finally:
        release(verifier)
        _swap(previous)
    # Verify only a body that passed: a failing test already has its error, and a second one
    # derived from it would only hide it.
    if request.node.stash.get(_CALL_PASSED, False):
        verifier.verify_all()


@pytest.fixture
def tripwire_verifier(_tripwire_per_test: StrictVerifier) -> StrictVerifier:
    """The `StrictVerifier` of the current test, verified when the test ends."""
    return _tripwire_per_test
