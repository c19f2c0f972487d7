"""tripwire's plugins, one module per intercepted library."""
