"""The configuration of the clients the tests make: ``TRIPWIRE_TEST_CLIENT`` (see conftest.py),
for the expectations that depend on it (a session's answer is what the calling client makes)."""

from __future__ import annotations

import os

#: ``"protocol=3"``, ``"legacy_responses=False"``, or ``""`` for redis-py's default.
CONFIGURATION = os.environ.get("TRIPWIRE_TEST_CLIENT", "")


def pair(*items: object) -> object:
    """A reply of two or three parts (``BLPOP``, ``BZPOPMIN``) as this configuration's client
    returns it: a tuple by default, a list with RESP3's or the unified callbacks."""
    return list(items) if CONFIGURATION else items
