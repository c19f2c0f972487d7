"""Reply shapes of redis-py's commands: what a mock's ``returns`` can be.

A mock that replaces ``Redis.execute_command`` must return the *final* Python
value a caller of ``r.get(...)``, ``r.hgetall(...)``, ... receives, i.e. the
value redis-py produces after its response callbacks ran.  This module
describes that value for each supported command with a small *shape grammar*
(frozen dataclasses: :class:`Bulk`, :class:`Nullable`, :class:`Int`,
:class:`ListOf`, ...).  From one shape definition both a Hypothesis strategy
(``tripwire_hypothesis._reply_strategies.for_commands``) and a predicate (:meth:`Shape.matches`)
are derived, so generated replies, the checks of mocks (`wrong_reply`) and
the checks against real replies can never drift apart.  This module imports
neither Hypothesis nor anything that does: the Redis plugin checks mocks with
it.

Protocol facts (checked against redis-py 8.1 and a real server):

* redis-py >= 8.0 speaks RESP3 on the wire by default (``HELLO 3``), but with
  the default ``legacy_responses=True`` its callbacks convert every reply back
  to the Python shapes redis-py 5.x-7.x return on their default RESP2 wire.
  For the commands in this table the default shapes are therefore identical
  for every redis-py >= 5.  They differ only when a user opts in:
  ``protocol=3`` (5.x-8.x) returns e.g. ``ZRANGE ... WITHSCORES`` as a list of
  ``[member, score]`` *lists*, ``BLPOP`` as a list and ``ZPOPMIN`` without a
  count as a flat ``[member, score]``; ``legacy_responses=False`` (8.x)
  returns the "unified" list-of-lists shapes.  Those opt-in shapes are not
  modelled here.
* ``EVAL``/``EVALSHA`` return whatever the script returns; on the RESP3 wire
  a script that calls ``redis.setresp(3)`` can also produce booleans, doubles
  and maps, so :class:`AnyReply` allows those too.
* ``SCRIPT LOAD`` always returns ``str`` (redis-py applies ``str_if_bytes``),
  even with ``decode_responses=False``.  ``PING`` returns ``True``, not
  ``b"PONG"``.  ``TYPE`` returns the status word as bytes (str when decoding).
* ``r.incr()``/``r.decr()`` send ``INCRBY``/``DECRBY``; ``r.hmset()`` emits
  ``DeprecationWarning`` in every supported redis-py, ``r.setex()`` from 8.0 on.
* ``SMEMBERS``/``SINTER``/``SUNION``/``SDIFF`` return ``set``; ``SPOP`` and
  ``SRANDMEMBER`` with a count return ``list`` (redis-py's annotations say
  ``set`` for ``spop``, but the runtime value is a list).

The table itself, and the differences between redis-py versions, are in
`tripwire.plugins.redis_plugin.replies.table`.
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis

from tripwire.plugins.redis_plugin.replies.shapes import (
    Bulk,
    DictOf,
    ListOf,
    Ok,
    Sha1,
    Shape,
    TupleOf,
    describe,
)
from tripwire.plugins.redis_plugin.replies.table import (
    CURSOR,
    KEY,
    REDIS_PY_VERSION,
    redis_py_version,
    table,
)

__all__ = [
    "REDIS_PY_VERSION",
    "REPLY_SHAPES",
    "default_shapes",
    "normalise",
    "redis_py_version",
    "variant_key",
    "wrong_reply",
    "wrong_reply_cached",
]


_TABLE: dict[str, Shape] = table(REDIS_PY_VERSION)

REPLY_SHAPES: Mapping[str, Shape] = types.MappingProxyType(_TABLE)
"""Reply shape of each supported command, keyed by upper-case command name.

Describes the installed redis-py (:data:`REDIS_PY_VERSION`); see the module
docstring for the commands whose shape depends on the version.
"""


# Commands whose reply shape changes when redis-py passes a count argument.
_COUNT_VARIANTS = frozenset({"LPOP", "RPOP", "SPOP", "SRANDMEMBER"})


def normalise(command: str) -> str:
    """``command`` upper-case, with runs of whitespace as one space."""
    return " ".join(command.split()).upper()


def variant_key(name: str, args: tuple[Any, ...], options: Mapping[str, Any]) -> str:
    """The :data:`REPLY_SHAPES` entry of a call of ``name`` (normalised) with these
    ``execute_command`` arguments (command name first) and options.

    ``"SET GET"`` when ``options["get"]``, ``"<CMD> WITHSCORES"`` when
    ``options["withscores"]`` and such an entry exists, ``"ZADD INCR"`` when
    ``options["as_score"]``, ``"<CMD> COUNT"`` for ``LPOP``/``RPOP``/``SPOP``/
    ``SRANDMEMBER`` called with a count; else ``name``.
    """
    # Not mutated: any value that names no table entry ("" too) gives ``name``.
    variant: str | None = None  # pragma: no mutate
    if name == "SET" and options.get("get"):
        variant = "SET GET"
    elif name == "ZADD" and options.get("as_score"):
        variant = "ZADD INCR"
    elif options.get("withscores"):
        variant = f"{name} WITHSCORES"
    elif name in _COUNT_VARIANTS and len(args) > 2:
        variant = f"{name} COUNT"
    if variant is not None and variant in _TABLE:
        return variant
    return name


# --------------------------------------------------------------------------
# Checking a mock's returns
# --------------------------------------------------------------------------

#: The option words of the variant entries (``"ZRANGE WITHSCORES"``).
_OPTION_WORDS = frozenset({"WITHSCORES", "COUNT", "GET", "INCR"})

#: Each command with its option variants (``"ZRANGE"``: ``ZRANGE`` and ``ZRANGE WITHSCORES``):
#: a mock is registered before the call, so it may be meant for any of them.
_FAMILIES: dict[str, tuple[Shape, ...]] = {}
for _name, _shape in _TABLE.items():
    _family, _, _word = _name.rpartition(" ")
    if not _family or _word not in _OPTION_WORDS or _family not in _TABLE:
        _family = _name
    # A script's sha1 is checked by its type only: a test may make one up ("loaded-sha").
    _loose = Bulk() if isinstance(_shape, Sha1) else _shape
    _FAMILIES[_family] = (*_FAMILIES.get(_family, ()), _loose)


@dataclass(frozen=True, repr=False)
class _NodeName(Shape):
    """A cluster node's name, ``"host:port"``: always ``str``."""

    # Not mutated: the default is never used (`wrong_reply` passes decode_responses).
    def matches(self, value: object, decode_responses: bool = False) -> bool:  # pragma: no mutate
        return type(value) is str


