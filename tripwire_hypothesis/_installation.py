"""What an installed `RedisSession` keeps, and the calls recorded on its plugin since."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin
from tripwire_hypothesis._answerers.scripted import ConsumedStep, Script

if TYPE_CHECKING:
    from types import CodeType

    from tripwire._verifier import StrictVerifier
    from tripwire_hypothesis._answerers.drawn import Answerer

__all__ = ["Installation", "consumed_step", "resent_attempts", "session_calls"]


class Installation(NamedTuple):
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


def session_calls(installed: Installation) -> Iterator[RedisCall]:
    """The calls recorded on the session's plugin since it was installed, in order."""
    plugin = installed.plugin
    for entry in installed.verifier.timeline.entries[installed.start :]:
        if entry.plugin is plugin:
            yield entry  # type: ignore[misc]


def resent_attempts(installed: Installation) -> frozenset[int]:
    """The ids of the recorded attempts that the client's retry policy sent again."""
    return frozenset(map(id, getattr(installed.answerer, "_attempts", ())))


def consumed_step(index: int, call: RedisCall, resent: frozenset[int]) -> ConsumedStep:
    raises = call.raises
    returns = None if raises is not None else call.returns
    retried = id(call) in resent
    return ConsumedStep(index, call.command, call.args, call.kwargs, returns, raises, retried)
