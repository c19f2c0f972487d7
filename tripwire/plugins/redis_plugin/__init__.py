"""The Redis plugin: strict mocks for redis-py and valkey-py, ``tripwire.redis`` in a test.

`RedisPlugin` (`plugin`) holds one test's mocks and recorded calls; `call` is one mock and the call
that consumed it. Below it: `intercept` (where redis-py is intercepted and what is refused),
`replies` (the reply shapes a mock's ``returns`` is checked against), and the cluster, pub/sub and
Lua script support. See docs/architecture.md.
"""

from tripwire.plugins.redis_plugin.plugin import Exactly, RedisCall, RedisPlugin, ScriptSource

__all__ = ["Exactly", "RedisCall", "RedisPlugin", "ScriptSource"]
