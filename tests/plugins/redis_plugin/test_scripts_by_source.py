"""Lua scripts shown and asserted by their source, whichever way redis-py sent them."""

from __future__ import annotations

import hashlib

import pytest
import redis
from dirty_equals import IsInstance

import tripwire
from tripwire import (
    InteractionMismatchError,
    InvalidArgumentError,
    StrictVerifier,
    UnassertedInteractionsError,
    UnmockedInteractionError,
)

ANY_OPTIONS = IsInstance(dict)
SOURCE = "return redis.call('GET', KEYS[1])"
SHA = hashlib.sha1(SOURCE.encode()).hexdigest()


def test_a_registered_script_is_asserted_by_its_source() -> None:
    tripwire.redis.mock_command("EVALSHA", returns=b"v")
    with tripwire:
        script = redis.Redis().register_script(SOURCE)
        assert script(keys=["k"]) == b"v"
    call = tripwire.redis.assert_command("EVALSHA", args=(tripwire.redis.script(SOURCE), 1, "k"))
    assert call.args == (SHA, 1, "k")


def test_the_matcher_equals_the_source_and_the_sha_in_any_form() -> None:
    matcher = tripwire.redis.script(SOURCE)
    assert matcher == SOURCE
    assert matcher == SOURCE.encode()
    assert matcher == SHA
    assert matcher == SHA.upper().encode()
    assert matcher == tripwire.redis.script(SOURCE.encode())
    assert matcher != "return 1"
    assert matcher != hashlib.sha1(b"return 1").hexdigest()
    assert matcher != 1
    assert repr(matcher) == "tripwire.redis.script(\"return redis.call('GET', KEYS[1])\")"


def test_eval_is_asserted_by_the_same_matcher() -> None:
    tripwire.redis.mock_command("EVAL", returns=1)
    with tripwire:
        redis.Redis().eval(SOURCE, 1, "k")
    tripwire.redis.assert_command("EVAL", args=(tripwire.redis.script(SOURCE), 1, "k"))