@describe.register
def _describe_node_name(shape: _NodeName) -> str:
    return "node names ('host:port')"


#: Replies of the sandbox's cluster clients that no single command gives: a command split per
#: slot is recorded as one call, which returns what the cluster client returns.
_CLUSTER_REPLIES: dict[str, tuple[Shape, ...]] = {
    # RedisCluster.mset_nonatomic(): one MSET reply per slot.
    "MSET": (ListOf(Ok(), min_size=1),),
    # RedisCluster.scan(): each node's cursor by the node's name, and the keys of every node.
    "SCAN": (TupleOf(DictOf(_NodeName(), CURSOR), ListOf(KEY)),),
}
for _name, _extra in _CLUSTER_REPLIES.items():
    _FAMILIES[_name] += _extra


def wrong_reply(name: str, value: object) -> str | None:
    """None if redis-py can return ``value`` for a call of ``name`` (normalised), with
    ``decode_responses`` on or off and any option; else what it returns, in words.

    A command not in the table accepts anything.
    """
    shapes = _FAMILIES.get(name)
    if shapes is None:
        return None
    for shape in shapes:
        # Not mutated: matches() reads decode_responses only as true or false, so False, None
        # and its default are the same.
        if shape.matches(value, False) or shape.matches(value, True):  # pragma: no mutate
            return None
    return ", or ".join(dict.fromkeys(describe(shape) for shape in shapes))


#: Scalar reply types whose verdicts `wrong_reply_cached` keeps, by (command, type, value).
_CACHEABLE = frozenset({bytes, str, int, float, bool, type(None)})
_VERDICTS: dict[tuple[str, type, object], str | None] = {}


def wrong_reply_cached(name: str, value: object) -> str | None:
    """`wrong_reply`, its verdicts on scalar replies kept: a suite mocks the same few replies
    (``b"v"``, ``True``, ``None``) many times over."""
    # Not mutated: a value not cached is checked all the same; only the speed changes.
    kind = type(value)  # pragma: no mutate
    if kind not in _CACHEABLE:
        return wrong_reply(name, value)
    key = (name, kind, value)
    try:
        return _VERDICTS[key]
    except KeyError:
        verdict = wrong_reply(name, value)
        # Not mutated: the bound only keeps the cache small.
        if len(_VERDICTS) < 4096:  # pragma: no mutate
            _VERDICTS[key] = verdict
        return verdict


# --------------------------------------------------------------------------
# Which clients get the replies of the table
# --------------------------------------------------------------------------


@functools.cache
def _default_callbacks() -> tuple[Mapping[str, Any], ...]:
    """The response callbacks of the redis-py clients whose replies the table describes, sync
    and asyncio: of the default configuration, and of ``protocol=2`` where redis-py takes a
    ``protocol`` (5 and later). A valkey-py client's callbacks are its own (it returns a list
    for ``SMEMBERS``, say), never these."""
    found = []
    sides: list[Any] = [redis.Redis]
    try:
        # Imported here, once, when a reply is first checked: redis-py 4.0 and 4.1 have no
        # asyncio client.
        from redis.asyncio import Redis as AsyncRedis
    except ImportError:  # pragma: no cover - redis-py 4.0 and 4.1
        pass
    else:
        sides.append(AsyncRedis)
    for client in sides:
        takes_protocol = "protocol" in inspect.signature(client).parameters
        # No protocol before redis-py 5: asking for it would leave a half-made client, whose
        # __del__ fails when it is collected.
        for options in ({}, {"protocol": 2}) if takes_protocol else ({},):
            found.append(client(**options).response_callbacks)
    return tuple(found)


def default_shapes(callbacks: Any, command: str) -> bool:
    """Whether a client whose ``response_callbacks`` are ``callbacks`` gets the replies the
    table describes for ``command`` (normalised): whether its callback for it is the one a
    client of the default configuration, or of ``protocol=2``, has. Not so with ``protocol=3``,
    with ``legacy_responses=False`` (redis-py 8), or with a callback of the user's own.

    ``callbacks`` None (a cluster client, or one of the user's own making with none): the
    default replies.
    """
    if callbacks is None:
        return True
    try:
        own = callbacks.get(command)
    except Exception:
        return True  # not a mapping: not redis-py's, checked against the default replies
    references = _REFERENCES.get(command)
    if references is None:
        references = tuple(reference.get(command) for reference in _default_callbacks())
        # Not mutated: a cache, which changes only the speed.
        if len(_REFERENCES) < 4096:  # pragma: no mutate
            _REFERENCES[command] = references
    return any(own is reference for reference in references)


#: The default configurations' callbacks of each command, as `default_shapes` compares them.
_REFERENCES: dict[str, tuple[Any, ...]] = {}
