"""Replies and arguments written steadily: the code of each, built from recorded values.

No server here; tests/realserver/test_record_steady.py records them against real servers.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tripwire.plugins.recording import steady as _record_steady
from tripwire.plugins.recording.output import assert_line, mock_line
from tripwire.plugins.recording.steady import Steady, close_enough, possible_choice, steady_reply


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


class FakeServer:
    """The commands steady_reply sends, answered from a dict of sets and a scan's pages."""

    def __init__(self, sets: dict[str, set[bytes]], pages: dict[int, Any] | None = None) -> None:
        self.sets = sets
        self.pages = pages or {}
        self.sent: list[tuple[Any, ...]] = []

    def execute_command(self, *args: Any) -> Any:
        self.sent.append(args)
        name = args[0]
        if name == "SMEMBERS":
            return set(self.sets.get(args[1], set()))
        if name == "KEYS":
            return [key.encode() for key in self.sets]
        if name == "SADD":
            self.sets[args[1]].update(args[2:])
            return len(args) - 2
        if name == "SREM":
            self.sets[args[1]].difference_update(args[2:])
            return len(args) - 2
        return self.pages[int(args[1 if name == "SCAN" else 2])]


def test_random_replies_are_the_first_in_sorted_order() -> None:
    server = FakeServer({"pool": {b"c", b"a", b"b"}, "empty": set()})
    assert steady_reply("SRANDMEMBER", ("SRANDMEMBER", "pool"), {}, server, b"c") == b"a"
    assert steady_reply("SRANDMEMBER", ("SRANDMEMBER", "empty"), {}, server, None) is None
    assert steady_reply("SRANDMEMBER", ("SRANDMEMBER", "pool", 2), {}, server, [b"c"]) == [
        b"a",
        b"b",
    ]
    assert steady_reply("RANDOMKEY", ("RANDOMKEY",), {}, server, b"pool") == b"empty"
    assert steady_reply("RANDOMKEY", ("RANDOMKEY",), {}, server, None) is None
    # SPOP: the server is left as the steady choice leaves it.
    server.sets["pool"].discard(b"c")  # Redis popped c
    assert steady_reply("SPOP", ("SPOP", "pool"), {}, server, b"c") == b"a"
    assert server.sets["pool"] == {b"b", b"c"}
    server.sets["pool"] = {b"b"}  # Redis popped c and d
    assert steady_reply("SPOP", ("SPOP", "pool", 2), {}, server, {b"c", b"d"}) == {b"b", b"c"}
    assert server.sets["pool"] == {b"d"}
    assert steady_reply("SPOP", ("SPOP", "empty"), {}, server, None) is None


def test_a_scan_from_cursor_0_is_one_sorted_page() -> None:
    server = FakeServer({}, {5: (9, [b"b", b"a"]), 9: (0, [b"a", b"c"])})
    reply = steady_reply("SCAN", ("SCAN", 0, "MATCH", "*"), {}, server, (5, [b"d"]))
    assert reply == (0, [b"a", b"b", b"c", b"d"])
    # A loop the code resumed itself, and a shape of the client's own: as Redis answered.
    assert steady_reply("SCAN", ("SCAN", 5), {}, server, (9, [b"b"])) == (9, [b"b"])
    assert steady_reply("SCAN", ("SCAN", 0), {}, server, b"raw") == b"raw"
    hashes = FakeServer({}, {3: [0, {b"y": b"2"}]})
    reply = steady_reply("HSCAN", ("HSCAN", "h", 0), {}, hashes, [3, {b"z": b"3", b"x": b"1"}])
    assert reply == [0, {b"x": b"1", b"y": b"2", b"z": b"3"}]


def test_a_choice_redis_could_make_is_possible() -> None:
    server = FakeServer({"pool": {b"a", b"b"}})
    assert possible_choice("SRANDMEMBER", ("SRANDMEMBER", "pool"), "a", server)
    assert not possible_choice("SRANDMEMBER", ("SRANDMEMBER", "pool"), b"z", server)
    assert possible_choice("SRANDMEMBER", ("SRANDMEMBER", "pool", -3), [b"a"] * 3, server)
    assert not possible_choice("SRANDMEMBER", ("SRANDMEMBER", "pool", 3), [b"a"] * 3, server)
    assert not possible_choice("SRANDMEMBER", ("SRANDMEMBER", "pool", 1), b"a", server)
    assert possible_choice("RANDOMKEY", ("RANDOMKEY",), b"pool", server)
    assert not possible_choice("RANDOMKEY", ("RANDOMKEY",), None, server)
    assert not possible_choice("GET", ("GET", "pool"), b"a", server)
    assert possible_choice("SPOP", ("SPOP", "pool", 5), [b"b", b"a"], server)
    assert server.sets["pool"] == set()
    assert possible_choice("SPOP", ("SPOP", "pool"), None, server)


def test_a_time_reply_of_an_unknown_shape_is_written_as_it_is() -> None:
    assert Steady().reply("TIME", {"seconds": 1}, repr) is None
