"""Reply shapes: what a mock's ``returns`` can be for each command (no Hypothesis, no redis-py)."""
