"""``pytest --tripwire-record``: strict mocks recorded from a real Redis, or verified against it.

The pytest hooks (`pytest_hooks`) import nothing else of this package until a run records.
"""
