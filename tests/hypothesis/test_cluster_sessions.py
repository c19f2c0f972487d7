"""Sessions answering a RedisCluster: SCAN in the cluster's shape, ``({node: cursor}, keys)``,
which its ``scan_iter`` pages through (issue 22, item 12)."""

from __future__ import annotations

import pytest
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
