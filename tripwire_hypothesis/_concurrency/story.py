"""What happened in a model session, client by client: the schedule a failing example prints.

`Story` keeps one entry per step (which client ran, and how long the clock paused before it) for
the replay, ``RedisSession.from_faults([...], schedule=[...])``, and one line per command for
the report::

    A: GET balance:alice -> b'10'
    B: GET balance:alice -> b'10'
    (12 s pass)
    A: SET balance:alice 5 -> True

Steps made by the example's own thread, outside `RedisSession.concurrently`, are written ``-``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tripwire._errors import safe_repr
from tripwire.plugins.redis_plugin.passwords import scrub_args
from tripwire_hypothesis._checks import invalid
from tripwire_hypothesis._reproduction import error_code

__all__ = ["OWN", "Story", "check_schedule", "command_line", "schedule_report"]

#: The name of the example's own thread in a schedule.
OWN = "-"


class Story:
    """One example's schedule: the steps, pauses and commands, in order."""

    __slots__ = ("lines", "schedule", "script", "shown")

    def __init__(self, script: list[str | float] | None = None) -> None:
        #: (client, what): (a mock answered, whether its error hid a write that took effect),
        #: a pause in seconds, or a note (str).
        self.lines: list[tuple[str, Any]] = []
        #: What `from_faults(schedule=...)` replays: a client's name per step, a pause before.
        self.schedule: list[str | float] = []
        #: The schedule being replayed, consumed from the front; None when drawing.
        self.script = script
        #: Whether the report shows it: set by ``concurrently`` and by a pause.
        self.shown = False

    def step(self, client: str, pause: float) -> None:
        if pause:
            self.shown = True
            self.schedule.append(pause)
            self.lines.append((client, pause))
        self.schedule.append(client)

    def scripted(self) -> tuple[float, str | None]:
        """The next step of a replayed schedule: the pause before it, and its client."""
        script = self.script
        pause = 0.0
        while script:
            entry = script.pop(0)
            if isinstance(entry, str):
                return pause, entry
            pause += entry
        return pause, None

    def report(self) -> str:
        out = []
        for client, what in self.lines:
            if isinstance(what, float):
                out.append(f"({what:g} s pass)")
            elif isinstance(what, str):
                out.append(f"{client}: {what}")
            else:
                mock, applied = what
                effect = " (it took effect)" if applied else ""
                out.append(f"{client}: {command_line(mock)}{effect}")
        return "\n".join(out)


def _word(value: Any) -> str:
    if isinstance(value, str) and value and " " not in value and value.isprintable():
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return safe_repr(value)


def command_line(mock: Any) -> str:
    """``GET balance:alice -> b'10'``: a call and its reply, as the schedule shows it."""
    args = getattr(mock, "_sent", None) or (mock.command,)
    # A password the code sent shows as ANY, as in every message.
    text = " ".join([str(mock.command), *map(_word, scrub_args(mock.command, args[1:]))])
    kwargs = {
        key: value for key, value in (getattr(mock, "kwargs", None) or {}).items() if key != "keys"
    }
    if kwargs:
        text += " " + " ".join(f"{key}={_word(value)}" for key, value in kwargs.items())
    if mock.raises is not None:
        return f"{text} -> raises {error_code(mock.raises)}"
    return f"{text} -> {safe_repr(mock.returns)}"


def check_schedule(schedule: object) -> tuple[str | float, ...] | None:
    """The ``schedule=`` of ``RedisSession.from_faults``, checked."""
    if schedule is None:
        return None
    requirement = "a list of client names ('A', 'B', '-') and pauses in seconds"
    if isinstance(schedule, (str, bytes)) or not isinstance(schedule, Iterable):
        raise invalid("RedisSession.from_faults", "schedule", requirement, schedule)
    steps: list[str | float] = []
    for step in schedule:
        if type(step) is str and len(step) == 1:
            steps.append(step)
        elif type(step) in (int, float) and step >= 0:
            steps.append(float(step))
        else:
            raise invalid("RedisSession.from_faults", "schedule", requirement, step)
    return tuple(steps)


def schedule_report(answerer: object) -> str | None:
    """The schedule of a model session's answerer, when the report shows one."""
    model = getattr(answerer, "model", None)
    story = getattr(model, "story", None)
    if not isinstance(story, Story) or not story.shown:
        return None
    return story.report()
