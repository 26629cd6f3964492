"""Alembic environment. chronos.migrate hands in a live connection; the URL is never read from a file."""

from __future__ import annotations

from alembic import context

from crm.models import Base

config = context.config
target_metadata = Base.metadata

if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
else:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `chronos db ...`, which provides the connection")
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)

with context.begin_transaction():
    context.run_migrations()
