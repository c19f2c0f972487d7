"""Loaded by the mutation run only (``[tool.mutmut] pytest_add_cli_args``), never by ``pytest``.

mutmut 3 puts a trampoline between every mutated function and its caller. tripwire reads its
caller's frame (``mock_command`` records where a mock was registered; the guard names the line
that made a real call), so under mutmut every such hint would point into mutmut's trampoline and
the tests that check those hints exactly would fail for every mutant alike. Here tripwire's own
code gets frames whose caller chain skips the trampolines, as if they were not there; every
other caller of ``sys._getframe`` gets real frames. The frame of a closing sandbox's `with`
block is compared by identity with a traceback's frames, so it is handed over unwrapped.

Caches that tripwire fills on first use (which connection classes open sockets, which directories
a refusal skips, the per-example wrappers compiled for each parameter list, the probe of the
running Hypothesis example that replaces itself on first use) are emptied before
every test: mutmut forks each mutant's run from a process whose tests already filled them, so the
mutants of the code that fills them would never run.

Hypothesis runs derandomized and without its example database, so that a mutant is killed by
what it breaks and not by an example that an earlier mutant's run saved.
"""

from __future__ import annotations

import os
import sys
from types import FrameType
from typing import Any

import mutmut.mutation.trampoline
from hypothesis import settings

import tripwire
import tripwire._verifier

_real_getframe = sys._getframe
_TRAMPOLINE = mutmut.mutation.trampoline.__file__
_TRIPWIRE = os.path.dirname(str(tripwire.__file__)) + os.sep
_SKIPPED = (_TRAMPOLINE, __file__)


def _skip_trampolines(frame: FrameType | None) -> FrameType | None:
    while frame is not None and frame.f_code.co_filename in _SKIPPED:
        frame = frame.f_back
    return frame


class _Frame:
    """A frame whose ``f_back`` skips trampolines; everything else is the real frame's."""

    __slots__ = ("_frame",)

    def __init__(self, frame: FrameType) -> None:
        self._frame = frame

    @property
    def f_back(self) -> _Frame | None:
        back = _skip_trampolines(self._frame.f_back)
        return None if back is None else _Frame(back)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._frame, name)


def _getframe(depth: int = 0, /) -> Any:
    caller = _real_getframe(1)
    if not caller.f_code.co_filename.startswith(_TRIPWIRE):
        return _real_getframe(depth + 1)
    frame: Any = _Frame(caller)
    for _ in range(depth):
        frame = frame.f_back
    return frame


sys._getframe = _getframe

_block_frame = tripwire._verifier._block_frame


def _real_block_frame() -> FrameType | None:
    # Compared by identity with the frames of an exception's traceback: the real frame.
    frame = _block_frame()
    return frame._frame if isinstance(frame, _Frame) else frame


tripwire._verifier._block_frame = _real_block_frame  # type: ignore[assignment]


def pytest_runtest_setup() -> None:
    from tripwire import _per_example
    from tripwire.plugins.redis_plugin.intercept import connections as _redis_connections
    from tripwire.plugins.redis_plugin.intercept import refusals as _redis_refusals

    _per_example._wrapper_maker.cache_clear()
    _redis_connections._KINDS.clear()
    _redis_refusals._SKIP_DIRS = _redis_refusals._RUNNER_DIRS = ()
    # The probe of the running Hypothesis example replaces itself on first use.
    tripwire._verifier._probe = tripwire._verifier._probe_once_imported


# Every run of a Hypothesis test sees the same examples, and none is saved between runs: a
# mutant is killed by what it breaks, not by an example another mutant found.
settings.register_profile("mutation", derandomize=True, database=None)
settings.load_profile("mutation")
