"""`RedisSession`: what Redis answers in one example, installed on the example's `RedisPlugin`.

A session drawn by `redis_session` answers every command the code sends inside the sandbox,
drawing each reply (or injected error) at the moment of the call. A session built by hand,
``RedisSession([Step(...), ...])``, is a script: one mock per step, for ``@example`` and for the
printed reproduction of a failure. Either way the body calls `RedisSession.install` once, runs the
code inside ``with tripwire:``, and asserts what happened with `RedisSession.assert_consumed`.
"""

from __future__ import annotations

import functools
import sys
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from hypothesis import note
from hypothesis.control import currently_in_test_context
from hypothesis.errors import InvalidArgument

from tripwire._context import current_verifier
from tripwire._errors import safe_repr
from tripwire._per_example import current_example
from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin
from tripwire_hypothesis._checks import check_bool, invalid
from tripwire_hypothesis._reproduction import error_code, reproduction
from tripwire_hypothesis._verifiers import check_example_verifier

if TYPE_CHECKING:
    from types import CodeType

    from hypothesis.strategies import DataObject

    from tripwire._verifier import StrictVerifier
    from tripwire_hypothesis._answers import Answerer, Policy

__all__ = ["ConsumedStep", "RedisSession", "Step"]


class _NotGiven:
    def __repr__(self) -> str:
        return "<not given>"


_NOT_GIVEN: Any = _NotGiven()

#: What redis-py wraps around a transaction: recorded, never mocked, asserted with no arguments.
_TRANSACTION_FRAME = frozenset({"MULTI", "EXEC"})


@functools.lru_cache(maxsize=1024)
def _normalise(command: str) -> str:
    """``"script  load"`` -> ``"SCRIPT LOAD"``: upper case, single spaces."""
    return " ".join(command.split()).upper()


def _command_name(function: str, argument: str, value: object) -> str:
    if type(value) is not str or not value.strip():
        raise invalid(function, argument, "a non-empty str", value)
    return _normalise(value)


@dataclass(frozen=True, slots=True)
class Step:
    """One scripted Redis command: the reply its mock returns, or the error it raises.

    ``Step("GET", returns=b"1")`` and ``Step("GET", raises=redis.exceptions.TimeoutError())``
    build steps by hand, for ``@example(session=RedisSession([...]))``.
    """

    command: str
    returns: Any = None
    raises: BaseException | type[BaseException] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "command", _command_name("Step", "command", self.command))
        raises = self.raises
        if raises is not None and not (
            isinstance(raises, BaseException)
            or (isinstance(raises, type) and issubclass(raises, BaseException))
        ):
            raise invalid("Step", "raises", "an exception instance, class or None", raises)

    @property
    def failed(self) -> bool:
        """Whether this step raises an error instead of replying."""
        return self.raises is not None

    def registration(self, *, required: bool = True) -> str:
        """The ``tripwire.redis.mock_command(...)`` line that registers this step."""
        options = [f"returns={safe_repr(self.returns)}"]
        if self.raises is not None:
            options.append(f"raises={error_code(self.raises)}")
        if not required:
            options.append("required=False")
        return f"tripwire.redis.mock_command({self.command!r}, {', '.join(options)})"

    def __repr__(self) -> str:
        if self.raises is not None:
            return f"Step({self.command!r}, raises={error_code(self.raises)})"
        return f"Step({self.command!r}, returns={safe_repr(self.returns)})"


@dataclass(slots=True)
class ConsumedStep:
    """One Redis call the code made after the session was installed, and its outcome.

    Every call counts, whoever answered it: a scripted step, a drawn answer, a mock registered
    by hand, and the ``MULTI``/``EXEC`` around a transaction.
    """

    #: The call's position among the calls made since `RedisSession.install`.
    index: int
    command: str
    #: The call's positional arguments after the command name, and its keyword arguments.
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    #: What the call returned (``None`` when it raised).
    returns: Any = None
    #: What the call raised, or ``None``.
    raises: BaseException | type[BaseException] | None = None

    def assertion(self) -> str:
        """The ``tripwire.redis.assert_command(...)`` line that asserts this call."""
        return (
            f"tripwire.redis.assert_command({self.command!r}, args={safe_repr(self.args)}, "
            f"kwargs={safe_repr(self.kwargs)})"
        )


