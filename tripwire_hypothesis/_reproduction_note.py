"""The note Hypothesis prints for a failing example: its session as an ``@example`` and as a
plain pytest test (or, for a state machine, the session to pass to its steps)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tripwire_hypothesis._concurrency.story import schedule_report

if TYPE_CHECKING:
    from tripwire_hypothesis._session import RedisSession

__all__ = ["ReproductionNote"]


class ReproductionNote:
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
            code = script() if script is not None else repr(type(session)(session.answers))
            return (
                "# This run's session, to pass instead of the drawn one in the steps above:\n"
                + code
            )
        test = (
            session._example_decorator()
            + "\n# The same example as a plain pytest test:\n"
            + session.reproduction()
        )
        schedule = schedule_report(installed.answerer if installed is not None else None)
        if schedule is not None:
            test = f"# The schedule: each client's commands, in the order run:\n{schedule}\n{test}"
        return test
