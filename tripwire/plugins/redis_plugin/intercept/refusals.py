"""The guard's refusals: what a call made outside the sandbox is told, and where it was made.

A refusal names the user's line: the first frame outside redis-py (or valkey-py) and tripwire,
or, when pytest itself called redis-py from a fixture's finalizer, where that fixture is defined.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any

import tripwire
from tripwire._errors import MAX_LISTED, UnsandboxedInteractionError, where
from tripwire._reprs import shortened
from tripwire.plugins.redis_plugin.intercept import libraries as _libraries

__all__ = [
    "call_site",
    "command_name",
    "listed_names",
    "refuse",
    "refused_command",
    "refused_pipeline",
]

_SKIP_DIRS: tuple[str, ...] = ()
_RUNNER_DIRS: tuple[str, ...] = ()


def call_site() -> str:
    """``file:line`` of the first frame outside redis-py, tripwire and connection classes'
    ``_connect``: the user's code."""
    global _SKIP_DIRS, _RUNNER_DIRS
    if not _SKIP_DIRS:
        _SKIP_DIRS = (
            *(library.directory for library in _libraries.installed()),
            *_directories(tripwire),
        )
        _RUNNER_DIRS = _directories(sys.modules.get("_pytest"))
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        filename = frame.f_code.co_filename
        # A connection class's own ``_connect`` (setting socket options) is part of the client:
        # the user's line is the one that made the call.
        if not filename.startswith(_SKIP_DIRS) and frame.f_code.co_name != "_connect":
            if _RUNNER_DIRS and filename.startswith(_RUNNER_DIRS):
                # pytest called redis-py itself: a finalizer such as addfinalizer(r.flushdb).
                return _finalizer_site(frame)
            return where(filename, frame.f_lineno)
        frame = frame.f_back
    # Unreachable: the outermost frame (the program, a thread's bootstrap) is the user's.
    return "an unknown place"  # pragma: no cover  # pragma: no mutate


def _directories(*modules: Any) -> tuple[str, ...]:
    return tuple(
        os.path.dirname(str(module.__file__)) + os.sep for module in modules if module is not None
    )


def _finalizer_site(frame: FrameType | None) -> str:
    """Where the fixture is defined whose finalizer pytest is running in ``frame``'s stack."""
    while frame is not None:
        fixture = frame.f_locals.get("self")
        code = getattr(getattr(fixture, "func", None), "__code__", None)
        if code is not None and isinstance(getattr(fixture, "argname", None), str):
            site = where(code.co_filename, code.co_firstlineno)
            return f"{site} (a finalizer of the fixture {fixture.argname!r})"  # type: ignore[union-attr]
        frame = frame.f_back
    return "a finalizer that pytest ran"


def command_name(args: tuple[Any, ...]) -> str:
    """The upper-case command name of a call's arguments, however it was spelled."""
    if not args:
        return "?"
    name = args[0].decode(errors="replace") if isinstance(args[0], bytes) else str(args[0])
    return name.upper()


def listed_names(batch: Sequence[tuple[tuple[Any, ...], Any]]) -> str:
    """The command names of a pipeline's queued ``(args, options)``, as a refusal lists them.

    Only the first `MAX_LISTED` are named, each cut to a message's length: a pipeline of
    100,000 commands is refused in a message of a few lines.
    """
    names = [shortened(command_name(args)) for args, _ in itertools.islice(batch, MAX_LISTED)]
    if len(batch) > MAX_LISTED:
        names.append(f"... and {len(batch) - MAX_LISTED} more")
    return ", ".join(names)


def refused_command(args: tuple[Any, ...]) -> UnsandboxedInteractionError:
    return refuse(f"redis.{shortened(command_name(args))}(...) was called")


def refuse(what_happened: str) -> UnsandboxedInteractionError:
    return UnsandboxedInteractionError(
        what_happened, call_site(), "redis", "tripwire.redis.mock_command(...)"
    )


def refused_pipeline(pipe: Any) -> UnsandboxedInteractionError:
    names = listed_names(pipe.command_stack)
    pipe.command_stack = []
    return refuse(f"redis pipeline.execute() [{names}] was called")
