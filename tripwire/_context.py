"""Which verifier is current, the plugin proxies, and ``with tripwire:``.

The current verifier is a plain process-wide reference, not a context variable, because the
threads a test starts must see the test's verifier too. The pytest plugin begins a `Scope` for
each test (and for each Hypothesis example): its verifier is made the first time something asks
for it, so a test that never uses tripwire pays for none. `use_verifier` sets one by hand.
"""

from __future__ import annotations

import threading
import types
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from operator import attrgetter
from types import TracebackType
from typing import Any

from tripwire._errors import NoActiveVerifierError
from tripwire._validate import invalid
from tripwire._verifier import StrictVerifier

__all__ = [
    "PluginProxy",
    "Scope",
    "TripwireModule",
    "begin",
    "current_verifier",
    "end",
    "release",
    "use_verifier",
]

#: The verifier set by `use_verifier`, or the current scope's once it was made.
_current: StrictVerifier | None = None
#: The test or Hypothesis example that is running, if any.
_scope: Scope | None = None
_lock = threading.RLock()


class Scope:
    """A test or a Hypothesis example: its verifier, and every sandbox opened while it runs.

    The verifier is made on first use (`verifier_for`); ``on_first_use`` runs then, or when a
    sandbox of any verifier first opens during the scope (the pytest plugin installs the guard
    there). ``outside`` names the fixture scope (``"module"``) of a scope in which no test's
    verifier exists: asking for one there raises `NoActiveVerifierError` naming it.
    """

    __slots__ = ("_on_first_use", "in_example", "opened", "outside", "verifier")

    def __init__(
        self,
        on_first_use: Callable[[], object] | None = None,
        *,
        in_example: bool = False,
        outside: str | None = None,
    ) -> None:
        self.verifier: StrictVerifier | None = None
        self._on_first_use = on_first_use
        self.in_example = in_example
        self.outside = outside
        #: Verifiers other than `verifier` whose sandbox opened during the scope.
        self.opened: tuple[StrictVerifier, ...] = ()

    def use(self) -> None:
        """Note that the scope uses tripwire; the first call runs ``on_first_use``."""
        on_first_use = self._on_first_use
        if on_first_use is not None:
            self._on_first_use = None
            on_first_use()

    def verifier_for(self, what: str) -> StrictVerifier:
        """The scope's verifier, made (and made current) on first use by ``what``."""
        __tracebackhide__ = True
        global _current
        if self.outside is not None:
            raise NoActiveVerifierError(what, fixture_scope=self.outside)
        with _lock:
            verifier = self.verifier
            if verifier is None:
                self.use()
                # The scope decides, not whether Hypothesis runs: a test's verifier first used
                # inside find() still belongs to the test.
                verifier = self.verifier = StrictVerifier._for_scope(self.in_example)
            if _current is None and _scope is self:
                _current = verifier
        return verifier

    def close(self) -> None:
        """Close every sandbox opened during the scope, and its own verifier's."""
        if self.opened:
            opened, self.opened = self.opened, ()
            for verifier in opened:
                release(verifier)
        if self.verifier is not None:
            release(self.verifier)


def _verifier_for(what: str) -> StrictVerifier:
    __tracebackhide__ = True
    verifier = _current
    if verifier is None:
        scope = _scope
        if scope is None:
            raise NoActiveVerifierError(what)
        verifier = scope.verifier_for(what)
    return verifier


def current_verifier() -> StrictVerifier:
    """The verifier of the test that is running.

    Raises `NoActiveVerifierError` outside a test (or a `use_verifier` block).
    """
    __tracebackhide__ = True
    return _verifier_for("tripwire.current_verifier()")


def _swap(verifier: StrictVerifier | None) -> StrictVerifier | None:
    global _current
    previous, _current = _current, verifier
    if previous is not verifier:
        _forget_plugins()
    return previous


Saved = tuple["StrictVerifier | None", "Scope | None"]


def begin(scope: Scope) -> Saved:
    """Make ``scope`` the running one, with no verifier current until it makes its own."""
    global _scope
    # Written out for the common case, a test or an example that never used tripwire: it runs
    # around every Hypothesis example.
    saved = (None if _current is None else _swap(None), _scope)
    _scope = scope
    return saved


