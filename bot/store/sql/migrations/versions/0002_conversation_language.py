"""The language of the bot's messages in each conversation (English or German).

Revision ID: 0002
Revises: 0001

The first revision after the baseline: schema_info says version 9 from here on, so that the releases from before
the migrations (which read it) refuse this database instead of writing to a schema they do not know.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

LEGACY_REFUSED_VERSION = 9  # one above the last pre-migration schema version (8), copied: revisions import no code


def upgrade() -> None:
    # Existing conversations hold NULL: read as English, which is what they have been answered in so far. Like the
    # baseline, added only if missing: a database from before the migrations may have been created by `create_all`
    # from a newer schema (the legacy upgrade tests build theirs that way).
    columns = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("conversations")}
    if "language" not in columns:
        with op.batch_alter_table("conversations") as batch:
            batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    op.execute(sa.text(f"UPDATE schema_info SET version = {LEGACY_REFUSED_VERSION}"))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("language")
    op.execute(sa.text("UPDATE schema_info SET version = 8"))
