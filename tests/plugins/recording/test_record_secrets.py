"""Which arguments and replies of a recording hold a password, and URLs shown without theirs."""

from __future__ import annotations

from typing import Any

import pytest

from tripwire.plugins.recording.output import assert_line, mock_line
from tripwire.plugins.recording.secrets import (
    SECRET,
    Placeholders,
    placeholder_code,
    redact_url,
    scrub_args,
    scrub_reply,
)


@pytest.mark.parametrize(
    ("command", "args", "shown"),
    [
        pytest.param("AUTH", ("pw",), (SECRET,), id="auth"),
        pytest.param("AUTH", ("bob", "pw"), ("bob", SECRET), id="auth-user"),
        pytest.param("HELLO", (3, "AUTH", "bob", "pw"), (3, "AUTH", "bob", SECRET), id="hello"),
        pytest.param("HELLO", (3,), (3,), id="hello-no-auth"),
        pytest.param(
            "MIGRATE",
            ("h", 1, "", 0, 10, b"AUTH2", "bob", "pw", b"KEYS", "k"),
            ("h", 1, "", 0, 10, b"AUTH2", "bob", SECRET, b"KEYS", "k"),
            id="migrate-auth2",
        ),
        pytest.param(
            "CONFIG SET",
            ("maxmemory", "1mb", "masterauth", "pw"),
            ("maxmemory", "1mb", "masterauth", SECRET),
            id="config-set",
        ),
        pytest.param(
            "CONFIG", ("SET", "requirepass", "pw"), ("SET", "requirepass", SECRET), id="config"
        ),
        pytest.param(
            "ACL SETUSER",
            ("bob", "on", ">pw", "#" + "a" * 64, "~*"),
            ("bob", "on", SECRET, SECRET, "~*"),
            id="acl-setuser",
        ),
        pytest.param("SET", ("AUTH", "pw"), ("AUTH", "pw"), id="other-command"),
    ],
)
def test_password_arguments(command: str, args: tuple[Any, ...], shown: tuple[Any, ...]) -> None:
    scrubbed = scrub_args(command, args)
    assert [arg is SECRET for arg in scrubbed] == [arg is SECRET for arg in shown]
    assert [arg for arg in scrubbed if arg is not SECRET] == [
        arg for arg in shown if arg is not SECRET
    ]
    assert repr(SECRET) == "ANY"


def test_password_replies() -> None:
    assert scrub_reply("CONFIG GET", {"requirepass": "pw", "maxmemory": "0"}) == {
        "requirepass": "<secret>",
        "maxmemory": "0",
    }
    assert scrub_reply("CONFIG GET", [b"masterauth", b"pw", b"requirepass", b""]) == [
        b"masterauth",
        b"<secret>",
        b"requirepass",
        b"",
    ]
    assert scrub_reply("GET", "pw") == "pw"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://bob:pw@127.0.0.1:6379/0", "redis://bob:***@127.0.0.1:6379/0"),
        ("redis://:pw@localhost", "redis://:***@localhost"),
        ("rediss://127.0.0.1/0?password=pw&db=1", "rediss://127.0.0.1/0?password=***&db=1"),
        ("redis://bob@127.0.0.1", "redis://bob@127.0.0.1"),
        ("unix:///tmp/redis.sock", "unix:///tmp/redis.sock"),
        ("unix:///tmp/redis.sock?password=pw", "unix:///tmp/redis.sock?password=***"),
        ("redis://[::1", "<a URL that does not parse>"),
    ],
)
def test_urls_are_shown_without_their_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    ("value", "code"),
    [
        pytest.param("ada@example.com", "os.environ['EMAIL']", id="whole"),
        pytest.param(
            "user:ada@example.com:Tok3n",
            "'user:' + os.environ['EMAIL'] + ':' + os.environ['TOKEN']",
            id="parts",
        ),
        pytest.param(b"k:ada@example.com", "b'k:' + os.environ['EMAIL'].encode()", id="bytes"),
        pytest.param(
            ("ada@example.com", 1, [b"x", {"k": "Tok3n"}]),
            "(os.environ['EMAIL'], 1, [b'x', {'k': os.environ['TOKEN']}])",
            id="nested",
        ),
        pytest.param(("a",), "('a',)", id="one-tuple"),
        pytest.param("other", "'other'", id="none"),
    ],
)
def test_placeholders_name_their_values(value: object, code: str) -> None:
    placeholders = Placeholders({"EMAIL": "ada@example.com", "TOKEN": "Tok3n"})
    assert placeholders.code(value) == code
    assert placeholder_code(code)


def test_lines_with_placeholders_are_code_to_paste() -> None:
    placeholders = Placeholders({"EMAIL": "ada@example.com"})
    shown = placeholders.code(b"ada@example.com")
    assert mock_line("GET", shown, None) == (
        "tripwire.redis.mock_command('GET', returns=os.environ['EMAIL'].encode())"
    )
    assert assert_line("GET", ("user:ada@example.com",), {}, placeholders) == (
        "tripwire.redis.assert_command('GET', args=('user:' + os.environ['EMAIL'],))"
    )
    assert not placeholder_code("os.system('x')")


def test_set_members_are_written_sorted_so_a_recording_does_not_churn() -> None:
    code = Placeholders({}).code
    members = [b"member:%d" % n for n in range(8)]
    assert code(set(members)) == "{" + ", ".join(map(repr, members)) + "}"
    assert code([frozenset({"z", "a"}), set()]) == "[frozenset({'a', 'z'}), set()]"
    assert mock_line("SMEMBERS", code({b"b", b"a"}), None) == (
        "tripwire.redis.mock_command('SMEMBERS', returns={b'a', b'b'})"
    )


def test_placeholder_values_do_not_count_as_made_up_arguments() -> None:
    placeholders = Placeholders({"TOKEN": "0770b9f2c3d4"})
    assert placeholders.without(b"job:0770b9f2c3d4") == b"job: "
    assert placeholders.without(7) == 7
    line = assert_line("SET", (b"job:0770b9f2c3d4",), {}, placeholders)
    assert (
        line
        == "tripwire.redis.assert_command('SET', args=(b'job:' + os.environ['TOKEN'].encode(),))"
    )


@pytest.mark.parametrize(
    "shown",
    ["os.environ[", "-os.environ['X']", "os.environ['X'].encode('latin-1')", "x.environ['X']"],
)
def test_only_literals_and_placeholders_are_code_to_paste(shown: str) -> None:
    assert not placeholder_code(shown)
