"""Moving money between balances with optimistic locking, retried when the race is lost."""

import redis


class TransferConflict(Exception):
    """Other clients kept changing the balance: the transfer gave up."""


def transfer(client, source, target, amount, attempts=5):
    """Move `amount` from `source` to `target` atomically; False if the balance is short."""
    src, dst = f"balance:{source}", f"balance:{target}"
    with client.pipeline() as pipe:
        for _ in range(attempts):
            try:
                pipe.watch(src)
                balance = int(pipe.get(src) or 0)
                if balance < amount:
                    pipe.unwatch()
                    return False
                pipe.multi()
                pipe.decrby(src, amount)
                pipe.incrby(dst, amount)
                pipe.execute()
                return True
            except redis.WatchError:
                continue  # another client wrote the balance: read it again
    raise TransferConflict(f"{attempts} attempts lost the race")
