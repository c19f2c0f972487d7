"""`RedisSession`: a generated script of Redis answers, installed as strict tripwire mocks.

A session is inert data: Hypothesis draws it before the test body runs. The body calls
`RedisSession.install`, which registers one ``tripwire.redis.mock_command(...)`` per step on the
example's verifier, runs the code under test inside ``with tripwire:``, then reads
`RedisSession.consumed` and asserts it with `RedisSession.assert_consumed`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from tripwire._context import current_verifier
from tripwire._errors import safe_repr
from tripwire._per_example import current_example
from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin
from tripwire_hypothesis._checks import check_bool, invalid
from tripwire_hypothesis._verifiers import check_example_verifier

if TYPE_CHECKING:
    from tripwire._verifier import StrictVerifier

__all__ = ["ConsumedStep", "RedisSession", "Step"]


class _NotGiven:
    def __repr__(self) -> str:
        return "<not given>"


_NOT_GIVEN: Any = _NotGiven()


def _normalise(command: str) -> str:
    """``"script  load"`` -> ``"SCRIPT LOAD"``: upper case, single spaces."""
    return " ".join(command.split()).upper()


def _command_name(function: str, argument: str, value: object) -> str:
    if type(value) is not str or not value.strip():
        raise invalid(function, argument, "a non-empty str", value)
    return _normalise(value)


def _exception_code(error: BaseException | type[BaseException]) -> str:
    """An exception as the code that builds it: ``redis.exceptions.ConnectionError('...')``.

    Built from the class and ``args``, not from ``repr()``: redis-py 8's repr is
    ``network:ConnectionError``, and its ``ConnectionError`` and ``TimeoutError`` shadow the
    builtins, so the module is spelled out for the pasted line to raise the right class.
    """
    cls = error if isinstance(error, type) else type(error)
    name = (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )
    if isinstance(error, type):
        return name
    arguments = [safe_repr(argument) for argument in error.args]
    # redis-py >= 8 keeps the server's error prefix (MOVED, NOSCRIPT, ...) here.
    status_code = getattr(error, "status_code", None)
    if status_code is not None:
        arguments.append(f"status_code={safe_repr(status_code)}")
    return f"{name}({', '.join(arguments)})"


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
            options.append(f"raises={_exception_code(self.raises)}")
        if not required:
            options.append("required=False")
        return f"tripwire.redis.mock_command({self.command!r}, {', '.join(options)})"

    def __repr__(self) -> str:
        if self.raises is not None:
            return f"Step({self.command!r}, raises={_exception_code(self.raises)})"
        return f"Step({self.command!r}, returns={safe_repr(self.returns)})"


@dataclass(frozen=True, slots=True)
class ConsumedStep:
    """A step the code under test consumed: the script's step and the call that used it."""

    #: The step's position in the session's script.
    index: int
    step: Step
    #: The call's positional arguments after the command name, and its keyword arguments.
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def command(self) -> str:
        return self.step.command

    @property
    def returns(self) -> Any:
        """What the call returned (``None`` when it raised)."""
        return None if self.step.raises is not None else self.step.returns

    @property
    def raises(self) -> BaseException | type[BaseException] | None:
        """What the call raised, or ``None``."""
        return self.step.raises

    def assertion(self) -> str:
        """The ``tripwire.redis.assert_command(...)`` line that asserts this call."""
        return (
            f"tripwire.redis.assert_command({self.command!r}, args={safe_repr(self.args)}, "
            f"kwargs={safe_repr(self.kwargs)})"
        )


class _Installation(NamedTuple):
    verifier: StrictVerifier
    plugin: RedisPlugin
    mocks: tuple[RedisCall, ...]
    #: The timeline's length at installation: the session's calls are recorded after it.
    start: int


