"""What the app keeps under its keys: ``redis_session(values=...)``, and the replies it shapes.

A drawn session answers a read with realistic Redis values: any bytes. Code that stores JSON
documents, UTF-8 text or counters under its keys fails on those before reaching what a property
tests. ``values=`` says what the app stores, for every key (a strategy) or per key pattern (a
mapping of Redis glob patterns to strategies, the first match winning), and every reading command
then answers from it: ``GET`` and its variants, ``MGET``, ``HGET``/``HMGET``/``HGETALL``/``HVALS``
(a hash's field values), ``LRANGE``/``LINDEX``/``LPOP``/``RPOP``/``LMOVE``/``BLMOVE``/
``RPOPLPUSH``/``BRPOPLPUSH``/``BLPOP``/``BRPOP`` (a list's items), ``ZRANGE`` and its variants (a
sorted set's members), ``SMEMBERS``/``SRANDMEMBER``/``SPOP`` (a set's members).

A value is what the app hands redis-py: ``bytes``, ``str`` (stored as UTF-8), or an ``int`` or a
``float`` (stored as its ``repr``), replied as the bytes stored (their text with
``decode_responses``).
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from tripwire_hypothesis._checks import invalid
from tripwire_hypothesis._reply_strategies.for_calls import command_name
from tripwire_hypothesis._reply_strategies.for_commands import Bulk, shape_strategy

__all__ = ["Stored", "check_values", "for_key", "stored_replies"]

#: The stored values, as given: one strategy per pattern, in order (``"*"`` for a lone strategy).
Stored = tuple[tuple[str, SearchStrategy[Any]], ...]

_REQUIREMENT = (
    "a strategy of the values the app stores, or a mapping from key patterns (such as "
    "'user:*') to such strategies"
)


def check_values(function: str, values: object) -> Stored | None:
    """``values=`` checked: None, or the patterns and their strategies in order."""
    if values is None:
        return None
    if isinstance(values, SearchStrategy):
        return (("*", values),)
    if not isinstance(values, Mapping) or not values:
        raise invalid(function, "values", _REQUIREMENT, values)
    stored = []
    for pattern, strategy in values.items():
        if type(pattern) is not str or not pattern:
            raise invalid(function, "values", _REQUIREMENT, pattern)
        if not isinstance(strategy, SearchStrategy):
            raise invalid(function, "values", _REQUIREMENT, strategy)
        stored.append((pattern, strategy))
    return tuple(stored)


def _stored_value(value: object) -> bytes:
    """A drawn value as Redis stores it, as redis-py's encoder would send it."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    if type(value) in (int, float):
        return repr(value).encode()
    raise invalid(
        "redis_session", "values", "strategies drawing bytes, str, int or float values", value
    )


def _decoded(value: object) -> str:
    return _stored_value(value).decode("utf-8", "replace")


@functools.lru_cache(maxsize=256)
def _encoded(strategy: SearchStrategy[Any], decode_responses: bool) -> SearchStrategy[Any]:
    return strategy.map(_decoded if decode_responses else _stored_value)


def _text(key: object) -> str:
    if isinstance(key, bytes):
        return key.decode("utf-8", "replace")
    return str(key)


@functools.lru_cache(maxsize=1024)
def for_key(stored: Stored, key: str, decode_responses: bool) -> SearchStrategy[Any] | None:
    for pattern, strategy in stored:
        if fnmatch.fnmatchcase(key, pattern):
            return _encoded(strategy, decode_responses)
    return None


@functools.lru_cache(maxsize=256)
def _maybe(strategy: SearchStrategy[Any]) -> SearchStrategy[Any]:
    """A miss first (what shrinking reaches), or a stored value."""
    return st.one_of(st.none(), strategy)


@functools.lru_cache(maxsize=256)
def _items(strategy: SearchStrategy[Any], unique: bool) -> SearchStrategy[Any]:
    return st.lists(strategy, max_size=5, unique=unique)


_FIELDS = shape_strategy(Bulk(kind="field"))
_FIELDS_DECODED = shape_strategy(Bulk(kind="field"), True)
_SCORES = st.floats(allow_nan=False)

#: Commands reading one value of their first key, or None.
_ONE_VALUE = frozenset(
    {"GET", "GETDEL", "GETEX", "GETSET", "HGET", "LINDEX", "LPOP", "RPOP", "SRANDMEMBER", "SPOP"}
)
_MOVES = frozenset({"LMOVE", "BLMOVE", "RPOPLPUSH", "BRPOPLPUSH"})
_RANGES = frozenset({"LRANGE", "ZRANGE", "ZREVRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE"})
_WITH_SCORES = frozenset({"ZRANGE", "ZREVRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE"})
_BLOCKING_POPS = frozenset({"BLPOP", "BRPOP"})


def stored_replies(
    args: tuple[Any, ...], options: dict[str, Any], decode_responses: bool, stored: Stored
) -> SearchStrategy[Any] | None:
    """Replies of a reading call, from what the app stores under its key; None for a call that
    reads no stored value, or a key no pattern matches (the realistic replies answer then)."""
    name = command_name(args[0])
    if len(args) < 2:
        return None
    if name == "MGET":
        per_key = [for_key(stored, _text(key), decode_responses) for key in args[1:]]
        if all(strategy is None for strategy in per_key):
            return None
        return st.tuples(*(_maybe(s) if s is not None else st.none() for s in per_key)).map(list)
    if name in _BLOCKING_POPS:
        keys = args[1:-1]
        popped = [
            (key, strategy)
            for key in keys
            if (strategy := for_key(stored, _text(key), decode_responses)) is not None
        ]
        if not popped:
            return None
        pops = [
            st.tuples(st.just(_text(key) if decode_responses else _text(key).encode()), strategy)
            for key, strategy in popped
        ]
        return st.one_of(st.none(), *pops)
    value = for_key(stored, _text(args[1]), decode_responses)
    if value is None:
        return None
    counted = len(args) > 2 and name in ("LPOP", "RPOP", "SPOP", "SRANDMEMBER")
    if (name in _ONE_VALUE and not counted) or name in _MOVES:
        return _maybe(value)
    if counted and name in ("LPOP", "RPOP"):
        return st.one_of(st.none(), _items(value, False))
    if counted:
        return _items(value, name == "SPOP")
    if name == "HMGET":
        count = len(args) - 2
        return st.lists(_maybe(value), min_size=count, max_size=count)
    if name == "HGETALL":
        fields = _FIELDS_DECODED if decode_responses else _FIELDS
        return st.dictionaries(fields, value, max_size=5)
    if name == "HVALS":
        return _items(value, False)
    if name == "SMEMBERS":
        return st.sets(value, max_size=5)
    if name in _RANGES:
        if name in _WITH_SCORES and options.get("withscores"):
            return st.lists(st.tuples(value, _SCORES), max_size=5, unique_by=lambda p: p[0])
        return _items(value, name != "LRANGE")
    return None
