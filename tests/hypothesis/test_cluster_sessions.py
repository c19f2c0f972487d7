"""Sessions answering a RedisCluster: SCAN in the cluster's shape, ``({node: cursor}, keys)``,
which its ``scan_iter`` pages through (issue 22, item 12)."""

from __future__ import annotations

import asyncio

import pytest
import redis
from hypothesis import HealthCheck, given, settings

import tripwire
from tripwire import StrictVerifier
from tripwire_hypothesis import RedisSession, redis_session

cluster = pytest.importorskip("redis.cluster", reason="redis.cluster arrived in redis-py 4.1")

NODE = "127.0.0.1:7000"


def assert_all(session: RedisSession) -> None:
    session.assert_sent([(c.command, *c.args) for c in session.consumed if not c.retried])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session=redis_session(commands=["SCAN"], error_rate=0))
def test_a_drawn_session_answers_a_cluster_scan_in_the_cluster_s_shape(
    session: RedisSession,
) -> None:
    session.install()
    with tripwire:
        client = cluster.RedisCluster(host="127.0.0.1", port=7000)
        keys = list(client.scan_iter())
        assert set(client.scan()[0]) == {NODE}
    assert_all(session)
    pages = [step.returns for step in session.consumed]
    assert keys == [key for page in pages[:-1] for key in page[1]]
    assert all(set(cursors) == {NODE} for cursors, _ in pages)


def test_a_model_session_answers_a_cluster_scan_from_the_model(verifier: StrictVerifier) -> None:
    session = RedisSession.from_faults([])
    names = [f"user:{number}" for number in range(30)]
    session.model.mset(dict.fromkeys(names, "1"))
    session.install()
    with verifier.sandbox():
        client = cluster.RedisCluster(host="127.0.0.1", port=7000)
        found = list(client.scan_iter(match="user:*", count=7))
        first = client.scan(match="user:*", count=7)
    assert_all(session)
    assert sorted(key.decode() for key in found) == sorted(names)
    assert set(first[0]) == {NODE}
    assert first[0][NODE] != 0
    assert len(session.consumed) > 2  # scan_iter went through several pages


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session=redis_session(commands=["INCRBY"], error_rate=0.5))
def test_an_asyncio_cluster_transaction_that_watched_nothing_never_loses_a_race(
    session: RedisSession,
) -> None:
    acluster = pytest.importorskip("redis.asyncio.cluster", reason="arrived in redis-py 4.3")
    if not hasattr(acluster, "TransactionStrategy"):
        pytest.skip("asyncio cluster transactions arrived in redis-py 6")

    async def count() -> object:
        async with tripwire, acluster.RedisCluster(host="127.0.0.1", port=7000) as client:
            try:
                return await client.pipeline(transaction=True).incr("n").execute()
            except redis.exceptions.RedisError as error:  # a fault the session drew
                return error

    session.install()
    assert not isinstance(asyncio.run(count()), redis.exceptions.WatchError)
    assert_all(session)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session=redis_session(commands=["GET"], error_rate=1))
def test_an_asyncio_valkey_cluster_pipeline_fails_with_valkey_py_s_errors(
    session: RedisSession,
) -> None:
    valkey = pytest.importorskip("valkey")
    avcluster = pytest.importorskip("valkey.asyncio.cluster")

    async def get() -> list[object]:
        async with tripwire, avcluster.ValkeyCluster(host="127.0.0.1", port=7000) as client:
            try:
                results: list[object] = await client.pipeline().get("k").execute(False)
            except Exception as error:  # a fault of the batch's connection
                return [error]
            return results

    session.install()
    (result,) = asyncio.run(get())
    assert isinstance(result, valkey.exceptions.ValkeyError)
    assert_all(session)
