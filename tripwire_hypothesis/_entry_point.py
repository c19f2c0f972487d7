"""Hypothesis' ``hypothesis`` entry point: makes ``st.from_type(RedisSession)`` work.

Hypothesis runs the hook whenever it is imported, in every project that has python-tripwire
installed. Importing the session module registers the strategy; it imports neither the
strategies nor redis-py, which load when a session is first asked for.
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["_hypothesis_setup_hook"]


def _hypothesis_setup_hook() -> None:
    # If this package is what is importing Hypothesis, it is half-initialised here; its
    # __init__ imports the session module, which registers the strategy, once this hook returns.
    if "tripwire_hypothesis" not in sys.modules:
        importlib.import_module("tripwire_hypothesis._session")
