"""Answers from a model of Redis: one fakeredis server per example, and faults Hypothesis injects.

``redis_session(model=True)`` installs a `ModelAnswerer`: each call no mock covers is run on the
example's own fakeredis server, through a client tripwire does not intercept, and answered with
the reply redis-py's method would return. At each call Hypothesis decides, in one draw, whether
it succeeds or fails with a `Fault`: a dropped connection or a timeout before the command took
effect (nothing changed) or after (it changed the model, the reply is lost), a server loading its
data, a read-only replica, out of memory, and at a watched transaction's ``EXEC`` a concurrent
write that makes it fail with ``WatchError``. The coin shrinks towards no fault, so a failure
shrinks to the fewest faults.

A command the model cannot run (Lua without lupa installed, or one fakeredis does not implement)
is refused with an `UnmockedInteractionError` naming what to install or to mock: fakeredis'
``unknown command`` reply is a ``ResponseError``, which code catching ``RedisError`` would hide.

A transaction's queued commands are run on the model as they are queued, so that their replies
are the model's; the model is put back as it was when ``EXEC`` does not take effect. Nothing else
runs in between (the pipeline sends them together), so this is atomic as Redis' ``EXEC`` is.
"""

from __future__ import annotations

import copy
import functools
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import fakeredis
from hypothesis import strategies as st
from redis import exceptions

from tripwire.plugins.redis_plugin.intercept.interceptors import calling_client
from tripwire_hypothesis._answerers.drawn import (
    COIN_SIDES,
    OUTAGE,
    Answerer,
    Call,
    _Label,
    cluster_node,
)
from tripwire_hypothesis._answerers.retries import (
    RETRIED,
    client_owner,
    retries_of,
    through_retries,
)
from tripwire_hypothesis._checks import invalid
from tripwire_hypothesis._reply_strategies.errors import _build
from tripwire_hypothesis._reply_strategies.for_calls import command_name
from tripwire_hypothesis._reproduction import error_code

if TYPE_CHECKING:
    from types import FrameType

    from hypothesis.strategies import SearchStrategy

    from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin
    from tripwire_hypothesis._answerers.drawn import Policy
    from tripwire_hypothesis._answerers.draws import Draws

__all__ = ["FAULT_KINDS", "Fault", "Model", "ModelAnswerer", "ModelClient"]

