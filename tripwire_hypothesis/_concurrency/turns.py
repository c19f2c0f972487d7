"""What a model session's answerer does at each step: take its turn, let time pass, wait.

`tripwire_hypothesis._answerers.model.ModelAnswerer` calls these at the start of a step (a
command sent on its own, or a pipeline's batch), when a command would block, and for each answer:

- in a client of `RedisSession.concurrently`, `begin_step` waits for the client's turn (the
  scheduler chooses, and draws the pause before it); in the example's own thread it draws the
  pause itself (``time_passes=True``) or replays it;
- `wait_blocked` waits for another client's write or the timeout on the model's clock;
- `logged` writes the answer into the story, under the client's name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import tripwire_hypothesis._concurrency.schedule as _schedule
from tripwire_hypothesis._concurrency.story import OWN

if TYPE_CHECKING:
    from tripwire_hypothesis._answerers.draws import Draws
    from tripwire_hypothesis._answerers.model import Model

__all__ = ["begin_step", "logged", "try_once", "wait_blocked", "wrote"]


def begin_step(model: Model, draws: Draws | None, time_passes: bool) -> None:
    """The start of a step: a client's turn, or the pause before the example's own."""
    scheduler = _schedule.current()
    if scheduler is not None:
        client = scheduler.client_now()
        if client is not None:
            if not scheduler.asynchronous:
                scheduler.arrive(client)
            return
    story = model.story
    if story.script is not None:
        pause, _ = story.scripted()
    elif time_passes and draws is not None:
        pause = _schedule.draw_pause(draws)
    else:
        pause = 0.0
    if pause:
        model.clock.advance(pause)
    story.step(OWN, pause)


def wrote() -> None:
    """A command wrote to the model: clients blocked on a write may find it."""
    scheduler = _schedule.current()
    if scheduler is not None:
        scheduler.writes += 1


def wait_blocked(model: Model, args: tuple[Any, ...], timeout: float) -> bool:
    """A blocking command found nothing: True when it timed out (its empty reply stands),
    False to send it again (another client wrote meanwhile)."""
    what = " ".join(map(str, args))
    scheduler = _schedule.current()
    client = scheduler.client_now() if scheduler is not None else None
    if scheduler is None or client is None:
        _schedule.waits_alone(model.clock, timeout, what)
        model.story.lines.append((OWN, f"{what} waits {timeout:g} s, and times out"))
        return True
    if client.timed_out:
        client.timed_out = False
        return True
    if client.what != what:
        model.story.lines.append((client.name, f"{what} blocks"))
    if scheduler.asynchronous:
        raise _schedule.WouldBlock(timeout, what)
    return scheduler.block(client, timeout, what)


def logged(model: Model, mock: Any, *, applied: bool = False) -> None:
    """Write an answer into the story, under the name of the client that got it; ``applied``
    for an error whose command took effect all the same (a reply lost)."""
    scheduler = _schedule.current()
    client = scheduler.client_now() if scheduler is not None else None
    name = OWN if client is None else client.name
    model.story.lines.append((name, (mock, applied)))


def try_once(
    client: Any,
    sock: Any,
    timeout: float | None,
    func: Any,
    shape: Any = None,
) -> Any:
    """fakeredis' ``_blocking`` for a model: one try; ``client.would_block`` says it found
    nothing (its timeout, 0 for none)."""
    found = func(True)
    if found is None and not sock._in_transaction:
        client.__dict__["would_block"] = float(timeout or 0)
    return found if shape is None else shape(found)