class _Installation(NamedTuple):
    verifier: StrictVerifier
    plugin: RedisPlugin
    #: The timeline's length at installation: the session's calls are recorded after it.
    start: int
    answerer: Answerer | _Script
    #: The test function that installed the session, the session's argument name in it (if it
    #: is one), and its other arguments then.
    code: CodeType
    session_name: str | None
    arguments: dict[str, Any]


class RedisSession:
    """What Redis answers in one example: drawn at each call, or scripted step by step.

    `tripwire_hypothesis.redis_session` draws sessions that answer at call time. By hand, a
    session is a script of steps (``RedisSession([Step("GET", returns=None)])``), each installed
    as one mock; its repr is the code that builds it.
    """

    __slots__ = ("_data", "_installed", "_policy", "commands", "required", "steps")

    def __init__(
        self,
        steps: Iterable[Step] = (),
        *,
        required: bool = True,
        commands: Iterable[str] | None = None,
    ) -> None:
        # A str is iterable too: commands="GET" would become {"G", "E", "T"}.
        given_steps: object = steps
        given_commands: object = commands
        if isinstance(given_steps, (str, bytes)) or not isinstance(given_steps, Iterable):
            raise invalid("RedisSession", "steps", "an iterable of Step objects", steps)
        if given_commands is not None and (
            isinstance(given_commands, (str, bytes)) or not isinstance(given_commands, Iterable)
        ):
            requirement = "an iterable of command names (a str is one name, not an iterable)"
            raise invalid("RedisSession", "commands", requirement, commands)
        self.steps: tuple[Step, ...] = tuple(steps)
        for step in self.steps:
            if not isinstance(step, Step):
                raise invalid("RedisSession", "steps", "an iterable of Step objects", self.steps)
        #: Whether every step must be consumed by the end of the example.
        self.required = check_bool("RedisSession", "required", required)
        #: The commands this session answers (``None``: every command, for a drawn session).
        self.commands: frozenset[str] | None = frozenset(
            (_command_name("RedisSession", "commands", name) for name in commands)
            if commands is not None
            else (step.command for step in self.steps)
        )
        self._policy: Policy | None = None
        self._data: DataObject | None = None
        self._installed: _Installation | None = None

    @classmethod
    def _drawing(cls, data: DataObject, policy: Policy) -> RedisSession:
        """A session that draws each answer from ``data`` when the code makes the call."""
        # Made once per example: the checks of __init__ have nothing to check here.
        session = cls.__new__(cls)
        session.steps = ()
        session.required = True
        session.commands = policy.commands
        session._policy = policy
        session._data = data
        session._installed = None
        return session

    # -- reprs: the code that builds the session -----------------------------------------------

    def __repr__(self) -> str:
        if self._policy is not None:
            return self._policy.spelled
        options = "" if self.required else ", required=False"
        if not self.steps:
            return f"RedisSession({options[2:]})"
        body = "".join(f"\n    {step!r}," for step in self.steps)
        return f"RedisSession([{body}\n]{options})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis prints the failing example with this, indented under its argument name.
        for number, line in enumerate(repr(self).splitlines()):
            if number:
                printer.break_()
            printer.text(line)

    # -- installing ----------------------------------------------------------------------------

    def install(self) -> None:
        """Install the session on the current example's verifier, before ``with tripwire:``.

        A scripted session registers one mock per step, in order. A drawn session also answers
        every later call that no mock covers. Inside a Hypothesis example that has no verifier
        of its own it raises `NoExampleVerifierError`, since mocks would leak into the next
        example.
        """
        verifier = current_verifier()
        example = current_example()
        if example is None or example.verifier is not verifier:
            check_example_verifier("RedisSession.install()")
        installed = self._installed
        if installed is not None and installed.verifier is verifier:
            raise InvalidArgument(
                "RedisSession.install() was called twice in one example, which would register "
                "every step twice. Install a session once per example."
            )
        plugin = verifier.get_plugin(RedisPlugin)
        # Errors about these mocks point at the test that installed them.
        caller = sys._getframe(1)
        if plugin.answerer is not None:
            raise InvalidArgument(
                "RedisSession.install() found another session already answering this "
                "example's Redis calls. Install one session per example."
            )
        answerer: Answerer | _Script
        if self._policy is not None and self._data is not None:
            answerer = _answerer_class()(plugin, self._policy, self._data, caller)
        else:
            site = (caller.f_code, caller.f_lasti)
            required = self.required
            steps = [
                plugin.new_call(step.command, step.returns, step.raises, site, required=required)
                for step in self.steps
            ]
            answerer = _Script(plugin, steps, site)
        # The test's arguments, for the reproduction; the session itself is named, not kept,
        # which would make a reference cycle of it.
        code = caller.f_code
        session_name = None
        arguments = {}
        local = caller.f_locals
        for name in code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]:
            value = local.get(name)
            if value is self:
                session_name = name
            elif name != "self":
                arguments[name] = value
        start = len(verifier.timeline)
        self._installed = _Installation(
            verifier, plugin, start, answerer, code, session_name, arguments
        )
        plugin.answerer = answerer
        if example is not None:
            example.on_failure.append(self._note_reproduction)

    def _installation(self, what: str) -> _Installation:
        installed = self._installed
        if installed is None:
            raise InvalidArgument(
                f"{what} needs the session installed first: call session.install() before "
                "`with tripwire:`."
            )
        return installed

    # -- what happened -------------------------------------------------------------------------

    @property
    def consumed(self) -> tuple[ConsumedStep, ...]:
        """Every Redis call made since the session was installed, in the order made."""
        installed = self._installation("RedisSession.consumed")
        plugin = installed.plugin
        consumed: list[ConsumedStep] = []
        for entry in installed.verifier.timeline.entries[installed.start :]:
            if entry.plugin is plugin:
                assert isinstance(entry, RedisCall)
                raises = entry.raises
                consumed.append(
                    ConsumedStep(
                        len(consumed),
                        entry.command,
                        entry.args,
                        entry.kwargs,
                        None if raises is not None else entry.returns,
                        raises,
                    )
                )
        return tuple(consumed)

    @property
    def answers(self) -> tuple[Step, ...]:
        """What the session answered: its steps, then each drawn answer, in call order.

        ``RedisSession(session.answers)`` replays the example without drawing.
        """
        installed = self._installed
        answerer = installed.answerer if installed is not None else None
        drawn = answerer.answered if isinstance(answerer, _answerer_class()) else ()
        return self.steps + tuple(
            Step(mock.command, returns=mock.returns, raises=mock.raises) for mock in drawn
        )

    def assert_consumed(
        self,
        per_command: Mapping[str, Mapping[str, Any]] | None = None,
        /,
        *,
        args: Any = _NOT_GIVEN,
        kwargs: Any = None,
    ) -> None:
        """Assert every call made since `install`, in the order made, with ``assert_command``.

        ``args`` are the expected positional arguments after the command name and ``kwargs``
        the expected keyword arguments (``None`` means ``{}``), for every command::

            session.assert_consumed(args=("user:1",), kwargs=IsInstance(dict))

        or per command, for code that sends several; an entry's missing field falls back to
        ``args`` / ``kwargs``::

            session.assert_consumed({"GET": {"args": ("k",)}, "SET": {"args": ("k", b"v")}})

        Each expectation is a value, a matcher such as ``dirty_equals.IsInstance(dict)``, or a
        function of the `ConsumedStep` returning one. ``MULTI`` and ``EXEC`` expect no
        arguments unless an entry says otherwise.
        """
        __tracebackhide__ = True
        installed = self._installation("RedisSession.assert_consumed")
        entries = _check_per_command(per_command)
        for consumed in self.consumed:
            entry = entries.get(consumed.command)
            if entry is None and consumed.command in _TRANSACTION_FRAME:
                entry = {"args": (), "kwargs": {}}
            entry = entry or {}
            expected_args = entry.get("args", args)
            if expected_args is _NOT_GIVEN:
                raise InvalidArgument(
                    f"RedisSession.assert_consumed() has no expected args for "
                    f"{consumed.command!r}, call {consumed.index}. Pass args=..., or an entry "
                    f"{{{consumed.command!r}: {{'args': ...}}}}."
                )
            installed.plugin.assert_command(
                consumed.command,
                args=_resolve(expected_args, consumed),
                kwargs=_resolve(entry.get("kwargs", kwargs), consumed),
            )

    # -- the report of a failing example -------------------------------------------------------

    def reproduction(self) -> str:
        """This example as a plain pytest test: the test's body, with the answers scripted."""
        installed = self._installed
        if installed is None:
            return reproduction(
                code=None,
                session_name=None,
                arguments={},
                answers=self.answers,
                consumed=(),
                required=self.required,
            )
        return reproduction(
            code=installed.code,
            session_name=installed.session_name,
            arguments=installed.arguments,
            answers=self.answers,
            consumed=self.consumed,
            required=self.required,
        )

    def _note_reproduction(self) -> None:
        # An example outside Hypothesis (per_example_verifier on a plain function) has no report.
        if currently_in_test_context():
            note(_Reproduction(self))


