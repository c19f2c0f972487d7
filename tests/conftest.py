"""Shared fixtures for tripwire's own tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import settings

from tripwire import StrictVerifier, use_verifier

# Tests compare Hypothesis' failure reports word for word. Under CI=true Hypothesis loads its
# "ci" profile, which adds a @reproduce_failure blob to every report: keep that profile's other
# settings, without the blob.
settings.register_profile("tripwire-tests", parent=settings.default, print_blob=False)
settings.load_profile("tripwire-tests")


@pytest.fixture
def verifier() -> Iterator[StrictVerifier]:
    """A verifier of the test's own, made current, for tests that inspect errors directly.

    The test's automatic verifier is set aside meanwhile, so deliberately provoked errors
    (unmocked calls, mismatches) are not reported again at teardown.
    """
    own = StrictVerifier()
    with use_verifier(own):
        yield own
    own.close_all()


@pytest.fixture
def line_of(request: pytest.FixtureRequest) -> Callable[[str], int]:
    """The number of the first line of the test's own file that contains ``marker``.

    Lines that call ``line_of(`` are skipped, so a marker can be a comment on the line under test.
    """

    def find(marker: str) -> int:
        with open(request.path) as source:
            for number, text in enumerate(source, start=1):
                if marker in text and "line_of(" not in text:
                    return number
        raise AssertionError(f"no line of {request.path} contains {marker!r}")

    return find
