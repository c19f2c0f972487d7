"""``st.from_type(RedisSession)`` draws ``redis_session()``: the registration, and its entry point.

Hypothesis runs the ``hypothesis`` entry point hook whenever it is imported, in every project that
has python-tripwire installed; the package's ``__init__`` imports this module too. Registering
imports neither the strategies nor redis-py: they load when a session is first asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from tripwire_hypothesis._session import RedisSession

__all__ = ["_hypothesis_setup_hook"]


def _sessions_of_type(thing: type[RedisSession]) -> SearchStrategy[Any]:
    strategies: Any = importlib.import_module("tripwire_hypothesis.strategies")
    session: SearchStrategy[Any] = strategies.redis_session()
    return session


st.register_type_strategy(RedisSession, _sessions_of_type)


def _hypothesis_setup_hook() -> None:
    """Hypothesis' hook: loading this module to call it has registered the strategy."""
