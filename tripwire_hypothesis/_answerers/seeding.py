"""A model session's initial data, from ``redis_session(model=True, values=...)``.

The model starts empty; what the app stores under its keys is drawn for each key the first time
the code reads it (a miss first, which shrinking reaches), and written to the model as the type
the reading command expects: a string for ``GET``, a hash for ``HGET``, a list for ``LRANGE``
and ``LMOVE``, a sorted set for ``ZRANGE``, a set for ``SMEMBERS``. A key the code touches first
with any other command (a write) is the code's own. ``RedisSession.from_faults(..., initial=...)``
replays the data drawn, which a failure report prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from tripwire_hypothesis._reply_strategies.for_calls import command_name
from tripwire_hypothesis._reply_strategies.for_commands import Bulk, shape_strategy
from tripwire_hypothesis._reply_strategies.stored import Stored, for_key

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from tripwire_hypothesis._answerers.draws import Draws
    from tripwire_hypothesis._answerers.model import Model

__all__ = ["Seeder"]

_STRINGS = frozenset({"GET", "GETDEL", "GETEX", "MGET", "STRLEN", "GETRANGE"})
_HASHES = frozenset({"HGET", "HMGET", "HGETALL", "HVALS", "HKEYS", "HLEN", "HEXISTS"})
_LISTS = frozenset(
    {"LRANGE", "LINDEX", "LLEN", "LPOP", "RPOP", "LMOVE", "BLMOVE", "RPOPLPUSH", "BRPOPLPUSH"}
)
_BLOCKING_POPS = frozenset({"BLPOP", "BRPOP"})
_SORTED_SETS = frozenset(
    {"ZRANGE", "ZREVRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE", "ZCARD", "ZSCORE", "ZRANK"}
)
_SETS = frozenset({"SMEMBERS", "SRANDMEMBER", "SPOP", "SISMEMBER", "SCARD"})
_FIELDS = shape_strategy(Bulk(kind="field"))


def _kind(name: str) -> str | None:
    for kind, names in (
        ("string", _STRINGS),
        ("hash", _HASHES),
        ("list", _LISTS | _BLOCKING_POPS),
        ("zset", _SORTED_SETS),
        ("set", _SETS),
    ):
        if name in names:
            return kind
    return None


def _text(key: object) -> str:
    return key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)


def _initial(kind: str, value: SearchStrategy[Any]) -> SearchStrategy[Any]:
    """What a key of this kind holds at first, or None (absent, first)."""
    data: SearchStrategy[Any]
    if kind == "string":
        data = value
    elif kind == "hash":
        data = st.dictionaries(_FIELDS, value, min_size=1, max_size=3)
    else:
        data = st.lists(value, min_size=1, max_size=3, unique=kind != "list")
    return st.one_of(st.none(), data)


class Seeder:
    """Writes each key's initial data to the model the first time the code reads the key."""

    __slots__ = ("_draws", "_initial", "_model", "_stored", "_touched", "seeded")

    def __init__(
        self,
        model: Model,
        stored: Stored | None,
        draws: Draws | None,
        initial: dict[str, Any] | None,
    ) -> None:
        self._model = model
        self._stored = stored
        self._draws = draws
        self._initial = initial
        self._touched: set[str] = set()
        #: The data written, by key, in the order written: what a replay needs.
        self.seeded: dict[str, Any] = {}

    def before(self, args: tuple[Any, ...], db: int) -> None:
        """Seed the keys the call ``args`` reads, if they are read for the first time."""
        if len(args) < 2 or db != 0:
            return
        name = command_name(args[0])
        kind = _kind(name)
        if kind is None:
            self._touched.add(_text(args[1]))
            return
        if name == "MGET":
            keys = args[1:]
        elif name in _BLOCKING_POPS:
            keys = args[1:-1]
        else:
            keys = args[1:2]
        for key in keys:
            text = _text(key)
            if text in self._touched:
                continue
            self._touched.add(text)
            data = self._data(kind, text)
            if data is not None:
                self._write(kind, text, data)
                self.seeded[text] = data
        self._touched.add(_text(args[1]))

    def _data(self, kind: str, key: str) -> Any:
        if self._initial is not None:
            return self._initial.get(key)
        if self._stored is None or self._draws is None:
            return None
        value = for_key(self._stored, key, False)
        if value is None:
            return None
        return self._draws.draw(_initial(kind, value), f"initial {key}")

    def _write(self, kind: str, key: str, data: Any) -> None:
        client = self._model.client
        if kind == "string":
            client.set(key, data)
        elif kind == "hash":
            client.hset(key, mapping=data)
        elif kind == "list":
            client.rpush(key, *data)
        elif kind == "zset":
            client.zadd(key, {member: score for score, member in enumerate(data)})
        else:
            client.sadd(key, *data)
