"""What redis-py does when a transaction's reply is lost after the server ran it, against a real
server: the facts tripwire_hypothesis's faults of a batch follow (docs/hypothesis.md, "Faults
and the client's retry policy").

From redis-py 6, a pipeline's own retry policy sends the whole batch again, so a transaction
whose ``EXEC`` reply was lost applies twice; a pipeline that watches keys raises ``WatchError``
instead. redis-py 4.x and 5.x send a batch again only for the errors ``retry_on_timeout`` /
``retry_on_error`` name, none by default: the code gets the error.
"""

from __future__ import annotations

from typing import Any

import pytest
import redis

ALLOW_REDIS = pytest.mark.allow("redis")
#: Whether a default client's pipeline sends a batch again after a lost connection.
RESENDS = int(redis.__version__.split(".")[0]) >= 6
WATCH_LOST = (
    "A ConnectionError occurred while watching one or more keys"
    if RESENDS
    else "A ConnectionError occurred on while watching one or more keys"
)


class _LosesOneExecReply(redis.Connection):
    """A connection that loses the first ``EXEC`` reply it reads (a list), after the server ran
    the transaction, as a connection dropped at that moment would."""

    lost = False

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        response = super().read_response(*args, **kwargs)
        if isinstance(response, list) and not type(self).lost:
            type(self).lost = True
            self.disconnect()
            raise redis.exceptions.ConnectionError("Connection closed by server.")
        return response


def losing_client(server: Any) -> redis.Redis:
    """A client with redis-py's defaults (its retry policy included), whose connection loses
    the first ``EXEC`` reply."""
    client = redis.Redis(host=server.host, port=server.port, socket_timeout=5)
    client.connection_pool.connection_class = type("Losing", (_LosesOneExecReply,), {})
    return client


@ALLOW_REDIS
def test_a_transaction_whose_exec_reply_was_lost_is_sent_again(
    redis_server: Any, real_redis: redis.Redis
) -> None:
    client = losing_client(redis_server)
    try:
        with client.pipeline() as pipe:
            pipe.incr("n")
            if RESENDS:
                assert pipe.execute() == [2]
            else:
                with pytest.raises(redis.exceptions.ConnectionError):
                    pipe.execute()
    finally:
        client.close()
    assert real_redis.get("n") == (b"2" if RESENDS else b"1")


@ALLOW_REDIS
def test_a_watching_pipeline_whose_exec_reply_was_lost_raises_watch_error(
    redis_server: Any, real_redis: redis.Redis
) -> None:
    client = losing_client(redis_server)
    try:
        with client.pipeline() as pipe:
            pipe.watch("n")
            pipe.multi()
            pipe.incr("n")
            with pytest.raises(redis.exceptions.WatchError) as raised:
                pipe.execute()
    finally:
        client.close()
    assert str(raised.value) == WATCH_LOST
    assert isinstance(raised.value.__context__, redis.exceptions.ConnectionError)
    assert real_redis.get("n") == b"1"
