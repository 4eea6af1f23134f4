"""Alembic's environment: runs the revisions on the connection that bot.store.sql.migrate hands over.

There is no alembic.ini and no URL here: `helpdesk-bot db upgrade` and the bot's start-up (Database.migrate) build
the configuration in code and pass an open connection in `config.attributes["connection"]`, inside the
transaction they hold (PostgreSQL runs the whole upgrade as one transaction).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from bot.store.sql.schema import metadata

connection = context.config.attributes.get("connection")
if context.is_offline_mode() or not isinstance(connection, sa.Connection):
    raise RuntimeError("migrations run through `helpdesk-bot db upgrade` (bot.store.sql.migrate), with a connection")

# render_as_batch: SQLite cannot ALTER most things, so revisions written with op.batch_alter_table work on both.
context.configure(connection=connection, target_metadata=metadata, compare_type=True, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
