"""One verifier per Hypothesis example: the machinery behind the pytest hook and the decorator.

Hypothesis runs the body of a ``@given`` test once per example through
``test.hypothesis.inner_test``, an attribute it documents as replaceable by test runners. Wrapping
it gives every example a fresh `StrictVerifier`, verified when the example's body succeeded, so an
unused mock or an unasserted interaction fails *that* example and Hypothesis shrinks it.

This module never imports Hypothesis: a ``@given`` test is recognised by that attribute alone.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from tripwire import _context
from tripwire._context import Scope, begin, end
from tripwire._validate import invalid
from tripwire._verifier import StrictVerifier, in_hypothesis_example

__all__ = [
    "Example",
    "current_example",
    "hypothesis_examples",
    "in_example_without_verifier",
    "per_example_verifier",
    "wrap_examples",
]

F = TypeVar("F", bound=Callable[..., Any])

#: Set on a wrapper made by `per_example_verifier`, so wrapping it again changes nothing.
_WRAPPED = "__tripwire_per_example__"


class Example(Scope):
    """One example's scope, running from construction until `finish`.

    Its verifier is made when the example first uses tripwire; an example that never does costs
    a few assignments.
    """

    __slots__ = ("_on_failure", "_parent", "_saved")

    #: The same for every example (class attributes, so an example costs two fewer stores).
    in_example = True
    outside = None

    def __init__(self) -> None:
        # Scope.__init__ written out, allocating nothing: an example is made around every
        # Hypothesis example, most of which never use tripwire.
        self.verifier = None
        self.opened = ()
        self._parent = _context._scope
        self._on_failure: list[Callable[[], None]] | None = None
        self._saved = begin(self)

    def use(self) -> None:
        # The example's use of tripwire is the test's use too (it installs the test's guard).
        if self._parent is not None:
            self._parent.use()

    def on_failure(self, callback: Callable[[], None]) -> None:
        """Call ``callback``, without arguments, if the example fails.

        It fails when its body raises or verification fails. Callbacks run while the example
        is still Hypothesis' current test case, so they can add notes to the report.
        """
        if self._on_failure is None:
            self._on_failure = []
        self._on_failure.append(callback)

    def finish(self, *, passed: bool) -> None:
        """Close the example's sandboxes, make the previous verifier current again, then verify.

        Verification runs only when ``passed``: an ``assume()`` rejection or a failing body
        already has its outcome, and a verification error derived from it would hide it.
        """
        __tracebackhide__ = True
        end(self, self._saved)
        if not passed:
            self._failed()
            return
        verifier = self.verifier
        if verifier is None:
            return
        try:
            verifier.verify_all()
        except BaseException:
            self._failed()
            raise
        # A failed example keeps its verifier for the report; a passing one lets it go.
        verifier.dispose()

    def _failed(self) -> None:
        for callback in self._on_failure or ():
            callback()


def current_example() -> Example | None:
    """The example that is running (not a test or `use_verifier` inside it), or ``None``."""
    scope = _context._scope
    if isinstance(scope, Example) and _context._current in (None, scope.verifier):
        return scope
    return None


def in_example_without_verifier(verifier: StrictVerifier) -> bool:
    """Whether ``verifier`` was made outside the Hypothesis example that is now using it.

    Mocks registered on it there would leak from one example into the next.
    """
    return not verifier._made_in_example and in_hypothesis_example()


def per_example_verifier(test: F) -> F:
    """Give every call of ``test`` a fresh verifier, verified when the call returns normally.

    The tripwire pytest plugin applies this to each ``@given`` test for you. Apply it yourself
    under ``@given`` where the plugin cannot see the test: ``find()``, ``@given`` used inside a
    test's body, or another runner. Coroutine functions get a coroutine wrapper. Wrapping twice
    is the same as wrapping once.
    """
    if not callable(test):
        raise invalid("per_example_verifier", "test", "a function", test)
    # Not mutated: a default of None instead of False is the same test.
    if getattr(test, _WRAPPED, False):  # pragma: no mutate
        return test
    wrapper: Callable[..., Any]
    if inspect.iscoroutinefunction(test):

        @functools.wraps(test)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            example = Example()
            try:
                result = await test(*args, **kwargs)
            except BaseException:
                example.finish(passed=False)
                raise
            example.finish(passed=True)
            return result

    else:

        @functools.wraps(test)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            example = Example()
            try:
                result = test(*args, **kwargs)
            except BaseException:
                example.finish(passed=False)
                raise
            example.finish(passed=True)
            return result

    setattr(wrapper, _WRAPPED, True)
    return wrapper  # type: ignore[return-value]


@contextmanager
def hypothesis_examples(item: object) -> Iterator[None]:
    """Around one pytest test call: if it is a ``@given`` test, give each example a verifier.

    The wrapper is installed for this call only and the original put back afterwards, so
    re-running the item (or the other items of a parametrized test) never stacks wrappers.
    """
    unwrap = wrap_examples(item)
    try:
        yield
    finally:
        if unwrap is not None:
            unwrap()


def wrap_examples(item: object) -> Callable[[], None] | None:
    """`hypothesis_examples` without the context manager: the function that undoes it, if any."""
    handle = _hypothesis_handle(item)
    if handle is None:
        return None
    inner = handle.inner_test
    handle.inner_test = per_example_verifier(inner)

    def unwrap() -> None:
        handle.inner_test = inner

    return unwrap


def _hypothesis_handle(item: object) -> Any:
    """The ``.hypothesis`` handle of a ``@given`` test item, or ``None``."""
    # No @given test can exist before Hypothesis is imported; plain tests stop here.
    if "hypothesis" not in sys.modules:
        return None
    handle = getattr(getattr(item, "obj", None), "hypothesis", None)
    if handle is None or not callable(getattr(handle, "inner_test", None)):
        return None
    return handle
