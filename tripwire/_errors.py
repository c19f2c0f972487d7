"""Every exception tripwire raises, and the one formatter per kind that writes its message.

This module imports nothing from the rest of the package: the objects the messages describe are
reached through the small `Described` protocol, so an error can be built from any plugin's records.
Messages are built here, when an error is raised, and never on the hot path.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Protocol

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
]

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


def _bullets(lines: Sequence[str]) -> str:
    shown = [f"    {line}" for line in lines[:MAX_LISTED]]
    if len(lines) > MAX_LISTED:
        shown.append(f"    ... and {len(lines) - MAX_LISTED} more")
    return "\n".join(shown)


def _safe_repr(value: object) -> str:
    """``repr(value)``, or a placeholder when the object's own ``__repr__`` fails.

    A dirty-equals matcher that once compared equal reprs as the value it matched; an error
    message must show the matcher the user wrote, so its unmatched form is used, in containers too.
    """
    try:
        if type(value) is tuple:
            inner = ", ".join(_safe_repr(item) for item in value)
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        if type(value) is list:
            return "[" + ", ".join(_safe_repr(item) for item in value) + "]"
        if type(value) is dict:
            pairs = (f"{_safe_repr(k)}: {_safe_repr(v)}" for k, v in value.items())
            return "{" + ", ".join(pairs) + "}"
        unmatched = getattr(type(value), "_repr_ne", None)
        if unmatched is not None and type(value).__module__.startswith("dirty_equals"):
            return str(unmatched(value))
        return repr(value)
    except Exception as exc:  # a user's object must not hide the real error
        return f"<{type(value).__name__} object; repr() raised {type(exc).__name__}>"


class TripwireError(Exception):
    """The root of every exception tripwire raises."""


class InvalidArgumentError(TripwireError, TypeError, ValueError):
    """A tripwire function was called with an argument of the wrong type or value."""


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
    """Inside the sandbox, a client tried to open a real connection that tripwire does not mock."""

    def __init__(self, address: str) -> None:
        self.address = address
        AssertionError.__init__(
            self,
            f"A connection to {address} was opened inside the sandbox, by a part of the client "
            "that tripwire does not intercept (for redis-py: PubSub, cluster or sentinel "
            "clients).\nNothing was sent. Test that code against a real server with "
            '@pytest.mark.allow("redis") outside the sandbox, or move the call behind a '
            "function you mock.",
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
                f"but it was:\n    {actual.assertion_hint()}"
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
                + _bullets([item.assertion_hint() for item in remaining])
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
                + _bullets(
                    [f"{m.registration_hint()}  # registered at {m.location()}" for m in unused]
                )
                + "\nRemove each mock the code no longer needs, or pass required=False "
                "if it is optional."
            )
        if unasserted:
            noun = "interaction was" if len(unasserted) == 1 else "interactions were"
            parts.append(
                f"{len(unasserted)} {noun} recorded but never asserted:\n"
                + _bullets([i.assertion_hint() for i in unasserted])
                + "\nAssert each one after the sandbox closes, in the order shown "
                "(the lines above can be pasted)."
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
