"""Concurrent clients of one model and the model's clock: ``session.concurrently`` and
``session.clock``, and the schedule a failing example prints."""
