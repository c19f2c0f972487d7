"""The model of Redis a model session answers from: one fakeredis server per example, and a client
of each of its databases that tripwire never intercepts."""

from __future__ import annotations

import functools
from typing import Any

import fakeredis
from redis import exceptions

import tripwire_hypothesis._concurrency.turns as _turns
from tripwire_hypothesis._concurrency.clock import Clock, install_model_time, running
from tripwire_hypothesis._concurrency.story import Story

__all__ = ["UNKNOWN", "Model", "ModelClient", "db_of", "runs_lua"]


#: How fakeredis answers a command (or subcommand) it does not implement.
UNKNOWN = ("unknown command", "unknown subcommand")


class ModelClient(fakeredis.FakeRedis):
    """A client of the model that tripwire never intercepts, inside the sandbox or out.

    Its commands go to the example's fakeredis server and are not recorded: reading the model
    does not consume mocks and needs no assertion. It runs commands one at a time (no
    pipelines).
    """

    def execute_command(self, *args: Any, **options: Any) -> Any:
        # redis-py's own order (send, then parse with the command's response callback), on a
        # connection of fakeredis, which tripwire lets through: its replies have the shape the
        # method of redis.Redis returns. fakeredis reads the model's clock meanwhile.
        connection = self.model_connection()
        saved = getattr(running, "clock", None)
        running.clock = self.__dict__.get("clock")
        try:
            connection.send_command(*args)
            parse: Any = self.parse_response  # untyped in redis-py
            return parse(connection, args[0], **options)
        finally:
            running.clock = saved

    def model_connection(self) -> Any:
        """The one connection its commands go through (made by the pool, never handed out)."""
        connection = self.__dict__.get("_model_connection")
        if connection is None:
            made: Any = self.connection_pool.make_connection()
            connection = self.__dict__["_model_connection"] = made
            connection.connect()
            # A blocking command that finds nothing answers at once, as inside a transaction;
            # the answerer waits for a write or the timeout on the model's clock instead.
            connection._sock._blocking = functools.partial(_turns.try_once, self, connection._sock)
        return connection


#: Command name -> its flags, as fakeredis gives them (the same for every server).
_FLAGS: dict[str, frozenset[str]] = {}


@functools.cache
def runs_lua() -> bool:
    """Whether the installed fakeredis runs Lua scripts: only with lupa importable."""
    try:
        ModelClient(server=fakeredis.FakeServer()).execute_command("EVAL", "return 1", 0)
    except exceptions.ResponseError as error:
        if str(error).startswith(UNKNOWN):
            return False
        raise
    return True


class Model:
    """One example's model of Redis: a fakeredis server, and a client of each of its databases."""

    __slots__ = ("_clients", "_server", "blocked", "client", "clock", "story")

    def __init__(self) -> None:
        install_model_time()
        self._server = fakeredis.FakeServer()
        #: What its TTLs expire by (`RedisSession.clock`).
        self.clock = Clock()
        #: Who ran which command when, for the report of a failing example.
        self.story = Story()
        #: Set by `run` when the command would block: its timeout (0: none).
        self.blocked: float | None = None
        #: The client of database 0, `RedisSession.model` (its replies are bytes).
        self.client = self._client(0, False)
        self._clients = {(0, False): self.client}

    def _client(self, db: int, decode: bool) -> ModelClient:
        client = ModelClient(server=self._server, db=db, decode_responses=decode)
        client.__dict__["clock"] = self.clock
        return client

    def on(self, db: int, decode: bool | None = None) -> ModelClient:
        """The model's client of database ``db`` (made on first use), decoding its replies as
        ``decode`` says (None: bytes)."""
        key = (db, bool(decode))
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = self._client(*key)
        return client

    def run(
        self,
        args: tuple[Any, ...],
        options: dict[str, Any],
        db: int = 0,
        decode: bool | None = None,
    ) -> tuple[Any, BaseException | None]:
        """The model's reply to the call on database ``db`` (as text when ``decode``), or the
        error reply it gave."""
        client = self.on(db, decode)
        try:
            return client.execute_command(*args, **options), None
        except exceptions.ResponseError as error:
            return None, error
        finally:
            self.blocked = client.__dict__.pop("would_block", None)

    def select(self, args: tuple[Any, ...]) -> tuple[int | None, Any, BaseException | None]:
        """``SELECT``: the database it selects (None if refused), and its reply or error."""
        # Run on a client of its own, whose connection it switches: the others stay put.
        probe = self._client(0, False)
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


def db_of(client: Any) -> int:
    """The database a client (or pipeline) of the code under test uses: its ``db``."""
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", None)
    db = kwargs.get("db", 0) if isinstance(kwargs, dict) else 0
    return db if type(db) is int else 0