def end(scope: Scope, saved: Saved) -> None:
    """Close ``scope``'s sandboxes and make what `begin` saved current again."""
    global _scope
    try:
        if scope.verifier is not None or scope.opened:
            scope.close()
    finally:
        if _current is not saved[0]:
            _swap(saved[0])
        _scope = saved[1]


def _sandbox_opened(verifier: StrictVerifier) -> None:
    # Called by every verifier whose first sandbox opens.
    scope = _scope
    if scope is not None and scope.outside is None:
        # The scope's own verifier may be listed too: releasing it twice is closing it once.
        if verifier not in scope.opened:
            scope.opened += (verifier,)
        scope.use()


StrictVerifier._sandbox_opened.append(_sandbox_opened)


@contextmanager
def _no_test() -> Iterator[None]:
    """As at import time, with no verifier and no test (for tripwire's own tests)."""
    global _scope
    saved = (_swap(None), _scope)
    _scope = None
    try:
        yield
    finally:
        _swap(saved[0])
        _scope = saved[1]


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
        __tracebackhide__ = True
        if attribute[:2] == "__":
            raise AttributeError(attribute)
        value = getattr(self._target, attribute)
        if attribute not in vars(PluginProxy):
            setattr(PluginProxy, attribute, property(attrgetter(f"_target.{attribute}")))
        return value

    def __repr__(self) -> str:
        name = self._name
        return f"<tripwire.{name}: the current test's {name} plugin>"


class _Unresolved:
    """A proxy's target until its plugin is looked up: finds it, then stands aside."""

    __slots__ = ("_proxy",)

    def __init__(self, proxy: PluginProxy) -> None:
        self._proxy = proxy

    def __getattribute__(self, attribute: str) -> Any:
        __tracebackhide__ = True
        proxy: PluginProxy = object.__getattribute__(self, "_proxy")
        name = proxy._name
        verifier = _verifier_for(f"tripwire.{name}.{attribute}")
        plugin = verifier._plugins.get(name) or verifier.plugin_named(name)
        if verifier is _current:
            global _resolved
            _resolved = True
            proxy._target = plugin
        return getattr(plugin, attribute)


_proxies: list[weakref.ref[PluginProxy]] = []
#: Whether a proxy may hold a plugin: `_forget_plugins` has nothing to do until one does.
_resolved = False


def _forget_plugins() -> None:
    """Make every proxy look its plugin up again: the current verifier, or its plugins, changed."""
    global _resolved
    # Not mutated: forgetting when no proxy holds a plugin changes nothing but the time taken.
    if not _resolved:  # pragma: no mutate
        return
    _resolved = False  # pragma: no mutate
    _proxies[:] = [ref for ref in _proxies if ref() is not None]
    for ref in _proxies:
        proxy = ref()
        if proxy is not None:
            proxy._target = proxy._unresolved


StrictVerifier._plugins_dropped.append(_forget_plugins)


#: The verifiers each thread entered with ``with tripwire:``, by thread id, innermost last. Each
#: exit closes the sandbox of the verifier its own thread entered, so a thread that leaves late
#: never closes another thread's, or the next test's.
_entered: dict[int, list[StrictVerifier]] = {}


def release(verifier: StrictVerifier) -> None:
    """Close every sandbox ``verifier`` still has open and forget its ``with tripwire:`` blocks."""
    # No thread is in a `with tripwire:` block at all: the common case at the end of a test.
    if not _entered:
        verifier.close_all()
        return
    with _lock:
        for ident, stack in list(_entered.items()):
            if verifier in stack:
                stack[:] = [entered for entered in stack if entered is not verifier]
                if not stack:
                    del _entered[ident]
    verifier.close_all()


class TripwireModule(types.ModuleType):
    """The type of the ``tripwire`` module, so that ``with tripwire:`` opens the sandbox."""

    def __enter__(self) -> StrictVerifier:
        __tracebackhide__ = True
        verifier = _verifier_for("`with tripwire:`")
        verifier._open()
        with _lock:
            _entered.setdefault(threading.get_ident(), []).append(verifier)
        return verifier

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with _lock:
            stack = _entered.get(threading.get_ident())
            if not stack:
                return
            verifier = stack.pop()
            if not stack:
                del _entered[threading.get_ident()]
        verifier._close()

    async def __aenter__(self) -> StrictVerifier:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)
