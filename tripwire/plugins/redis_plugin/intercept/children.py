"""Processes started while real Redis is refused are refused real Redis too.

A process started with multiprocessing's spawn or forkserver method is a fresh interpreter: it
inherits no sandbox, no guard and no interceptor, and would reach the real server. While the
interception is held (a sandbox is open or the guard is on), ``BaseProcess.start`` puts a
`_Refusal` on the process object, which multiprocessing pickles to the child with the target.
Unpickled there, before the target runs (and before a ``run`` that overrides it), it turns the
guard on in the child: every Redis call of the child is refused with
`UnsandboxedInteractionError`, as outside any sandbox. Mocks stay in the parent; the child's
calls are never mocked.

A forked child (the fork method) needs nothing: it is a copy of the parent, interceptors and
sandbox included. Processes started before the sandbox opened, and programs started with
``subprocess``, are not covered.

This module imports nothing of tripwire's: the interception imports it, and gives it its guard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: The attribute of a starting process that carries the refusal to the child.
_ATTRIBUTE = "_tripwire_refuses_redis"


class _Refusal:
    """Pickled with a starting process; unpickling it in the child turns the guard on there."""

    def __init__(self, guard: Callable[[], object]) -> None:
        self.guard = guard

    def __reduce__(self) -> tuple[Callable[..., None], tuple[Callable[[], object]]]:
        # The guard, a module-level function, is pickled by its name: the child imports the
        # interception to unpickle it.
        return _refuse_in_child, (self.guard,)


def _refuse_in_child(guard: Callable[[], object]) -> None:
    """Run by unpickling in the child process, which has no sandbox: refuse real Redis there."""
    guard()


def refusing_start(original: Callable[..., Any], guard: Callable[[], object]) -> Callable[..., Any]:
    """``BaseProcess.start``, with the refusal (``guard``, called in the child) carried to it."""

    def start(process: Any) -> Any:
        vars(process)[_ATTRIBUTE] = _Refusal(guard)
        try:
            return original(process)
        finally:
            # The start method pickled the process while starting it.
            vars(process).pop(_ATTRIBUTE, None)

    start.__name__ = start.__qualname__ = "start"
    return start