#: The faults a model session injects, in shrink order.
FAULT_KINDS = ("connection", "timeout", "loading", "readonly", "oom", "watch")
#: Faults a server gives only to commands that write (``readonly``) or may allocate (``oom``).
_WRITE_FLAGS = {"readonly": "write", "oom": "denyoom"}
#: Sent through a pipeline, never on their own: the model answers a transaction at ``EXEC``.
_TRANSACTION_COMMANDS = frozenset({"MULTI", "EXEC", "DISCARD"})
_COIN = st.integers(0, COIN_SIDES - 1)
#: Commands fakeredis runs only with lupa installed (``fakeredis[lua]``).
_LUA_COMMANDS = frozenset(
    {"EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "SCRIPT", "FCALL", "FCALL_RO", "FUNCTION"}
)
#: How fakeredis answers a command (or subcommand) it does not implement.
_UNKNOWN = ("unknown command", "unknown subcommand")


class Fault:
    """How one call fails: the error the caller gets, and whether the command took effect.

    ``Fault(redis.exceptions.ConnectionError("Connection closed by server."), applied=True)`` is
    a connection lost after the command changed the data: the acknowledgement is lost, the
    change is not.

    A connection error or a timeout of a sync client's call is retried as the client's own retry
    policy says (redis-py 8: ten times): the next attempts are decided one by one, unless
    ``outage=True``, the server out of reach for every later attempt, when the code sees the
    error once the policy gives up.
    """

    __slots__ = ("applied", "error", "outage")

    def __init__(
        self, error: BaseException, *, applied: bool = False, outage: bool = False
    ) -> None:
        if not isinstance(error, BaseException):
            raise invalid("Fault", "error", "an exception instance", error)
        if type(applied) is not bool:
            raise invalid("Fault", "applied", "a bool", applied)
        if type(outage) is not bool:
            raise invalid("Fault", "outage", "a bool", outage)
        self.error = error
        self.applied = applied
        self.outage = outage

    def __repr__(self) -> str:
        applied = ", applied=True" if self.applied else ""
        outage = ", outage=True" if self.outage else ""
        return f"Fault({error_code(self.error)}{applied}{outage})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fault):
            return NotImplemented
        return (type(self.error), self.error.args, self.applied, self.outage) == (
            type(other.error),
            other.error.args,
            other.applied,
            other.outage,
        )

    __hash__ = None  # type: ignore[assignment]


def _fault(kind: str, applied: bool) -> Fault:
    if kind == "watch":
        return Fault(exceptions.WatchError("Watched variable changed."))
    return Fault(_build((kind, 0, 0, 7000)), applied=applied)


#: What each kind can do: connection and timeout errors before or after the command took effect;
#: a server error reply changes nothing.
_SPECS = {
    kind: ((kind, False), (kind, True)) if kind in ("connection", "timeout") else ((kind, False),)
    for kind in FAULT_KINDS
}


_LOST_RACE = st.booleans()


@functools.lru_cache(maxsize=256)
def _faults(kinds: tuple[str, ...], cut: int) -> SearchStrategy[Fault | None]:
    if cut >= COIN_SIDES:
        return st.none()
    if "watch" in kinds:
        # A watched EXEC: optimistic locking is there for lost races, so half of them lose
        # one (shrinking away first); the other faults are as rare as anywhere.
        others = _faults(tuple(kind for kind in kinds if kind != "watch"), cut)

        @st.composite
        def race(draw: st.DrawFn) -> Fault | None:
            if draw(_LOST_RACE):
                return _fault("watch", False)
            return draw(others)

        return race()
    specs = [spec for kind in kinds for spec in _SPECS[kind]]
    if not specs:
        return st.none()
    # Made at each draw: an exception raised in one example must not carry its traceback and
    # Hypothesis' notes into the next.
    chosen = st.sampled_from(specs).map(lambda spec: _fault(*spec))

    @st.composite
    def fault(draw: st.DrawFn) -> Fault | None:
        # The coin shrinks towards 0, no fault: faults shrink away first.
        if draw(_COIN) < cut:
            return None
        return draw(chosen)

    return fault()


class ModelClient(fakeredis.FakeRedis):
    """A client of the model that tripwire never intercepts, inside the sandbox or out.

    Its commands go to the example's fakeredis server and are not recorded: reading the model
    does not consume mocks and needs no assertion. It runs commands one at a time (no
    pipelines).
    """

    def execute_command(self, *args: Any, **options: Any) -> Any:
        # redis-py's own order (send, then parse with the command's response callback), on a
        # connection of fakeredis, which tripwire lets through: its replies have the shape the
        # method of redis.Redis returns.
        connection = self.model_connection()
        connection.send_command(*args)
        parse: Any = self.parse_response  # untyped in redis-py
        return parse(connection, args[0], **options)

    def model_connection(self) -> Any:
        """The one connection its commands go through (made by the pool, never handed out)."""
        connection = self.__dict__.get("_model_connection")
        if connection is None:
            connection = self.__dict__["_model_connection"] = self.connection_pool.make_connection()
        return connection


#: Command name -> its flags, as fakeredis gives them (the same for every server).
_FLAGS: dict[str, frozenset[str]] = {}


@functools.cache
def _runs_lua() -> bool:
    """Whether the installed fakeredis runs Lua scripts: only with lupa importable."""
    try:
        ModelClient(server=fakeredis.FakeServer()).execute_command("EVAL", "return 1", 0)
    except exceptions.ResponseError as error:
        if str(error).startswith(_UNKNOWN):
            return False
        raise
    return True


class Model:
    """One example's model of Redis: a fakeredis server, and a client of each of its databases."""

    __slots__ = ("_clients", "_decode", "_server", "client")

    def __init__(self, *, decode_responses: bool) -> None:
        self._server = fakeredis.FakeServer()
        self._decode = decode_responses
        #: The client of database 0, `RedisSession.model`.
        self.client = ModelClient(server=self._server, decode_responses=decode_responses)
        self._clients = {0: self.client}

    def on(self, db: int) -> ModelClient:
        """The model's client of database ``db`` (made on first use)."""
        client = self._clients.get(db)
        if client is None:
            client = self._clients[db] = ModelClient(
                server=self._server, db=db, decode_responses=self._decode
            )
        return client

    def run(
        self, args: tuple[Any, ...], options: dict[str, Any], db: int = 0
    ) -> tuple[Any, BaseException | None]:
        """The model's reply to the call on database ``db``, or the error reply it gave."""
        try:
            return self.on(db).execute_command(*args, **options), None
        except exceptions.ResponseError as error:
            return None, error

    def select(self, args: tuple[Any, ...]) -> tuple[int | None, Any, BaseException | None]:
        """``SELECT``: the database it selects (None if refused), and its reply or error."""
        # Run on a client of its own, whose connection it switches: the others stay put.
        probe = ModelClient(server=self._server, decode_responses=self._decode)
        try:
            reply = probe.execute_command(*args)
        except exceptions.ResponseError as error:
            return None, None, error
        return int(args[1]), reply, None

    def flags(self, name: str) -> frozenset[str]:
        """The command's flags (``write``, ``denyoom``, ...), as ``COMMAND INFO`` gives them."""
        flags = _FLAGS.get(name)
        if flags is None:
            # The raw reply: redis-py's callback for COMMAND chokes on an unknown name.
            connection = self.client.model_connection()
            connection.send_command("COMMAND", "INFO", name.split(" ")[0].lower())
            info = connection.read_response()
            found = info[0] if isinstance(info, list) and info and info[0] else None
            raw = found[2] if isinstance(found, list) and len(found) > 2 else []
            flags = _FLAGS[name] = frozenset(
                flag.decode() if isinstance(flag, bytes) else str(flag) for flag in raw
            )
        return flags

    def version(self, key: Any, db: int = 0) -> Any:
        """What tells whether ``key`` changed: its serialised value (``None``: no such key)."""
        return self.on(db).dump(key)

    def snapshot(self, db: int = 0) -> tuple[int, list[tuple[Any, int, Any]]]:
        client = self.on(db)
        return db, [(key, client.pttl(key), client.dump(key)) for key in client.keys("*")]

    def restore(self, snapshot: tuple[int, list[tuple[Any, int, Any]]]) -> None:
        db, entries = snapshot
        client = self.on(db)
        client.flushdb()
        for key, ttl, value in entries:
            client.restore(key, max(ttl, 0), value)


def _db_of(client: Any) -> int:
    """The database a client (or pipeline) of the code under test uses: its ``db``."""
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", None)
    db = kwargs.get("db", 0) if isinstance(kwargs, dict) else 0
    return db if type(db) is int else 0


class ModelAnswerer(Answerer):
    """The ``answerer`` of a model session: the model's replies, and the faults drawn or given."""

    __slots__ = (
        "_batch",
        "_conflict",
        "_script",
        "_selected",
        "_snapshot",
        "_watched",
        "_writes",
        "decisions",
        "model",
    )

    def __init__(
        self,
        plugin: RedisPlugin,
        policy: Policy,
        draws: Draws | None,
        caller: FrameType,
        model: Model,
        script: Iterable[Fault | None] | None = None,
    ) -> None:
        self._batch = False
        super().__init__(plugin, policy, draws, caller)  # type: ignore[arg-type]
        self.model = model
        self._script = None if script is None else list(script)
        #: Each fault decision, in call order: the call's label and the fault (None: none).
        self.decisions: list[tuple[object, Fault | None]] = []
        #: Keys watched since the last EXEC or UNWATCH, by database, and their values then.
        self._watched: dict[tuple[int, Any], Any] = {}
        #: The database chosen by a ``SELECT``, by the connection pool it went through.
        self._selected: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        #: The model before a batch's first queued command, whether a watched key had changed by
        #: then, and whether a queued command writes.
        self._snapshot: tuple[int, list[tuple[Any, int, Any]]] | None = None
        self._conflict = False
        self._writes = False

    # The pipeline interception sets this around a batch's queued commands.
    @property
    def in_batch(self) -> bool:
        return self._batch

    @in_batch.setter
    def in_batch(self, value: bool) -> None:
        if value:
            self._snapshot = None
            self._writes = False
        self._batch = value

    def __call__(self, args: tuple[Any, ...], options: dict[str, Any]) -> RedisCall:
        __tracebackhide__ = True
        name = self._checked_name(args, options)
        if name in _TRANSACTION_COMMANDS:
            raise self._refuse(
                args,
                options,
                f"redis.{name}(...) was sent on its own, but a model session answers "
                "transactions only through a pipeline (client.pipeline(), "
                "client.transaction()).",
            ) from None
        if name.split(" ")[0] in _LUA_COMMANDS and not _runs_lua():
            raise self._refuse(
                args,
                options,
                f"redis.{name}(...) was called, but the model of Redis (fakeredis) runs Lua "
                "only with the lupa package, which is not installed. Install it with: "
                "pip install 'fakeredis[lua]' (the model extra of python-tripwire brings it), "
                "or register a mock.",
            ) from None
        model = self.model
        pool, db = self._database()
        if self._batch:
            # Queued: run now for the model's reply, undone at EXEC if the transaction fails.
            if self._snapshot is None:
                self._conflict = self._watch_broken()
                self._snapshot = model.snapshot(db)
            self._writes = self._writes or "write" in model.flags(name)
            returns, raises = self._run(name, pool, db, args, options)
            return self._answer(name, returns, raises)
        flags = model.flags(name) if name not in ("WATCH", "UNWATCH") else frozenset()
        kinds = tuple(
            kind
            for kind in self._policy.faults
            if kind != "watch" and (kind not in _WRITE_FLAGS or _WRITE_FLAGS[kind] in flags)
        )
        call = Call(name, args[1:], options)
        fault = self._decide(_Label(call), kinds)
        client = calling_client()
        if fault is not None and isinstance(fault.error, RETRIED) and retries_of(client):
            # redis-py's retry policy decides what the code sees. The fault is passing (each
            # attempt decided again) or an outage (every attempt fails alike).
            if self._script is None and self.draws.draw(OUTAGE, _Label(call, outage=True)):
                fault = Fault(fault.error, applied=fault.applied, outage=True)
                self.decisions[-1] = (self.decisions[-1][0], fault)
            first = fault

            def attempt(number: int) -> tuple[Any, BaseException | None]:
                if number == 1:
                    this: Fault | None = first
                elif first.outage:
                    # The server stays out of reach: later attempts never arrive.
                    this = Fault(copy.copy(first.error))
                else:
                    this = self._decide(_Label(call, number), kinds)
                if this is None:
                    return self._apply(name, pool, db, args, options)
                if this.applied:
                    self._apply(name, pool, db, args, options)
                self._attempted(name, args, options, this.error)
                if not this.applied:
                    raise this.error
                return None, this.error

            returns, raises = through_retries(client, client_owner(client), args, options, attempt)
            if raises is not None:
                return self._last_attempt(raises)
            return self._answer(name, returns, raises)
        if fault is not None and not fault.applied:
            return self._answer(name, None, fault.error)
        returns, raises = self._apply(name, pool, db, args, options)
        if fault is not None:
            return self._answer(name, None, fault.error)
        return self._answer(name, returns, raises)

    def _apply(
        self, name: str, pool: Any, db: int, args: tuple[Any, ...], options: dict[str, Any]
    ) -> tuple[Any, BaseException | None]:
        """Run a call on the model (WATCH and UNWATCH on the session): its reply, or the error
        reply it gave."""
        __tracebackhide__ = True
        if name == "WATCH":
            for key in args[1:]:
                self._watched[db, key] = self.model.version(key, db)
            return True, None
        if name == "UNWATCH":
            self._watched.clear()
            return True, None
        return self._run(name, pool, db, args, options)

    def answer_exec(self, watching: bool) -> RedisCall:
        """A transaction's EXEC: it commits, fails on a watched key that changed, or faults."""
        __tracebackhide__ = True
        conflict = watching and (
            self._conflict if self._snapshot is not None else self._watch_broken()
        )
        fault: Fault | None
        if conflict:
            # A watched key changed since WATCH: Redis refuses the transaction, no draw needed.
            fault = Fault(exceptions.WatchError("Watched variable changed."))
        else:
            kinds = tuple(
                kind
                for kind in self._policy.faults
                if (kind != "watch" or watching) and (kind not in _WRITE_FLAGS or self._writes)
            )
            fault = self._decide("EXEC", kinds)
        self._watched.clear()
        snapshot, self._snapshot = self._snapshot, None
        if fault is not None and not fault.applied and snapshot is not None:
            self.model.restore(snapshot)
        return self._answer("EXEC", None, None if fault is None else fault.error)

    def _run(
        self, name: str, pool: Any, db: int, args: tuple[Any, ...], options: dict[str, Any]
    ) -> tuple[Any, BaseException | None]:
        """The model's answer, unless it does not implement the command: that is refused."""
        __tracebackhide__ = True
        returns, raises = self._run_on(pool, db, args, options)
        if raises is not None and str(raises).startswith(_UNKNOWN):
            version = getattr(fakeredis, "__version__", "")
            raise self._refuse(
                args,
                options,
                f"redis.{name}(...) was called, but the model of Redis (fakeredis {version}) "
                f"does not implement it ({str(raises).split(', with args')[0]}). Register a "
                "mock for it, or test that code against a real server.",
            ) from None
        return returns, raises

    def _watch_broken(self) -> bool:
        model = self.model
        return any(model.version(key, db) != value for (db, key), value in self._watched.items())

    def _database(self) -> tuple[Any, int]:
        """The calling client's connection pool, and the database its commands go to: the
        client's ``db``, or the last one a ``SELECT`` sent through the pool chose."""
        client = calling_client()
        pool = getattr(client, "connection_pool", None)
        selected = self._selected.get(pool) if pool is not None else None
        return pool, _db_of(client) if selected is None else selected

    def _run_on(
        self, pool: Any, db: int, args: tuple[Any, ...], options: dict[str, Any]
    ) -> tuple[Any, BaseException | None]:
        """Run a call on database ``db`` of the model (a cluster's SCAN as the cluster has it,
        ``SELECT`` choosing the database of ``pool``'s later calls)."""
        name = command_name(args[0])
        if name == "SCAN":
            node = cluster_node(calling_client())
            if node is not None:
                # A cluster's SCAN: the node's cursor by its name (options name the node).
                options = {key: value for key, value in options.items() if key != "target_nodes"}
                returns, raises = self.model.run(args, options, db)
                if raises is not None:
                    return returns, raises
                return ({node: returns[0]}, returns[1]), None
        if name != "SELECT":
            return self.model.run(args, options, db)
        chosen, returns, raises = self.model.select(args)
        if chosen is not None and pool is not None:
            self._selected[pool] = chosen
        return returns, raises

    def _decide(self, label: object, kinds: tuple[str, ...]) -> Fault | None:
        script = self._script
        if script is None:
            fault = self.draws.draw(_faults(kinds, self._policy.cut), label)
        else:
            fault = script.pop(0) if script else None
        self.decisions.append((label, fault))
        return fault

    def _answer(self, name: str, returns: Any, raises: BaseException | None) -> RedisCall:
        mock = self._plugin.new_call(name, returns, raises, self._site)
        self.answered.append(mock)
        return mock

    def script(self) -> str:
        """``RedisSession.from_faults([...])``: the code that replays these faults."""
        options = ", decode_responses=True" if self._policy.decode_responses else ""
        lines = ["RedisSession.from_faults(["]
        lines += [f"    {fault!r},  # {label}" for label, fault in self.decisions]
        lines.append(f"]{options})")
        return "\n".join(lines)


def check_faults(function: str, faults: object) -> tuple[str, ...]:
    """The fault kinds of ``redis_session(model=True, faults=...)``, in shrink order."""
    if faults is None:
        return FAULT_KINDS
    requirement = f"a non-empty sequence of fault kinds ({', '.join(map(repr, FAULT_KINDS))})"
    if isinstance(faults, (str, bytes)) or not isinstance(faults, Iterable):
        raise invalid(function, "faults", requirement, faults)
    given = list(faults)
    if not given:
        raise invalid(function, "faults", requirement + "; error_rate=0 turns faults off", faults)
    for kind in given:
        if kind not in FAULT_KINDS:
            raise invalid(function, "faults", requirement, kind)
    return tuple(kind for kind in FAULT_KINDS if kind in given)
