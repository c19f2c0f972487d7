"""A connection whose transport is the user's own is let through, with every argument.

Such a connection replaces redis-py's ``_connect``, as fakeredis' does, so it opens no socket and
tripwire never refuses it, under the guard or in the sandbox. redis-py's own connection methods
still run, through tripwire's interceptors: what they send and read must be what they would
without tripwire. DUMP shows it: its reply is read with ``disable_decoding=True``, so a client
that decodes replies still gets bytes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis

#: A DUMP payload: not UTF-8, so decoding it would fail.
DUMPED = b"\x00\xc0\x01\x0b\x00\xe4\x9f\x8f\xa7\x1f\x8d\xba\xa3"


def replies_to(data: bytes) -> bytes:
    """What an in-memory server answers to the commands packed in ``data``."""
    out = b""
    lines = data.split(b"\r\n")
    line = 0
    while line < len(lines) and lines[line].startswith(b"*"):
        count = int(lines[line][1:])
        name = lines[line + 2].upper()
        line += 1 + 2 * count
        if name == b"DUMP":
            out += b"$%d\r\n%s\r\n" % (len(DUMPED), DUMPED)
        elif name == b"HELLO":  # redis-py 8 speaks RESP3 by default
            out += b"%1\r\n+proto\r\n:3\r\n"
        else:
            out += b"+OK\r\n"
    return out


class MemorySocket:
    """The socket redis-py's own methods use: it answers what they send."""

    def __init__(self) -> None:
        self.pending = bytearray()

    def sendall(self, data: bytes) -> None:
        self.pending += replies_to(bytes(data))

    def recv(self, size: int) -> bytes:
        if not self.pending:
            raise TimeoutError  # nothing to read yet, as a socket with a timeout
        chunk = bytes(self.pending[:size])
        del self.pending[:size]
        return chunk

    def recv_into(self, buffer: Any, size: int = 0) -> int:
        chunk = self.recv(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def settimeout(self, timeout: object) -> None: ...

    def setsockopt(self, *option: object) -> None: ...

    def shutdown(self, how: object) -> None: ...

    def close(self) -> None: ...


class MemoryConnection(redis.connection.Connection):
    def _connect(self) -> Any:
        return MemorySocket()


#: redis-py 4.0 decodes DUMP's reply like any other, so there is nothing to tell apart.
needs_never_decode = pytest.mark.skipif(
    not hasattr(redis.client, "NEVER_DECODE"), reason="DUMP's reply is decoded before redis-py 4.1"
)


@needs_never_decode
def test_a_connection_with_its_own_transport_gets_every_argument() -> None:
    # This suite runs with guard = "all": the interceptors are installed.
    pool = redis.ConnectionPool(connection_class=MemoryConnection, decode_responses=True)
    client = redis.Redis(connection_pool=pool)
    assert client.set("k", "v") is True
    assert client.dump("k") == DUMPED


class MemoryWriter:
    """The stream writer redis.asyncio's own methods use: it answers what they write."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.reader = reader
        # redis-py 8.2 reads ``writer.transport`` (is_closing, get_extra_info): this writer is
        # its own transport.
        self.transport = self

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def write(self, data: bytes) -> None:
        self.reader.feed_data(replies_to(bytes(data)))

    def writelines(self, chunks: Any) -> None:
        self.write(b"".join(chunks))

    async def drain(self) -> None: ...

    def close(self) -> None: ...

    async def wait_closed(self) -> None: ...

    def is_closing(self) -> bool:
        return False


@needs_never_decode
@pytest.mark.asyncio
async def test_an_async_connection_with_its_own_transport_gets_every_argument() -> None:
    aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")

    class AsyncMemoryConnection(aredis.Connection):  # type: ignore[misc, name-defined]
        async def _connect(self) -> None:
            self._reader = asyncio.StreamReader()
            self._writer = MemoryWriter(self._reader)

    pool = aredis.ConnectionPool(connection_class=AsyncMemoryConnection, decode_responses=True)
    client = aredis.Redis(connection_pool=pool)
    try:
        assert await client.set("k", "v") is True
        assert await client.dump("k") == DUMPED
    finally:
        # aclose() arrived in redis-py 5.0.1, close() before.
        await (client.aclose() if hasattr(client, "aclose") else client.close())
        await pool.disconnect()  # a pool handed to the client is not the client's to close
