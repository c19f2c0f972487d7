"""``st.from_type(RedisSession)`` draws ``redis_session()``: the registration, and its entry point.

Hypothesis runs the ``hypothesis`` entry point hook whenever it is imported, in every project that
has python-tripwire installed. Loading the hook imports this package, whose ``__init__`` calls
`register`; registering imports neither the strategies nor redis-py, which load when a session is
first asked for. This module imports nothing at its top, so that it loads even while Hypothesis
itself is half-imported (when this package is what imports it).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["_hypothesis_setup_hook", "register"]


def register() -> None:
    """Make ``st.from_type(RedisSession)`` draw ``redis_session()``."""
    # Imported when called: this module loads while Hypothesis may be half-imported.
    from hypothesis import strategies as st

    from tripwire_hypothesis._session import RedisSession

    st.register_type_strategy(RedisSession, _sessions_of_type)


def _sessions_of_type(thing: type[Any]) -> Any:
    strategies: Any = importlib.import_module("tripwire_hypothesis.strategies")
    return strategies.redis_session()


def _hypothesis_setup_hook() -> None:
    """Hypothesis' hook. Loading it imported this package, whose ``__init__`` registers."""
