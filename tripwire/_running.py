"""One test's tripwire state, from its set-up to its teardown, for the pytest plugin.

A `RunningTest` begins a `Scope` (its verifier made on first use) and installs the guard of each
plugin the test does not allow, when the test first uses tripwire or, with ``guard = "all"``, at
once. A `SharedFixture` marks a fixture shared between tests while it runs: no test's verifier,
no test's guard.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import types
from collections.abc import Callable
from typing import Any

from tripwire._config import GUARD_OFF
from tripwire._context import Saved, Scope, begin, end
from tripwire._plugin import PluginSpec, registered_plugins
from tripwire._verifier import StrictVerifier

__all__ = ["GuardOnImport", "RunningTest", "SharedFixture", "running"]


class RunningTest:
    """One test's tripwire state, from its setup to the end of its teardown."""

    __slots__ = ("allowed", "lifts", "passed", "saved", "scope")

    def __init__(self, guard: str, allowed: frozenset[str]) -> None:
        self.allowed = allowed
        #: The functions that lift each plugin's guard, once installed.
        self.lifts: list[Callable[[], None]] = []
        #: Whether the test's body returned normally: only then is the verifier checked.
        self.passed = False
        self.scope = Scope(None if guard == GUARD_OFF else self.guard)
        self.saved: Saved = begin(self.scope)

    def guard(self) -> None:
        """Refuse, from now to the test's end, real calls of every plugin not allowed."""
        for spec in registered_plugins():
            if spec.name in self.allowed or not spec.available():
                continue
            if any(library in sys.modules for library in spec.libraries):
                self.lifts.append(spec.load().guard())
            else:
                # Nothing can call a library that is not imported: guard it if the test imports
                # it, rather than import it for every test (redis takes ~100 ms to import).
                self.lifts.append(GuardOnImport(spec, self.lifts).remove)

    def suspend(self) -> bool:
        """Lift the guards while a fixture shared between tests runs; whether there were any."""
        lifts, self.lifts = self.lifts, []
        for lift in reversed(lifts):
            lift()
        return bool(lifts)

    def finish(self) -> StrictVerifier | None:
        """Close the test's sandboxes, lift its guards; its verifier if it is to be checked."""
        try:
            end(self.scope, self.saved)
        finally:
            for lift in reversed(self.lifts):
                lift()
        return self.scope.verifier if self.passed else None


class GuardOnImport(importlib.abc.MetaPathFinder):
    """Installs a plugin's guard once one of its libraries is imported, until `remove` is called."""

    def __init__(self, spec: PluginSpec, lifts: list[Callable[[], None]]) -> None:
        self.spec = spec
        self.lifts = lifts
        sys.meta_path.insert(0, self)

    def remove(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)

    def find_spec(self, name: str, path: object = None, target: object = None) -> Any:
        if name not in self.spec.libraries:
            return None
        self.remove()
        found = importlib.util.find_spec(name)
        if found is None:
            # Not installed (`import valkey` in a try block): wait for the plugin's other ones.
            sys.meta_path.insert(0, self)
            return None
        loader: Any = found.loader
        if loader is None:
            return found
        execute = loader.exec_module

        def exec_module(module: types.ModuleType) -> None:
            del loader.exec_module  # the loader's own method again
            execute(module)
            self.lifts.append(self.spec.load().guard())

        loader.exec_module = exec_module
        return found


class SharedFixture:
    """A fixture shared between tests, while it runs: no test's verifier, and no test's guard.

    Like the test's own `@pytest.mark.allow`, the guard is a test's: a session-scoped fixture
    may reach the real server it prepares.
    """

    __slots__ = ("guarded", "saved", "scope")

    def __init__(self, scope: str) -> None:
        self.scope = Scope(outside=scope)
        self.saved: Saved | None = None
        self.guarded: RunningTest | None = None

    def enter(self) -> None:
        test = running[-1] if running else None
        if test is not None and test.suspend():
            self.guarded = test
        self.saved = begin(self.scope)

    def leave(self) -> None:
        saved, self.saved = self.saved, None
        if saved is not None:
            end(self.scope, saved)
        test, self.guarded = self.guarded, None
        if test is not None:
            test.guard()


#: The tests being set up, run or torn down, innermost last: a pytest run inside a test (pytester)
#: pushes its own on top of the outer one.
running: list[RunningTest] = []
