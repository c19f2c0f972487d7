"""`RedisPlugin`: strict mocks for redis-py, one FIFO queue per command name.

redis-py is intercepted at the class level (``Redis.execute_command``), so every client, including
those created before the sandbox opened, is covered. Reply parsing happens inside
``execute_command``: a mock's ``returns`` is the final Python value the caller receives.
"""

from __future__ import annotations

import itertools
import sys
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from types import CodeType
from typing import Any, ClassVar

from tripwire import _config, _verifier
from tripwire._errors import (
    UnmockedInteractionError,
    describe_call,
    safe_repr,
)
from tripwire._plugin import BasePlugin
from tripwire._reprs import code_line, shortened
from tripwire._timeline import Interaction
from tripwire._validate import check_bool, check_command, check_exception, invalid
from tripwire._verifier import StrictVerifier
from tripwire.plugins.redis_plugin import cluster  # noqa: F401  # registers its interceptors
from tripwire.plugins.redis_plugin import messages as _messages
from tripwire.plugins.redis_plugin import scripts as _scripts
from tripwire.plugins.redis_plugin import unused as _unused
from tripwire.plugins.redis_plugin.answerer import Answerer
from tripwire.plugins.redis_plugin.call import (
    FINE_REPLIES,
    NO_KWARGS,
    OWN_REPLY,
    Counted,
    RedisCall,
    Repeat,
    Unlimited,
    check_replies,
    suspect,
)
from tripwire.plugins.redis_plugin.intercept import interceptors as _intercept
from tripwire.plugins.redis_plugin.intercept import sockets  # noqa: F401  # registers its interceptors
from tripwire.plugins.redis_plugin.passwords import scrub_args
from tripwire.plugins.redis_plugin.pubsub import PubSubMocks
from tripwire.plugins.redis_plugin.scripts import ScriptSource
from tripwire.plugins.redis_plugin.wire import Exactly, near_notes

__all__ = ["Exactly", "RedisCall", "RedisPlugin", "ScriptSource"]


#: Command names given to `RedisPlugin.mock_command`, checked and upper-cased.
_CHECKED_NAMES: dict[str, str] = {}

#: ``times``' default, compared by identity (small ints are shared), so that ``True`` and ``1.0``
#: reach the argument check.
_ONE = 1
#: ``sys.modules``, read by `RedisPlugin.mock_command` on every registration.
_MODULES = sys.modules


