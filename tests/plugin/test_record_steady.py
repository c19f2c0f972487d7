"""Replies and arguments written steadily: the code of each, built from recorded values.

No server here; tests/realserver/test_record_steady.py records them against real servers.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tripwire.plugins import _record_steady
from tripwire.plugins._record_output import assert_line, mock_line
from tripwire.plugins._record_steady import Steady, close_enough


@pytest.mark.parametrize(
    ("command", "reply", "code"),
    [
        pytest.param("TIME", (1765000000, 123456), "(int(time.time()), 0)", id="time"),
        pytest.param(
            "TIME",
            [b"1765000000", b"123456"],
            "[str(int(time.time())).encode(), b'0']",
            id="time-raw",
        ),
        pytest.param(
            "TIME", ["1765000000", "123456"], "[str(int(time.time())), '0']", id="time-decoded"
        ),
        pytest.param("PTTL", 59994, "60000", id="pttl-rounded"),
        pytest.param("PTTL", -1, "-1", id="pttl-no-expiry"),
        pytest.param("TTL", 60, "60", id="ttl"),
        pytest.param("EXPIRETIME", -2, "-2", id="expiretime-no-key"),
        pytest.param("KEYS", [b"b", b"a", b"c"], "[b'a', b'b', b'c']", id="keys-sorted"),
        pytest.param("HGETALL", {"b": "2", "a": "1"}, "{'a': '1', 'b': '2'}", id="hash-sorted"),
        pytest.param(
            "XADD", b"1765000000123-0", "b'1700000000000-0'", id="stream-entry-id-renamed"
        ),
        pytest.param("XADD", b"5-1", "b'5-1'", id="an-id-the-code-chose"),
        pytest.param("GET", b"1765000000123-0", None, id="not-a-steady-command"),
    ],
)
def test_replies_written_steadily(command: str, reply: Any, code: str | None) -> None:
    assert Steady().reply(command, reply, repr) == code


def test_expiry_times_are_written_from_the_time_the_test_runs() -> None:
    now = int(time.time())
    code = Steady().reply("EXPIRETIME", now + 60, repr)
    assert code in ("int(time.time()) + 60", "int(time.time()) + 59")
    code = Steady().reply("PEXPIRETIME", now * 1000 + 60000, repr)
    assert code is not None
    assert eval(code) == pytest.approx(now * 1000 + 60000, abs=2000)
    line = mock_line("EXPIRETIME", "int(time.time()) + 60", None)
    assert line == "tripwire.redis.mock_command('EXPIRETIME', returns=int(time.time()) + 60)"


def test_stream_entry_ids_keep_their_names_in_replies_and_arguments() -> None:
    steady = Steady()
    first, second = b"1765000000123-0", b"1765000000123-1"
    assert steady.reply("XADD", first, repr) == "b'1700000000000-0'"
    assert steady.reply("XADD", second, repr) == "b'1700000000001-0'"
    reply = [(first, {b"a": b"1"}), (second, {b"a": b"2"})]
    assert steady.reply("XRANGE", reply, repr) == (
        "[(b'1700000000000-0', {b'a': b'1'}), (b'1700000000001-0', {b'a': b'2'})]"
    )
    line = assert_line("XACK", ("s", "g", second, "1765000000999-0"), {}, steady=steady)
    assert line == (
        "tripwire.redis.assert_command('XACK', args=('s', 'g', b'1700000000001-0', "
        "IsStr(regex='[0-9]+-[0-9]+')))"
    )
    assert steady.real(("XDEL", "s", "1700000000000-0")) == ("XDEL", "s", first.decode())


def test_without_dirty_equals_a_made_up_argument_is_any(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_record_steady, "_HAS_DIRTY_EQUALS", False)
    line = assert_line("SET", ("job", b"0770b9f2c3d4e5f6", "NX"), {})
    assert line == "tripwire.redis.assert_command('SET', args=('job', ANY, 'NX'))"


@pytest.mark.parametrize(
    ("command", "mocked", "real", "same"),
    [
        pytest.param("TTL", 60, 59, True, id="ttl-a-second-on"),
        pytest.param("TTL", 60, 58, False, id="ttl-two-seconds-on"),
        pytest.param("TTL", -1, 60, False, id="ttl-no-expiry-mocked"),
        pytest.param("PTTL", 60000, 59001, True, id="pttl"),
        pytest.param("PTTL", 60000, 50000, False, id="pttl-far"),
        pytest.param("TIME", (int(time.time()), 0), (int(time.time()), 5), True, id="time"),
        pytest.param("TIME", (0, 0), (int(time.time()), 5), False, id="time-far"),
        pytest.param("TIME", None, (1, 5), False, id="time-no-reply"),
        pytest.param("EXPIRETIME", b"1", 1, False, id="not-an-int"),
        pytest.param("GET", b"1", b"1", None, id="not-a-clock-command"),
    ],
)
def test_clock_replies_compare_give_or_take_the_clock(
    command: str, mocked: Any, real: Any, same: bool | None
) -> None:
    assert close_enough(command, mocked, real) is same
