"""`RedisSession`: what Redis answers in one example, installed on the example's `RedisPlugin`.

A session drawn by `redis_session` answers every command the code sends inside the sandbox,
drawing each reply (or injected error) at the moment of the call. A session built by hand,
``RedisSession([Step(...), ...])``, is a script (`tripwire_hypothesis._answerers.scripted`), for
``@example`` and for the printed reproduction of a failure. Either way the body calls
`RedisSession.install` once, runs the code inside ``with tripwire:``, and asserts what happened
with `RedisSession.assert_consumed`.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from hypothesis import note
from hypothesis.control import currently_in_test_context
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import RuleBasedStateMachine

from tripwire import _context
from tripwire._context import current_verifier
from tripwire._per_example import current_example
from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin
from tripwire.plugins.redis_plugin.call import own_copy
from tripwire_hypothesis._answerers.scripted import ConsumedStep, Script, Step, normalise
from tripwire_hypothesis._checks import check_bool, invalid
from tripwire_hypothesis._reproduction import reproduction
from tripwire_hypothesis._verifiers import check_example_verifier

if TYPE_CHECKING:
    from types import CodeType

    from tripwire._verifier import StrictVerifier
    from tripwire_hypothesis._answerers.drawn import Answerer, Policy
    from tripwire_hypothesis._answerers.draws import Draws
    from tripwire_hypothesis._answerers.model import Fault, Model, ModelClient

__all__ = ["ConsumedStep", "RedisSession", "Step"]


class _NotGiven:
    def __repr__(self) -> str:
        return "<not given>"


_NOT_GIVEN: Any = _NotGiven()

#: What redis-py wraps around a transaction: recorded, never mocked, asserted with no arguments.
_TRANSACTION_FRAME = frozenset({"MULTI", "EXEC"})
_NO_ARGUMENTS: Mapping[str, Any] = {"args": (), "kwargs": {}}
_NO_ENTRY: Mapping[str, Any] = {}
_ENTRY_FIELDS = frozenset({"args", "kwargs"})


class _Installation(NamedTuple):
    verifier: StrictVerifier
    plugin: RedisPlugin
    #: The timeline's length at installation: the session's calls are recorded after it.
    start: int
    answerer: Answerer | Script
    #: The test function that installed the session, the session's argument name in it (if it
    #: is one), and its other arguments then.
    code: CodeType
    session_name: str | None
    arguments: dict[str, Any]
    #: Installed by a state machine's rule: the report prints the session, not a test.
    machine: bool = False


class RedisSession:
    """What Redis answers in one example: drawn at each call, or scripted step by step.

    `tripwire_hypothesis.redis_session` draws sessions that answer at call time. By hand, a
    session is a script of steps (``RedisSession([Step("GET", returns=None)])``) that answer in
    order, per command; its repr is the code that builds it. Either way a session answers only
    the calls that no mock registered with ``tripwire.redis.mock_command`` covers.
    """

    __slots__ = (
        "_draws",
        "_faults",
        "_installed",
        "_model",
        "_model_run",
        "_policy",
        "required",
        "steps",
    )

    def __init__(self, steps: Iterable[Step] = (), *, required: bool = True) -> None:
        # A str is iterable too, and a single Step is not a script of one.
        given_steps: object = steps
        if isinstance(given_steps, (str, bytes)) or not isinstance(given_steps, Iterable):
            raise invalid("RedisSession", "steps", "an iterable of Step objects", steps)
        self.steps: tuple[Step, ...] = tuple(steps)
        for step in self.steps:
            if not isinstance(step, Step):
                raise invalid("RedisSession", "steps", "an iterable of Step objects", self.steps)
        #: Whether every step must be consumed by the end of the example.
        self.required = check_bool("RedisSession", "required", required)
        self._policy: Policy | None = None
        self._draws: Draws | None = None
        self._installed: _Installation | None = None
        self._model: Model | None = None
        #: The test or example (`tripwire._context.Scope`) that the model belongs to.
        self._model_run: object = None
        self._faults: tuple[Fault | None, ...] | None = None

    @property
    def commands(self) -> frozenset[str] | None:
        """The commands this session answers: its steps' or its ``commands=``; None for all."""
        if self._policy is not None:
            return self._policy.commands
        return frozenset(step.command for step in self.steps)

    @classmethod
    def _drawing(cls, draws: Draws | None, policy: Policy) -> RedisSession:
        """A session that draws each answer with ``draws`` when the code makes the call."""
        # Made once per example: the checks of __init__ have nothing to check here.
        session = cls.__new__(cls)
        session.steps = ()
        session.required = True
        session._policy = policy
        session._draws = draws
        session._installed = None
        session._model = None
        session._model_run = None
        session._faults = None
        return session

    # -- model sessions (tripwire_hypothesis._answerers.model) ----------------------------------

    @classmethod
    def from_faults(
        cls, faults: Iterable[Fault | None], *, decode_responses: bool = False
    ) -> RedisSession:
        """A session answered by a fresh model of Redis, its calls failing as ``faults`` says.

        One entry per call the model answers (and per transaction's ``EXEC``), in call order:
        ``None`` for the model's reply, or a `Fault`. Calls after the last entry get the model's
        reply. This is how the report of a failing ``redis_session(model=True)`` example prints
        the session, to replay it without drawing.
        """
        # Imported on first use: the model imports fakeredis, an optional dependency.
        from tripwire_hypothesis._answerers.drawn import Policy
        from tripwire_hypothesis._answerers.model import FAULT_KINDS, Fault

        given: object = faults
        requirement = "an iterable of Fault objects or None"
        if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
            raise invalid("RedisSession.from_faults", "faults", requirement, faults)
        script = tuple(faults)
        for fault in script:
            if fault is not None and not isinstance(fault, Fault):
                raise invalid("RedisSession.from_faults", "faults", requirement, fault)
        decode = check_bool("RedisSession.from_faults", "decode_responses", decode_responses)
        body = "".join(f"\n    {fault!r}," for fault in script)
        options = ", decode_responses=True" if decode else ""
        policy = Policy(
            commands=None,
            replies={},
            errors=None,
            cut=0,
            decode_responses=decode,
            max_answers=sys.maxsize,
            spelled=f"RedisSession.from_faults([{body}\n]{options})",
            model=True,
            faults=FAULT_KINDS,
        )
        session = cls._drawing(None, policy)
        session._faults = script
        return session

    @property
    def model(self) -> ModelClient:
        """A client of this example's model of Redis, for a ``redis_session(model=True)`` session.

        tripwire never intercepts it, inside the sandbox or out: seed the model with it before
        ``with tripwire:``, and read its state after. Its calls are not recorded. Each test or
        example that uses the session gets a fresh model.
        """
        policy = self._policy
        if policy is None or not policy.model:
            raise InvalidArgument(
                "RedisSession.model needs a session answered by a model: draw it with "
                "redis_session(model=True)."
            )
        # One model per run: a session kept across runs (an @example, a rerun) starts afresh.
        run = _context._scope
        if self._model is None or self._model_run is not run:
            # Imported on first use: it imports fakeredis, an optional dependency.
            from tripwire_hypothesis._answerers.model import Model

            self._model = Model(decode_responses=policy.decode_responses)
            self._model_run = run
        return self._model.client

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

        From then on the session answers every call that no mock covers: a drawn session draws
        each answer, a scripted one gives its steps in order per command (a call beyond them is
        unmocked, and a required step left unused fails the example). Inside a Hypothesis example
        that has no verifier of its own it raises `NoExampleVerifierError`, since the answers
        would leak into the next example.
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
        answerer: Answerer | Script
        if self._policy is not None and self._policy.model:
            answerer = _model_answerer(self, plugin, caller)
        elif self._policy is not None and self._draws is not None:
            answerer = _answerer_class()(plugin, self._policy, self._draws, caller)
        else:
            site = (caller.f_code, caller.f_lasti)
            required = self.required
            # Each run its own replies, one the code edits not changing the next run's; an
            # error raised again (the same, as the session says) without the earlier tracebacks.
            steps = [
                plugin.new_call(
                    step.command,
                    own_copy(step.returns),
                    _untraced(step.raises),
                    site,
                    required=required,
                )
                for step in self.steps
            ]
            answerer = Script(plugin, steps, site)
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
            verifier,
            plugin,
            start,
            answerer,
            code,
            session_name,
            arguments,
            isinstance(local.get("self"), RuleBasedStateMachine),
        )
        plugin.answerer = answerer
        if example is not None:
            example.on_failure(self._note_reproduction)

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
        calls = _calls(installed)
        return tuple(_consumed_step(index, call) for index, call in enumerate(calls))

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
        assert_command = installed.plugin.assert_command
        for index, call in enumerate(_calls(installed)):
            command = call.command
            entry = entries.get(command)
            if entry is None:
                entry = _NO_ARGUMENTS if command in _TRANSACTION_FRAME else _NO_ENTRY
            expected_args = entry.get("args", args)
            if expected_args is _NOT_GIVEN:
                raise InvalidArgument(
                    f"RedisSession.assert_consumed() has no expected args for "
                    f"{command!r}, call {index}. Pass args=..., or an entry "
                    f"{{{command!r}: {{'args': ...}}}}."
                )
            expected_kwargs = entry.get("kwargs", kwargs)
            if _of_the_call(expected_args) or _of_the_call(expected_kwargs):
                step = _consumed_step(index, call)
                if _of_the_call(expected_args):
                    expected_args = expected_args(step)
                if _of_the_call(expected_kwargs):
                    expected_kwargs = expected_kwargs(step)
            assert_command(command, args=expected_args, kwargs=expected_kwargs)

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
        script = getattr(installed.answerer, "script", None)
        return reproduction(
            code=installed.code,
            session_name=installed.session_name,
            arguments=installed.arguments,
            answers=self.answers,
            consumed=self.consumed,
            required=self.required,
            session_code=script() if script is not None else None,
        )

    def _note_reproduction(self) -> None:
        # An example outside Hypothesis (per_example_verifier on a plain function) has no report.
        if currently_in_test_context():
            note(_Reproduction(self))


