"""Locks, Lua scripts and single-connection clients work against mocks alone."""

from __future__ import annotations

import hashlib

import pytest
import redis
from dirty_equals import IsInstance, IsStr

import tripwire
from tripwire import StrictVerifier, UnmockedConnectionError

ANY_OPTIONS = IsInstance(dict)


def test_lock_acquire_extend_release() -> None:
    tripwire.redis.mock_command("SET", returns=True)  # SET name token NX PX
    tripwire.redis.mock_command("EVALSHA", returns=1)  # extend
    tripwire.redis.mock_command("EVALSHA", returns=1)  # release
    with tripwire:
        lock = redis.Redis().lock("job:42", timeout=5)
        assert lock.acquire(blocking=False)
        assert lock.extend(10)
        lock.release()
    set_call = tripwire.redis.assert_command("SET", args=IsInstance(tuple), kwargs=ANY_OPTIONS)
    assert set_call.args[0] == "job:42"
    assert {"NX", "PX", 5000} <= set(set_call.args[1:])
    token = set_call.args[1]
    tripwire.redis.assert_command("EVALSHA", args=(IsStr(), 1, "job:42", token, 10000, "0"))
    tripwire.redis.assert_command("EVALSHA", args=(IsStr(), 1, "job:42", token))


def test_lock_not_acquired_when_set_nx_fails() -> None:
    tripwire.redis.mock_command("SET", returns=None)
    with tripwire:
        assert not redis.Redis().lock("busy").acquire(blocking=False)
    tripwire.redis.assert_command("SET", args=IsInstance(tuple), kwargs=ANY_OPTIONS)


def test_release_of_a_lost_lock_raises_lock_not_owned() -> None:
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("EVALSHA", returns=0)
    with tripwire:
        lock = redis.Redis().lock("job")
        lock.acquire(blocking=False)
        with pytest.raises(redis.exceptions.LockNotOwnedError):
            lock.release()
    tripwire.redis.assert_command("SET", args=IsInstance(tuple), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("EVALSHA", args=IsInstance(tuple))


def test_registered_script_falls_back_to_script_load_on_noscript() -> None:
    tripwire.redis.mock_command(
        "EVALSHA", returns=None, raises=redis.exceptions.NoScriptError("No matching script.")
    )
    tripwire.redis.mock_command("SCRIPT LOAD", returns="sha")
    tripwire.redis.mock_command("EVALSHA", returns=b"done")
    with tripwire:
        client = redis.Redis()
        script = client.register_script("return 'done'")
        assert script(keys=["k"]) == b"done"
    original_sha = hashlib.sha1(b"return 'done'").hexdigest()
    tripwire.redis.assert_command("EVALSHA", args=(original_sha, 1, "k"))
    tripwire.redis.assert_command("SCRIPT LOAD", args=("return 'done'",))
    tripwire.redis.assert_command("EVALSHA", args=("sha", 1, "k"))


def test_single_connection_client_opens_no_connection() -> None:
    tripwire.redis.mock_command("GET", returns=b"1")
    with tripwire:
        client = redis.Redis(single_connection_client=True)
        assert client.get("k") == b"1"
        client.close()
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


def test_an_unintercepted_connection_is_refused(verifier: StrictVerifier) -> None:
    with tripwire:
        monitor = redis.Redis(host="127.0.0.1", port=1).monitor()
        with pytest.raises(UnmockedConnectionError) as excinfo, monitor:
            pass
    assert str(excinfo.value) == (
        "A connection to 127.0.0.1:1 was opened inside the sandbox, by a part of the client "
        "that tripwire does not intercept (for redis-py: MONITOR, connections used directly or "
        "connected before the sandbox).\n"
        "Nothing was sent. Test that code against a real server with "
        '@pytest.mark.allow("redis") outside the sandbox, or move the call behind a function '
        "you mock."
    )
