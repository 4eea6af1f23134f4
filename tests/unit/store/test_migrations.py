"""The Alembic migrations build exactly the schema the code uses, on SQLite and PostgreSQL, and upgrade the
databases of the releases before them in place."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.core.model import ConversationRef, ConversationState
from bot.store.sql.conversations import SqlConversationStore
from bot.store.sql.database import Database, SchemaTooNewError
from bot.store.sql.migrate import head_revision
from bot.store.sql.schema import SCHEMA_VERSION, metadata, schema_info

CONVERSATION = ConversationRef(channel="web", id="c-1")


def differences(connection: sa.Connection) -> list[Any]:
    """What autogenerate would put into a new revision: nothing, when the migrations match bot/store/sql/schema.py."""
    return list(compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata))


# Columns the revisions after the baseline added: a release before the migrations never had them.
ADDED_AFTER_BASELINE = {"conversations": ("language",)}


def as_before_the_migrations(connection: sa.Connection) -> None:
    """What a release before the migrations created: `create_all` without constraint names, and version 8."""
    unnamed = sa.MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(unnamed)
    for table in unnamed.tables.values():
        for constraint in table.constraints:
            constraint.name = None
        for column in ADDED_AFTER_BASELINE.get(table.name, ()):
            table._columns.remove(table.c[column])
    unnamed.create_all(connection)
    connection.execute(schema_info.insert().values(id=1, version=SCHEMA_VERSION))


async def revision_and_differences(database: Database) -> tuple[str | None, list[Any]]:
    state = await database.schema_state()
    async with database.engine.connect() as conn:
        return state.revision, await conn.run_sync(differences)


@pytest.mark.asyncio
async def test_an_empty_database_gets_exactly_the_schema_the_code_uses(database_url: str) -> None:
    database = Database(url=database_url)
    await database.migrate()
    assert await revision_and_differences(database) == (head_revision(), [])
    # The releases before the migrations read schema_info: their version 8 while the schema is exactly theirs (the
    # baseline), 9 from the first revision after it, so that they refuse the database then.
    legacy_version = SCHEMA_VERSION if head_revision() == "0001" else SCHEMA_VERSION + 1
    async with database.engine.connect() as conn:
        assert (await conn.execute(sa.select(schema_info.c.version))).scalar_one() == legacy_version
    await database.close()


@pytest.mark.asyncio
async def test_a_database_from_before_the_migrations_is_taken_over_with_its_data(database_url: str) -> None:
    old = Database(url=database_url)
    async with old.engine.begin() as conn:
        await conn.run_sync(as_before_the_migrations)
        await conn.execute(  # a conversation as those releases stored it
            sa.text(
                "INSERT INTO conversations (key, channel, external_id, owner_id, flow_data, created_at, updated_at) "
                "VALUES (:key, 'web', :id, 'alice', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"key": CONVERSATION.key, "id": CONVERSATION.id},
        )
    await old.close()

    upgraded = Database(url=database_url)
    await upgraded.migrate()
    revision, found = await revision_and_differences(upgraded)
    assert revision == head_revision()
    if database_url.startswith("sqlite"):
        # SQLite cannot name an existing constraint: the old table's unnamed UNIQUE (ticket) stays, enforced all
        # the same. (PostgreSQL had named it article_drafts_ticket_key itself.)
        assert [(kind, item.name) for kind, item in found] == [("add_constraint", "article_drafts_ticket_key")]
    else:
        assert found == []
    assert await SqlConversationStore(database=upgraded).load_state(CONVERSATION) == ConversationState(owner_id="alice")
    await upgraded.close()


@pytest.mark.asyncio
async def test_a_revision_from_a_newer_release_is_refused_and_left_alone(database_url: str) -> None:
    database = Database(url=database_url)
    await database.migrate()
    async with database.engine.begin() as conn:
        await conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(SchemaTooNewError, match="revision 0099, which this bot does not know"):
        await database.migrate()
    state = await database.schema_state()
    assert (state.revision, state.known) == ("0099", False)
    await database.close()


@pytest.mark.asyncio
async def test_replicas_starting_together_upgrade_once(database_url: str) -> None:
    replicas = [Database(url=database_url) for _ in range(3)]
    await asyncio.gather(*(replica.migrate() for replica in replicas))
    async with replicas[0].engine.connect() as conn:
        assert (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalars().all() == [
            head_revision()
        ]
    for replica in replicas:
        await replica.close()


@pytest.mark.asyncio
async def test_a_version_6_database_gets_the_ticket_columns_and_tables_it_lacked(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'helpdesk.db'}"
    old = Database(url=url)
    async with old.engine.begin() as conn:  # version 6: no staff queue, no incidents, the narrow handoffs table
        await conn.run_sync(as_before_the_migrations)
        for table in (
            "article_drafts",
            "itsm_outbox",
            "ticket_notices",
            "ticket_cards",
            "ticket_events",
            "handoffs",
            "problem_reports",
            "incidents",
        ):
            await conn.execute(sa.text(f"DROP TABLE {table}"))
        await conn.execute(
            sa.text(
                "CREATE TABLE handoffs (id VARCHAR(32) NOT NULL, conversation_key VARCHAR(300) NOT NULL, "
                "user_id VARCHAR(256) NOT NULL, packet JSON NOT NULL, status VARCHAR(16) NOT NULL, "
                "created_at DATETIME NOT NULL, PRIMARY KEY (id), "
                "FOREIGN KEY(conversation_key) REFERENCES conversations (key))"
            )
        )
        await conn.execute(sa.text("CREATE INDEX ix_handoffs_conversation_key ON handoffs (conversation_key)"))
        await conn.execute(sa.update(schema_info).values(version=6))
    await old.close()

    upgraded = Database(url=url)
    await upgraded.migrate()
    assert await revision_and_differences(upgraded) == (head_revision(), [])
    await upgraded.close()
