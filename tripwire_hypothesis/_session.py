"""`RedisSession`: what Redis answers in one example, installed on the example's `RedisPlugin`.

A session drawn by `redis_session` answers every command the code sends inside the sandbox,
drawing each reply (or injected error) at the moment of the call. A session built by hand,
``RedisSession([Step(...), ...])``, is a script (`tripwire_hypothesis._answerers.scripted`), for
``@example`` and for the printed reproduction of a failure. Either way the body calls
`RedisSession.install` once, runs the code inside ``with tripwire:``, and asserts what happened
with `RedisSession.assert_sent`.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hypothesis import note
from hypothesis.control import currently_in_test_context
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import RuleBasedStateMachine

from tripwire import _context
from tripwire._context import current_verifier
from tripwire._per_example import current_example
from tripwire.plugins.redis_plugin import RedisPlugin
from tripwire.plugins.redis_plugin.call import own_copy
from tripwire_hypothesis._answerers.scripted import ConsumedStep, Script, Step
from tripwire_hypothesis._checks import check_bool, invalid
from tripwire_hypothesis._installation import (
    Installation,
    consumed_step,
    resent_attempts,
    session_calls,
)
from tripwire_hypothesis._model_session import from_faults_policy, model_answerer
from tripwire_hypothesis._reproduction import example_decorator, reproduction, test_frame
from tripwire_hypothesis._reproduction_note import ReproductionNote
from tripwire_hypothesis._sent import assert_sent as _assert_sent
from tripwire_hypothesis._verifiers import check_example_verifier

if TYPE_CHECKING:
    from tripwire_hypothesis._answerers.drawn import Answerer, Policy
    from tripwire_hypothesis._answerers.draws import Draws
    from tripwire_hypothesis._answerers.model import Fault, Model, ModelClient
    from tripwire_hypothesis._concurrency.clock import Clock

__all__ = ["ConsumedStep", "RedisSession", "Step"]


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
        "_initial",
        "_installed",
        "_model",
        "_model_run",
        "_policy",
        "_replay",
        "_schedule",
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
        self._installed: Installation | None = None
        self._model: Model | None = None
        #: The test or example (`tripwire._context.Scope`) that the model belongs to.
        self._model_run: object = None
        self._faults: tuple[Fault | None, ...] | None = None
        self._schedule: tuple[str | float, ...] | None = None
        self._initial: dict[str, Any] | None = None
        #: Whether it replays a story (`replay`).
        self._replay = False

    @classmethod
    def replay(cls, steps: Iterable[Step]) -> RedisSession:
        """A failing example's story, replayed call by call, for ``@example(session=...)``.

        Each call no mock covers gets the next step of its command, in order; a call beyond the
        steps (the code changed) gets the reply a drawn answer shrinks to (a miss, ``0``, empty,
        ``True``), and a step left unused is not an error. So the property, the oracle, passes
        once the code is fixed. A failure report prints it.
        """
        given: object = steps
        if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
            raise invalid("RedisSession.replay", "steps", "an iterable of Step objects", steps)
        session = cls(steps, required=False)
        session._replay = True
        return session

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
        session._schedule = None
        session._initial = None
        session._replay = False
        return session

    # -- model sessions (tripwire_hypothesis._answerers.model) ----------------------------------

    @classmethod
    def from_faults(
        cls,
        faults: Iterable[Fault | None],
        *,
        schedule: Iterable[str | float] | None = None,
        initial: Mapping[str, Any] | None = None,
    ) -> RedisSession:
        """A session answered by a fresh model of Redis, its calls failing as ``faults`` says.

        One entry per call the model answers (and per transaction's ``EXEC``), in call order:
        ``None`` for the model's reply, or a `Fault`. Calls after the last entry get the model's
        reply. This is how the report of a failing ``redis_session(model=True)`` example prints
        the session, to replay it without drawing.

        ``schedule`` replays the steps of concurrent clients and the pauses between steps: the
        name of the client that runs each step (``"A"`` for the first callable passed to
        `concurrently`, ``"-"`` for the example's own thread), a number of seconds the clock
        moves on before the next step. ``initial`` is what a key holds when the code first reads
        it (``{"user:1": b"..."}``, a hash as a dict, a list, set or sorted set as a list), as
        ``redis_session(model=True, values=...)`` drew it.
        """
        policy, script, steps = from_faults_policy(faults, schedule, initial)
        session = cls._drawing(None, policy)
        session._faults = script
        session._schedule = steps
        session._initial = None if initial is None else dict(initial)
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

            self._model = Model()
            self._model_run = run
        return self._model.client

    @property
    def clock(self) -> Clock:
        """The clock of this example's model of Redis: its TTLs expire by it.

        It starts at the wall clock's time when the example's model is made and moves only
        when told: ``session.clock.advance(seconds)``, a pause drawn with
        ``redis_session(model=True, time_passes=True)``, a blocking command's timeout. Read it
        with ``session.clock.time()``; give it to the code with ``session.clock.patch_time()``,
        or hand it to time-machine with ``session.clock.follow(traveller)``.
        """
        self.model  # noqa: B018 - checks the session, makes the example's model
        assert self._model is not None
        return self._model.clock

    def concurrently(self, *functions: Callable[[], Any], timeout: float = 2.0) -> list[Any]:
        """Run each function as a client of its own, Hypothesis choosing who sends each command.

        Each function (called with no arguments) runs in a thread of its own, one at a time:
        it runs until its next Redis command, and once every client waits at one (or has
        returned), Hypothesis chooses which sends its command next. A pipeline's or
        transaction's batch is one step. A blocking command that finds nothing waits until
        another client writes, or, when no client can run, until the model's clock reaches its
        timeout. Schedules replay exactly and shrink towards the fewest switches.

        Returns a list with one entry per function, in order: what it returned, or the
        exception it raised (as ``asyncio.gather(..., return_exceptions=True)``). tripwire's
        own errors (a call no session answers) are raised instead.

        A client that runs ``timeout`` wall-clock seconds without sending a command, keeps
        sending commands past ``max_answers``, or waits for a write no client will make, fails
        the example with `StuckClientError` naming it. No thread outlives the call.
        """
        from tripwire_hypothesis._concurrency.run import run_threads

        return run_threads(self, "concurrently", functions, timeout)

    async def concurrently_async(
        self, *functions: Callable[[], Awaitable[Any]], timeout: float = 2.0
    ) -> list[Any]:
        """`concurrently` for asyncio: each function returns an awaitable (an ``async def``
        function, or a ``lambda`` calling one), run as a task of the running event loop."""
        from tripwire_hypothesis._concurrency.run import run_tasks

        return await run_tasks(self, "concurrently_async", functions, timeout)

    # -- reprs: the code that builds the session -----------------------------------------------

    def __repr__(self) -> str:
        if self._policy is not None:
            return self._policy.spelled
        if self._replay:
            body = "".join(f"\n    {step!r}," for step in self.steps)
            return f"RedisSession.replay([{body}\n])"
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
            answerer = model_answerer(self, plugin, caller)
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
            outages = frozenset(
                id(mock) for mock, step in zip(steps, self.steps, strict=True) if step.outage
            )
            answerer = Script(plugin, steps, site, outages, self._replay)
        # The test's arguments, for the reproduction; the session itself is named, not kept,
        # which would make a reference cycle of it. The test, not a helper it calls to install.
        test = test_frame(caller)
        code = test.f_code
        session_name = None
        arguments = {}
        local = test.f_locals
        for name in code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]:
            value = local.get(name)
            if value is self:
                session_name = name
            elif name != "self":
                arguments[name] = value
        start = len(verifier.timeline)
        self._installed = Installation(
            verifier,
            plugin,
            start,
            answerer,
            code,
            session_name,
            arguments,
            isinstance(
                (local if test is caller else caller.f_locals).get("self"), RuleBasedStateMachine
            ),
        )
        plugin.answerer = answerer
        if example is not None:
            example.on_failure(self._note_reproduction)

    def _installation(self, what: str) -> Installation:
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
        calls = session_calls(installed)
        resent = resent_attempts(installed)
        return tuple(consumed_step(index, call, resent) for index, call in enumerate(calls))

    @property
    def answers(self) -> tuple[Step, ...]:
        """What the session answered: its steps, then each drawn answer, in call order.

        ``RedisSession(session.answers)`` replays the example without drawing.
        """
        installed = self._installed
        answerer = installed.answerer if installed is not None else None
        if not isinstance(answerer, _answerer_class()):
            return self.steps
        outages = answerer._outages
        return self.steps + tuple(
            Step(mock.command, returns=mock.returns, raises=mock.raises, outage=True)
            if id(mock) in outages
            else Step(mock.command, returns=mock.returns, raises=mock.raises)
            for mock in answerer.answered
        )

    def assert_sent(self, expected: Sequence[Any] | Mapping[str, Any], /) -> None:
        """Assert what the code sent since `install`, in the order sent, command names included.

        A list is every call, in order: each entry the command and its arguments after it, as
        a tuple of values or matchers (``("SET", "k", IsBytes())``), a matcher of that tuple,
        or a function of the `ConsumedStep` returning one::

            session.assert_sent([("INCRBY", "user:1", 1), ("EXPIRE", "user:1", 60)])

        A mapping says, per command, the arguments every call of it is sent with (a tuple, a
        matcher, or a function of the call), for code whose calls depend on the answers; the
        commands that take no arguments (``MULTI``, ``EXEC``, ``DISCARD``, ``UNWATCH``) are
        expected with none unless it says otherwise::

            session.assert_sent({"GET": ("user:1",), "SET": ("user:1", IsBytes())})

        A call that does not match raises `UnexpectedCommandError` (an ``AssertionError``) naming
        what the code sent and the assertion of what it sent, to paste if the code is right.
        Keyword options redis-py adds (``keys=[...]`` from 5.1 on) are not sent, and not checked.
        """
        __tracebackhide__ = True
        installed = self._installation("RedisSession.assert_sent")
        resent = resent_attempts(installed)
        calls = list(session_calls(installed))
        # redis-py's own resends of a call are not the code's: what it sent is checked once.
        _assert_sent(
            [call for call in calls if id(call) not in resent],
            lambda index, call: consumed_step(index, call, resent),
            expected,
        )
        for call in calls:
            call.asserted = True

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

    def _example_decorator(self) -> str:
        """This example as an ``@example(...)`` of the property, replaying its story."""
        installed = self._installed
        assert installed is not None
        script = getattr(installed.answerer, "script", None)
        session_code = script() if script is not None else repr(RedisSession.replay(self.answers))
        return example_decorator(
            code=installed.code,
            session_name=installed.session_name,
            arguments=installed.arguments,
            session_code=session_code,
        )

    def _note_reproduction(self) -> None:
        # An example outside Hypothesis (per_example_verifier on a plain function) has no report.
        if currently_in_test_context():
            note(ReproductionNote(self))


@functools.cache
def _answerer_class() -> type[Answerer]:
    # Imported on first use: it imports redis-py, which a scripted session does not need.
    from tripwire_hypothesis._answerers.drawn import Answerer

    return Answerer


def _untraced(raises: BaseException | type[BaseException] | None) -> Any:
    if isinstance(raises, BaseException):
        raises.with_traceback(None)
    return raises
