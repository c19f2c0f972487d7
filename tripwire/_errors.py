"""Every exception tripwire raises, and the one formatter per kind that writes its message.

This module imports nothing from the rest of the package but `_reprs`, itself a leaf: the objects
the messages describe are reached through the small `Described` protocol, so an error can be built
from any plugin's records.
Messages are built here, when an error is raised, and never on the hot path.
"""

from __future__ import annotations

import copy
import os
import pickle
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from tripwire._reprs import NOT_READY, code_line
from tripwire._reprs import safe_repr as _safe_repr

__all__ = [
    "AssertionInsideSandboxError",
    "ConfigurationError",
    "InteractionMismatchError",
    "InvalidArgumentError",
    "NoActiveVerifierError",
    "NoExampleVerifierError",
    "TripwireError",
    "UnassertedInteractionsError",
    "UnmockedConnectionError",
    "UnmockedInteractionError",
    "UnsandboxedInteractionError",
    "UnusedMocksAndUnassertedInteractionsError",
    "UnusedMocksError",
    "VerificationError",
    "WrongReplyWarning",
]

_T = TypeVar("_T")

#: How many records an error message lists before it summarises the rest.
MAX_LISTED = 20


class Described(Protocol):
    """What an error needs from a recorded mock or interaction to describe it."""

    def registration_hint(self) -> str:
        """The line that registers this mock, as the user could paste it."""

    def assertion_hint(self) -> str:
        """The line that asserts this interaction, as the user could paste it."""

    def location(self) -> str:
        """Where the mock was registered, as ``file:line``."""


