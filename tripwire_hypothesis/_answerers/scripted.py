"""Scripted answers: `Step`, the calls a session saw (`ConsumedStep`), and the `Script` answerer.

A `Step` is one command's answer, written by hand or printed by a failure report; a `Script` gives
a session's steps, in order per command, to the calls that no mock covers.
"""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tripwire._errors import safe_repr
from tripwire_hypothesis._checks import invalid
from tripwire_hypothesis._reproduction import error_code

if TYPE_CHECKING:
    from types import CodeType

    from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin

__all__ = ["ConsumedStep", "Script", "Step", "normalise"]


@functools.lru_cache(maxsize=1024)
def normalise(command: str) -> str:
    """``"script  load"`` -> ``"SCRIPT LOAD"``: upper case, single spaces."""
    name = _NORMALISED.get(command)
    if name is None:
        name = " ".join(command.split()).upper()
        if len(_NORMALISED) < 1024:
            _NORMALISED[command] = name
    return name


#: The names `normalise` has seen: assert_consumed spells the same few in every example.
_NORMALISED: dict[str, str] = {}


def _command_name(function: str, argument: str, value: object) -> str:
    if type(value) is not str or not value.strip():
        raise invalid(function, argument, "a non-empty str", value)
    return normalise(value)


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


class Script:
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
        queue = self._queues.get(normalise(str(text)))
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
