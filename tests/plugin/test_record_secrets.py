"""Which arguments and replies of a recording hold a password, and URLs shown without theirs."""

from __future__ import annotations

from typing import Any

import pytest

from tripwire.plugins._record_secrets import SECRET, redact_url, scrub_args, scrub_reply


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