def test_an_unasserted_evalsha_shows_the_script_source(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("EVALSHA", returns=b"v")
    with tripwire:
        redis.Redis().register_script(SOURCE)(keys=["k"])
    with pytest.raises(UnassertedInteractionsError) as excinfo:
        verifier.verify_all()
    assert str(excinfo.value) == (
        "1 interaction was recorded but never asserted:\n"
        "    tripwire.redis.assert_command('EVALSHA', args=(tripwire.redis.script(\"return "
        "redis.call('GET', KEYS[1])\"), 1, 'k'), kwargs={})\n"
        "Assert each one after the sandbox closes, in the order shown (the lines above can be "
        "pasted)."
    )
    line = str(excinfo.value).splitlines()[1].strip()
    eval(line, {"tripwire": tripwire})  # the shown line asserts the call


def test_a_key_named_like_a_known_scripts_sha_is_shown_as_sent(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("EVALSHA", returns=b"v")
    tripwire.redis.mock_command("GET", returns=None)
    with tripwire:
        client = redis.Redis()
        client.register_script(SOURCE)(keys=["k"])
        client.get(SHA)
    tripwire.redis.assert_command("EVALSHA", args=(tripwire.redis.script(SOURCE), 1, "k"))
    with pytest.raises(UnassertedInteractionsError) as excinfo:
        verifier.verify_all()
    # kwargs as this redis-py line sends them (keys=[...] from redis-py 5)
    assert (
        str(excinfo.value)
        .splitlines()[1]
        .strip()
        .startswith(f"tripwire.redis.assert_command('GET', args=('{SHA}',), kwargs=")
    )


def test_a_lock_release_is_asserted_by_the_script_source() -> None:
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("EVALSHA", returns=1)
    with tripwire:
        lock = redis.Redis().lock("job:42", timeout=5)
        assert lock.acquire(blocking=False)
        lock.release()
    token = tripwire.redis.assert_command("SET", args=IsInstance(tuple), kwargs=ANY_OPTIONS).args[1]
    release = tripwire.redis.script(redis.lock.Lock.LUA_RELEASE_SCRIPT)
    tripwire.redis.assert_command("EVALSHA", args=(release, 1, "job:42", token))


def test_a_long_script_is_shown_cut_and_not_offered_for_pasting(
    verifier: StrictVerifier,
) -> None:
    source = "-- " + "x" * 300 + "\nreturn 1"
    tripwire.redis.mock_command("EVALSHA", returns=1)
    with tripwire:
        redis.Redis().register_script(source)()
    with pytest.raises(InteractionMismatchError) as excinfo:
        tripwire.redis.assert_command("EVALSHA", args=("nope", 0))
    shown = str(excinfo.value).splitlines()[3]
    assert shown == (
        "    tripwire.redis.assert_command('EVALSHA', args=(tripwire.redis.script('-- "
        + "x" * 147
        + "...' (312 characters)), 0), kwargs={})  # not paste-ready: a value's repr is not "
        "Python code"
    )
    tripwire.redis.assert_command("EVALSHA", args=(tripwire.redis.script(source), 0))


def test_a_script_loaded_under_a_made_up_sha_is_known_by_it(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command(
        "EVALSHA", returns=None, raises=redis.exceptions.NoScriptError("No matching script.")
    )
    tripwire.redis.mock_command("SCRIPT LOAD", returns="loaded-sha")
    tripwire.redis.mock_command("EVALSHA", returns=b"done")
    with tripwire:
        assert redis.Redis().register_script("return 'done'")() == b"done"
    tripwire.redis.assert_command("EVALSHA", args=(tripwire.redis.script("return 'done'"), 0))
    tripwire.redis.assert_command("SCRIPT LOAD", args=("return 'done'",))
    with pytest.raises(InteractionMismatchError) as excinfo:
        tripwire.redis.assert_command("EVALSHA", args=())
    # The made-up sha is shown as sent: the script's matcher equals only its real sha1.
    line = str(excinfo.value).splitlines()[3]
    assert line == "    tripwire.redis.assert_command('EVALSHA', args=('loaded-sha', 0), kwargs={})"
    exec(line.strip())


def test_an_unmocked_evalsha_names_its_script(verifier: StrictVerifier) -> None:
    with tripwire:
        script = redis.Redis().register_script(SOURCE)
        with pytest.raises(UnmockedInteractionError) as excinfo:
            script(keys=["k"])
    assert str(excinfo.value) == (
        "redis.EVALSHA(...) was called but no mock was registered.\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_command('EVALSHA', returns=...)\n"
        f"Called with: args=({SHA!r}, 1, 'k'), kwargs={{}}\n"
        f"The script {SHA!r} is: \"return redis.call('GET', KEYS[1])\""
    )


@pytest.mark.parametrize("source", ["", b"", 42, None], ids=["empty", "empty-bytes", "int", "none"])
def test_script_needs_a_source(source: object) -> None:
    with pytest.raises(InvalidArgumentError) as excinfo:
        tripwire.redis.script(source)  # type: ignore[arg-type]
    assert str(excinfo.value) == (
        "script() argument 'source' must be a non-empty str or bytes (a Lua script), "
        f"got {source!r} ({type(source).__name__})"
    )


@pytest.mark.allow("redis")
def test_a_script_made_before_any_interception_is_found(verifier: StrictVerifier) -> None:
    # No guard in this test: the script is made while redis-py is not intercepted at all, as an
    # application module may make it at import.
    source = "return 'made at import'"
    script = redis.Redis().register_script(source)
    hostile = _Hostile()  # alive while the scripts are looked for; must not be asked anything
    tripwire.redis.mock_command("EVALSHA", returns=b"ok")
    with tripwire:
        script()
    with pytest.raises(InteractionMismatchError) as excinfo:
        tripwire.redis.assert_command("EVALSHA", args=())
    assert str(excinfo.value).splitlines()[3] == (
        "    tripwire.redis.assert_command('EVALSHA', args=(tripwire.redis.script(\"return 'made "
        "at import'\"), 0), kwargs={})"
    )
    tripwire.redis.assert_command("EVALSHA", args=(tripwire.redis.script(source), 0))
    assert hostile.asked == []


class _Hostile:
    """An object that fails every attribute lookup, as a proxy of a missing plugin does."""

    def __init__(self) -> None:
        object.__setattr__(self, "_asked", [])

    def __getattribute__(self, name: str) -> object:
        if name == "asked":
            return object.__getattribute__(self, "_asked")
        object.__getattribute__(self, "_asked").append(name)
        raise RuntimeError(name)


def test_the_map_of_known_scripts_forgets_the_earliest_when_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tripwire.plugins.redis_plugin import scripts as _redis_scripts

    monkeypatch.setattr(_redis_scripts, "_KNOWN", {})
    monkeypatch.setattr(_redis_scripts, "MAX_KNOWN", 3)
    for n in range(5):
        _redis_scripts.learn(f"return {n}")
    assert list(_redis_scripts._KNOWN.values()) == ["return 2", "return 3", "return 4"]
    assert _redis_scripts.source_of(hashlib.sha1(b"return 4").hexdigest()) == "return 4"


def test_an_unmocked_evalsha_ro_names_a_script_it_loaded(verifier: StrictVerifier) -> None:
    source = "return 'loaded by hand'"
    sha = hashlib.sha1(source.encode()).hexdigest()
    tripwire.redis.mock_command("SCRIPT LOAD", returns=sha)
    tripwire.redis.mock_command("EVALSHA_RO", returns=b"1")
    with tripwire:
        r = redis.Redis()
        r.script_load(source)
        # As evalsha_ro(sha, 0) sends it (that method arrived in redis-py 4.2).
        r.execute_command("EVALSHA_RO", sha, 0)
        with pytest.raises(UnmockedInteractionError) as excinfo:
            r.execute_command("EVALSHA_RO", sha, 0)
    assert str(excinfo.value) == (
        "redis.EVALSHA_RO(...) was called but no mock was registered.\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_command('EVALSHA_RO', returns=...)\n"
        f"Called with: args=({sha!r}, 0), kwargs={{}}\n"
        "The one mock registered for 'EVALSHA_RO' was used by an earlier call: register one "
        "more for this call (mock_command's times=N registers N at once, times=None answers any "
        "number of calls).\n"
        f"The script {sha!r} is: \"return 'loaded by hand'\""
    )
    tripwire.redis.assert_command("SCRIPT LOAD", args=(source,))
    with pytest.raises(InteractionMismatchError) as mismatch:
        tripwire.redis.assert_command("EVALSHA_RO", args=())
    assert str(mismatch.value).splitlines()[3] == (
        "    tripwire.redis.assert_command('EVALSHA_RO', args=(tripwire.redis.script(\"return "
        "'loaded by hand'\"), 0), kwargs={})"
    )
    tripwire.redis.assert_command("EVALSHA_RO", args=(tripwire.redis.script(source), 0))


def test_an_unmocked_evalsha_without_its_key_count_names_its_script(
    verifier: StrictVerifier,
) -> None:
    tripwire.redis.mock_command("SCRIPT LOAD", returns="made-up-sha")
    with tripwire:
        r = redis.Redis()
        r.script_load("return 1")
        with pytest.raises(UnmockedInteractionError) as sha_only:
            r.execute_command("EVALSHA", "made-up-sha")
        with pytest.raises(UnmockedInteractionError) as bare:
            r.execute_command("EVALSHA")
    assert str(sha_only.value).splitlines()[3:] == [
        "Called with: args=('made-up-sha',), kwargs={}",
        "The script 'made-up-sha' is: 'return 1'",
    ]
    assert str(bare.value).splitlines()[3:] == ["Called with: args=(), kwargs={}"]
    tripwire.redis.assert_command("SCRIPT LOAD", args=("return 1",))


def test_only_a_script_s_sha_is_shown_as_its_script(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("SCRIPT LOAD", returns="made-up-sha")
    tripwire.redis.mock_command("EXISTS", returns=0)
    with tripwire:
        r = redis.Redis()
        r.script_load("return 1")
        r.execute_command("EXISTS", "made-up-sha")
        with pytest.raises(UnmockedInteractionError) as excinfo:
            r.execute_command("SET", "made-up-sha", "v")
    assert str(excinfo.value).splitlines()[3:] == [
        "Called with: args=('made-up-sha', 'v'), kwargs={}"
    ]
    tripwire.redis.assert_command("SCRIPT LOAD", args=("return 1",))
    with pytest.raises(InteractionMismatchError) as mismatch:
        tripwire.redis.assert_command("EXISTS", args=())
    assert str(mismatch.value).splitlines()[3] == (
        "    tripwire.redis.assert_command('EXISTS', args=('made-up-sha',), kwargs={})"
    )
    tripwire.redis.assert_command("EXISTS", args=("made-up-sha",))
