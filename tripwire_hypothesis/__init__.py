"""Hypothesis strategies for python-tripwire."""
