"""Alembic migrations of the LRS schema (run by :mod:`lrs.store.migrate`)."""
