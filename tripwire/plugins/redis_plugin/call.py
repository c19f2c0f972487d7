"""`RedisCall`, one mocked command and, once consumed, the call that consumed it.

Also what the mocks of one ``mock_command(..., times=...)`` share (`Repeat`), the queues of a
command with a repeated mock (`Counted`, `Unlimited`), and the messages about a mock itself.
"""

from __future__ import annotations

import copy
import threading
import warnings
from collections import deque
from collections.abc import Iterable, Mapping
from types import FrameType
from typing import TYPE_CHECKING, Any

from tripwire._errors import ConfigurationError, InvalidArgumentError, WrongReplyWarning
from tripwire._timeline import Interaction, Row
from tripwire._validate import invalid
from tripwire.plugins.redis_plugin.passwords import scrub_rows
from tripwire.plugins.redis_plugin.wire import same_as_sent

if TYPE_CHECKING:
    from tripwire.plugins.redis_plugin import RedisPlugin

__all__ = [
    "FINE_REPLIES",
    "NO_KWARGS",
    "OWN_REPLY",
    "Counted",
    "RedisCall",
    "Repeat",
    "Unlimited",
    "check_replies",
    "one_per_group",
    "own_copy",
    "suspect",
]

#: The keyword arguments of a mock not yet consumed, and the default of `assert_command`'s
#: ``kwargs``. Never mutated.
NO_KWARGS: dict[str, Any] = {}
#: The ``_trusted`` of a reply tripwire made itself (an answerer's, a transaction's MULTI): not
#: checked, and unlike ``check_returns=False`` (``True``) not shown in its registration line.
OWN_REPLY = "tripwire's own"


class RedisCall(Interaction):
    """A mocked Redis command; once consumed, also the call that consumed it.

    ``args`` are the call's positional arguments after the command name, as `assert_command`'s
    ``args`` are. The caller's own tuple, command name included, is kept as it came, so
    consuming the mock allocates nothing: ``args`` slices the name off only when read.
    """

    __slots__ = (
        "_config",
        "_group",
        "_sent",
        "_trusted",
        "command",
        "kwargs",
        "order",
        "raises",
        "required",
        "returns",
    )

    plugin: RedisPlugin
    #: Set only on the mocks of ``mock_command(..., times=...)``: what they share.
    _group: Repeat
    #: True on the mocks of ``mock_command(..., check_returns=False)``, `OWN_REPLY` on those
    #: tripwire makes itself: their replies are not checked. Unset on the others.
    _trusted: bool | str
    #: Set when consumed through a client's ``execute_command`` or a pipeline: the caller's
    #: ``response_callbacks``, which decide the replies it can get.
    _config: Any

    def __init__(
        self,
        plugin: RedisPlugin,
        command: str,
        returns: Any,
        raises: BaseException | type | None,
        required: bool,
        caller: FrameType,
        order: int,
    ) -> None:
        self.plugin = plugin
        self.order = order
        # `Interaction._registered_at`, written out: registering is what a test does most.
        self._origin = caller.f_code
        self._offset = caller.f_lasti
        self.asserted = False
        self.command = command
        self.returns = returns
        self.raises = raises
        self.required = required
        self._sent: tuple[Any, ...] = ()
        self.kwargs: dict[str, Any] = NO_KWARGS
        # `_group` (a `Repeat`), `_trusted` and `_config` are left unset until needed: unset,
        # they cost registration nothing. Only the reply check and messages read the last two.

    @property
    def args(self) -> tuple[Any, ...]:
        """The positional arguments after the command name (``()`` until consumed)."""
        return self._sent[1:]

    @property
    def consumed(self) -> bool:
        """Whether a call has used this mock."""
        return bool(self._sent)

    @property
    def times(self) -> int | None:
        """The ``times`` this mock was registered with (``None``: any number of calls)."""
        group = getattr(self, "_group", None)
        return 1 if group is None else group.times

    def fields(self) -> dict[str, Any]:
        """The command, the arguments after its name, and the keyword arguments."""
        return {"command": self.command, "args": self._sent[1:], "kwargs": self.kwargs}

    def matches(self, expected: Mapping[str, Any]) -> bool:
        # The common case of assert_command, without building the field-by-field report.
        try:
            if not (expected["command"] == self.command and expected["kwargs"] == self.kwargs):
                return False
            want, sent = expected["args"], self._sent[1:]
            if want == sent:
                return True
            return same_as_sent(want, sent)
        except Exception:
            return False  # compare() reports what the comparison raised

    def compare(self, expected: Mapping[str, Any]) -> list[Row]:
        rows = super().compare(expected)
        for index, (name, want, got, equal, note) in enumerate(rows):
            if name == "args" and not equal and not note and same_as_sent(want, self.args):
                rows[index] = (name, want, got, True, "equal as sent to Redis")
        return scrub_rows(self.command, rows)

    def location(self) -> str:
        where = super().location()
        group = getattr(self, "_group", None)
        if group is None or self.consumed or not group.reported:
            return where
        return f"{where}; {group.usage()}"

    def __repr__(self) -> str:
        if self.consumed:
            return f"<RedisCall {self.assertion_hint()}>"
        return f"<RedisCall {self.registration_hint()}>"


