"""What Redis answers differently at each run, written so that a recording made again is the same.

Redis chooses some replies itself: the time, a TTL that runs down, the entry ids of a stream,
which keys a SCAN page holds and which cursor it returns (both follow the server's hash seed,
drawn at its start), a random member. Recorded as given, each recording of the same test would
write other lines. Here they are named, not frozen:

- At the call (`steady_reply`, direct calls of a client): a SCAN that starts at cursor 0 is run
  to its end on the server and answered as one page holding every match, sorted, with cursor 0
  (Redis may answer so: COUNT is a hint). RANDOMKEY and SRANDMEMBER answer the first keys or
  members in sorted order; SPOP removes those (the server is put in the state that choice
  leaves). The code gets these replies while it is recorded, and verify asks for them the same
  way, so they compare exactly.
- In the lines (`Steady`): TIME and EXPIRETIME/PEXPIRETIME are written as expressions of
  ``time.time()``; PTTL is rounded to 100 ms; KEYS and HGETALL replies are sorted; stream
  entry ids Redis made are renamed in the order the test first saw them (``1700000000000-0``,
  ``1700000000001-0``, ...), in replies and arguments alike.
- Arguments the code made up (a lock's ``uuid1().hex`` token, a UUID, a hex token, a stream
  entry id no reply gave) become ``dirty_equals`` matchers of their shape (``unittest.mock.ANY``
  when dirty-equals is not installed).
"""

from __future__ import annotations

import importlib.util
import re
import time
from collections.abc import Callable
from typing import Any

__all__ = [
    "CALLED",
    "WRITTEN",
    "Steady",
    "clock_code",
    "close_enough",
    "made_up",
    "possible_choice",
    "steady_reply",
]

