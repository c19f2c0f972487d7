"""Reserving stock for an order: check, reserve, record, then confirm."""


class OutOfStock(Exception):
    """Not enough stock left for the order."""


def reserve(client, order_id, sku, quantity):
    """Reserve `quantity` of `sku` for `order_id`; every Redis failure reaches the caller.

    The order's reservation is recorded before the stock is taken, so that a crash in between
    leaves a record a reaper can see; a reservation that finds too little stock is undone.
    """
    stock_key, order_key = f"stock:{sku}", f"order:{order_id}"
    if client.exists(order_key):
        return False  # reserved already
    client.hset(order_key, mapping={"sku": sku, "quantity": quantity})
    left = client.decrby(stock_key, quantity)
    if left < 0:
        client.incrby(stock_key, quantity)
        client.delete(order_key)
        raise OutOfStock(sku)
    client.expire(order_key, 900)
    return True
