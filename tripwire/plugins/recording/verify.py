"""``pytest --tripwire-record=verify``: are the test's mocks still what Redis answers?

After a test ran on its mocks, as usual, the calls it made are sent again, in the same order,
to a real server (emptied before the test), and each mock's reply, a value or an error, is
compared with the server's. Nothing is written: the mocks that Redis no longer answers that way
are reported, and fail the test.

A reply that Redis does not give twice the same (a TTL, the time, a random member, a scan
cursor: `REVIEW`) is not compared, and neither are the commands a mock does not answer (a
transaction's MULTI and EXEC, pub/sub). Values compare as Redis sends them: ``b'1'`` and ``'1'``
are the same reply, whatever ``decode_responses`` the code's client had.
"""

from __future__ import annotations

from typing import Any

from tripwire.plugins.recording.output import REVIEW
from tripwire.plugins.recording.recorder import Twins, is_reply, unreachable
from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin
from tripwire.plugins.redis_plugin.intercept import libraries as _libraries

__all__ = ["differences"]

#: Commands no mock answers, or whose reply cannot be asked for twice.
_NOT_COMPARED = frozenset(
    {
        "MULTI",
        "EXEC",
        "DISCARD",
        "SUBSCRIBE",
        "PSUBSCRIBE",
        "SSUBSCRIBE",
        "UNSUBSCRIBE",
        "PUNSUBSCRIBE",
        "SUNSUBSCRIBE",
        "MONITOR",
    }
)


def differences(plugin: RedisPlugin, url: str) -> list[str]:
    """The mocks of ``plugin``'s recorded calls whose replies the server at ``url`` does not
    give, each as a line that says where it is and what Redis answered."""
    calls = [
        entry
        for entry in plugin.verifier.timeline.entries
        if entry.plugin is plugin
        and isinstance(entry, RedisCall)
        and entry.command not in _NOT_COMPARED
    ]
    if not calls:
        return []
    library = next(lib for lib in _libraries.installed() if lib.name == "redis")
    twins = Twins(url)
    found = []
    try:
        client = twins.client(library, {})
        for call in calls:
            args, options = call._sent, dict(call.kwargs)
            try:
                reply, error = client.execute_command(*args, **options), None
            except Exception as raised:
                if not is_reply(raised):
                    raise unreachable(url, raised, args, options) from raised
                reply, error = None, raised
            if call.command in REVIEW or call.command.split(" ")[0] in REVIEW:
                continue
            if not _same(call, reply, error):
                found.append(_difference(call, reply, error))
    finally:
        twins.close()
    return found


def _same(call: RedisCall, reply: Any, error: BaseException | None) -> bool:
    raises = call.raises
    if raises is None:
        return error is None and _plain(call.returns) == _plain(reply)
    if error is None:
        return False
    if isinstance(raises, type):
        return type(error) is raises
    return type(error) is type(raises) and str(error) == str(raises)


def _plain(value: Any) -> Any:
    """``value`` as Redis sent it, whichever way the client parsed it: bytes as text, any
    sequence as a list."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        return {_plain(item) for item in value}
    return value


def _difference(call: RedisCall, reply: Any, error: BaseException | None) -> str:
    mocked = f"raises {_error(call.raises)}" if call.raises is not None else repr(call.returns)
    actual = f"raises {_error(error)}" if error is not None else repr(reply)
    arguments = ", ".join(repr(arg) for arg in call._sent[1:])
    return (
        f"{call.location()}: the mock of {call.command}({arguments}) answers {mocked}, and "
        f"Redis answers {actual}"
    )


def _error(error: Any) -> str:
    if isinstance(error, type):
        return error.__name__
    return f"{type(error).__name__}({str(error)!r})"
