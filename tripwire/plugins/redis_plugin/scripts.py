"""Lua scripts known by their source: what an ``EVALSHA <sha>`` ran, and a matcher for it.

redis-py runs a script made by ``register_script()`` (and a ``Lock``'s release and extend) as
``EVALSHA <sha1 of the source>``. tripwire learns which source has which sha1:

- when a ``Script`` (``register_script()``'s) is made while the interception is installed
  (during a test, or inside a sandbox): its ``__init__`` is wrapped next to the other
  interceptors (`patches`, registered with `interceptors.extend`);
- from the ``Script`` objects alive in the process, such as those an application module made
  at import, found through the garbage collector when a message needs a sha1 not known
  otherwise;
- from `ScriptSource` itself, the matcher ``tripwire.redis.script(source)`` returns;
- from ``EVAL`` and ``SCRIPT LOAD`` calls recorded on a timeline (`source_of`'s ``calls``);
- from redis-py's own ``Lock`` scripts.

Every redis-py from 4.0 to 8.x, and valkey-py, give a ``Script`` (and an ``AsyncScript``) its
``script`` (the source) and ``sha`` in ``__init__``. The sha1 of a source is a fact, so one map
serves the whole process; it holds at most `MAX_KNOWN` scripts. Nothing here runs on the
intercepted call: only assertions and messages look scripts up.
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import sys
from collections.abc import Callable, Iterable
from typing import Any

from tripwire.plugins.redis_plugin.intercept import interceptors as _intercept

__all__ = ["MAX_KNOWN", "ScriptSource", "learn", "patches", "sha1_of", "source_of"]

#: How many sources the process-wide map holds; beyond, the earliest learned are forgotten.
MAX_KNOWN = 4096

#: sha1 (lower-case hex str) -> the script's source, as given (str or bytes).
_KNOWN: dict[str, str | bytes] = {}

#: How many characters of a source a message shows.
SHOWN = 150


def sha1_of(source: str | bytes) -> str:
    """The sha1 Redis knows the script by: of its UTF-8 bytes (redis-py's default encoding)."""
    data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    return hashlib.sha1(data).hexdigest()


def learn(source: object, sha: object = None) -> None:
    """Remember ``source`` under its sha1, and under ``sha`` if given (a loaded script's)."""
    if not isinstance(source, (str, bytes)):
        return
    for key in (sha1_of(source), _text(sha) if isinstance(sha, (str, bytes)) else None):
        if key is not None and key not in _KNOWN:
            if len(_KNOWN) >= MAX_KNOWN:
                del _KNOWN[next(iter(_KNOWN))]  # the earliest learned
            _KNOWN[key] = source
            _SEARCHED.discard(key)


def _text(sha: str | bytes) -> str:
    return (sha.decode("ascii", "replace") if isinstance(sha, bytes) else sha).lower()


def _learn_lock_scripts() -> None:
    for package in ("redis", "valkey"):
        try:
            lock = importlib.import_module(f"{package}.lock").Lock
        except (ImportError, AttributeError):
            continue
        for name in ("LUA_RELEASE_SCRIPT", "LUA_EXTEND_SCRIPT", "LUA_REACQUIRE_SCRIPT"):
            learn(getattr(lock, name, None))


def source_of(sha: object, calls: Iterable[Any] = ()) -> str | bytes | None:
    """The source of the script known as ``sha``, or None.

    ``calls`` are recorded calls (`RedisCall`) whose ``EVAL`` and ``SCRIPT LOAD`` teach sources:
    a ``SCRIPT LOAD`` mock's return value, even a made-up one, then names its script.
    """
    if not isinstance(sha, (str, bytes)):
        return None
    key = _text(sha)
    found = _KNOWN.get(key)
    if found is not None:
        return found
    for call in calls:
        if call.command in ("EVAL", "EVAL_RO", "SCRIPT LOAD") and call.args:
            source = call.args[0]
            if isinstance(source, (str, bytes)):
                if sha1_of(source) == key:
                    return source
                loaded = call.returns
                if isinstance(loaded, (str, bytes)) and call.command == "SCRIPT LOAD":
                    loaded_as = _text(loaded)
                    if loaded_as == key:
                        return source
    if key not in _SEARCHED:
        if len(_SEARCHED) >= MAX_KNOWN:
            _SEARCHED.clear()
        _SEARCHED.add(key)
        _learn_lock_scripts()
        _learn_live_scripts()
    return _KNOWN.get(key)


#: The sha1s `source_of` looked for among the live scripts: each is looked for once.
_SEARCHED: set[str] = set()


def _learn_live_scripts() -> None:
    """Learn the source of every redis-py and valkey-py ``Script`` object alive."""
    classes = tuple(
        cls
        for package in ("redis", "valkey")
        for name in ("Script", "AsyncScript")
        if isinstance(cls := getattr(sys.modules.get(f"{package}.commands.core"), name, None), type)
    )
    if not classes:
        return
    for found in gc.get_objects():
        # type(), not isinstance(): an object's own __getattribute__ (a proxy's) is not called.
        if issubclass(type(found), classes):
            learn(getattr(found, "script", None), getattr(found, "sha", None))


def shown(source: str | bytes) -> str:
    """``source``'s repr for a message, cut after `SHOWN` characters (no longer Python then)."""
    if len(source) <= SHOWN:
        return repr(source)
    head = repr(source[:SHOWN])
    unit = "characters" if isinstance(source, str) else "bytes"
    return f"{head[:-1]}...{head[-1]} ({len(source)} {unit})"


class ScriptSource:
    """Equal to a script's source and to its sha1: matches ``EVAL`` and ``EVALSHA`` alike.

    Made by ``tripwire.redis.script(source)``. A str source also equals its UTF-8 bytes, and a
    sha1 compares in either case, as str or bytes.
    """

    __slots__ = ("sha", "source")

    def __init__(self, source: str | bytes) -> None:
        self.source = source
        self.sha = sha1_of(source)
        learn(source)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (str, bytes)):
            if _text(other) == self.sha:
                return True
            if isinstance(other, type(self.source)):
                return other == self.source
            return sha1_of(other) == self.sha
        if isinstance(other, ScriptSource):
            return other.sha == self.sha
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"tripwire.redis.script({shown(self.source)})"


def _learning_init(original: Callable[..., None]) -> Callable[..., None]:
    def __init__(script: Any, *args: Any, **kwargs: Any) -> None:
        original(script, *args, **kwargs)
        learn(getattr(script, "script", None), getattr(script, "sha", None))

    return __init__


def patches(library: str) -> tuple[tuple[type, str, Callable[..., Any]], ...]:
    """(class, ``"__init__"``, wrapper) for each of ``library``'s script classes; each wrapper
    calls the ``__init__`` in place when the interception is installed.

    redis-py 4.0 to 8.x and valkey-py define ``Script`` and ``AsyncScript`` in
    ``<library>.commands.core``.
    """
    try:
        module = importlib.import_module(f"{library}.commands.core")
    except ImportError:  # pragma: no cover - every supported version has it
        return ()
    found = []
    for name in ("Script", "AsyncScript"):
        cls = getattr(module, name, None)
        if isinstance(cls, type) and "__init__" in vars(cls):
            found.append((cls, "__init__", _learning_init(vars(cls)["__init__"])))
    return tuple(found)


def _library_patches(library: Any) -> list[tuple[type, str, Callable[..., Any]]]:
    return list(patches(library.name))


_intercept.extend(_library_patches)
