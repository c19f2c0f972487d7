"""Hypothesis strategies of replies: per command, narrowed by a call, and redis-py's errors."""