#: Commands whose replies `steady_reply` chooses at the call.
CALLED = frozenset({"SCAN", "SSCAN", "HSCAN", "ZSCAN", "RANDOMKEY", "SRANDMEMBER", "SPOP"})
#: Commands whose replies `Steady.reply` writes steadily, wherever they were called.
WRITTEN = frozenset(
    {"TIME", "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "KEYS", "HGETALL", "XADD", "XRANGE"}
    | {"XREVRANGE", "XREAD", "XREADGROUP", "XCLAIM", "XAUTOCLAIM"}
)

#: A stream entry id Redis made: the milliseconds since 1970 (13 digits), a sequence number.
_STREAM_ID = re.compile(r"1[0-9]{12}-[0-9]+")
#: The first renamed id; the next ones count up from it.
_FIRST_ID = 1700000000000

#: What makes an argument look made up, and the regular expression its matcher uses for it.
_MADE_UP = re.compile(
    r"(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"|(?<![0-9])(?P<id>1[0-9]{12}-[0-9]+)"
    r"|(?<![0-9a-z])(?P<hex>(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8,})(?![0-9a-z])",
    re.I,
)
_UUID_RE = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

_HAS_DIRTY_EQUALS = importlib.util.find_spec("dirty_equals") is not None


def made_up(value: str | bytes) -> bool:
    """Whether ``value`` holds a UUID, a stream entry id or a made-up hex token."""
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    return _MADE_UP.search(text) is not None


class Matcher:
    """A made-up argument, written as the matcher of its shape."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __repr__(self) -> str:
        return self.code


def _matcher(value: str | bytes) -> Matcher | None:
    """The matcher of ``value``'s shape if a part of it looks made up, else None."""
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    pieces, end = [], 0
    for found in _MADE_UP.finditer(text):
        pieces.append(re.escape(text[end : found.start()]))
        if found.group("uuid"):
            pieces.append(_UUID_RE)
        elif found.group("id"):
            pieces.append("[0-9]+-[0-9]+")
        else:
            pieces.append(f"[0-9a-f]{{{len(found.group())}}}")
        end = found.end()
    if not pieces:
        return None
    if not _HAS_DIRTY_EQUALS:
        return Matcher("ANY")
    pattern = "".join(pieces) + re.escape(text[end:])
    raw = "\\" in pattern and pattern.isascii() and pattern.isprintable() and "'" not in pattern
    if isinstance(value, bytes):
        shown = "rb'" + pattern + "'" if raw else repr(pattern.encode("latin-1"))
        return Matcher(f"IsBytes(regex={shown})")
    shown = "r'" + pattern + "'" if raw else repr(pattern)
    return Matcher(f"IsStr(regex={shown})")


class Steady:
    """One recorded test's steady writing: the stream entry ids it saw, renamed in order."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}

    def rename(self, value: Any, add: bool = True) -> Any:
        """``value`` with each stream entry id Redis made renamed (the same id, the same name);
        ``add=False``: only the ids named already."""
        if isinstance(value, (str, bytes)):
            text = value.decode("latin-1") if isinstance(value, bytes) else value
            if not _STREAM_ID.fullmatch(text) or not (add or text in self._ids):
                return value
            name = self._ids.setdefault(text, f"{_FIRST_ID + len(self._ids)}-0")
            return name.encode() if isinstance(value, bytes) else name
        return _walk(value, lambda item: self.rename(item, add))

    def real(self, value: Any) -> Any:
        """``value`` with each renamed id back to the one Redis made (the inverse of `rename`)."""
        names = {name: text for text, name in self._ids.items()}
        if isinstance(value, (str, bytes)):
            text = value.decode("latin-1") if isinstance(value, bytes) else value
            found = names.get(text)
            if found is None:
                return value
            return found.encode() if isinstance(value, bytes) else found
        return _walk(value, self.real)

    def reply(self, command: str, value: Any, code: Callable[[Any], str]) -> str | None:
        """The code of a reply of ``command`` (``code`` writes a value), or None if it is not
        one that `WRITTEN` names."""
        if command not in WRITTEN:
            return None
        if command == "TIME":
            return _time_code(value)
        if command in ("EXPIRETIME", "PEXPIRETIME") and type(value) is int and value >= 0:
            if command == "EXPIRETIME":
                return f"int(time.time()) + {value - int(time.time())}"
            return f"int(time.time() * 1000) + {round(value - time.time() * 1000, -2):.0f}"
        if command == "PTTL" and type(value) is int and value >= 0:
            return code(round(value, -2))
        if command == "KEYS" and isinstance(value, list):
            return code(_sorted(value))
        if command == "HGETALL" and type(value) is dict:
            return code(dict(sorted(value.items(), key=_order)))
        return code(self.rename(value))

    def arguments(
        self, args: tuple[Any, ...], checked: int | None, kept: Callable[[Any], bool]
    ) -> tuple[Any, ...]:
        """``args`` with the ids a reply gave renamed and, from index ``checked`` on (None:
        none; a script's SHA1 comes before it), made-up values as matchers, but for those
        that ``kept`` keeps."""
        out = []
        for index, arg in enumerate(args):
            renamed = self.rename(arg, add=False)
            if (
                renamed is arg
                and isinstance(arg, (str, bytes))
                and checked is not None
                and index >= checked
                and not kept(arg)
            ):
                renamed = _matcher(arg) or arg
            out.append(renamed)
        return tuple(out)


def _walk(value: Any, each: Callable[[Any], Any]) -> Any:
    if type(value) in (list, tuple):
        return type(value)(each(item) for item in value)
    if type(value) is dict:
        return {each(key): each(item) for key, item in value.items()}
    return value


def _order(item: Any) -> Any:
    """A sort key for members or keys of either text type, and (member, score) pairs."""
    first = item[0] if isinstance(item, tuple) else item
    return first.decode("latin-1") if isinstance(first, bytes) else str(first)


def _sorted(items: Any) -> list[Any]:
    return sorted(items, key=_order)


#: The code `Steady.reply` writes for the time: code to paste, though no literal.
_CLOCK_CODE = re.compile(
    r"\(int\(time\.time\(\)\), 0\)|\[str\(int\(time\.time\(\)\)\)(\.encode\(\))?, b?'0'\]"
    r"|int\(time\.time\(\)( \* 1000)?\) \+ -?[0-9]+"
)


def clock_code(shown: str) -> bool:
    """Whether ``shown`` is the code `Steady.reply` writes for a reply that tells the time."""
    return _CLOCK_CODE.fullmatch(shown) is not None


def _time_code(value: Any) -> str | None:
    """TIME's reply, seconds and microseconds, as the time at which the test runs."""
    if type(value) is tuple and len(value) == 2 and all(type(v) is int for v in value):
        return "(int(time.time()), 0)"
    if type(value) is list and len(value) == 2 and all(type(v) is bytes for v in value):
        return "[str(int(time.time())).encode(), b'0']"
    if type(value) is list and len(value) == 2 and all(type(v) is str for v in value):
        return "[str(int(time.time())), '0']"
    return None


#: How far a reply that runs with the clock may be from the mock's, per command.
_TOLERANCE = {"TTL": 1, "PTTL": 1000, "EXPIRETIME": 2, "PEXPIRETIME": 2000}


def close_enough(command: str, mocked: Any, real: Any) -> bool | None:
    """Whether a mock's reply of a clock-bound command is Redis's, give or take the clock; None
    if ``command`` is not one."""
    if command == "TIME":
        try:
            return abs(int(mocked[0]) - int(real[0])) <= 5
        except (TypeError, ValueError, IndexError):
            return False
    tolerance = _TOLERANCE.get(command)
    if tolerance is None:
        return None
    if type(mocked) is not int or type(real) is not int:
        return bool(mocked == real)
    if mocked < 0 or real < 0:  # -1: no expiry, -2: no key
        return mocked == real
    return abs(mocked - real) <= tolerance


# -- at the call ---------------------------------------------------------------------------------


def steady_reply(
    name: str, args: tuple[Any, ...], options: dict[str, Any], client: Any, reply: Any
) -> Any:
    """The reply to give for a `CALLED` command that ``client`` (reaching the server) answered
    with ``reply``: one Redis could give, and the same at every run."""
    if name == "SCAN" or name in ("SSCAN", "HSCAN", "ZSCAN"):
        return _whole_scan(name, args, options, client, reply)
    if name == "RANDOMKEY":
        if reply is None:
            return reply
        return min(client.execute_command("KEYS", "*"), key=_order)
    if name == "SRANDMEMBER" and len(args) >= 2:
        members = _sorted(client.execute_command("SMEMBERS", args[1]))
        if len(args) < 3:
            return members[0] if members else reply
        count = int(args[2])
        return members[:count] if count >= 0 else members[:1] * -count
    if name == "SPOP" and len(args) >= 2 and reply is not None:
        popped = list(reply) if isinstance(reply, (list, set)) else [reply]
        remaining = list(client.execute_command("SMEMBERS", args[1]))
        chosen = _sorted(remaining + popped)[: len(popped)]
        if _sorted(popped) != chosen:
            # The server put in the state the steady choice leaves.
            client.execute_command("SADD", args[1], *popped)
            client.execute_command("SREM", args[1], *chosen)
        if isinstance(reply, set):
            return set(chosen)
        return chosen if isinstance(reply, list) else chosen[0]
    return reply


def _whole_scan(
    name: str, args: tuple[Any, ...], options: dict[str, Any], client: Any, reply: Any
) -> Any:
    at = 1 if name == "SCAN" else 2
    if len(args) <= at or str(args[at]) != "0":
        return reply  # a loop the code resumed itself: as Redis answered
    if not (isinstance(reply, (tuple, list)) and len(reply) == 2 and type(reply[0]) is int):
        return reply  # a shape of the client's own
    cursor, items = reply
    found = items
    sent = list(args)
    while cursor != 0:
        sent[at] = cursor
        cursor, page = client.execute_command(*sent, **dict(options))
        if isinstance(found, dict):
            found = {**found, **page}
        else:
            found = list(found) + [item for item in page if item not in found]
    whole = dict(sorted(found.items(), key=_order)) if isinstance(found, dict) else _sorted(found)
    return (0, whole) if isinstance(reply, tuple) else [0, whole]


def possible_choice(name: str, args: tuple[Any, ...], mocked: Any, client: Any) -> bool:
    """Whether Redis, holding what the server at ``client`` holds, could answer RANDOMKEY,
    SRANDMEMBER or SPOP (``args`` as sent, name first) with ``mocked``; for SPOP the members
    are then removed, as that answer would have removed them."""
    if name == "RANDOMKEY":
        keys = {_text(key) for key in client.execute_command("KEYS", "*")}
        return (not keys) if mocked is None else _text(mocked) in keys
    if name not in ("SRANDMEMBER", "SPOP") or len(args) < 2:
        return False
    members = {_text(member) for member in client.execute_command("SMEMBERS", args[1])}
    if len(args) < 3:
        chosen = [] if mocked is None else [mocked]
        possible = (not members) if mocked is None else _text(mocked) in members
    else:
        count = int(args[2])
        chosen = list(mocked) if isinstance(mocked, (list, set, tuple)) else []
        texts = [_text(item) for item in chosen]
        repeats = count < 0 and name == "SRANDMEMBER"
        size = -count if repeats else min(count, len(members))
        possible = (
            isinstance(mocked, (list, set, tuple))
            and len(texts) == (size if members else 0)
            and set(texts) <= members
            and (repeats or len(set(texts)) == len(texts))
        )
    if possible and name == "SPOP" and chosen:
        client.execute_command("SREM", args[1], *chosen)
    return possible


def _text(value: Any) -> Any:
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value