def _where(filename: str, lineno: int) -> str:
    """``file:line`` with the path relative to the working directory when it lies below it."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        relative = filename
    if relative.startswith(os.pardir):
        relative = filename
    return f"{relative}:{lineno}"


def _bullets(items: Sequence[_T], line: Callable[[_T], str]) -> str:
    """The first `MAX_LISTED` items as indented lines; only those are formatted."""
    shown = [f"    {line(item)}" for item in items[:MAX_LISTED]]
    if len(items) > MAX_LISTED:
        shown.append(f"    ... and {len(items) - MAX_LISTED} more")
    return "\n".join(shown)


def _assertion_line(record: Described) -> str:
    return code_line(record.assertion_hint)


def _registration_line(record: Described) -> str:
    return code_line(record.registration_hint, f"registered at {record.location()}")


class TripwireError(Exception):
    """The root of every exception tripwire raises.

    Every one can be pickled (a process pool sends a worker's error back this way) and copied:
    the copy has the same type, message and attributes. Pickling and deep copies replace the
    records an error lists (mocks, interactions), which belong to a verifier, by `Record`
    snapshots that describe themselves the same way, and a value that cannot be pickled by a
    `Shown` that has its repr.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        # The default passes the message to __init__, whose parameters differ from it.
        return (_rebuilt, (type(self), self.args, _portable(vars(self))))

    def __copy__(self) -> TripwireError:
        return _rebuilt(type(self), self.args, dict(vars(self)))

    def __deepcopy__(self, memo: dict[int, Any]) -> TripwireError:
        state = copy.deepcopy(_portable(vars(self)), memo)
        return _rebuilt(type(self), copy.deepcopy(self.args, memo), state)


def _rebuilt(
    cls: type[TripwireError], args: tuple[Any, ...], state: dict[str, Any]
) -> TripwireError:
    """An error of class ``cls`` with these ``args`` and attributes, without calling __init__."""
    error = cls.__new__(cls, *args)
    error.args = args
    vars(error).update(state)
    return error


class Record:
    """A mock or interaction as an unpickled error lists it: it describes itself as the original."""

    __slots__ = ("_assertion", "_location", "_registration", "_repr")

    def __init__(self, original: Described) -> None:
        self._registration = original.registration_hint()
        self._assertion = original.assertion_hint()
        self._location = original.location()
        self._repr = _safe_repr(original)

    def registration_hint(self) -> str:
        return self._registration

    def assertion_hint(self) -> str:
        return self._assertion

    def location(self) -> str:
        return self._location

    def __repr__(self) -> str:
        return self._repr


class Shown:
    """A value that could not be pickled, as an unpickled error holds it: its repr."""

    __slots__ = ("_repr",)

    def __init__(self, value: object) -> None:
        self._repr = _safe_repr(value)

    def __repr__(self) -> str:
        return self._repr


def _portable(value: Any) -> Any:
    """``value`` with records turned into `Record` and what cannot be pickled into `Shown`."""
    if type(value) is dict:
        return {key: _portable(item) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_portable(item) for item in value)
    if all(callable(getattr(value, name, None)) for name in ("registration_hint", "location")):
        return Record(value)
    try:
        pickle.dumps(value)
    except Exception:
        return Shown(value)
    return value


class InvalidArgumentError(TripwireError, TypeError, ValueError):
    """A tripwire function was called with an argument of the wrong type or value."""


class WrongReplyWarning(UserWarning):
    """A mock answered a call with a reply the calling client could never get from redis-py.

    Shown when the sandbox closes, at the line that registered the mock. ``reply_check =
    "error"`` in ``[tool.tripwire]`` raises `InvalidArgumentError` instead; ``false`` checks
    nothing.
    """


class ConfigurationError(TripwireError, ValueError):
    """tripwire was configured in a way it cannot honour (a second plugin, a bad setting)."""


class NoActiveVerifierError(TripwireError, RuntimeError):
    """``tripwire.redis`` or ``with tripwire:`` was used with no verifier for the current test."""

    def __init__(self, what: str, fixture_scope: str | None = None) -> None:
        self.what = what
        self.fixture_scope = fixture_scope
        if fixture_scope is not None:
            where = (
                f"{what} needs the verifier of the current test, but it was called in a "
                f"{fixture_scope}-scoped fixture, which outlives any one test.\n"
                "tripwire gives each test its own verifier: register mocks in the test or in a "
                "function-scoped fixture (the default scope). A fixture shared between tests "
                "can make a verifier of its own:\n"
            )
        else:
            where = (
                f"{what} needs the verifier of the current test, but none is active.\n"
                "Inside pytest the tripwire plugin creates one for every test: check that the "
                "plugin is not disabled (-p no:tripwire) and that the call happens during a test, "
                "not at import or collection time.\n"
                "Outside pytest, construct one yourself:\n"
            )
        super().__init__(
            where + "    from tripwire import StrictVerifier\n"
            "    from tripwire.plugins.redis_plugin import RedisPlugin\n"
            "    verifier = StrictVerifier()\n"
            "    redis_mock = RedisPlugin(verifier)\n"
            "    with verifier.sandbox():\n"
            "        ...\n"
            "    verifier.verify_all()"
        )


class NoExampleVerifierError(TripwireError, RuntimeError):
    """Mocks were registered inside a Hypothesis example that has no verifier of its own."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(
            f"{what} inside a Hypothesis example that has no verifier of its own, "
            "so its mocks would leak into the next example.\n"
            "The tripwire pytest plugin gives each example of a @given test its own verifier. "
            "find(), @given applied inside a test, and other runners need the decorator, "
            "below @given:\n"
            "    @given(...)\n"
            "    @tripwire_hypothesis.per_example_verifier\n"
            "    def check(session): ...\n"
            "A RuleBasedStateMachine needs the base class "
            "tripwire_hypothesis.VerifiedStateMachine."
        )


class AssertionInsideSandboxError(TripwireError, RuntimeError):
    """An interaction was asserted while the sandbox that records interactions was still open."""

    def __init__(self, helper: str) -> None:
        self.helper = helper
        super().__init__(
            f"{helper} was called while the sandbox is still open.\n"
            "Interactions are asserted after the code under test has finished: move the assertion "
            "below the `with tripwire:` block."
        )


class UnmockedInteractionError(TripwireError, AssertionError):
    """Code under test made a call that no registered mock authorises."""

    def __init__(self, headline: str, hint: str, called_with: str, note: str = "") -> None:
        self.headline = headline
        self.hint = hint
        self.called_with = called_with
        message = f"{headline}\nRegister a mock with:\n    {hint}\nCalled with: {called_with}"
        if note:
            message = f"{message}\n{note}"
        super().__init__(message)

    def reported_again(self, count: int) -> UnmockedInteractionError:
        """This error as the end-of-test check raises it, in case the code under test hid it."""
        cls = type(self)
        again = cls.__new__(cls)
        AssertionError.__init__(
            again,
            f"{self}\nIt was raised at the call ({count} unmocked call{'s' if count != 1 else ''} "
            "in all) and is reported again at the end of the test, because code that catches "
            "exceptions can hide it.",
        )
        # The same kind of error with the same attributes (headline, hint, a connection's address).
        vars(again).update(vars(self))
        return again


class UnmockedConnectionError(UnmockedInteractionError):
    """Inside the sandbox, a client tried to open or use a connection tripwire does not mock."""

    def __init__(self, address: str, action: str = "opened") -> None:
        self.address = address
        self.action = action
        AssertionError.__init__(
            self,
            f"A connection to {address} was {action} inside the sandbox, by a part of the client "
            "that tripwire does not intercept (for redis-py: MONITOR, connections used "
            "directly or connected before the sandbox).\nNothing was sent. "
            'Test that code against a real server with @pytest.mark.allow("redis") outside the '
            "sandbox, or move the call behind a function you mock.",
        )
        self.headline = str(self).splitlines()[0]
        self.hint = ""
        self.called_with = ""


class UnsandboxedInteractionError(TripwireError, AssertionError):
    """A real call was attempted during a test, outside any sandbox, without permission."""

    def __init__(self, what_happened: str, site: str, plugin: str, mock_hint: str) -> None:
        self.what_happened = what_happened
        self.site = site
        self.plugin = plugin
        super().__init__(
            f"{what_happened} outside the tripwire sandbox, at {site}.\n"
            "During a test tripwire refuses real calls that no sandbox intercepts. Either:\n"
            f"    mock it: register {mock_hint} and make the call inside "
            "`with tripwire:`\n"
            f'    or allow the real {plugin} for this test: @pytest.mark.allow("{plugin}")\n'
            f'    or for the whole project: [tool.tripwire] allow = ["{plugin}"] in pyproject.toml'
        )


class InteractionMismatchError(TripwireError, AssertionError):
    """An assertion did not match the next unasserted interaction."""

    def __init__(
        self,
        expected: str,
        actual: Described | None,
        fields: Sequence[tuple[str, object, object, bool, str]],
        remaining: Sequence[Described],
        any_order: bool = False,
    ) -> None:
        self.expected = expected
        self.actual = actual
        self.fields = list(fields)
        self.remaining = list(remaining)
        parts: list[str]
        if any_order:
            parts = [f"No unasserted interaction matches:\n    {expected}"]
        elif actual is None:
            parts = [
                f"Expected the next interaction to be:\n    {expected}\n"
                "but every recorded interaction has already been asserted."
            ]
        else:
            parts = [
                f"Expected the next interaction to be:\n    {expected}\n"
                f"but it was:\n    {code_line(actual.assertion_hint)}"
            ]
            if fields:
                width = max(len(name) for name, *_ in fields)
                rows = [
                    f"    {name.ljust(width)}  {_safe_repr(want)} {'==' if ok else '!='} "
                    f"{_safe_repr(got)}{f'  ({note})' if note else ''}"
                    for name, want, got, ok, note in fields
                ]
                parts.append("Field by field (expected, then actual):\n" + "\n".join(rows))
        if remaining:
            parts.append(
                f"Unasserted interactions, in the order they happened ({len(remaining)}):\n"
                + _bullets(remaining, _assertion_line)
            )
        else:
            parts.append("No unasserted interactions remain.")
        super().__init__("\n".join(parts))


class VerificationError(TripwireError, AssertionError):
    """The end-of-test check found mocks or interactions that were not accounted for."""

    def __init__(self, unused: Sequence[Described], unasserted: Sequence[Described]) -> None:
        self.unused = list(unused)
        self.unasserted = list(unasserted)
        parts = []
        if unused:
            noun = "mock was" if len(unused) == 1 else "mocks were"
            parts.append(
                f"{len(unused)} required {noun} never used:\n"
                + _bullets(unused, _registration_line)
                + "\nRemove each mock the code no longer needs, or pass required=False "
                "if it is optional."
            )
        if unasserted:
            noun = "interaction was" if len(unasserted) == 1 else "interactions were"
            lines = _bullets(unasserted, _assertion_line)
            marked = ", except those marked not paste-ready" if NOT_READY in lines else ""
            parts.append(
                f"{len(unasserted)} {noun} recorded but never asserted:\n{lines}\n"
                "Assert each one after the sandbox closes, in the order shown "
                f"(the lines above can be pasted{marked})."
            )
        super().__init__("\n".join(parts))


class UnusedMocksError(VerificationError):
    """Required mocks were registered but never consumed by the code under test."""

    def __init__(self, unused: Sequence[Described]) -> None:
        super().__init__(unused, ())


class UnassertedInteractionsError(VerificationError):
    """Interactions were recorded but never checked with an assertion."""

    def __init__(self, unasserted: Sequence[Described]) -> None:
        super().__init__((), unasserted)


class UnusedMocksAndUnassertedInteractionsError(UnusedMocksError, UnassertedInteractionsError):
    """Both unused required mocks and unasserted interactions were found."""

    def __init__(self, unused: Sequence[Described], unasserted: Sequence[Described]) -> None:
        VerificationError.__init__(self, unused, unasserted)


def where(filename: str, lineno: int) -> str:
    """Public form of the ``file:line`` helper, for plugins."""
    return _where(filename, lineno)


def safe_repr(value: object) -> str:
    """Public form of the failure-proof ``repr``, for plugins."""
    return _safe_repr(value)


def describe_call(args: Sequence[Any], kwargs: dict[str, Any]) -> str:
    """``args=(...), kwargs={...}`` as an error message shows a call."""
    return f"args={_safe_repr(tuple(args))}, kwargs={_safe_repr(kwargs)}"


# Tracebacks name the errors as users import them: tripwire.UnusedMocksError.
for _name in __all__:
    globals()[_name].__module__ = "tripwire"
