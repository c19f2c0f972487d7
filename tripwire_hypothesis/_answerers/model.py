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
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import fakeredis
from redis import exceptions

import tripwire_hypothesis._concurrency.turns as _turns
from tripwire._errors import safe_repr
from tripwire.plugins.redis_plugin.intercept.interceptors import calling_client
from tripwire_hypothesis._answerers import batch_retries
from tripwire_hypothesis._answerers.clients import decodes, library_error, through_callbacks
from tripwire_hypothesis._answerers.drawn import Answerer, _Label, _outage_label, cluster_node
from tripwire_hypothesis._answerers.fakeredis_model import (
    UNKNOWN,
    Model,
    ModelClient,
    db_of,
    runs_lua,
)
from tripwire_hypothesis._answerers.faults import FAULT_KINDS, Fault, _faults, check_faults
from tripwire_hypothesis._answerers.outcomes import COIN_SIDES, OUTAGE, Call
from tripwire_hypothesis._answerers.retries import (
    RETRIED,
    resend,
    retries_async_of,
    retries_of,
)
from tripwire_hypothesis._reply_strategies.command_errors import error_kinds_of
from tripwire_hypothesis._reply_strategies.for_calls import command_name

if TYPE_CHECKING:
    from types import FrameType

    from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin
    from tripwire_hypothesis._answerers.drawn import Policy
    from tripwire_hypothesis._answerers.draws import Draws
    from tripwire_hypothesis._answerers.seeding import Seeder

# Fault, Model and ModelClient are defined in the faults and fakeredis_model modules; importers
# of this module (the session, strategies.check_faults) still find them here.
__all__ = ["FAULT_KINDS", "Fault", "Model", "ModelAnswerer", "ModelClient", "check_faults"]