class _Script:
    """The ``answerer`` of a scripted session: its steps, in order per command.

    The steps answer the calls no mock covers, as a drawing session's answers do, so a script of
    a drawn example's answers replays it (mocks registered by hand are used first either way).
    """

    __slots__ = ("_plugin", "_queues", "_site", "in_batch")

    def __init__(
        self, plugin: RedisPlugin, steps: list[RedisCall], site: tuple[CodeType, int]
    ) -> None:
        self._plugin = plugin
        self._site = site
        self._queues: dict[str, deque[RedisCall]] = {}
        for step in steps:
            self._queues.setdefault(step.command, deque()).append(step)
        self.in_batch = False

    def __call__(self, args: tuple[Any, ...], options: dict[str, Any]) -> RedisCall:
        __tracebackhide__ = True
        spelling = args[0]
        text = spelling.decode("utf-8", "replace") if isinstance(spelling, bytes) else spelling
        queue = self._queues.get(_normalise(str(text)))
        if queue:
            return queue.popleft()
        raise self._plugin._unmocked(args, options) from None

    def answer_exec(self, watching: bool) -> RedisCall:
        queue = self._queues.get("EXEC")
        if queue:
            return queue.popleft()
        return self._plugin.new_call("EXEC", None, None, self._site)  # it commits

    def unused(self) -> list[RedisCall]:
        return [step for queue in self._queues.values() for step in queue]


