"""Shared fixtures for tripwire's own tests."""

from __future__ import annotations

from collections.abc import Iterator

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
