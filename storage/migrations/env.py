"""Alembic environment: runs on the connection that ``storage.schema.upgrade`` passes in."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import storage.tables  # registers the tables on SQLModel.metadata
import storage.channel_tables
import storage.staff_tables  # console tables, revision 0004_console
import storage.case_tables  # casework tables, revision 0007_cases
import storage.oncall_tables  # on-call rota and alert pages, revision 0008_oncall
import storage.held  # noqa: F401  (held messages, revision 0009_held_messages)

target_metadata = SQLModel.metadata
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through 'tipline init' or storage.schema.upgrade()")
context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
