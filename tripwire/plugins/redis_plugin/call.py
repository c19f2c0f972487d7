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
from tripwire.plugins.redis_plugin.wire import same_as_sent

if TYPE_CHECKING:
    from tripwire.plugins.redis_plugin import RedisPlugin

__all__ = [
    "NO_KWARGS",
    "OWN_REPLY",
    "Counted",
    "RedisCall",
    "Repeat",
    "Unlimited",
    "check_replies",
    "one_per_group",
    "own_copy",
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

    #: Set only on the mocks of ``mock_command(..., times=...)``: what they share.
    _group: Repeat
    #: True on the mocks of ``mock_command(..., check_returns=False)``, `OWN_REPLY` on those
    #: tripwire makes itself: their replies are not checked.
    _trusted: bool | str
    #: Set when consumed through a client's ``execute_command`` or a pipeline: the
    #: ``connection_kwargs`` of the caller's pool, which decide the replies it can get.
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
        # Set here, not left unset: the reply check reads both of every consumed mock, and an
        # unset slot costs a raised AttributeError to read.
        self._trusted: bool | str = False
        self._config: Any = None
        # `_group` (a `Repeat`) is set only on the mocks of mock_command(..., times=...): left
        # unset, it costs registration nothing.

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
        return rows

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

    __slots__ = ("_raises", "_returns", "left", "reported", "times", "used")

    def __init__(self, times: int | None, returns: Any, raises: Any) -> None:
        #: The ``times`` given: a count, or ``None`` for any number of calls.
        self.times = times
        #: How many mocks of a ``times=N`` registration are still to be queued after the one
        #: in the queue.
        self.left = 0 if times is None else times - 1
        #: How many calls used them, counted when a message needs it (for ``times=None``, by
        #: each call: only whether any did is read).
        self.used = 0
        #: Whether the end-of-test check reports them unused: their registration line then
        #: says how many were used.
        self.reported = False
        #: ``returns`` and ``raises`` as registered, copied for each later call (`_UNCHANGING`
        #: for a value no call can change, which every call shares).
        self._returns = _pristine(returns)
        self._raises = raises if raises is None or isinstance(raises, type) else _pristine(raises)

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
        again.asserted = False
        again.command = mock.command
        again.returns = returns
        again.raises = raises
        again.required = mock.required
        again._sent = ()
        again.kwargs = NO_KWARGS
        again._group = self
        again._trusted = mock._trusted
        again._config = None
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
        return True
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
        return _UNCHANGING if fresh is value else fresh
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
        fresh = None
    if fresh is None or type(fresh) is not type(error) or fresh.args != error.args:
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


def _default_shapes(config: Any) -> bool:
    """Whether a client configured with ``config`` (its pool's ``connection_kwargs``) gets the
    replies of redis-py's default configuration, which the reply table describes: RESP2 shapes
    (``protocol`` unset or 2, and in redis-py 8 the RESP3 wire with ``legacy_responses=True``).
    Not so with ``protocol=3`` or ``legacy_responses=False``: no reply of theirs is checked."""
    if not isinstance(config, dict):
        return True  # a cluster client, or a call with no client known: the default replies
    return config.get("protocol") in (None, 2, "2") and config.get("legacy_responses") is not False


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


def check_replies(calls: Iterable[Interaction], plugin: RedisPlugin, mode: str) -> None:
    """Warn of each of ``plugin``'s consumed mocks in ``calls`` whose ``returns`` its client
    could never get from redis-py (`replies.by_command`), or with ``mode`` "error" raise for the
    first. Called when a sandbox closes, over the calls made while it was open, and never while
    an exception is on its way out of the sandbox: that is the test's failure to show."""
    # Imported on first use: its table reads redis-py's version, and importing the plugin must
    # not import redis-py (``tripwire_hypothesis`` imports it without).
    from tripwire.plugins.redis_plugin.replies import by_command as replies

    # What each (command, reply object, configuration) came to: a suite, or a loop, consumes many
    # mocks of the same few replies. Keyed by identities of objects alive meanwhile.
    verdicts: dict[tuple[str, int, int], str | None] = {}
    for call in calls:
        if call.plugin is not plugin:
            continue
        mock: RedisCall = call  # type: ignore[assignment]
        if mock.raises is not None or mock._trusted:
            continue
        config = mock._config
        key = (mock.command, id(mock.returns), id(config))
        try:
            wanted = verdicts[key]
        except KeyError:
            wanted = verdicts[key] = (
                replies.wrong_reply_cached(mock.command, mock.returns)
                if _default_shapes(config)
                else None
            )
        if wanted is None:
            continue
        message = wrong_reply_message(mock, wanted)
        if mode == "error":
            raise InvalidArgumentError(message)
        warnings.warn_explicit(message, WrongReplyWarning, mock.filename, mock.lineno)
