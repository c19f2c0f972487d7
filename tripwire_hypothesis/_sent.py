"""`RedisSession.assert_sent`: the commands the code sent, asserted in order, names included.

Two shapes, one method. A list is the whole story, one entry per call::

    session.assert_sent([("INCRBY", "ratelimit:alice", 1), ("EXPIRE", "ratelimit:alice", 60)])

A mapping says what each command is sent with, for code whose number of calls depends on the
answers (loops, retries)::

    session.assert_sent({"SCAN": lambda call: (call.args[0], b"MATCH", "session:*"), ...})

A call the assertion does not expect is the code's behaviour, reported as an `AssertionError`
that names what was sent and gives the assertion of what was, to paste if the code is right.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tripwire._errors import InteractionMismatchError, safe_repr
from tripwire.plugins.redis_plugin.passwords import scrub_args
from tripwire_hypothesis._answerers.scripted import ConsumedStep, normalise
from tripwire_hypothesis._checks import invalid

if TYPE_CHECKING:
    from tripwire.plugins.redis_plugin import RedisCall

__all__ = ["UnexpectedCommandError", "assert_sent"]

_FUNCTION = "RedisSession.assert_sent"
_REQUIREMENT = (
    "a list of the calls expected, each ('COMMAND', *args), or a mapping from command names to "
    "their expected args"
)
#: Commands that take no arguments (a transaction's frame and bookkeeping): the mapping form
#: expects them with none unless it says otherwise.
_NO_ARGUMENTS = {"MULTI": (), "EXEC": (), "DISCARD": (), "UNWATCH": ()}


class UnexpectedCommandError(InteractionMismatchError):
    """The code sent a command, or arguments, that `RedisSession.assert_sent` did not expect."""

    __module__ = "tripwire_hypothesis"  # where users import it from, and how tracebacks name it

    def __init__(self, message: str) -> None:
        # The message is whole: InteractionMismatchError's own lays out one assert_command.
        AssertionError.__init__(self, message)
        self.expected = ""
        self.actual = None
        self.fields = []
        self.remaining = []


def sent(call: ConsumedStep) -> str:
    """``RPUSH('queue', b'x')``: a call as it reads in a message (a password as ``ANY``)."""
    return f"{call.command}({', '.join(map(safe_repr, scrub_args(call.command, call.args)))})"


def _as_code(call: ConsumedStep) -> str:
    # A tuple, even of one item: ('PING',).
    items = [safe_repr(item) for item in (call.command, *scrub_args(call.command, call.args))]
    return f"({', '.join(items)}{',' if len(items) == 1 else ''})"


def _shown(entry: object, command: str | None = None) -> str:
    """An expected call (its arguments, after ``command``; or the whole call, the command
    first) as a message shows it: with the password it names as ``ANY``."""
    if type(entry) is tuple and command is not None:
        return safe_repr(scrub_args(command, entry))
    if type(entry) is tuple and entry and isinstance(entry[0], str):
        name = " ".join(entry[0].split()).upper()
        return safe_repr((entry[0], *scrub_args(name, entry[1:])))
    return safe_repr(entry)


def _paste(calls: Sequence[ConsumedStep]) -> str:
    body = "".join(f"\n        {_as_code(call)}," for call in calls)
    return f"    session.assert_sent([{body}\n    ])"


def _of_the_call(expected: Any) -> bool:
    """Whether an expectation is a function of the call rather than a value or a matcher."""
    # A class such as dirty_equals.IsStr is a matcher, not a function of the call.
    return callable(expected) and not isinstance(expected, type)


def _mismatch(what: str, calls: Sequence[ConsumedStep]) -> UnexpectedCommandError:
    return UnexpectedCommandError(
        f"{what} If the code is right, assert what it sent instead:\n{_paste(calls)}"
    )


def _expected_call(entry: Any, step: Callable[[], ConsumedStep] | None) -> Any:
    """An entry of the list form, a function of the call (made by ``step``; None when there is
    no call) resolved, its command normalised."""
    if type(entry) is not tuple and _of_the_call(entry):
        if step is None:
            return entry
        entry = entry(step())
    if type(entry) is list:
        entry = tuple(entry)
    if type(entry) is tuple and entry and type(entry[0]) is str:
        return (normalise(entry[0]), *entry[1:])
    return entry


def _matches(expected: Any, actual: tuple[Any, ...]) -> bool:
    # The expectation on the left: a matcher's __eq__ decides.
    try:
        return bool(expected == actual)
    except Exception:
        return False


def assert_sent(
    calls: Sequence[RedisCall],
    describe: Callable[[int, RedisCall], ConsumedStep],
    expected: object,
) -> None:
    """Check the session's ``calls``, in order, against ``expected``, and mark each asserted.

    ``describe`` makes a call's `ConsumedStep`, for an expectation that is a function of the
    call, and for the message: most assertions need none.
    """
    __tracebackhide__ = True

    def mismatch(what: str) -> UnexpectedCommandError:
        return _mismatch(what, [describe(index, call) for index, call in enumerate(calls)])

    if isinstance(expected, Mapping):
        per_command = _per_command(expected)
        for index, call in enumerate(calls):
            command = call.command
            entry = per_command.get(command, _NO_ARGUMENTS.get(command, _MISSING))
            if entry is _MISSING:
                allowed = ", ".join(sorted(per_command)) or "nothing"
                raise mismatch(
                    f"The code sent {sent(describe(index, call))} (call {index}), a command this "
                    f"assertion does not expect: it expects {allowed}."
                )
            if type(entry) is not tuple:
                if _of_the_call(entry):
                    entry = entry(describe(index, call))
                if type(entry) is list:
                    entry = tuple(entry)
            if not _matches(entry, call._sent[1:]):
                raise mismatch(
                    f"The code sent {sent(describe(index, call))} (call {index}) where {command} "
                    f"with args {_shown(entry, command)} was expected."
                )
    elif isinstance(expected, (list, tuple)):
        if len(calls) > len(expected):
            index = len(expected)
            raise mismatch(
                f"The code sent {sent(describe(index, calls[index]))} (call {index}) where no "
                f"more calls were expected ({len(expected)} expected)."
            )
        for index, call in enumerate(calls):
            entry = _expected_call(expected[index], lambda: describe(index, call))  # noqa: B023
            if not _matches(entry, (call.command, *call._sent[1:])):
                raise mismatch(
                    f"The code sent {sent(describe(index, call))} (call {index}) where "
                    f"{_shown(entry)} was expected."
                )
        if len(expected) > len(calls):
            missing = _expected_call(expected[len(calls)], None)
            raise mismatch(
                f"The code sent {len(calls)} calls, where {_shown(missing)} was expected "
                f"next ({len(expected)} expected)."
            )
    else:
        raise invalid(_FUNCTION, "expected", _REQUIREMENT, expected)
    for call in calls:
        call.asserted = True


class _Missing:
    pass


_MISSING: Any = _Missing()


def _per_command(expected: Mapping[Any, Any]) -> dict[str, Any]:
    entries = {}
    for command, entry in expected.items():
        if type(command) is not str or not command.strip():
            raise invalid(_FUNCTION, "expected", _REQUIREMENT, command)
        entries[normalise(command)] = entry
    return entries
