"""tripwire_hypothesis: property-based tests of Redis-backed code under tripwire's strict mocks.

Hypothesis answers each Redis command when the code sends it (realistic replies and real-world
failures); every interaction is still recorded and asserted, and each example has a verifier of
its own::

    from hypothesis import given
    from tripwire_hypothesis import strategies as tripwire_strategies

    @given(tripwire_strategies.redis_session())
    def test_get_user(session):
        session.install()
        with tripwire:
            ...
        session.assert_consumed(args=("user:1",), kwargs=IsInstance(dict))

The strategies are re-exported here, so ``import tripwire_hypothesis as tripwire_strategies``
works too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tripwire._per_example import per_example_verifier
from tripwire_hypothesis._answerers.scripted import ConsumedStep, Step
from tripwire_hypothesis._entry_point import register as _register
from tripwire_hypothesis._session import RedisSession
from tripwire_hypothesis._verifiers import NoExampleVerifierError, VerifiedStateMachine

if TYPE_CHECKING:
    from tripwire_hypothesis import strategies
    from tripwire_hypothesis._answerers.model import Fault
    from tripwire_hypothesis.strategies import (
        error_kinds,
        keys,
        redis_errors,
        redis_session,
        replies,
        supported_commands,
        values,
    )

_register()  # st.from_type(RedisSession)

__all__ = [
    "ConsumedStep",
    "Fault",
    "NoExampleVerifierError",
    "RedisSession",
    "Step",
    "VerifiedStateMachine",
    "error_kinds",
    "keys",
    "per_example_verifier",
    "redis_errors",
    "redis_session",
    "replies",
    "strategies",
    "supported_commands",
    "values",
]

#: Imported on first use. They import redis-py, and Hypothesis imports this package whenever it
#: is itself imported (the entry point registering `st.from_type(RedisSession)`), in every project
#: that has python-tripwire installed.
_STRATEGIES = frozenset(
    {
        "error_kinds",
        "keys",
        "redis_errors",
        "redis_session",
        "replies",
        "strategies",
        "supported_commands",
        "values",
    }
)


def __getattr__(name: str) -> Any:
    # Imported on first use: `Fault` and `strategies` load Hypothesis' strategies and redis-py.
    import importlib

    if name == "Fault":
        # Imported on first use: it imports fakeredis, which only model sessions need.
        fault = importlib.import_module("tripwire_hypothesis._answerers.model").Fault
        globals()[name] = fault
        return fault
    if name not in _STRATEGIES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module("tripwire_hypothesis.strategies")
    value = module if name == "strategies" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_STRATEGIES, "Fault"})