class RedisPlugin(PubSubMocks, BasePlugin):
    """Mocks for redis-py, reached in tests as ``tripwire.redis``.

    Register with `mock_command` before the sandbox opens, run the code inside ``with tripwire:``,
    then check each call with `assert_command`.
    """

    name: ClassVar[str] = "redis"

    def __init__(self, verifier: StrictVerifier) -> None:
        #: Canonical (upper-case) command name -> its FIFO queue of unconsumed mocks.
        self._queues: dict[str, deque[RedisCall]] = {}
        #: Every spelling seen at a call ("GET", "get", b"GET") -> the same queue objects, so the
        #: intercepted call finds its queue with one dict lookup and no string building.
        self._lookup: dict[Any, deque[RedisCall]] = {}
        #: Registration order across commands, for reporting unused mocks as they were written.
        self._next_order = itertools.count().__next__
        #: The mocks whose replies a client of the default configuration could never get
        #: (`suspect`): each is checked once consumed, when a sandbox closes.
        self._suspects: list[RedisCall] = []
        #: The queues of commands with a ``times=None`` mock.
        self._unlimited: list[Unlimited] = []
        #: Answers the calls for which no mock is queued (a Hypothesis session drawing replies
        #: at call time). Consulted on the slow path only.
        self.answerer: Answerer | None = None
        super().__init__(verifier)
        #: Records a consumed mock on the verifier's timeline.
        self._record = verifier.timeline.entries.append

    # -- registration --------------------------------------------------------------------------

    def mock_command(
        self,
        command: str,
        *,
        returns: Any,
        raises: BaseException | type[BaseException] | None = None,
        required: bool = True,
        times: int | None = 1,
        check_returns: bool = True,
    ) -> RedisCall:
        """Queue a mock for the next call of ``command``, or for the next ``times`` calls.

        ``returns`` is given back to the caller unchanged (the same object); ``raises``, an
        exception instance or class, is raised instead. An unconsumed ``required`` mock fails the
        test at teardown. ``times=N`` queues it for N calls, each recorded and asserted on its
        own; ``times=None`` answers every call of ``command`` once the mocks queued before it
        are used. Each call after the first gets its own copy of a mutable ``returns`` and a new
        instance of an exception in ``raises``. ``returns`` can be any value. Once consumed, it is
        checked against what the calling client can get from redis-py for ``command``: one it
        could never get is reported when the sandbox closes (``reply_check`` in
        ``[tool.tripwire]``); ``check_returns=False`` skips that. Returns the (first) mock, which
        becomes the recorded interaction when consumed.
        """
        # A command name already seen skips the checks and the upper-casing. Not mutated: the
        # cache changes only the speed (a name missing from it is checked again).
        name = _CHECKED_NAMES.get(command) if type(command) is str else None  # pragma: no mutate
        if name is None:
            name = check_command("mock_command", command)
            if len(_CHECKED_NAMES) < 1024:  # pragma: no mutate
                _CHECKED_NAMES[command] = name  # pragma: no mutate
        if raises is not None:
            check_exception("mock_command", "raises", raises)
        # Skips only the check of the default. Not mutated: `is not False` skips a valid value too.
        if required is not True:  # pragma: no mutate
            check_bool("mock_command", "required", required)
        # No Hypothesis imported, no example running: a dict lookup instead of the probe's call.
        if (
            "hypothesis.control" in _MODULES
            and not self.verifier._made_in_example
            and _verifier._probe()
        ):
            # Registered in a Hypothesis example on a verifier it does not own (find(), @given
            # inside a test): the mock would answer the next example.
            self.verifier.refuse_in_example("mock_command() was called")
        if times is not _ONE or check_returns is not True:
            return self._mock_special(name, returns, raises, required, times, check_returns)
        mock = RedisCall(
            self, name, returns, raises, required, sys._getframe(1), self._next_order()
        )
        queue = self._queues.get(name)
        if queue is None:
            queue = self._queues[name] = self._lookup[name] = deque()
        queue.append(mock)
        # A reply found before to be one a default client can get needs no check; any other is
        # looked at now, and once consumed if it is not one (`suspect`). None raised: unchecked.
        try:
            if returns is not FINE_REPLIES[name] and raises is None:
                suspect(mock)
        except KeyError:  # a command not registered before
            if raises is None:
                suspect(mock)
        return mock

    def _mock_special(
        self,
        name: str,
        returns: Any,
        raises: BaseException | type | None,
        required: bool,
        times: Any,
        check_returns: Any,
    ) -> RedisCall:
        """`mock_command` with ``times`` or ``check_returns`` given."""
        if times is not None and (type(times) is not int or times < 1):
            raise invalid(
                "mock_command", "times", "a positive int, or None for any number of calls", times
            )
        trusted = not check_bool("mock_command", "check_returns", check_returns)
        mock = RedisCall(
            self, name, returns, raises, required, sys._getframe(2), self._next_order()
        )
        if trusted:
            mock._trusted = True
        if times == 1:
            # Only with check_returns=False (times=1 and the check are mock_command's own path):
            # nothing to suspect.
            self._queue_of(name, deque).append(mock)
            return mock
        # One mock is queued at a time; taking it queues the next (`Counted`).
        mock._group = group = Repeat(times, returns, raises)
        queue = self._queue_of(name, Counted)
        if times is not None or isinstance(queue, Unlimited):
            queue.append(mock)  # refused after a times=None mock, which answers every call
        group.suspect = raises is None and not trusted and suspect(mock)
        if times is None:
            unlimited = Unlimited(queue, mock)
            self._unlimited.append(unlimited)
            self._replace(name, queue, unlimited)
        return mock

    def _queue_of(self, name: str, kind: type[deque[RedisCall]]) -> deque[RedisCall]:
        """The queue of command ``name``, made, or made a `Counted` one, if needed."""
        queue = self._queues.get(name)
        if queue is None:
            queue = self._queues[name] = self._lookup[name] = kind()
        elif kind is Counted and not isinstance(queue, Counted):
            counted = Counted(queue)
            self._replace(name, queue, counted)
            queue = counted
        return queue

    def _replace(self, name: str, queue: deque[RedisCall], by: deque[RedisCall]) -> None:
        """Make ``by`` the queue of command ``name`` instead of ``queue``, however spelled."""
        self._queues[name] = by
        for spelling, known in list(self._lookup.items()):
            if known is queue:
                self._lookup[spelling] = by

    def script(self, source: str | bytes) -> ScriptSource:
        """A value equal to the Lua script ``source`` and to its sha1, for `assert_command`.

        ``tripwire.redis.assert_command("EVALSHA", args=(tripwire.redis.script(SOURCE), 1, key))``
        asserts that the script with this source ran, whichever way redis-py sent it.
        """
        if not isinstance(source, (str, bytes)) or not source:
            raise invalid("script", "source", "a non-empty str or bytes (a Lua script)", source)
        return ScriptSource(source)

    def exactly(self, value: Any) -> Exactly:
        """``value``, compared as the Python value redis-py was given, not as sent to Redis.

        ``assert_command("EXPIRE", args=("k", tripwire.redis.exactly(60)))`` fails for a call
        that passed ``"60"``, which plain ``60`` matches. Wrap one value, or the whole ``args``.
        """
        return Exactly(value)

    # -- assertion -----------------------------------------------------------------------------

    def assert_command(self, command: str, args: Any = (), kwargs: Any = None) -> RedisCall:
        """Assert that the next unasserted interaction is ``command`` called with these arguments.

        ``args`` are the positional arguments after the command name, ``kwargs`` the keyword
        arguments (``None`` means ``{}``). Any value may be a matcher such as
        ``dirty_equals.IsInstance(dict)``. Plain values (str, bytes, int, float) match what Redis
        receives: ``60``, ``"60"`` and ``b"60"`` are equal, as they are on the wire; a value
        wrapped in `exactly` must equal the one redis-py was given. Inside
        ``tripwire.in_any_order()`` any unasserted interaction may match.
        """
        __tracebackhide__ = True
        name = _CHECKED_NAMES.get(command) if type(command) is str else None  # pragma: no mutate
        if name is None:
            name = check_command("assert_command", command)
        if type(args) is list:
            args = tuple(args)
        if kwargs is None:
            kwargs = NO_KWARGS
        verifier = self.verifier
        # The common case, in order and equal as Python values, without building the expected
        # mapping; the verifier's general path compares as sent and words the errors. Not
        # mutated: skipping this shortcut, or taking it in any order too, gives the same result.
        in_order = not verifier._any_order  # pragma: no mutate
        if not verifier._depth and in_order:
            entry: Any = verifier.timeline.next_unasserted()  # pragma: no mutate
            if entry is not None and entry.plugin is self:
                try:
                    # The expected values on the left: a matcher's __eq__ decides.
                    if name == entry.command and args == entry._sent[1:] and kwargs == entry.kwargs:
                        entry.asserted = True
                        return entry  # type: ignore[no-any-return]
                except Exception:
                    pass  # the general path reports it
        expected = {"command": name, "args": args, "kwargs": kwargs}
        return verifier.assert_interaction(  # type: ignore[return-value]
            self, expected, helper="assert_command()"
        )

    # -- the intercepted call ------------------------------------------------------------------
    # The interceptors (`interceptors`) read the active plugin's `_lookup`, `_record` (or
    # its timeline's entries), `_resolve` and `_unmocked`: a call costs a hash of its arguments,
    # a dict lookup, a pop and an append.

    def _consume_if_queued(
        self, args: tuple[Any, ...], options: dict[str, Any]
    ) -> RedisCall | None:
        """Take and record the next mock of ``args[0]``, or None when none is queued.

        One ``popleft``, so two threads cannot both count on the last mock.
        """
        queue = self._queues.get(args[0])
        if queue is None:
            return None
        try:
            mock = queue.popleft()
        except IndexError:
            if not isinstance(queue, Unlimited):
                return None
            mock = self._repeat(queue.template)
        mock._sent = args
        mock.kwargs = options
        self._record(mock)
        return mock

    def _record_builtin(
        self, args: tuple[Any, ...], options: dict[str, Any], returns: Any
    ) -> RedisCall:
        """Record a call that needs no mock (a transaction's MULTI, a committing EXEC).

        The call is recorded like a consumed mock, and must be asserted like one. Never queued,
        it counts as registered where it was recorded.
        """
        # Not mutated: never queued, it is never reported unused, the one use of its `required`,
        # `order` and registration frame.
        # pragma: no mutate start
        call = RedisCall(self, args[0], returns, None, False, sys._getframe(1), 0)
        # pragma: no mutate end
        call._sent = args
        call.kwargs = options
        # Not mutated: read only as `is True` (check_returns=False) and by `Repeat`, which never
        # sees a call that was never queued, so None is the same.
        call._trusted = OWN_REPLY  # pragma: no mutate
        self._record(call)
        return call

    def _exec_without_mock(self, watching: bool) -> RedisCall:
        """Record the EXEC of a transaction for which no EXEC mock is queued.

        The one place that decides how such an EXEC ends: it commits. The recorded call's
        ``raises``, when set, fails the transaction instead.
        """
        answerer = self.answerer
        if answerer is None:
            return self._record_builtin(("EXEC",), {}, None)
        call = answerer.answer_exec(watching)
        call._sent = (call.command,)
        call.kwargs = {}
        self._record(call)
        return call

    def _resolve(self, args: tuple[Any, ...], options: dict[str, Any]) -> deque[RedisCall]:
        """Slow path: the queue for a command spelled in a way not seen before.

        Called while the hot path handles its lookup failure, hence ``from None``.
        """
        __tracebackhide__ = True
        if not args:
            raise invalid(
                "execute_command", "args", "a command name followed by its arguments", args
            ) from None
        spelling = args[0]
        if isinstance(spelling, bytes):
            name = spelling.decode(errors="replace")
        else:
            name = spelling if isinstance(spelling, str) else ""
        if not name.strip():
            raise invalid(
                "execute_command", "command", "a non-empty str or bytes", spelling
            ) from None
        queue = self._queues.get(name.upper())
        if queue is None:
            answerer = self.answerer
            if answerer is not None:
                # Not cached in the lookup: the next call of this command is answered afresh.
                return deque((answerer(args, options),))
            raise self._unmocked(args, options) from None
        self._lookup[spelling] = queue
        return queue

    def _exhausted(self, args: tuple[Any, ...], options: dict[str, Any]) -> RedisCall:
        """Slow path: every mock queued for the command was consumed.

        Called while the hot path handles the empty queue's ``IndexError``, hence ``from None``.
        """
        __tracebackhide__ = True
        queue = self._queues.get(_canonical(args[0]))
        if isinstance(queue, Unlimited):
            return self._repeat(queue.template)
        answerer = self.answerer
        if answerer is not None:
            return answerer(args, options)
        raise self._unmocked(args, options) from None

    def _repeat(self, template: RedisCall) -> RedisCall:
        """A new mock like ``template``, a ``times=None`` mock, for one more call."""
        group = template._group
        # Not mutated: only whether a times=None mock was used is read (`Repeat.used`).
        group.used += 1  # pragma: no mutate
        return group.next_of(template)

    def new_call(
        self,
        command: str,
        returns: Any,
        raises: BaseException | type | None,
        site: tuple[CodeType, int],
        *,
        required: bool = False,
    ) -> RedisCall:
        """A mock that no queue holds: an answerer's, made when it is needed.

        It counts as registered at ``site`` (a code object and an instruction offset in it, as
        `Interaction` keeps them), in registration order after every mock so far.
        """
        mock = RedisCall(
            self, command, returns, raises, required, sys._getframe(), self._next_order()
        )
        mock._origin, mock._offset = site
        # tripwire's own answer: its reply needs no check.
        mock._trusted = OWN_REPLY
        return mock

    def _unmocked(self, args: tuple[Any, ...], options: dict[str, Any]) -> UnmockedInteractionError:
        name = _canonical(args[0])
        notes = near_notes(name, self._queues, self._recorded())
        if name in ("EVALSHA", "EVALSHA_RO") and len(args) > 1:
            source = _scripts.source_of(args[1], self._recorded())
            if source is not None:
                notes.append(f"The script {args[1]!r} is: {_scripts.shown(source)}")
        error = UnmockedInteractionError(
            f"redis.{shortened(name)}(...) was called but no mock was registered.",
            code_line(lambda: f"tripwire.redis.mock_command({safe_repr(name)}, returns=...)"),
            describe_call(scrub_args(name, args[1:]), options),
            "\n".join(notes),
        )
        self.verifier.report_unmocked(error)
        return error

    def _recorded(self) -> Iterator[RedisCall]:
        """This plugin's recorded calls, in the order they happened, read only if needed."""
        entries = self.verifier.timeline.entries
        return (call for call in entries if call.plugin is self)  # type: ignore[misc]

    # -- lifecycle -----------------------------------------------------------------------------

    def install_patches(self) -> None:
        # The interceptors stay installed while a guard or a sandbox needs them; opening a
        # sandbox makes this plugin the one they use.
        _intercept.activate(self)

    def restore_patches(self) -> None:
        _intercept.deactivate(self)
        if self._suspects:
            # The replies of the suspect mocks consumed, now that each one's client is known.
            mode: str | None = _config.active().reply_check
            if mode == _config.REPLY_CHECK_OFF or sys.exc_info()[1] is not None:
                mode = None
            check_replies(self, mode)

    @classmethod
    def guard(cls) -> Callable[[], None]:
        return _intercept.guard()

    def dispose(self) -> None:
        # The mocks point back at the plugin.
        self._queues.clear()
        self._lookup.clear()
        self._unlimited.clear()
        self._suspects.clear()
        self.answerer = None
        if self._messages:  # mock_message's, which point back at it too
            self._messages.clear()

    def unused_mocks(self) -> list[Interaction]:
        return _unused.unused_mocks(self)

    # -- formatting, for error messages only ---------------------------------------------------

    def format_assertion(self, interaction: Interaction) -> str:
        assert isinstance(interaction, RedisCall)
        return _messages.assertion_line(self.name, interaction, self._recorded())

    def format_expected(self, expected: Mapping[str, Any]) -> str:
        return _messages.expected_line(self.name, expected)

    def format_registration(self, interaction: Interaction) -> str:
        assert isinstance(interaction, RedisCall)
        return _messages.registration_line(self.name, interaction)


def _canonical(spelling: object) -> str:
    """The upper-case command name of a call's first argument, however it was spelled."""
    if isinstance(spelling, bytes):
        spelling = spelling.decode(errors="replace")  # UTF-8
    return " ".join(str(spelling).split()).upper()
