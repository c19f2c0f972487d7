"""Which verifier is current, the plugin proxies, and ``with tripwire:``.

The current verifier is a plain process-wide reference, not a context variable, because the
threads a test starts must see the test's verifier too. The pytest plugin sets it for each test
(and for each Hypothesis example); `use_verifier` does the same by hand.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from tripwire._errors import NoActiveVerifierError
from tripwire._verifier import StrictVerifier

__all__ = ["PluginProxy", "TripwireModule", "current_verifier", "release", "use_verifier"]

_current: StrictVerifier | None = None


def current_verifier() -> StrictVerifier:
    """The verifier of the test that is running.

    Raises `NoActiveVerifierError` outside a test (or a `use_verifier` block).
    """
    verifier = _current
    if verifier is None:
        raise NoActiveVerifierError("tripwire.current_verifier()")
    return verifier


def _swap(verifier: StrictVerifier | None) -> StrictVerifier | None:
    global _current
    previous, _current = _current, verifier
    return previous


@contextmanager
def use_verifier(verifier: StrictVerifier) -> Iterator[StrictVerifier]:
    """Make ``verifier`` the current one (for ``tripwire.redis`` and ``with tripwire:``)."""
    previous = _swap(verifier)
    try:
        yield verifier
    finally:
        _swap(previous)


class PluginProxy:
    """``tripwire.<name>``: stands for the current verifier's plugin of that name.

    Every attribute is looked up on the plugin at the moment of use, so a proxy kept at module
    level always reaches the running test's plugin. The plugin is created on first use.
    """

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    # __getattribute__ rather than __getattr__: Python 3.10 and 3.11 build and discard an
    # AttributeError before falling back to __getattr__, which tripled the cost of every
    # ``tripwire.redis.mock_command``. Dunder names stay the proxy's own.
    def __getattribute__(self, attribute: str) -> Any:
        if attribute[:2] == "__":
            return object.__getattribute__(self, attribute)
        name = _name_of(self)
        verifier = _current
        if verifier is None:
            raise NoActiveVerifierError(f"tripwire.{name}.{attribute}")
        plugin = verifier._plugins.get(name) or verifier.plugin_named(name)
        return getattr(plugin, attribute)

    def __repr__(self) -> str:
        name = _name_of(self)
        return f"<tripwire.{name}: the current test's {name} plugin>"


# The slot descriptor reads the name without going through __getattribute__.
_name_of: Callable[[PluginProxy], str] = vars(PluginProxy)["_name"].__get__


_entered: list[StrictVerifier] = []


def release(verifier: StrictVerifier) -> None:
    """Close every sandbox ``verifier`` still has open and forget its ``with tripwire:`` blocks."""
    _entered[:] = [entered for entered in _entered if entered is not verifier]
    verifier.close_all()


class TripwireModule(types.ModuleType):
    """The type of the ``tripwire`` module, so that ``with tripwire:`` opens the sandbox."""

    def __enter__(self) -> StrictVerifier:
        verifier = _current
        if verifier is None:
            raise NoActiveVerifierError("`with tripwire:`")
        verifier._open()
        _entered.append(verifier)
        return verifier

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if _entered:
            _entered.pop()._close()

    async def __aenter__(self) -> StrictVerifier:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)
