"""python-tripwire: strict mocking for code that talks to Redis.

Every call must be mocked, every mock used, every interaction asserted:

```python
import tripwire

def test_cache_lookup():
    tripwire.redis.mock_command("GET", returns=b"cached")
    with tripwire:
        value = redis.Redis().get("key")
    tripwire.redis.assert_command("GET", args=("key",), kwargs=IsInstance(dict))
```
"""

from __future__ import annotations

import sys as _sys
import typing as _typing

from tripwire._context import PluginProxy, current_verifier, use_verifier
from tripwire._context import TripwireModule as _TripwireModule
from tripwire._errors import (
    AssertionInsideSandboxError,
    ConfigurationError,
    InteractionMismatchError,
    InvalidArgumentError,
    NoActiveVerifierError,
    NoExampleVerifierError,
    TripwireError,
    UnassertedInteractionsError,
    UnmockedConnectionError,
    UnmockedInteractionError,
    UnsandboxedInteractionError,
    UnusedMocksAndUnassertedInteractionsError,
    UnusedMocksError,
    VerificationError,
    WrongReplyWarning,
)
from tripwire._plugin import BasePlugin, Patches, register_plugin
from tripwire._timeline import Interaction
from tripwire._verifier import Sandbox, StrictVerifier

if _typing.TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from tripwire.plugins.redis_plugin import RedisPlugin

__version__ = "0.1.0"

__all__ = [
    "AssertionInsideSandboxError",
    "BasePlugin",
    "ConfigurationError",
    "Interaction",
    "InteractionMismatchError",
    "InvalidArgumentError",
    "NoActiveVerifierError",
    "NoExampleVerifierError",
    "Patches",
    "PluginProxy",
    "Sandbox",
    "StrictVerifier",
    "TripwireError",
    "UnassertedInteractionsError",
    "UnmockedConnectionError",
    "UnmockedInteractionError",
    "UnsandboxedInteractionError",
    "UnusedMocksAndUnassertedInteractionsError",
    "UnusedMocksError",
    "VerificationError",
    "WrongReplyWarning",
    "__version__",
    "current_verifier",
    "in_any_order",
    "redis",
    "register_plugin",
    "sandbox",
    "use_verifier",
]

redis = _typing.cast("RedisPlugin", PluginProxy("redis"))
"""The current test's `RedisPlugin` (a `PluginProxy`), created on first use."""


def sandbox() -> Sandbox:
    """The current test's sandbox: ``with tripwire.sandbox():`` is ``with tripwire:``.

    The spelling for type checkers, which cannot see that the module is a context manager.
    """
    return current_verifier().sandbox()


def in_any_order() -> AbstractContextManager[None]:
    """Inside this block, assertions may match unasserted interactions in any order."""
    return current_verifier().in_any_order()


# `with tripwire:` and `async with tripwire:` open the current test's sandbox.
_sys.modules[__name__].__class__ = _TripwireModule