@functools.cache
def _answerer_class() -> type[Answerer]:
    # Imported on first use: it imports redis-py, which a scripted session does not need.
    from tripwire_hypothesis._answers import Answerer

    return Answerer


def _check_per_command(
    per_command: Mapping[str, Mapping[str, Any]] | None,
) -> dict[str, Mapping[str, Any]]:
    if per_command is None:
        return {}
    requirement = "a mapping from command names to {'args': ..., 'kwargs': ...}"
    if type(per_command) is not dict and not isinstance(per_command, Mapping):
        raise invalid("RedisSession.assert_consumed", "per_command", requirement, per_command)
    entries = {}
    for command, entry in per_command.items():
        if type(command) is not str or not command.strip():
            raise invalid("RedisSession.assert_consumed", "per_command", requirement, command)
        if (type(entry) is not dict and not isinstance(entry, Mapping)) or not set(entry) <= {
            "args",
            "kwargs",
        }:
            raise invalid("RedisSession.assert_consumed", "per_command", requirement, entry)
        entries[_normalise(command)] = entry
    return entries


def _resolve(expected: Any, consumed: ConsumedStep) -> Any:
    """An expectation, calling it with the call if it is a function of the call."""
    # A class such as dirty_equals.IsStr is a matcher, not a function of the call.
    if callable(expected) and not isinstance(expected, type):
        return expected(consumed)
    return expected


class _Reproduction:
    """Formats the reproduction only if Hypothesis prints the note (the final, shrunk example)."""

    __slots__ = ("session",)

    def __init__(self, session: RedisSession) -> None:
        self.session = session

    def __repr__(self) -> str:
        return "# The same example as a plain pytest test:\n" + self.session.reproduction()
