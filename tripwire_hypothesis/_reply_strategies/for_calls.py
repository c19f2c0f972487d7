"""Realistic replies for one call: the command's reply shape, narrowed by the call's arguments.

`replies(command)` knows what a command can answer in general; the arguments of an actual call
narrow it: ``SET k v NX`` may answer ``None`` while a plain ``SET`` always answers ``True``,
``UNLINK k1 k2`` counts at most 2, ``MGET`` returns one value per key, ``SCAN 0 MATCH user:*``
returns keys that match ``user:*`` with a cursor that is often ``0`` (the scan is over), and
``BLPOP q1 q2 0`` pops from ``q1`` or ``q2``.

Strategies are cached by what they depend on (the reply-table entry, a count, a pattern), so a
call costs a dictionary lookup, not a strategy built afresh.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from tripwire_hypothesis._reply_strategies.for_commands import (
    REPLY_SHAPES,
    ListOf,
    Nullable,
    TupleOf,
    replies,
    reply_key,
    shape_strategy,
)

__all__ = ["BELOW_ZERO", "call_replies", "command_name", "simplest_reply"]


# Made once: a strategy function looks itself up in Hypothesis' strategy cache at every call.
_SMALL_COUNT = st.integers(1, 16)
_ANY_INT64 = st.integers(-(2**63), 2**63 - 1)


_FIFTHS = st.integers(0, 4)
BELOW_ZERO = st.integers(-16, -1)


@st.composite
def _counters(draw: st.DrawFn) -> int:
    # Small and positive three times in five (a few hits, shrinking to the first), where limits
    # and "first hit" branches are; small and below zero one time in five, where "taken past
    # zero" branches are (stock reserved beyond what is left, which any 64-bit integer seldom
    # gives: Hypothesis draws those mostly positive); any 64-bit integer otherwise.
    fifth = draw(_FIFTHS)
    if fifth < 3:
        return draw(_SMALL_COUNT)
    if fifth == 3:
        return draw(BELOW_ZERO)
    return draw(_ANY_INT64)


#: A counter after INCR and friends.
_COUNTER = _counters()
_COUNTERS = frozenset({"INCR", "INCRBY", "DECR", "DECRBY", "HINCRBY"})

#: What a read of one value answers: a miss, a number (counters, balances and timestamps are
#: what services keep most), or any value; a third each, shrinking to the miss.
_NUMBER_TEXT = st.integers(0, 10**12).map(str)
_READ = st.one_of(st.none(), _NUMBER_TEXT.map(str.encode), replies("GETRANGE"))
_READ_DECODED = st.one_of(st.none(), _NUMBER_TEXT, replies("GETRANGE", decode_responses=True))
_READS = frozenset({"GET", "GETDEL", "GETEX", "GETSET", "SET GET", "HGET"})

#: A scan's cursor: 0 (the iteration is over) half of the time, which shrinks to the shortest loop.
_CURSOR = st.one_of(st.just(0), st.integers(1, 2**32))


#: Spellings seen -> their command names (bounded: spellings are the code's own constants).
_NAMES: dict[object, str] = {}


def command_name(spelling: object) -> str:
    """The upper-case command name of a call's first argument, however it was spelled."""
    name = _NAMES.get(spelling)
    if name is None:
        text = spelling.decode("utf-8", "replace") if isinstance(spelling, bytes) else spelling
        name = " ".join(str(text).split()).upper()
        if len(_NAMES) < 1024:
            _NAMES[spelling] = name
    return name


