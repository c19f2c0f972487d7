"""`StrictVerifier`: owns the plugins, the sandbox, the timeline and the end-of-test check."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import FrameType, TracebackType
from typing import Any, ClassVar, TypeVar

from tripwire._errors import (
    AssertionInsideSandboxError,
    ConfigurationError,
    InteractionMismatchError,
    NoExampleVerifierError,
    UnassertedInteractionsError,
    UnmockedInteractionError,
    UnusedMocksAndUnassertedInteractionsError,
    UnusedMocksError,
)
from tripwire._plugin import BasePlugin, plugin_class, registered_plugins
from tripwire._timeline import Interaction, Timeline
from tripwire._validate import invalid

__all__ = ["Sandbox", "StrictVerifier", "in_hypothesis_example"]

P = TypeVar("P", bound=BasePlugin)


def in_hypothesis_example() -> bool:
    """Whether a Hypothesis example is running; Hypothesis is asked only if already imported."""
    return _probe()


def _probe_once_imported() -> bool:
    """`in_hypothesis_example` until Hypothesis is imported, which then puts a faster one in."""
    global _probe
    control = sys.modules.get("hypothesis.control")
    if control is None:
        return False
    # `currently_in_test_context()` reads the running example from a thread-local: read it
    # directly (a fifth of the time: every registration asks), if it is still kept there. Not
    # mutated: a shortcut; without it the probe below asks Hypothesis, which answers the same.
    context = getattr(control, "_current_build_context", None)  # pragma: no mutate
    state = getattr(context, "data", None)  # pragma: no mutate
    if isinstance(state, threading.local):

        def probe() -> bool:
            # The calling thread's own attributes.
            return vars(state).get("value") is not None
    else:  # pragma: no cover - another Hypothesis

        def probe() -> bool:
            # Not mutated: reached only with a Hypothesis that keeps no such thread-local.
            return bool(control.currently_in_test_context())  # pragma: no mutate

    _probe = probe
    return probe()


_probe: Callable[[], bool] = _probe_once_imported


#: Modules whose frames stand between a `with` block and `StrictVerifier._close`.
_CLOSING_MODULES = ("tripwire", "contextlib")


def _block_frame() -> FrameType | None:
    """The frame of the `with` block that is closing a sandbox: the first outside tripwire."""
    frame: FrameType | None = sys._getframe()
    while frame is not None and str(frame.f_globals.get("__name__")).startswith(_CLOSING_MODULES):
        frame = frame.f_back
    return frame


def _reached(error: BaseException, block: FrameType | None) -> bool:
    """Whether ``error`` went through ``block``, the frame of the sandbox's `with` block.

    An exception's traceback lists every frame it passed through, from the one that caught it
    to the one that raised it. If that includes the frame of the ``with tripwire:`` block, the
    test itself caught the error (``with pytest.raises(...)``, ``try``) or the error failed the
    test; else the code under test caught it, and only the end-of-test check can report it.
    """
    if block is None:
        return False
    traceback = error.__traceback__
    if traceback is None:
        return False
    catcher = traceback.tb_frame
    while traceback is not None:
        if traceback.tb_frame is block:
            return True
        traceback = traceback.tb_next
    # pytest.raises(Error, function, ...) catches in pytest's own frame, called by the test.
    module = str(catcher.f_globals.get("__name__"))
    return module.startswith("_pytest.") and catcher.f_back is block


class StrictVerifier:
    """Holds every mock and interaction of one test and checks that all were accounted for.

    Inside pytest the tripwire plugin makes one per test (`tripwire.current_verifier()`).
    By hand:

    ```python
    verifier = StrictVerifier()
    redis_mock = RedisPlugin(verifier)
    redis_mock.mock_command("GET", returns=b"1")
    with verifier.sandbox():
        ...
    redis_mock.assert_command("GET", args=("k",), kwargs={})
    verifier.verify_all()
    ```
    """

    #: Called with a verifier whose plugins were dropped (`dispose`), so that nothing keeps
    #: reaching them.
    _plugins_dropped: ClassVar[list[Callable[[], None]]] = []
    #: Called with a verifier whose first sandbox opens, so that the running test can close it
    #: when it ends (a failing test may leave one open) and knows it uses tripwire.
    _sandbox_opened: ClassVar[list[Callable[[StrictVerifier], None]]] = []

    __slots__ = (
        "_any_order",
        "_depth",
        "_made_in_example",
        "_plugins",
        "_state_lock",
        "_unmocked",
        "_unplaced",
        "timeline",
    )

    def __init__(self) -> None:
        self._setup(in_hypothesis_example())

    @classmethod
    def _for_scope(cls, in_example: bool) -> StrictVerifier:
        """A verifier made by a test's or an example's scope, which knows where it runs."""
        verifier = cls.__new__(cls)
        verifier._setup(in_example)
        return verifier

    def _setup(self, in_example: bool) -> None:
        self.timeline = Timeline()
        """Every interaction recorded, in the order it happened."""
        self._plugins: dict[str, BasePlugin] = {}
        self._depth = 0
        self._any_order = 0
        self._state_lock = threading.RLock()
        #: Unmocked-call errors raised during the test, each with the frame of the `with` block
        #: of the sandbox it was raised in (known once that sandbox closes); reported again at
        #: verification unless the error went through that frame.
        self._unmocked: list[list[Any]] = []
        #: How many of them do not know that frame yet.
        self._unplaced = 0
        #: A verifier made inside a Hypothesis example belongs to that example; any other one
        #: used inside an example would carry mocks from one example into the next.
        self._made_in_example = in_example

    def __repr__(self) -> str:
        return (
            f"<StrictVerifier plugins={sorted(self._plugins)} "
            f"interactions={len(self.timeline)} sandbox_open={self._depth > 0}>"
        )

    # -- plugins -------------------------------------------------------------------------------

    def _register_plugin(self, plugin: BasePlugin) -> None:
        with self._state_lock:
            name = plugin.name
            if name in self._plugins:
                raise ConfigurationError(
                    f"This StrictVerifier already has a {type(plugin).__name__}; each verifier may "
                    f"have at most one. Reuse it: verifier.get_plugin({type(plugin).__name__})."
                )
            self._plugins[name] = plugin
            # A plugin created while a sandbox is open joins it at once.
            for _ in range(self._depth):
                plugin.activate()

    def get_plugin(self, cls: type[P]) -> P:
        """This verifier's instance of plugin class ``cls``, created on first use."""
        if not isinstance(cls, type) or not issubclass(cls, BasePlugin) or not cls.name:
            raise invalid("get_plugin", "cls", "a BasePlugin subclass with a name", cls)
        with self._state_lock:
            plugin = self._plugins.get(cls.name)
            if plugin is None:
                plugin = cls(self)
        if not isinstance(plugin, cls):
            raise ConfigurationError(
                f"The plugin named {cls.name!r} on this verifier is a {type(plugin).__name__}, "
                f"not a {cls.__name__}."
            )
        return plugin

    def plugin_named(self, name: str) -> BasePlugin:
        """This verifier's plugin registered as ``name`` (``"redis"``), created on first use."""
        names = [spec.name for spec in registered_plugins()]
        if name not in names:
            known = ", ".join(repr(known) for known in names)
            requirement = f"the name of a registered plugin ({known})"
            raise invalid("plugin_named", "name", requirement, name)
        return self.get_plugin(plugin_class(name))

    @property
    def plugins(self) -> tuple[BasePlugin, ...]:
        """The verifier's plugins, in registration order."""
        return tuple(self._plugins.values())

    # -- the sandbox ---------------------------------------------------------------------------

    def sandbox(self) -> Sandbox:
        """A context manager (``with`` or ``async with``) inside which calls are intercepted."""
        return Sandbox(self)

    @property
    def sandbox_open(self) -> bool:
        """Whether a sandbox of this verifier is open."""
        return self._depth > 0

    def _open(self) -> None:
        __tracebackhide__ = True
        with self._state_lock:
            # Also when already open: a @given test or find() run inside an open sandbox would
            # share this verifier's mocks between its examples. Asked per sandbox, not per mock
            # (the check costs ~0.5 µs); a mock registered while one is open asks too.
            self.refuse_in_example("the sandbox was opened")
            if self._depth == 0:
                # Every library tripwire knows and that is installed is intercepted, mocked or
                # not, so an unmocked call fails loudly instead of reaching the network.
                for spec in registered_plugins():
                    if spec.name not in self._plugins and spec.available():
                        spec.load()(self)
                for opened in self._sandbox_opened:
                    opened(self)
            activated: list[BasePlugin] = []
            try:
                for plugin in self._plugins.values():
                    plugin.activate()
                    activated.append(plugin)
            except BaseException:
                for plugin in reversed(activated):
                    plugin.deactivate()
                raise
            self._depth += 1

    def refuse_in_example(self, what: str) -> None:
        """Raise `NoExampleVerifierError` if a Hypothesis example that is not this verifier's runs.

        Its mocks would answer the example's successors. ``what`` says what happened ("the
        sandbox was opened").
        """
        __tracebackhide__ = True
        if not self._made_in_example and in_hypothesis_example():
            raise NoExampleVerifierError(what)

    def _close(self) -> None:
        with self._state_lock:
            if self._depth == 0:
                return
            self._depth -= 1
            if self._unplaced:
                # The code closing the sandbox is where it was opened, the `with` block: found
                # now, only if an unmocked call needs it, not at every opening.
                self._place_unmocked(_block_frame())
            for plugin in reversed(self._plugins.values()):
                plugin.deactivate()

    def close_all(self) -> None:
        """Close every sandbox still open, restoring all patches."""
        if not self._depth:
            return
        with self._state_lock:
            while self._depth:
                self._close()

    def dispose(self) -> None:
        """Let go of everything this verifier holds, once its test or example is over.

        Closes any open sandbox and drops plugins, mocks and the timeline. Mocks, plugins and
        the verifier refer to one another; breaking those cycles here returns their memory at
        once rather than leaving it to the garbage collector, which matters when a Hypothesis
        test makes a verifier per example.
        """
        self.close_all()
        for plugin in self._plugins.values():
            plugin.dispose()
        self._plugins.clear()
        for forget in self._plugins_dropped:
            forget()
        self.timeline.clear()
        # Every one is placed: closing the sandboxes placed those raised in them.
        self._unmocked.clear()

    # -- assertions ----------------------------------------------------------------------------

    @contextmanager
    def in_any_order(self) -> Iterator[None]:
        """Inside this block, an assertion matches any unasserted interaction, not only the next."""
        self._any_order += 1
        try:
            yield
        finally:
            self._any_order -= 1

    def assert_interaction(
        self, plugin: BasePlugin, expected: Mapping[str, Any], *, helper: str = ""
    ) -> Interaction:
        """Mark as asserted the next unasserted interaction if it is ``plugin``'s and matches.

        ``expected`` maps each of the interaction's fields to the expected value (or a matcher
        such as ``dirty_equals.IsInstance(dict)``). Every field is compared. Plugins build their
        typed helpers (``assert_command``) on this. Raises `InteractionMismatchError` otherwise;
        the interaction then stays unasserted.
        """
        __tracebackhide__ = True
        if self._depth:
            raise AssertionInsideSandboxError(helper or "assert_interaction()")
        timeline = self.timeline
        if self._any_order:
            return self._assert_any_order(plugin, expected)
        entry = timeline.next_unasserted()
        if entry is not None and entry.plugin is plugin and entry.matches(expected):
            entry.asserted = True
            return entry
        raise InteractionMismatchError(
            plugin.format_expected(expected),
            entry,
            entry.compare(expected) if entry is not None and entry.plugin is plugin else [],
            list(timeline.unasserted()),
        )

    def _assert_any_order(self, plugin: BasePlugin, expected: Mapping[str, Any]) -> Interaction:
        __tracebackhide__ = True
        remaining = list(self.timeline.unasserted())
        for entry in remaining:
            if entry.plugin is plugin and entry.matches(expected):
                entry.asserted = True
                return entry
        raise InteractionMismatchError(
            plugin.format_expected(expected), None, [], remaining, any_order=True
        )

    # -- verification --------------------------------------------------------------------------

    def report_unmocked(self, error: UnmockedInteractionError) -> None:
        """Remember an unmocked call's error, to raise it again in `verify_all`.

        Plugins call this before raising the error at the call, so that code under test that
        catches every exception cannot hide it. An error that reached the frame that opened the
        sandbox (the test's own ``with pytest.raises(...)`` or ``try``) is not raised again.
        """
        self._unmocked.append([error, None])
        self._unplaced += 1

    def _place_unmocked(self, frame: FrameType | None) -> None:
        for entry in self._unmocked[len(self._unmocked) - self._unplaced :]:
            entry[1] = frame
        self._unplaced = 0

    def verify_all(self) -> None:
        """Fail if a required mock was never used or a recorded interaction never asserted.

        Also re-raises an unmocked call that the code under test caught and swallowed: one whose
        error never reached the frame that opened the sandbox.
        """
        __tracebackhide__ = True
        if self._unmocked:
            hidden = [error for error, block in self._unmocked if not _reached(error, block)]
            if hidden:
                raise hidden[0].reported_again(len(hidden))
        unused: list[Interaction] = []
        for plugin in self._plugins.values():
            unused += plugin.unused_mocks()
        timeline = self.timeline
        timeline.next_unasserted()  # moves the cursor past those asserted
        unasserted = list(timeline.unasserted())
        if unused and unasserted:
            raise UnusedMocksAndUnassertedInteractionsError(unused, unasserted)
        if unused:
            raise UnusedMocksError(unused)
        if unasserted:
            raise UnassertedInteractionsError(unasserted)


class Sandbox:
    """``with verifier.sandbox():`` or ``async with verifier.sandbox():``."""

    __slots__ = ("verifier",)

    def __init__(self, verifier: StrictVerifier) -> None:
        if not isinstance(verifier, StrictVerifier):
            raise invalid("Sandbox", "verifier", "a StrictVerifier", verifier)
        self.verifier = verifier

    def __enter__(self) -> StrictVerifier:
        __tracebackhide__ = True
        self.verifier._open()
        return self.verifier

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.verifier._close()

    async def __aenter__(self) -> StrictVerifier:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)
