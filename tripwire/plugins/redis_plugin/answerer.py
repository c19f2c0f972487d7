"""`Answerer`: what a `RedisPlugin` asks for a call that found no mock queued.

The plugin asks its ``answerer`` on its slow path only. Implemented by the recording's `Recorder`
(``tripwire.plugins.recording.recorder``) and by the Hypothesis companion's answerers
(``tripwire_hypothesis.answerers``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from tripwire.plugins.redis_plugin.call import RedisCall

__all__ = ["Answerer"]


class Answerer(Protocol):
    """What answers a plugin's calls when no mock is queued for them: see `RedisPlugin.answerer`."""

    #: True while a pipeline's queued commands are answered (each fails only with its own error).
    in_batch: bool

    def __call__(self, args: tuple[Any, ...], options: dict[str, Any]) -> RedisCall:
        """A new mock for this call (not yet consumed), or raise to refuse the call.

        The client that made it is `interceptors.calling_client()`.
        """

    def answer_exec(self, watching: bool) -> RedisCall:
        """A new mock for a transaction's EXEC with no EXEC mock queued: commit or fail.

        ``watching``: whether the transaction watched keys (only then can a race be lost).
        """

    # Optional, for faults of a pipeline's connection (`interceptors._run_batch`): an answerer
    # may define ``lost_batch(mock, start) -> bool`` (whether ``mock``, which raises in a batch,
    # is its fault of the batch's connection; it then keeps it in ``lost``), and
    # ``resend_batch(pipe, stack, transaction, raise_on_error)``, which the pipeline
    # interception calls instead of raising when ``lost`` is set: what the code gets.

    def unused(self) -> list[RedisCall]:
        """The mocks it holds that no call has used yet (they fail verification if required)."""
