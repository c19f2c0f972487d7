"""One recorded test: its `Recorder` installed for the call, and the lines it recorded."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

import pytest

from tripwire._context import current_verifier
from tripwire._errors import UnmockedConnectionError
from tripwire.plugins.recording.output import Recorded, assert_line, mock_line
from tripwire.plugins.recording.recorder import Recorder, Twins
from tripwire.plugins.recording.secrets import Placeholders
from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin

__all__ = ["Session"]


class Session:
    """Records the Redis calls of one test's body, from the call until `finish`."""

    def __init__(
        self, item: pytest.Item, url: str, placeholders: dict[str, str], afresh: bool = False
    ) -> None:
        self._item = item
        self._verifier = verifier = current_verifier()
        self._plugin = plugin = verifier.get_plugin(RedisPlugin)
        function: Any = getattr(item, "function", None)
        code = function.__code__ if function is not None else Session.__init__.__code__
        self._twins = Twins(url)
        self._placeholders = Placeholders(placeholders)
        self._recorder = Recorder(plugin, self._twins, (code, 0), self._placeholders)
        self._previous = plugin.answerer
        plugin.answerer = self._recorder
        self._afresh = afresh
        if afresh:
            # Recorded anew: the test's own mock and assert lines, which the new lines replace,
            # neither answer nor check anything.
            def ignored_mock(command: str, *, returns: Any = None, **options: Any) -> RedisCall:
                return plugin.new_call(command, returns, None, (code, 0))

            def ignored_assert(command: str, args: Any = (), kwargs: Any = None) -> None:
                return None

            vars(plugin).update(mock_command=ignored_mock, assert_command=ignored_assert)

    def finish(self, error: BaseException | None) -> Recorded | None:
        """Stop recording; the test's lines, or None if it made no Redis call."""
        plugin = self._plugin
        plugin.answerer = self._previous
        if self._afresh:
            del plugin.mock_command, plugin.assert_command
        try:
            self._recorder.close()
        finally:
            self._twins.close()
        mocks = []
        for mock, shown, note in self._recorder.answered:
            raises = mock.raises if isinstance(mock.raises, BaseException) else None
            mocks.append(mock_line(mock.command, shown, raises, note))
        asserts = []
        for entry in self._verifier.timeline.entries:
            if entry.plugin is plugin and not entry.asserted:
                assert isinstance(entry, RedisCall)
                fields = entry.fields()
                asserts.append(
                    assert_line(
                        fields["command"], fields["args"], fields["kwargs"], self._placeholders
                    )
                )
                # The lines are the test's assertions to be: verifying the recording run
                # would only repeat them as a failure.
                entry.asserted = True
        path, name, first_line = _where(self._item)
        problem = ""
        if isinstance(error, UnmockedConnectionError):
            problem = (
                "not recorded: the code used a Redis connection directly (MONITOR, or a "
                "connection of its own), which the recorder does not support yet; it records "
                "clients, pipelines and transactions, sync and asyncio"
            )
        elif not mocks and not asserts:
            return None
        elif error is not None:
            problem = (
                f"the test failed ({type(error).__name__}: {error}); these lines cover the calls "
                "made until then"
            )
        return Recorded(
            self._item.nodeid,
            path,
            name,
            first_line,
            mocks,
            asserts,
            problem,
            seeded="tripwire_record_client" in getattr(self._item, "fixturenames", ()),
            imports_redis=_imports_redis(self._item),
            parametrized=hasattr(self._item, "callspec"),
        )


def _where(item: pytest.Item) -> tuple[Path, str, int]:
    """The test's own file, its function's name there, and the line the function starts at
    (0 when its code is elsewhere: a decorator that does not wrap with functools.wraps)."""
    path = Path(item.path)
    name = getattr(item, "originalname", item.name)
    function = inspect.unwrap(getattr(item, "obj", None) or Session)
    code = getattr(function, "__code__", None)
    if code is not None and Path(code.co_filename) == path and code.co_name == name:
        return path, name, code.co_firstlineno
    return path, name, 0


def _imports_redis(item: pytest.Item) -> bool:
    """Whether the test's module has ``redis`` (redis-py itself) as a global."""
    module = getattr(item, "module", None)
    found = getattr(module, "redis", None)
    return found is not None and found is sys.modules.get("redis")
