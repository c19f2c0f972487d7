"""The lines a `RedisPlugin`'s error messages show: an assertion or a mock the user can paste.

Built only when a message is, never on the intercepted call's path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tripwire._errors import safe_repr
from tripwire.plugins.redis_plugin import scripts as _scripts
from tripwire.plugins.redis_plugin.call import RedisCall

#: The commands whose first argument names a script by its sha1.
_RUNNING_SCRIPTS = frozenset({"EVALSHA", "EVALSHA_RO"})


def assertion_line(plugin: str, call: RedisCall, recorded: Iterable[RedisCall]) -> str:
    """``tripwire.redis.assert_command(...)`` for a recorded call."""
    args = call.args
    if call.command in _RUNNING_SCRIPTS and args:
        # The script by its source, as tripwire.redis.script(...) asserts it; a sha made up
        # by a SCRIPT LOAD mock, which the matcher does not equal, as it was sent.
        source = _scripts.source_of(args[0], recorded)
        if source is not None and _scripts.ScriptSource(source) == args[0]:
            args = (_scripts.ScriptSource(source), *args[1:])
    return _assertion_line(plugin, call.command, args, call.kwargs)


def expected_line(plugin: str, expected: Mapping[str, Any]) -> str:
    """``tripwire.redis.assert_command(...)`` for what an assertion expected."""
    return _assertion_line(plugin, expected["command"], expected["args"], expected["kwargs"])


def _assertion_line(plugin: str, command: str, args: Any, kwargs: Any) -> str:
    return (
        f"tripwire.{plugin}.assert_command({command!r}, args={safe_repr(args)}, "
        f"kwargs={safe_repr(kwargs)})"
    )


def registration_line(plugin: str, call: RedisCall) -> str:
    """``tripwire.redis.mock_command(...)`` for a mock, as it was registered."""
    options = [f"returns={safe_repr(call.returns)}"]
    if call.raises is not None:
        options.append(f"raises={safe_repr(call.raises)}")
    if not call.required:
        options.append("required=False")
    times = call.times
    if times != 1:
        options.append(f"times={times}")
    if call._trusted is True:  # not OWN_REPLY: tripwire's own
        options.append("check_returns=False")
    return f"tripwire.{plugin}.mock_command({call.command!r}, {', '.join(options)})"
