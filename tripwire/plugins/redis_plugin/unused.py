"""The mocks a test registered and never used: what the end-of-test check reports."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from operator import attrgetter
from typing import TYPE_CHECKING

from tripwire.plugins.redis_plugin.call import RedisCall, one_per_group

if TYPE_CHECKING:
    from tripwire._timeline import Interaction
    from tripwire.plugins.redis_plugin.plugin import RedisPlugin

__all__ = ["unused_mocks"]


def unused_mocks(plugin: RedisPlugin) -> list[Interaction]:
    """The plugin's required mocks never used (one per ``times=`` group), in registration order."""
    answerer = plugin.answerer
    held = answerer.unused() if answerer is not None else ()
    queues: list[Iterable[RedisCall]] = [queue for queue in plugin._queues.values() if queue]
    if held:
        queues.append(held)
    if plugin._messages:  # mock_message's: see PubSubMocks
        queues.append(plugin._messages)  # type: ignore[arg-type]
    # In C throughout (a million mocks take a fifth of a second): each queue is already in
    # registration order, so sorting only merges them.
    unused: list[Interaction] = list(
        filter(attrgetter("required"), itertools.chain.from_iterable(queues))
    )
    if plugin._unlimited:
        never = [
            queue.template
            for queue in plugin._unlimited
            if queue.template.required and not queue.template._group.used
        ]
        if never:
            unused += never
            # Not mutated: from here on the queues are only counted.
            queues.append(never)  # pragma: no mutate
    if unused:
        unused = one_per_group(unused)
    # Not mutated: one queue is in order already, and sorting it again changes nothing.
    if len(queues) > 1:  # pragma: no mutate
        unused.sort(key=attrgetter("order"))
    return unused