@functools.cache
def _answerer_class() -> type[Answerer]:
    # Imported on first use: it imports redis-py, which a scripted session does not need.
    from tripwire_hypothesis._answerers.drawn import Answerer

    return Answerer


def _model_answerer(session: RedisSession, plugin: RedisPlugin, caller: Any) -> Answerer:
    """The answerer of a model session: its model's replies, with faults drawn or scripted."""
    # Imported on first use: it imports fakeredis, an optional dependency.
    from tripwire_hypothesis._answerers.model import ModelAnswerer

    policy = session._policy
    assert policy is not None
    session.model  # noqa: B018 - makes the example's model
    assert session._model is not None
    return ModelAnswerer(plugin, policy, session._draws, caller, session._model, session._faults)


def _untraced(raises: BaseException | type[BaseException] | None) -> Any:
    if isinstance(raises, BaseException):
        raises.with_traceback(None)
    return raises


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
        if (type(entry) is not dict and not isinstance(entry, Mapping)) or not (
            entry.keys() <= _ENTRY_FIELDS
        ):
            raise invalid("RedisSession.assert_consumed", "per_command", requirement, entry)
        entries[normalise(command)] = entry
    return entries


def _of_the_call(expected: Any) -> bool:
    """Whether an expectation is a function of the call rather than a value or a matcher."""
    # A class such as dirty_equals.IsStr is a matcher, not a function of the call.
    return callable(expected) and not isinstance(expected, type)


def _calls(installed: _Installation) -> Iterator[RedisCall]:
    """The calls recorded on the session's plugin since it was installed, in order."""
    plugin = installed.plugin
    for entry in installed.verifier.timeline.entries[installed.start :]:
        if entry.plugin is plugin:
            yield entry  # type: ignore[misc]


def _consumed_step(index: int, call: RedisCall) -> ConsumedStep:
    raises = call.raises
    returns = None if raises is not None else call.returns
    return ConsumedStep(index, call.command, call.args, call.kwargs, returns, raises)


class _Reproduction:
    """Formats the reproduction only if Hypothesis prints the note (the final, shrunk example)."""

    __slots__ = ("session",)

    def __init__(self, session: RedisSession) -> None:
        self.session = session

    def __repr__(self) -> str:
        session = self.session
        installed = session._installed
        if installed is not None and installed.machine:
            # The steps Hypothesis printed are the program; the session is what they replay with.
            script = getattr(installed.answerer, "script", None)
            code = script() if script is not None else repr(RedisSession(session.answers))
            return (
                "# This run's session, to pass instead of the drawn one in the steps above:\n"
                + code
            )
        return "# The same example as a plain pytest test:\n" + session.reproduction()
