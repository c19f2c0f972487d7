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

    __slots__ = ("_on_failure", "_saved")

    #: The same for every example (class attributes, so an example costs two fewer stores).
    in_example = True
    outside = None

    def __init__(self) -> None:
        # Scope.__init__ written out, allocating nothing: an example is made around every
        # Hypothesis example, most of which never use tripwire. `_WRAPPER_SOURCE` writes this
        # out again: a change here is a change there.
        self.verifier = None
        self.opened = ()
        self._on_failure: list[Callable[[], None]] | None = None
        #: What `begin` saved: the verifier current before, and the scope this example is in.
        self._saved = begin(self)

    def use(self) -> None:
        # The example's use of tripwire is the test's use too (it installs the test's guard).
        parent = self._saved[1]
        if parent is not None:
            parent.use()

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
    is_async = inspect.iscoroutinefunction(test)
    wrapper: F = _wrapper_maker(_parameters(test), is_async)(test, _context, Example)
    functools.update_wrapper(wrapper, test)
    setattr(wrapper, _WRAPPED, True)
    return wrapper


#: The wrapper's source: ``{params}`` is the test's own parameter list and ``{args}`` the call
#: passing them on, so Hypothesis' keyword arguments reach the test without a ``**kwargs`` dict
#: built and unpacked around every example. It runs around every example, most of which never
#: use tripwire, so it writes out `Example()` (``begin``) and, for an example that never used
#: tripwire, `Example.finish` (``end`` with nothing to close, put back or verify): one frame,
#: where calling them took four. Every name it binds starts with ``_tripwire_``, and its bare
#: ``except:`` is an ``except BaseException:`` that no parameter can shadow.
_WRAPPER_SOURCE = """\
def _tripwire_make(_tripwire_test, _tripwire_context, _tripwire_Example):
    _tripwire_new = object.__new__
    {async_}def _tripwire_wrapper({params}):
        __tracebackhide__ = True
        _tripwire_example = _tripwire_new(_tripwire_Example)
        _tripwire_example.verifier = _tripwire_example._on_failure = None
        _tripwire_example.opened = ()
        _tripwire_parent = _tripwire_context._scope
        _tripwire_current = _tripwire_context._current
        if _tripwire_current is not None:
            _tripwire_context._swap(None)
        _tripwire_example._saved = (_tripwire_current, _tripwire_parent)
        _tripwire_context._scope = _tripwire_example
        try:
            _tripwire_result = {await_}_tripwire_test({args})
        except:
            _tripwire_example.finish(passed=False)
            raise
        if (
            _tripwire_example.verifier is None
            and not _tripwire_example.opened
            and _tripwire_current is _tripwire_context._current
        ):
            _tripwire_context._scope = _tripwire_parent
        else:
            _tripwire_example.finish(passed=True)
        return _tripwire_result
    return _tripwire_wrapper
"""

#: Any test, with any parameters.
_ANY = ("*_tripwire_args, **_tripwire_kwargs", "*_tripwire_args, **_tripwire_kwargs")


def _parameters(test: Callable[..., Any]) -> tuple[str, str]:
    """``test``'s parameter list and the call forwarding it, or `_ANY` unless it is plain.

    Plain: named parameters without defaults, none of them tripwire's. Its own signature, not
    the one of a function it wraps: that one may take its arguments differently.
    """
    try:
        parameters = inspect.signature(test, follow_wrapped=False).parameters.values()
    except (TypeError, ValueError):
        return _ANY
    params: list[str] = []
    args: list[str] = []
    for parameter in parameters:
        name = parameter.name
        if (
            parameter.default is not parameter.empty
            or name.startswith("_tripwire_")
            or name == "__tracebackhide__"
        ):
            return _ANY
        if parameter.kind is parameter.POSITIONAL_OR_KEYWORD:
            params.append(name)
            args.append(name)
        elif parameter.kind is parameter.KEYWORD_ONLY:
            if "*" not in params:
                params.append("*")
            params.append(name)
            args.append(f"{name}={name}")
        else:
            return _ANY
    return ", ".join(params), ", ".join(args)


@functools.lru_cache(maxsize=256)
def _wrapper_maker(parameters: tuple[str, str], is_async: bool) -> Callable[..., Any]:
    """The function making wrappers of tests with these parameters (compiled once for them)."""
    params, args = parameters
    source = _WRAPPER_SOURCE.format(
        params=params,
        args=args,
        async_="async " if is_async else "",
        await_="await " if is_async else "",
    )
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<tripwire per-example wrapper ({params})>", "exec"), namespace)
    maker: Callable[..., Any] = namespace["_tripwire_make"]
    return maker


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
