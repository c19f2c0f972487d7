"""A model session keeps each database its own keyspace, as Redis does (issue 22, item 6)."""

from __future__ import annotations

import pytest
import redis

from tripwire import StrictVerifier
from tripwire_hypothesis import RedisSession


def assert_all(session: RedisSession) -> None:
    session.assert_consumed(args=lambda call: call.args, kwargs=lambda call: call.kwargs)


def test_each_db_is_its_own_keyspace(verifier: StrictVerifier) -> None:
    session = RedisSession.from_faults([])
    session.model.set("seeded", "0")  # session.model is database 0
    session.install()
    with verifier.sandbox():
        one, zero = redis.Redis(db=1), redis.Redis(db=0)
        assert one.set("k", "v") is True
        assert zero.get("k") is None
        assert one.get("k") == b"v"
        assert one.get("seeded") is None
        assert zero.get("seeded") == b"0"
    assert_all(session)
    assert session.model.keys() == [b"seeded"]


def test_a_pipeline_and_its_transaction_use_the_client_s_db(verifier: StrictVerifier) -> None:
    session = RedisSession.from_faults([])
    session.install()
    with verifier.sandbox():
        two = redis.Redis(db=2)
        with two.pipeline() as pipe:
            pipe.watch("n")
            pipe.multi()
            pipe.incr("n")
            assert pipe.execute() == [1]
        assert two.get("n") == b"1"
        assert redis.Redis().get("n") is None
    assert_all(session)


def test_select_switches_the_client_s_db_and_refuses_a_bad_index(
    verifier: StrictVerifier,
) -> None:
    session = RedisSession.from_faults([])
    session.install()
    with verifier.sandbox():
        client = redis.Redis()
        client.set("k", "in 0")
        assert client.execute_command("SELECT", 3) is True
        assert client.get("k") is None
        client.set("k", "in 3")
        with pytest.raises(redis.exceptions.ResponseError):
            client.execute_command("SELECT", 99)
        assert client.get("k") == b"in 3"
        assert redis.Redis(db=0).get("k") == b"in 0"  # another client, another pool
    assert_all(session)
    assert session.model.get("k") == b"in 0"