class Repeat:
    """What the mocks of one ``mock_command(..., times=...)`` share.

    One mock of the registration is queued at a time: taking it queues the next (`Counted`), so
    a count costs one object, not one per call. Each call after the first gets its own copy of
    a mutable ``returns`` and of an exception instance in ``raises``, made from the values as
    registered: what the code does to one reply (or one raised error) never reaches the next.
    """

    __slots__ = ("_raises", "_returns", "left", "reported", "suspect", "times", "used")

    def __init__(self, times: int | None, returns: Any, raises: Any) -> None:
        #: The ``times`` given: a count, or ``None`` for any number of calls.
        self.times = times
        #: How many mocks of a ``times=N`` registration are still to be queued after the one
        #: in the queue.
        #: Not mutated: never read for ``times=None``, whose mocks are never queued.
        self.left = 0 if times is None else times - 1  # pragma: no mutate
        #: How many calls used them, counted when a message needs it (for ``times=None``, by
        #: each call: only whether any did is read).
        self.used = 0
        #: Whether the end-of-test check reports them unused: their registration line then
        #: says how many were used.
        self.reported = False  # pragma: no mutate - read only as true or false
        #: ``returns`` and ``raises`` as registered, copied for each later call (`_UNCHANGING`
        #: for a value no call can change, which every call shares: ``None``, a class).
        self._returns = _pristine(returns)
        self._raises = _pristine(raises)
        #: Whether the reply check looks at each of them once consumed (`suspect`). Not
        #: mutated: `mock_command` sets it as soon as the first mock is queued.
        self.suspect = False  # pragma: no mutate

    def next_of(self, mock: RedisCall) -> RedisCall:
        """A new mock of this registration like ``mock``, with its own copies of the values."""
        returns = mock.returns if self._returns is _UNCHANGING else _copied(self._returns)
        raises = self._raises
        if isinstance(raises, BaseException):
            raises = _fresh_error(raises)
        elif raises is _UNCHANGING:
            # An error that cannot be made again: raised again without the earlier tracebacks.
            raises = mock.raises
            if isinstance(raises, BaseException):
                raises.with_traceback(None)
        again = RedisCall.__new__(RedisCall)
        again.plugin = mock.plugin
        again.order = mock.order
        again._origin, again._offset = mock._origin, mock._offset
        # Not mutated (these three): read only as true or false, or only once a call has
        # consumed the mock, which sets them.
        again.asserted = False  # pragma: no mutate
        again.command = mock.command
        again.returns = returns
        again.raises = raises
        again.required = mock.required
        again._sent = ()  # pragma: no mutate
        again.kwargs = NO_KWARGS  # pragma: no mutate
        again._group = self
        trusted = getattr(mock, "_trusted", None)
        if trusted is not None:
            again._trusted = trusted
        if self.suspect:
            again.plugin._suspects.append(again)
        return again

    def usage(self) -> str:
        if self.times is None:
            return "never used"  # a times=None mock is reported only then
        return f"used {self.used} of {self.times} times"


