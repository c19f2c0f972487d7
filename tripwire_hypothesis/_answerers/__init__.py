"""What answers a session's calls that no mock covers: drawn, scripted, or a model of Redis."""
