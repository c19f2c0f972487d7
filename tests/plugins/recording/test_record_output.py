"""The lines a recording prints for each test, and what it checks of its URL and server.

No server here: the lines are built from recorded values.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
import redis.exceptions

from tripwire import ConfigurationError
from tripwire.plugins.recording.output import Recorded, assert_line, mock_line
from tripwire.plugins.recording.server import Server, check_url


@pytest.mark.parametrize(
    ("command", "returns", "raises", "note", "line"),
    [
        pytest.param(
            "GET", "b'v'", None, "", "tripwire.redis.mock_command('GET', returns=b'v')", id="reply"
        ),
        pytest.param(
            "EXEC",
            "None",
            redis.exceptions.WatchError("Watched variable changed."),
            "",
            "tripwire.redis.mock_command('EXEC', returns=None, raises=redis.exceptions."
            "WatchError('Watched variable changed.'))",
            id="lost-race",
        ),
        pytest.param(
            "OBJECT IDLETIME",
            "3",
            None,
            "",
            "tripwire.redis.mock_command('OBJECT IDLETIME', returns=3)  # review: OBJECT "
            "IDLETIME depends on when it was recorded",
            id="time",
        ),
        pytest.param(
            "SRANDMEMBER",
            "b'a'",
            None,
            "",
            "tripwire.redis.mock_command('SRANDMEMBER', returns=b'a')  # review: SRANDMEMBER "
            "Redis chose it at random",
            id="random",
        ),
        pytest.param(
            "SCAN",
            "(17, [b'k'])",
            None,
            "",
            "tripwire.redis.mock_command('SCAN', returns=(17, [b'k']))  # review: SCAN depends "
            "on the server's state and version",
            id="cursor",
        ),
        pytest.param(
            "LASTSAVE",
            repr(datetime.datetime(2026, 1, 2)),
            None,
            "",
            "tripwire.redis.mock_command('LASTSAVE', returns=datetime.datetime(2026, 1, 2, 0, "
            "0))  # review: this reply's repr is not Python code: write it out; LASTSAVE "
            "depends on when it was recorded",
            id="not-a-literal",
        ),
        pytest.param(
            "SET",
            "None",
            None,
            "queued; the transaction did not commit",
            "tripwire.redis.mock_command('SET', returns=None)  # review: queued; the "
            "transaction did not commit",
            id="note",
        ),
    ],
)
def test_mock_lines(
    command: str, returns: str, raises: BaseException | None, note: str, line: str
) -> None:
    assert mock_line(command, returns, raises, note) == line


@pytest.mark.parametrize(
    ("args", "kwargs", "line"),
    [
        pytest.param((), {}, "tripwire.redis.assert_command('MULTI')", id="no-arguments"),
        pytest.param(
            ("k",),
            {"keys": ["k"]},
            "tripwire.redis.assert_command('MULTI', args=('k',), kwargs={'keys': ['k']})",
            id="arguments",
        ),
        pytest.param(
            (b"3f2a9c1e5b7d4f60a8e2c4b6d8f0a1c3",),
            {},
            "tripwire.redis.assert_command('MULTI', args=(b'3f2a9c1e5b7d4f60a8e2c4b6d8f0a1c3',))"
            "  # review: an argument looks made up (a token, a uuid, a stream entry id): pass a "
            "fixed one to the "
            "code, or match it with dirty_equals",
            id="random-token",
        ),
        pytest.param(
            (object,),
            {},
            "tripwire.redis.assert_command('MULTI', args=(<class 'object'>,))  # review: an "
            "argument's repr is not Python code: write it out",
            id="not-a-literal",
        ),
    ],
)
def test_assert_lines(args: tuple[object, ...], kwargs: dict[str, object], line: str) -> None:
    assert assert_line("MULTI", args, kwargs) == line


@pytest.mark.parametrize(
    ("command", "args", "flagged"),
    [
        pytest.param(
            "SET", ("job:4c6b0e1f9a2d4e8b8f3c1a7d5e9b2c40", "v"), True, id="uuid-hex-in-key"
        ),
        pytest.param("ZADD", ("q", "100.0:0770b9f2", 100.0), True, id="token-in-member"),
        pytest.param(
            "SET", ("lock:2f1c9a8e-3b7d-4e2a-9c1f-6d5e4b3a2c10", "v"), True, id="uuid-in-key"
        ),
        pytest.param("HSET", ("s", b"sid", b"ab12cd34ef56"), True, id="token-as-bytes"),
        pytest.param("SET", ("user:1700000000", "v"), False, id="digits-only"),
        pytest.param("SET", ("cache:deadbeefcafe", "v"), False, id="letters-only"),
        pytest.param("SET", ("order:2024deadline", "v"), False, id="not-all-hex"),
        pytest.param("SET", ("ab12cd3", "v"), False, id="too-short"),
        pytest.param("XACK", ("s", "g", "1700000000000-0"), True, id="stream-entry-id"),
        pytest.param("SET", ("order:21700000000000-0", "v"), False, id="longer-number"),
        pytest.param(
            "EVALSHA", ("c3f8721cbb97f72bc19e972846bd7aaf91901658", 1, "k"), False, id="script-sha"
        ),
        pytest.param(
            "EVALSHA",
            ("c3f8721cbb97f72bc19e972846bd7aaf91901658", 1, "job:0770b9f2"),
            True,
            id="token-after-script-sha",
        ),
        pytest.param(
            "SCRIPT EXISTS", ("c3f8721cbb97f72bc19e972846bd7aaf91901658",), False, id="exists"
        ),
    ],
)
def test_arguments_that_look_made_up_are_flagged(
    command: str, args: tuple[object, ...], flagged: bool
) -> None:
    review = "  # review: an argument looks made up (a token, a uuid, a stream entry id)"
    assert (review in assert_line(command, args, {})) is flagged


def recorded(path: Path, function: str, first_line: int, **options: object) -> Recorded:
    return Recorded(
        f"{path.name}::{function}",
        path,
        function,
        first_line,
        ["tripwire.redis.mock_command('GET', returns=None)"],
        ["tripwire.redis.assert_command('GET', args=('k',))"],
        **options,  # type: ignore[arg-type]
    )


def test_the_printed_block() -> None:
    test = recorded(Path("t.py"), "test_a", 1, problem="the test failed", seeded=True)
    test.mocks.append("x = redis.exceptions.X")
    assert test.block() == [
        "t.py::test_a",
        "    # the test failed",
        "    # the mocks stand for the data tripwire_record_client arranged: drop the fixture "
        "and its calls",
        "    # needs `import redis` at the top of the file",
        "    # before `with tripwire:`",
        "    tripwire.redis.mock_command('GET', returns=None)",
        "    x = redis.exceptions.X",
        "    # after the `with tripwire:` block",
        "    tripwire.redis.assert_command('GET', args=('k',))",
    ]


@pytest.mark.parametrize(
    "url",
    [
        "redis://localhost:6379/0",
        "redis://[::1]:6379",
        "rediss://127.0.0.2:6380",
        "unix:///tmp/redis.sock",
    ],
)
def test_local_urls_are_accepted(url: str) -> None:
    assert check_url(url, any_host=False) == url


def test_a_missing_server_binary_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPWIRE_REDIS_SERVER", "/nonexistent/redis-server")
    with pytest.raises(ConfigurationError) as caught:
        Server()
    assert str(caught.value) == (
        "TRIPWIRE_REDIS_SERVER='/nonexistent/redis-server' is not an executable (nor a command "
        "on PATH)."
    )


def test_a_server_that_does_not_start_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPWIRE_REDIS_SERVER", "false")
    with pytest.raises(ConfigurationError) as caught:
        Server()
    assert re.fullmatch(
        r"/\S+/false did not start on 127\.0\.0\.1:\d+; give a running server with "
        r"--tripwire-record-url=redis://127\.0\.0\.1:6379/0\.",
        str(caught.value),
    )