#: Stands for a registered value that needs no copy: every call gets the object itself.
_UNCHANGING: Any = object()

#: Values no code can change, shared by every call of a repeated mock as they are.
_IMMUTABLE_TYPES = frozenset({type(None), bool, int, float, complex, str, bytes, range})


def _immutable(value: object) -> bool:
    kind = type(value)
    if kind in _IMMUTABLE_TYPES:
        # Not mutated: copy.deepcopy gives these back as they are; only the speed would change.
        return True  # pragma: no mutate
    if kind is tuple or kind is frozenset:
        return all(_immutable(item) for item in value)  # type: ignore[attr-defined]
    return False


def _pristine(value: Any) -> Any:
    """What a repeated mock's later calls copy ``value`` from: a copy kept as registered, or
    `_UNCHANGING` when every call may share it (immutable, or a value that cannot be copied)."""
    if _immutable(value):
        return _UNCHANGING
    if isinstance(value, BaseException):
        fresh = _fresh_error(value)
        # Not mutated: an error that cannot be made again is shared either way (`_copied`
        # gives it back as it is).
        return _UNCHANGING if fresh is value else fresh  # pragma: no mutate
    try:
        return copy.deepcopy(value)
    except Exception:
        return _UNCHANGING  # shared, as a single mock's value is


def own_copy(value: Any) -> Any:
    """``value`` for one call of its own: a deep copy of a mutable value, a new instance of an
    exception, the value itself when immutable (or when it cannot be copied)."""
    if _immutable(value) or isinstance(value, type):
        return value
    if isinstance(value, BaseException):
        return _fresh_error(value)
    return _copied(value)


def _copied(value: Any) -> Any:
    try:
        return copy.deepcopy(value)
    except Exception:
        return value  # shared, as a single mock's value is


def _fresh_error(error: BaseException) -> BaseException:
    """A new instance of ``error``: its class, ``args`` and attributes, no traceback, cause
    or context; ``error`` itself, its traceback dropped, if its class cannot be made again."""
    try:
        fresh = copy.copy(error)
    except Exception:
        return error.with_traceback(None)
    if type(fresh) is not type(error) or fresh.args != error.args:
        return error.with_traceback(None)
    notes = vars(fresh).get("__notes__")
    if isinstance(notes, list):
        vars(fresh)["__notes__"] = list(notes)  # not shared with the registered error
    return fresh


#: Held while a `Counted` queue takes a mock and queues the next of its registration.
_taking = threading.Lock()


class Counted(deque):  # type: ignore[type-arg]
    """The queue of a command that has a ``times=N`` mock: it holds one mock of each
    registration, and taking it queues the next in its place while calls remain.

    Only such commands pay for this ``popleft``; a plain queue's is deque's own.
    """

    __slots__ = ()

    def popleft(self) -> RedisCall:
        with _taking:
            mock: RedisCall = super().popleft()
            group = getattr(mock, "_group", None)
            if group is not None and group.left:
                group.left -= 1
                self.appendleft(group.next_of(mock))
        return mock


class Unlimited(Counted):
    """The queue of a command that has a ``times=None`` mock: it answers once the queue is empty,
    so nothing may be queued after it (`append` refuses). The intercepted call only pops."""

    __slots__ = ("template",)

    def __init__(self, queued: Iterable[RedisCall], template: RedisCall) -> None:
        super().__init__(queued)
        self.template = template

    def append(self, mock: RedisCall) -> None:
        template = self.template
        raise ConfigurationError(
            f"mock_command({mock.command!r}) was called after a mock of {template.command!r} "
            f"with times=None (registered at {super(RedisCall, template).location()}), which "
            "answers every later call: this mock could never be used. Register it before the "
            "times=None mock."
        )