#: Faults a server gives only to commands that write (``readonly``) or may allocate (``oom``).
_WRITE_FLAGS = {"readonly": "write", "oom": "denyoom"}
#: Sent through a pipeline, never on their own: the model answers a transaction at ``EXEC``.
_TRANSACTION_COMMANDS = frozenset({"MULTI", "EXEC", "DISCARD"})
#: Commands fakeredis runs only with lupa installed (``fakeredis[lua]``).
_LUA_COMMANDS = frozenset(
    {"EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "SCRIPT", "FCALL", "FCALL_RO", "FUNCTION"}
)


class ModelAnswerer(Answerer):
    """The ``answerer`` of a model session: the model's replies, and the faults drawn or given."""

    __slots__ = (
        "_batch",
        "_conflict",
        "_lost_decision",
        "_script",
        "_seeder",
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
        seeder: Seeder | None = None,
    ) -> None:
        self._batch = False
        #: Writes what the app stores under a key to the model when the code first reads it.
        self._seeder = seeder
        super().__init__(plugin, policy, draws, caller)  # type: ignore[arg-type]
        self.model = model
        self._script = None if script is None else list(script)
        #: Each fault decision, in call order: the call's label and the fault (None: none).
        self.decisions: list[tuple[object, Fault | None]] = []
        #: Keys watched since the last EXEC or UNWATCH, by watcher (the id of the client or
        #: pipeline that sent WATCH) and database, and their values then.
        self._watched: dict[tuple[int, int, Any], Any] = {}
        #: The database chosen by a ``SELECT``, by the connection pool it went through.
        self._selected: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        #: The model before a batch's first queued command, whether a watched key had changed by
        #: then, and whether a queued command writes.
        self._snapshot: tuple[int, list[tuple[Any, int, Any]]] | None = None
        self._conflict = False
        self._writes = False
        #: The index in `decisions` of the last fault of a batch's connection.
        self._lost_decision = 0

    # The pipeline interception sets this around a batch's queued commands.
    @property
    def in_batch(self) -> bool:
        return self._batch

    @in_batch.setter
    def in_batch(self, value: bool) -> None:
        if value:
            # A batch is one step: Redis runs it at once.
            _turns.begin_step(self.model, self._script_draws(), self._policy.time_passes)
            self._snapshot = None
            self._writes = False
        self._batch = value

    def __call__(self, args: tuple[Any, ...], options: dict[str, Any]) -> RedisCall:
        __tracebackhide__ = True
        if not self._batch:
            _turns.begin_step(self.model, self._script_draws(), self._policy.time_passes)
        name = self._checked_name(args, options)
        if name in _TRANSACTION_COMMANDS:
            raise self._refuse(
                args,
                options,
                f"redis.{name}(...) was sent on its own, but a model session answers "
                "transactions only through a pipeline (client.pipeline(), "
                "client.transaction()).",
            ) from None
        if name.split(" ")[0] in _LUA_COMMANDS and not runs_lua():
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
        if self._seeder is not None:
            self._seeder.before(args, db)
        if self._batch:
            # Queued: run now for the model's reply, undone at EXEC if the transaction fails.
            if self._snapshot is None:
                self._conflict = self._watch_broken()
                self._snapshot = model.snapshot(db)
            self._writes = self._writes or "write" in model.flags(name)
            fault = self._queued_fault(name, args, options)
            if fault is not None and not fault.applied:
                return self._answer(name, None, fault.error)
            returns, raises = self._run(name, pool, db, args, options)
            if fault is not None:
                return self._answer(name, None, fault.error, applied=True)
            return self._answer(name, returns, raises)
        flags = model.flags(name) if name not in ("WATCH", "UNWATCH") else frozenset()
        kinds = tuple(
            kind
            for kind in self._policy.faults
            if kind != "watch"
            and (kind not in _WRITE_FLAGS or _WRITE_FLAGS[kind] in flags)
            and (kind != "loading" or "loading" in error_kinds_of(name))
        )
        call = Call(name, args[1:], options)
        fault = self._decide(_Label(call), kinds)
        client = calling_client()
        if fault is not None and isinstance(fault.error, RETRIED):
            sync = retries_of(client)
            if sync or retries_async_of(client):
                return self._retried(call, kinds, fault, client, sync, pool, db, args, options)
        if fault is not None and not fault.applied:
            return self._answer(name, None, fault.error)
        returns, raises = self._apply(name, pool, db, args, options)
        if fault is not None:
            return self._answer(name, None, fault.error, applied=True)
        return self._answer(name, returns, raises)

    def _retried(
        self,
        call: Call,
        kinds: tuple[str, ...],
        fault: Fault,
        client: Any,
        sync: bool,
        pool: Any,
        db: int,
        args: tuple[Any, ...],
        options: dict[str, Any],
    ) -> RedisCall:
        """A call whose first attempt failed with a fault redis-py retries: the client's own
        retry policy decides what the code sees. The fault is passing (each later attempt
        decided again) or an outage (every attempt fails alike)."""
        __tracebackhide__ = True
        name = call.command
        if self._script is None and self.draws.draw(OUTAGE, _Label(call, outage=True)):
            fault = Fault(fault.error, applied=fault.applied, outage=True)
            self.decisions[-1] = (self.decisions[-1][0], fault)
        first = fault

        def outcome(this: Fault | None) -> RedisCall:
            # One attempt on the model: its reply, or its fault (after the command took
            # effect, for an applied one).
            if this is None or this.applied:
                returns, raises = self._apply(name, pool, db, args, options)
                if this is None:
                    mock = self._plugin.new_call(name, returns, raises, self._site)
                    _turns.logged(self.model, mock)
                    return mock
            error = library_error(client, this.error)
            mock = self._plugin.new_call(name, None, error, self._site)
            _turns.logged(self.model, mock, applied=this.applied)
            return mock

        def later(number: int) -> RedisCall:
            if first.outage:
                # The server stays out of reach: later attempts never arrive.
                return outcome(Fault(copy.copy(first.error)))
            return outcome(self._decide(_Label(call, number), kinds))

        mock = outcome(first)
        if sync:
            last = resend(
                self._plugin, self._site, client, args, options, mock, later, self._attempts
            )
            self.answered.append(last)
            return last
        # An asyncio client: the interception awaits the retries (`Answerer.retried_async`).
        self._pending = (mock, client, args, options, later, self.answered.append)
        return mock

    def _queued_fault(
        self, name: str, args: tuple[Any, ...], options: dict[str, Any]
    ) -> Fault | None:
        """Whether a pipeline's queued command loses the batch's connection, before or after
        it took effect (the commands before it did); a transaction's never does: its
        ``EXEC`` stands for the connection."""
        if batch_retries.queued_only(calling_client()):
            return None
        kinds = tuple(kind for kind in self._policy.faults if kind in ("connection", "timeout"))
        fault = self._decide(_Label(Call(name, args[1:], options), self.sending), kinds)
        self._lost_decision = len(self.decisions) - 1
        return fault

    def resend_batch(
        self, pipe: Any, stack: list[Any], transaction: bool, raise_on_error: bool
    ) -> Any:
        """What a batch whose sending `lost_batch` marked ends with, once the pipeline's own
        retry policy has run: its later sendings run on the model again (a sending lost after
        it took effect applies twice), or all fail (an outage)."""
        lost, self.lost = self.lost, None
        assert lost is not None
        index = self._lost_decision
        label, fault = self.decisions[index]

        def outage() -> bool:
            assert fault is not None
            if self._script is not None:
                return fault.outage
            if not self.draws.draw(OUTAGE, _outage_label(lost[0])):
                return False
            self.decisions[index] = (
                label,
                Fault(fault.error, applied=fault.applied, outage=True),
            )
            return True

        return batch_retries.resend_batch(
            self._plugin,
            self._site,
            pipe,
            stack,
            transaction,
            raise_on_error,
            lost,
            outage,
            self._attempts,
        )

    def _apply(
        self, name: str, pool: Any, db: int, args: tuple[Any, ...], options: dict[str, Any]
    ) -> tuple[Any, BaseException | None]:
        """Run a call on the model (WATCH and UNWATCH on the session): its reply, or the error
        reply it gave."""
        __tracebackhide__ = True
        if name == "WATCH":
            watcher = id(calling_client())
            for key in args[1:]:
                self._watched[watcher, db, key] = self.model.version(key, db)
            return True, None
        if name == "UNWATCH":
            self._unwatch()
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
            fault = self._decide(self._exec_label(), kinds)
            self._lost_decision = len(self.decisions) - 1
        self._unwatch()
        self._count += 1
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
        model = self.model
        # Queued in a transaction, a blocking command answers at once, as in Redis.
        while model.blocked is not None and not self._batch:
            if _turns.wait_blocked(model, args, model.blocked):
                break
            returns, raises = self._run_on(pool, db, args, options)
        if raises is None and "write" in model.flags(name):
            _turns.wrote()
        if raises is not None and str(raises).startswith(UNKNOWN):
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
        watcher = id(calling_client())
        return any(
            model.version(key, db) != value
            for (who, db, key), value in self._watched.items()
            if who == watcher
        )

    def _unwatch(self) -> None:
        """Forget the keys the calling client (or pipeline) watches."""
        watcher = id(calling_client())
        for entry in [entry for entry in self._watched if entry[0] == watcher]:
            del self._watched[entry]

    def _script_draws(self) -> Draws | None:
        """The draws of a session that draws its faults; None for one replaying them."""
        return self.draws if self._script is None else None

    def _database(self) -> tuple[Any, int]:
        """The calling client's connection pool, and the database its commands go to: the
        client's ``db``, or the last one a ``SELECT`` sent through the pool chose."""
        client = calling_client()
        pool = getattr(client, "connection_pool", None)
        selected = self._selected.get(pool) if pool is not None else None
        return pool, db_of(client) if selected is None else selected

    def _run_on(
        self, pool: Any, db: int, args: tuple[Any, ...], options: dict[str, Any]
    ) -> tuple[Any, BaseException | None]:
        """Run a call on database ``db`` of the model (a cluster's SCAN as the cluster has it,
        ``SELECT`` choosing the database of ``pool``'s later calls)."""
        name = command_name(args[0])
        client = calling_client()
        if name == "SCAN":
            node = cluster_node(client)
            if node is not None:
                # A cluster's SCAN: the node's cursor by its name (options name the node).
                options = {key: value for key, value in options.items() if key != "target_nodes"}
                returns, raises = self.model.run(args, options, db, decodes(client))
                if raises is not None:
                    return returns, library_error(client, raises)
                return ({node: returns[0]}, returns[1]), None
        if name != "SELECT":
            # As the calling client makes the reply: decoded if it decodes, by its callbacks.
            returns, raises = self.model.run(args, options, db, decodes(client))
            if client is None:
                return returns, raises
            if raises is not None:
                return None, library_error(client, raises)
            return through_callbacks(client, name, args, options, returns), None
        chosen, returns, raises = self.model.select(args)
        if chosen is not None and pool is not None:
            self._selected[pool] = chosen
        return returns, raises

    def _decide(self, label: object, kinds: tuple[str, ...]) -> Fault | None:
        script = self._script
        if script is None:
            cut = self._policy.cut
            # error_rate=0: nothing to draw, and no Draw line in the report.
            fault = None if cut >= COIN_SIDES else self.draws.draw(_faults(kinds, cut), label)
        else:
            fault = script.pop(0) if script else None
        self.decisions.append((label, fault))
        return fault

    def _answer(
        self, name: str, returns: Any, raises: BaseException | None, *, applied: bool = False
    ) -> RedisCall:
        if raises is not None:
            raises = library_error(calling_client(), raises)
        mock = self._plugin.new_call(name, returns, raises, self._site)
        self.answered.append(mock)
        _turns.logged(self.model, mock, applied=applied)
        return mock

    def script(self) -> str:
        """``RedisSession.from_faults([...])``: the code that replays these faults (and the
        schedule of concurrent clients and pauses, when there was one)."""
        options = ""
        story = self.model.story
        if story.shown:
            options += f", schedule={story.schedule!r}"
        seeded = self._seeder.seeded if self._seeder is not None else None
        if seeded:
            options += f", initial={safe_repr(seeded)}"
        if self._policy.cut >= COIN_SIDES:
            return f"RedisSession.from_faults([]{options})"  # error_rate=0: no fault at all
        lines = ["RedisSession.from_faults(["]
        lines += [f"    {fault!r},  # {label}" for label, fault in self.decisions]
        lines.append(f"]{options})")
        return "\n".join(lines)
