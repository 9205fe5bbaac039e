"""Typed SQLAlchemy models, one metadata for Alembic: `from db.models import X` for every model."""

from db.models.base import *  # noqa: F403  (split into one module per feature by the next commit)
