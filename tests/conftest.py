"""Shared fixtures for tripwire's own tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tripwire import StrictVerifier, use_verifier


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
