"""Where redis-py and valkey-py are intercepted: commands, connections, children, refusals."""
