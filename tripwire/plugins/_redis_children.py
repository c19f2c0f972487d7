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

This module imports nothing of tripwire's at import time: the interception imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: The attribute of a starting process that carries the refusal to the child.
_ATTRIBUTE = "_tripwire_refuses_redis"


class _Refusal:
    """Pickled with a starting process; unpickling it in the child turns the guard on there."""

    def __reduce__(self) -> tuple[Callable[[], None], tuple[()]]:
        return _refuse_in_child, ()


def _refuse_in_child() -> None:
    """Run by unpickling in the child process, which has no sandbox: refuse real Redis there."""
    # Imported here, in the child: the interception imports this module, not the reverse.
    from tripwire.plugins import _redis_intercept

    _redis_intercept.guard()


def refusing_start(original: Callable[..., Any]) -> Callable[..., Any]:
    """``BaseProcess.start``, with the refusal carried to the child process."""

    def start(process: Any) -> Any:
        vars(process)[_ATTRIBUTE] = _Refusal()
        try:
            return original(process)
        finally:
            # The start method pickled the process while starting it.
            vars(process).pop(_ATTRIBUTE, None)

    start.__name__ = start.__qualname__ = "start"
    return start
