"""Which verifier is current, the plugin proxies, and ``with tripwire:``.

The current verifier is a plain process-wide reference, not a context variable, because the
threads a test starts must see the test's verifier too. The pytest plugin sets it for each test
(and for each Hypothesis example); `use_verifier` does the same by hand.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
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

    def __getattr__(self, attribute: str) -> Any:
        verifier = _current
        if verifier is None:
            raise NoActiveVerifierError(f"tripwire.{self._name}.{attribute}")
        return getattr(verifier.plugin_named(self._name), attribute)

    def __repr__(self) -> str:
        return f"<tripwire.{self._name}: the current test's {self._name} plugin>"


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