class RedisSession:
    """An ordered script of Redis commands and their outcomes, to install as tripwire mocks.

    Drawn by `tripwire_hypothesis.redis_session`, or built by hand for ``@example``::

        RedisSession([Step("GET", returns=None)])

    Its repr is the ``tripwire.redis.mock_command(...)`` lines that register it.
    """

    __slots__ = ("_installed", "commands", "required", "steps")

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
        #: The commands the steps were drawn from; `assert_consumed` accepts these as keys.
        self.commands: frozenset[str] = frozenset(
            (_command_name("RedisSession", "commands", name) for name in commands)
            if commands is not None
            else (step.command for step in self.steps)
        )
        self._installed: _Installation | None = None

    # -- reprs: the mock_command lines -----------------------------------------------------------

    def _lines(self) -> list[str]:
        return [f"{step.registration(required=self.required)}," for step in self.steps]

    def __repr__(self) -> str:
        if not self.steps:
            return "RedisSession()"
        body = "".join(f"\n    {line}" for line in self._lines())
        return f"RedisSession({body}\n)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis prints the failing example with this, indented under its argument name.
        if not self.steps:
            printer.text("RedisSession()")
            return
        with printer.group(indent=4, open="RedisSession(", close=""):
            for line in self._lines():
                printer.break_()
                printer.text(line)
        printer.break_()
        printer.text(")")

    # -- installing ----------------------------------------------------------------------------

    def install(self) -> None:
        """Register every step, in order, as a mock on the current test's verifier.

        Call it in the test body, before ``with tripwire:``. Inside a Hypothesis example that
        has no verifier of its own it raises `NoExampleVerifierError`, since the mocks would
        leak into the next example.
        """
        verifier = current_verifier()
        check_example_verifier("RedisSession.install()")
        installed = self._installed
        if installed is not None and installed.verifier is verifier:
            raise InvalidArgument(
                "RedisSession.install() was called twice in one example, which would register "
                "every step twice. Install a session once per example."
            )
        plugin = verifier.get_plugin(RedisPlugin)
        # Errors about these mocks should point at the test that installed them.
        caller = sys._getframe(1)
        mocks = []
        for step in self.steps:
            mock = plugin.mock_command(
                step.command, returns=step.returns, raises=step.raises, required=self.required
            )
            mock._registered_at(caller)
            mocks.append(mock)
        start = len(verifier.timeline)
        self._installed = _Installation(verifier, plugin, tuple(mocks), start)
        example = current_example()
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
        """The steps the code under test used, in the order it called them."""
        installed = self._installation("RedisSession.consumed")
        index_of = {id(mock): i for i, mock in enumerate(installed.mocks)}
        consumed = []
        for entry in installed.verifier.timeline.entries[installed.start :]:
            index = index_of.get(id(entry))
            if index is not None:
                mock = installed.mocks[index]
                consumed.append(ConsumedStep(index, self.steps[index], mock.args[1:], mock.kwargs))
        return tuple(consumed)

    def assert_consumed(
        self,
        per_command: Mapping[str, Mapping[str, Any]] | None = None,
        /,
        *,
        args: Any = _NOT_GIVEN,
        kwargs: Any = None,
    ) -> None:
        """Assert every consumed step, in the order called, with ``assert_command``.

        ``args`` are the expected positional arguments after the command name and ``kwargs``
        the expected keyword arguments (``None`` means ``{}``), for every command::

            session.assert_consumed(args=("user:1",), kwargs=IsInstance(dict))

        or per command, for sessions of several commands; an entry's missing field falls back
        to ``args`` / ``kwargs``::

            session.assert_consumed({"GET": {"args": ("k",)}, "SET": {"args": ("k", b"v")}})

        Each expectation is a value, a matcher such as ``dirty_equals.IsInstance(dict)``, or a
        function of the `ConsumedStep` returning one.
        """
        __tracebackhide__ = True
        installed = self._installation("RedisSession.assert_consumed")
        entries = self._check_per_command(per_command)
        for consumed in self.consumed:
            entry = entries.get(consumed.command, {})
            expected_args = entry.get("args", args)
            if expected_args is _NOT_GIVEN:
                raise InvalidArgument(
                    f"RedisSession.assert_consumed() has no expected args for "
                    f"{consumed.command!r}, which step {consumed.index} consumed. Pass args=..., "
                    f"or an entry {{{consumed.command!r}: {{'args': ...}}}}."
                )
            installed.plugin.assert_command(
                consumed.command,
                args=_resolve(expected_args, consumed),
                kwargs=_resolve(entry.get("kwargs", kwargs), consumed),
            )

    def _check_per_command(
        self, per_command: Mapping[str, Mapping[str, Any]] | None
    ) -> dict[str, Mapping[str, Any]]:
        if per_command is None:
            return {}
        known = ", ".join(repr(name) for name in sorted(self.commands))
        requirement = (
            f"a mapping from this session's commands ({known}) to {{'args': ..., 'kwargs': ...}}"
        )
        if not isinstance(per_command, Mapping):
            raise invalid("RedisSession.assert_consumed", "per_command", requirement, per_command)
        entries = {}
        for command, entry in per_command.items():
            if type(command) is not str or _normalise(command) not in self.commands:
                raise invalid("RedisSession.assert_consumed", "per_command", requirement, command)
            if not isinstance(entry, Mapping) or not set(entry) <= {"args", "kwargs"}:
                raise invalid("RedisSession.assert_consumed", "per_command", requirement, entry)
            entries[_normalise(command)] = entry
        return entries

    # -- the report of a failing example -------------------------------------------------------

    def reproduction(self) -> str:
        """This session, as installed and consumed, written as a plain pytest test."""
        consumed = self.consumed if self._installed is not None else ()
        used = {item.index for item in consumed}
        lines = ["def test_example():"]
        for index, step in enumerate(self.steps):
            line = step.registration(required=self.required)
            lines.append(f"    {line}" + ("" if index in used else "  # never called"))
        lines.append("    with tripwire:")
        lines.append("        ...  # the code under test")
        lines.extend(f"    {item.assertion()}" for item in consumed)
        return "\n".join(lines)

    def _note_reproduction(self) -> None:
        # An example outside Hypothesis (per_example_verifier on a plain function) has no report.
        if currently_in_test_context():
            note(_Reproduction(self))


def _resolve(expected: Any, consumed: ConsumedStep) -> Any:
    """An expectation, calling it with the step if it is a function of the step."""
    # A class such as dirty_equals.IsStr is a matcher, not a function of the step.
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


def _sessions_of_type(thing: type[RedisSession]) -> SearchStrategy[RedisSession]:
    from tripwire_hypothesis.strategies import redis_session

    return redis_session()


# st.from_type(RedisSession) draws redis_session(); see also the entry point, _entry_point.py.
st.register_type_strategy(RedisSession, _sessions_of_type)