def _word(value: object) -> str:
    """An argument as an upper-case word, for recognising options such as ``NX``."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").upper()
    return value.upper() if isinstance(value, str) else ""


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _encode(decode_responses: bool) -> Callable[[str], Any]:
    return str if decode_responses else str.encode


@functools.lru_cache(maxsize=256)
def _at_most(count: int) -> SearchStrategy[int]:
    return st.integers(0, count)


@functools.lru_cache(maxsize=256)
def _at_least(count: int) -> SearchStrategy[int]:
    return st.integers(count, 2**31)


@functools.lru_cache(maxsize=256)
def _values_of(count: int, decode_responses: bool) -> SearchStrategy[Any]:
    """``MGET``/``HMGET`` replies: exactly one value, or ``None``, per key or field."""
    return st.lists(
        replies("GET", decode_responses=decode_responses), min_size=count, max_size=count
    )


_VALUES = replies("GETRANGE")
_VALUES_DECODED = replies("GETRANGE", decode_responses=True)

#: The characters a glob's ``[...]`` stands for: readable ones, or else any other ASCII one.
_NAME_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789:_-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_OTHER_ASCII = "".join(chr(code) for code in range(128) if chr(code) not in _NAME_CHARACTERS)


def _class_members(pattern: str, start: int) -> tuple[list[str], int]:
    """The characters the class at ``pattern[start:]`` (after its ``[``) matches, and its end.

    As Redis reads a class: ``^`` first negates it, ``\\x`` is ``x``, ``a-z`` a range, and ``]``
    (or the pattern's end) closes it.
    """
    index, end = start, len(pattern)
    negated = pattern[index : index + 1] == "^"
    index += negated
    singles: set[str] = set()
    spans: list[tuple[str, str]] = []
    while index < end and pattern[index] != "]":
        if pattern[index] == "\\" and index + 1 < end:
            singles.add(pattern[index + 1])
            index += 2
        elif index + 2 < end and pattern[index + 1] == "-":
            low, high = sorted((pattern[index], pattern[index + 2]))
            spans.append((low, high))
            index += 3
        else:
            singles.add(pattern[index])
            index += 1

    def matches(character: str) -> bool:
        inside = character in singles or any(low <= character <= high for low, high in spans)
        return inside is not negated

    members = [character for character in _NAME_CHARACTERS if matches(character)]
    members = members or [character for character in _OTHER_ASCII if matches(character)]
    if not negated:
        members += sorted((singles | {low for low, _ in spans}) - set(members))
    # Only a class refusing every ASCII character leaves nothing; any name will do then.
    return members or ["x"], index + 1


@functools.lru_cache(maxsize=256)
def _matching(pattern: str, decode_responses: bool) -> SearchStrategy[Any]:
    """Short, readable names matching the glob ``pattern`` (``*``, ``?``, ``[...]``, ``\\x``)."""
    pieces: list[SearchStrategy[str]] = []
    index, end = 0, len(pattern)
    while index < end:
        character = pattern[index]
        index += 1
        if character == "\\" and index < end:
            pieces.append(st.just(pattern[index]))
            index += 1
        elif character == "*":
            pieces.append(st.one_of(st.just(""), st.integers(0, 999).map(str)))
        elif character == "?":
            pieces.append(st.sampled_from("0123456789abcdef"))
        elif character == "[":
            members, index = _class_members(pattern, index)
            pieces.append(st.sampled_from(members))
        else:
            pieces.append(st.just(character))
    names = st.tuples(*pieces).map("".join) if pieces else st.just("")
    return names.map(_encode(decode_responses))


@functools.lru_cache(maxsize=256)
def _scan(
    command: str, pattern: str | None, decode_responses: bool, no_values: bool
) -> SearchStrategy[Any]:
    """A ``SCAN``-family page: ``(cursor, names)``; names match ``MATCH`` when one is given.

    ``HSCAN ... NOVALUES`` pages list the fields' names only.
    """
    shape = REPLY_SHAPES[command]
    general = shape_strategy(shape, decode_responses)
    if pattern is None:
        if no_values:
            return st.tuples(_CURSOR, general.map(lambda page: list(page[1])))
        return st.tuples(_CURSOR, general.map(lambda page: page[1]))
    names = _matching(pattern, decode_responses)
    page: SearchStrategy[Any]
    if command == "HSCAN" and not no_values:
        values = _VALUES_DECODED if decode_responses else _VALUES
        page = st.dictionaries(names, values, max_size=5)
    elif command == "ZSCAN":
        page = st.lists(st.tuples(names, st.floats(allow_nan=False)), max_size=5)
    else:
        page = st.lists(names, max_size=5, unique=True)
    return st.tuples(_CURSOR, page)


def _option_after(args: tuple[Any, ...], option: str, start: int) -> object | None:
    for index in range(start, len(args) - 1):
        if _word(args[index]) == option:
            value: object = args[index + 1]
            return value
    return None


_SET_CONDITIONS = frozenset({"NX", "XX"})
#: Commands of a transaction's bookkeeping that always answer OK.
_ACKNOWLEDGED = frozenset({"WATCH", "UNWATCH", "MULTI", "DISCARD"})
_OK = st.just(True)
#: Commands that count how many of their keys (from the first argument) they affected.
_KEY_COUNTS = frozenset({"DEL", "UNLINK", "EXISTS", "TOUCH"})
#: Commands that count how many of their members (after the key) they affected.
_MEMBER_COUNTS = frozenset({"SADD", "SREM", "ZREM", "HDEL"})
_SCANS = {"SCAN": 2, "SSCAN": 3, "HSCAN": 3, "ZSCAN": 3}
#: What may come between ZADD's key and its score/member pairs.
_ZADD_FLAGS = frozenset({"NX", "XX", "CH", "GT", "LT"})
#: Commands answering one item per argument from this position (after the key, mostly).
_ONE_PER_ARGUMENT = {"SMISMEMBER": 2, "ZMSCORE": 2, "SCRIPT EXISTS": 1}
#: Commands whose list reply holds at most their count argument's number of items.
_UP_TO_COUNT = frozenset({"LPOP", "RPOP", "SPOP", "SRANDMEMBER", "ZPOPMIN", "ZPOPMAX"})


#: Blocking pops (``BLPOP k1 k2 timeout``): the reply names the key it popped from.
_BLOCKING_POPS = frozenset({"BLPOP", "BRPOP", "BZPOPMIN", "BZPOPMAX"})


def _as_reply(value: object, decode_responses: bool) -> Any:
    """A key argument as a reply names it: the bytes redis-py sent, or their text."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        sent = bytes(value)
    elif isinstance(value, (int, float)):
        sent = repr(value).encode()  # as redis-py's encoder sends numbers
    else:
        sent = str(value).encode()
    return sent.decode("utf-8", "replace") if decode_responses else sent


@functools.lru_cache(maxsize=256)
def _popped_from(key: str, keys: tuple[Any, ...], decode_responses: bool) -> SearchStrategy[Any]:
    """A blocking pop's reply naming one of ``keys`` (the first, when it shrinks), or ``None``."""
    shape = REPLY_SHAPES[key]
    inner = shape.inner if isinstance(shape, Nullable) else shape
    assert isinstance(inner, TupleOf)
    rest = (shape_strategy(item, decode_responses) for item in inner.items[1:])
    popped: SearchStrategy[Any] = st.tuples(st.sampled_from(keys), *rest)
    if inner.as_list:
        popped = popped.map(list)
    return popped if inner is shape else st.one_of(st.none(), popped)


def _integer(value: object) -> int | None:
    """An integer argument, however it was sent (``3``, ``"3"``, ``b"-2"``), or None."""
    if type(value) is int:
        return value
    if isinstance(value, (bytes, str)):
        try:
            return int(value)
        except ValueError:
            return None
    return None


@functools.lru_cache(maxsize=256)
def _sized(
    key: str, low: int, high: int, decode_responses: bool, unique: bool = False
) -> SearchStrategy[Any]:
    """The list reply ``key`` with ``low`` to ``high`` items, or ``None`` where it may be."""
    shape = REPLY_SHAPES[key]
    inner = shape.inner if isinstance(shape, Nullable) else shape
    assert isinstance(inner, ListOf)
    items = st.lists(
        shape_strategy(inner.item, decode_responses),
        min_size=low,
        max_size=high,
        unique=unique or inner.unique,
    )
    return items if inner is shape else st.one_of(st.none(), items)


def _counted(
    name: str, args: tuple[Any, ...], key: str, decode_responses: bool
) -> SearchStrategy[Any] | None:
    """Replies of a call with a count (``LPOP k 3``, ``SRANDMEMBER k -2``), or None."""
    count = _integer(args[2]) if len(args) > 2 else 1 if name.startswith("ZPOP") else None
    if count is None or key not in REPLY_SHAPES:
        return None
    if count < 0:  # SRANDMEMBER with a negative count: exactly that many, repeats allowed
        return _sized(key, -count, -count, decode_responses)
    shape = REPLY_SHAPES[key]
    inner = shape.inner if isinstance(shape, Nullable) else shape
    if not isinstance(inner, ListOf):
        return None
    low = min(inner.min_size, count)
    # Members drawn with a positive count are distinct.
    unique = name == "SRANDMEMBER"
    return _sized(key, low, max(low, min(count, inner.max_size)), decode_responses, unique)


def call_replies(
    args: tuple[Any, ...], options: dict[str, Any], decode_responses: bool
) -> SearchStrategy[Any] | None:
    """Realistic replies of the call ``execute_command(*args, **options)``, or ``None``.

    ``None`` when the command has no reply shape (see `supported_commands`).
    """
    name = command_name(args[0])
    if name in _COUNTERS:
        return _COUNTER
    if name in _ACKNOWLEDGED:
        return _OK
    if name in _KEY_COUNTS:
        return _at_most(len(args) - 1)
    if name in _MEMBER_COUNTS:
        return _at_most(max(len(args) - 2, 0))
    if name in ("LPUSH", "RPUSH"):
        return _at_least(max(len(args) - 2, 1))
    if name == "HSET":
        pairs = max((len(args) - 2) // 2, 0)
        mapping = options.get("mapping")
        return _at_most(pairs + (len(mapping) if isinstance(mapping, dict) else 0))
    if name == "ZADD" and not options.get("as_score"):
        flags = next(
            (count for count, arg in enumerate(args[2:]) if _word(arg) not in _ZADD_FLAGS),
            len(args) - 2,
        )
        return _at_most(max((len(args) - 2 - flags) // 2, 0))
    if name in ("MGET", "HMGET"):
        count = len(args) - (1 if name == "MGET" else 2)
        return _values_of(max(count, 1), decode_responses)
    if name in _SCANS:
        pattern = _option_after(args, "MATCH", _SCANS[name] - 1)
        no_values = name == "HSCAN" and any(_word(arg) == "NOVALUES" for arg in args[3:])
        return _scan(name, None if pattern is None else _text(pattern), decode_responses, no_values)
    if name == "KEYS" and len(args) > 1:
        return st.lists(_matching(_text(args[1]), decode_responses), max_size=5, unique=True)
    if name in _ONE_PER_ARGUMENT:
        count = max(len(args) - _ONE_PER_ARGUMENT[name], 1)
        return _sized(name, count, count, decode_responses)
    key = reply_key(name, *args[1:], **options)
    if name in _BLOCKING_POPS and len(args) > 2 and key in REPLY_SHAPES:
        # The keys come before the timeout.
        keys = tuple(dict.fromkeys(_as_reply(arg, decode_responses) for arg in args[1:-1]))
        return _popped_from(key, keys, decode_responses)
    if name in _UP_TO_COUNT:
        counted = _counted(name, args, key, decode_responses)
        if counted is not None:
            return counted
    if name == "LRANGE" and len(args) > 3:
        start, stop = _integer(args[2]), _integer(args[3])
        if start is not None and stop is not None and start >= 0 and stop >= 0:
            return _sized(key, 0, max(0, min(stop - start + 1, 5)), decode_responses)
    if key == "SET" and not any(_word(arg) in _SET_CONDITIONS for arg in args[3:]):
        return _OK
    if key in _READS:
        return _READ_DECODED if decode_responses else _READ
    if key not in REPLY_SHAPES:
        return None
    return replies(key, decode_responses=decode_responses)


def simplest_reply(args: tuple[Any, ...], options: dict[str, Any], decode_responses: bool) -> Any:
    """The reply a drawn session's answer to this call shrinks to: a miss, ``0``, empty, ``True``.

    What a replayed story (`RedisSession.replay`) answers a call beyond it. ``None`` for a
    command with no realistic replies.
    """
    strategy = call_replies(args, options, decode_responses)
    return None if strategy is None else _simplest(strategy)


@functools.lru_cache(maxsize=256)
def _simplest(strategy: SearchStrategy[Any]) -> Any:
    # Hypothesis' own notion of the simplest value: every choice its simplest. Its internals,
    # imported here, on the slow path of a replay only.
    from hypothesis.control import BuildContext
    from hypothesis.internal.conjecture.choice import ChoiceTemplate
    from hypothesis.internal.conjecture.data import ConjectureData

    data = ConjectureData.for_choices([ChoiceTemplate("simplest", count=None)])
    with BuildContext(data, wrapped_test=_simplest):
        return data.draw(strategy)