def one_per_group(unused: list[Interaction]) -> list[Interaction]:
    """``unused``, each mock of a ``times=...`` registration (queued one at a time) marked to
    say how many of its calls were used."""
    for mock in unused:
        group = getattr(mock, "_group", None)
        if group is not None:
            group.reported = True
            if group.times is not None:
                group.used = group.times - group.left - 1
    return unused


#: By command, the last immutable ``returns`` registered for it that a client of the default
#: configuration can get: `mock_command` registers it again with no reply check, for a suite
#: mocks the same few replies (``b"v"``, ``True``, ``None``) many times over. `_NOT_YET` for a
#: command none of whose replies was found so yet.
FINE_REPLIES: dict[str, Any] = {}
_NOT_YET: Any = object()


def suspect(mock: RedisCall) -> bool:
    """Whether ``mock``'s ``returns`` is one a client with redis-py's default replies could never
    get for its command: if so it is queued for the reply check (`check_replies`), which looks
    at it once consumed, when the calling client is known. Called at registration for a mock
    with no ``raises``, unless its ``returns`` is its command's `FINE_REPLIES`."""
    try:
        from tripwire.plugins.redis_plugin.replies import by_command as replies
    except ImportError:  # pragma: no cover - valkey-py alone: no table to check against
        return False  # pragma: no mutate - never reached with redis-py installed
    command, returns = mock.command, mock.returns
    wanted = replies.wrong_reply_cached(command, returns)
    # Not mutated: the bound only keeps the cache small (names are the suite's own commands).
    if command in FINE_REPLIES or len(FINE_REPLIES) < 4096:  # pragma: no mutate
        if wanted is None and _immutable(returns):
            # The same object is the same reply at its next registration: nothing changes it.
            FINE_REPLIES[command] = returns
        else:
            # Not mutated: a command with no entry takes `mock_command`'s slower path, which
            # checks the reply all the same.
            FINE_REPLIES.setdefault(command, _NOT_YET)  # pragma: no mutate
    if wanted is None:
        # Not mutated: True only has a repeated mock's later calls checked, which pass.
        return False  # pragma: no mutate
    mock.plugin._suspects.append(mock)
    return True


def wrong_reply_message(mock: RedisCall, wanted: str) -> str:
    """What the reply check says of ``mock``, a consumed mock whose ``returns`` the calling
    client could never get, ``wanted`` being what it gets, in words."""
    requirement = f"what redis-py returns for {mock.command}: {wanted}"
    return (
        f"{invalid('mock_command', 'returns', requirement, mock.returns)}\n"
        f"The mock registered at {mock.location()} answered a call that redis-py never "
        "answers so: the code was tested against a reply it cannot meet. If this client does "
        "get it (a response callback of your own), pass check_returns=False to mock_command; "
        'reply_check = false in [tool.tripwire] turns the check off, "error" makes it an error.'
    )


def check_replies(plugin: RedisPlugin, mode: str | None) -> None:
    """Warn of each of ``plugin``'s consumed suspect mocks (`suspect`) whose client gets
    redis-py's default replies for its command, or with ``mode`` "error" raise for the first;
    with ``mode`` None (the check off, or an exception on its way out of the sandbox, which is
    the test's failure to show) only forget them. Called when a sandbox closes: each consumed
    suspect is looked at once, those not consumed yet at a later close."""
    suspects = plugin._suspects
    if not suspects:
        return
    consumed = [mock for mock in suspects if mock._sent]
    if not consumed:
        return
    plugin._suspects = [mock for mock in suspects if not mock._sent]
    if mode is None:
        return
    from tripwire.plugins.redis_plugin.replies import by_command as replies

    for mock in consumed:
        if not replies.default_shapes(getattr(mock, "_config", None), mock.command):
            continue  # protocol=3, legacy_responses=False, or a callback of the user's own
        wanted = replies.wrong_reply_cached(mock.command, mock.returns)
        if wanted is None:
            continue  # changed since registration, now one it can get
        message = wrong_reply_message(mock, wanted)
        if mode == "error":
            raise InvalidArgumentError(message)
        warnings.warn_explicit(message, WrongReplyWarning, mock.filename, mock.lineno)
