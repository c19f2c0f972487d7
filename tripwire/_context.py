"""Which verifier is current, the plugin proxies, and ``with tripwire:``.

The current verifier is a plain process-wide reference, not a context variable, because the
threads a test starts must see the test's verifier too. The pytest plugin sets it for each test
(and for each Hypothesis example); `use_verifier` does the same by hand.
"""

from __future__ import annotations

import types
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from operator import attrgetter
from types import TracebackType
from typing import Any

from tripwire._errors import NoActiveVerifierError
from tripwire._validate import invalid
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
    _forget_plugins()
    return previous


def use_verifier(verifier: StrictVerifier) -> AbstractContextManager[StrictVerifier]:
    """Make ``verifier`` the current one (for ``tripwire.redis`` and ``with tripwire:``)."""
    if not isinstance(verifier, StrictVerifier):
        raise invalid("use_verifier", "verifier", "a StrictVerifier", verifier)
    return _using(verifier)


@contextmanager
def _using(verifier: StrictVerifier) -> Iterator[StrictVerifier]:
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

    __slots__ = ("__weakref__", "_name", "_target", "_unresolved")

    def __init__(self, name: str) -> None:
        self._name = name
        self._unresolved = _Unresolved(self)
        #: The current verifier's plugin once found, until the current verifier changes.
        self._target: Any = self._unresolved
        _proxies.append(weakref.ref(self))

    # ``tripwire.redis.mock_command`` is on every line of a test, so it must cost little. The
    # first lookup of a name lands here; it then becomes a property of the class that reads
    # ``self._target.<name>`` in C (`operator.attrgetter`), with no Python frame.
    def __getattr__(self, attribute: str) -> Any:
        if attribute[:2] == "__":
            raise AttributeError(attribute)
        value = getattr(self._target, attribute)
        if attribute not in _OWN_NAMES and attribute not in vars(PluginProxy):
            setattr(PluginProxy, attribute, property(attrgetter(f"_target.{attribute}")))
        return value

    def __repr__(self) -> str:
        name = self._name
        return f"<tripwire.{name}: the current test's {name} plugin>"


_OWN_NAMES = frozenset(vars(PluginProxy))


class _Unresolved:
    """A proxy's target until its plugin is looked up: finds it, then stands aside."""

    __slots__ = ("_proxy",)

    def __init__(self, proxy: PluginProxy) -> None:
        self._proxy = proxy

    def __getattribute__(self, attribute: str) -> Any:
        proxy: PluginProxy = object.__getattribute__(self, "_proxy")
        name = proxy._name
        verifier = _current
        if verifier is None:
            raise NoActiveVerifierError(f"tripwire.{name}.{attribute}")
        plugin = verifier._plugins.get(name) or verifier.plugin_named(name)
        if verifier is _current:
            proxy._target = plugin
        return getattr(plugin, attribute)


_proxies: list[weakref.ref[PluginProxy]] = []


def _forget_plugins(verifier: StrictVerifier | None = None) -> None:
    """Make every proxy look its plugin up again: the current verifier, or its plugins, changed.

    With ``verifier``, only if it is the current one.
    """
    if verifier is not None and verifier is not _current:
        return
    for ref in _proxies:
        proxy = ref()
        if proxy is not None:
            proxy._target = proxy._unresolved
        else:
            _proxies[:] = [ref for ref in _proxies if ref() is not None]
            _forget_plugins(verifier)
            return


StrictVerifier._plugins_dropped.append(_forget_plugins)


_entered: list[StrictVerifier] = []


def release(verifier: StrictVerifier) -> None:
    """Close every sandbox ``verifier`` still has open and forget its ``with tripwire:`` blocks."""
    if _entered:
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
