"""The SQL store creates its schema on start, keeps what is stored across restarts and refuses a newer schema
(on SQLite and PostgreSQL; databases of the releases before the migrations were SQLite files)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.core.flows import ClarifyFlow
from bot.core.model import ConversationRef, ConversationState, Reply, ReplyKind, UserRef
from bot.store.sql.contacts import SqlContacts
from bot.store.sql.conversations import SqlConversationStore
from bot.store.sql.database import Database, SchemaTooNewError
from bot.store.sql.references import SqlChannelReferences
from bot.store.sql.schema import SCHEMA_VERSION, schema_info

CONVERSATION = ConversationRef(channel="web", id="c-1")
ALICE = UserRef(id="alice")
PICKING = ClarifyFlow(question="printer", options=("a", "b"), confidence=0.4)


@pytest.mark.asyncio
async def test_a_restart_keeps_conversations_and_transcripts(database_url: str) -> None:
    first = Database(url=database_url)
    await first.migrate()
    store = SqlConversationStore(database=first)
    await store.save_state(
        conversation=CONVERSATION,
        state=ConversationState(owner_id="alice", flow=PICKING, open_handoff="HD-261122-ABCDEF"),
    )
    await store.append(conversation=CONVERSATION, user=ALICE, role="user", text="hello")
    await store.append(
        conversation=CONVERSATION, user=ALICE, role="bot", text="hi", reply=Reply(kind=ReplyKind.INFO, text="hi")
    )
    await first.close()

    second = Database(url=database_url)
    await second.migrate()  # idempotent: nothing is recreated or lost
    reopened = SqlConversationStore(database=second)
    state = await reopened.load_state(CONVERSATION)
    assert state == ConversationState(owner_id="alice", flow=PICKING, open_handoff="HD-261122-ABCDEF")
    assert [t.text for t in await reopened.transcript(CONVERSATION)] == ["hello", "hi"]
    replies, cursor = await reopened.replies_after(conversation=CONVERSATION, after=0)
    assert [r.text for r in replies] == ["hi"]
    assert cursor == 2
    await second.close()


@pytest.mark.asyncio
async def test_the_sqlite_file_and_its_folder_are_made_on_start(tmp_path: Path) -> None:
    database = Database(url=f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'helpdesk.db'}")
    await database.migrate()
    await database.close()
    assert (tmp_path / "nested" / "helpdesk.db").is_file()


@pytest.mark.asyncio
async def test_a_database_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'helpdesk.db'}"
    database = Database(url=url)
    await database.migrate()
    async with database.engine.begin() as conn:  # a schema version number no release ever wrote
        await conn.execute(sa.update(schema_info).values(version=SCHEMA_VERSION + 1))
        await conn.execute(sa.text("DROP TABLE alembic_version"))
    with pytest.raises(SchemaTooNewError, match="newer than this bot understands"):
        await database.migrate()
    await database.close()


@pytest.mark.asyncio
async def test_a_version_1_database_gains_the_feedback_table_and_keeps_its_conversations(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'helpdesk.db'}"
    old = Database(url=url)
    await old.migrate()
    store = SqlConversationStore(database=old)
    await store.save_state(conversation=CONVERSATION, state=ConversationState(owner_id="alice"))
    answer = await store.append(
        conversation=CONVERSATION, user=ALICE, role="bot", text="a", reply=Reply(kind=ReplyKind.ANSWER, text="a")
    )
    async with old.engine.begin() as conn:  # what a release before feedback left behind
        await conn.execute(sa.text("DROP TABLE feedback"))
        await conn.execute(sa.update(schema_info).values(version=1))
        await conn.execute(sa.text("DROP TABLE alembic_version"))  # version 1 came before the migrations
    await old.close()

    upgraded = Database(url=url)
    await upgraded.migrate()
    store = SqlConversationStore(database=upgraded)
    assert await store.record_feedback(conversation=CONVERSATION, reply_seq=answer, user=ALICE, helpful=True)
    async with upgraded.engine.connect() as conn:
        # Past the baseline revision it says 9, so that the releases from before the migrations refuse it.
        assert (await conn.execute(sa.select(schema_info.c.version))).scalar_one() == SCHEMA_VERSION + 1
    assert await store.load_state(CONVERSATION) == ConversationState(owner_id="alice")
    await upgraded.close()


@pytest.mark.asyncio
async def test_an_unreachable_database_is_reported_not_ready() -> None:
    database = Database(url="postgresql+asyncpg://helpdesk:pw@127.0.0.1:1/helpdesk")  # nothing listens on port 1
    assert await database.ping() is False
    await database.close()


@pytest.mark.asyncio
async def test_a_channel_reference_is_kept_per_conversation_and_replaced_by_the_latest(database: Database) -> None:
    await SqlConversationStore(database=database).save_state(
        conversation=CONVERSATION, state=ConversationState(owner_id="alice")
    )
    references = SqlChannelReferences(database=database)
    assert await references.load(CONVERSATION) is None
    await references.save(conversation=CONVERSATION, reference={"serviceUrl": "https://a.example", "n": 1})
    await references.save(conversation=CONVERSATION, reference={"serviceUrl": "https://b.example", "n": 2})
    assert await references.load(CONVERSATION) == {"serviceUrl": "https://b.example", "n": 2}


@pytest.mark.asyncio
async def test_a_version_3_database_can_store_a_reference_before_the_conversation_exists(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'helpdesk.db'}"
    old = Database(url=url)
    await old.migrate()
    async with old.engine.begin() as conn:  # the version 3 table, whose key had to be a known conversation
        await conn.execute(sa.text("DROP TABLE channel_references"))
        await conn.execute(
            sa.text(
                "CREATE TABLE channel_references (conversation_key VARCHAR(300) NOT NULL PRIMARY KEY "
                "REFERENCES conversations (key), reference JSON NOT NULL, updated_at DATETIME NOT NULL)"
            )
        )
        await conn.execute(sa.update(schema_info).values(version=3))
        await conn.execute(sa.text("DROP TABLE alembic_version"))
    await old.close()

    upgraded = Database(url=url)
    await upgraded.migrate()
    references = SqlChannelReferences(database=upgraded)
    installed = ConversationRef(channel="teams", id="a:1new-personal-chat")
    await references.save(conversation=installed, reference={"serviceUrl": "https://smba.example/"})
    assert await references.load(installed) == {"serviceUrl": "https://smba.example/"}
    async with upgraded.engine.connect() as conn:
        # Past the baseline revision it says 9, so that the releases from before the migrations refuse it.
        assert (await conn.execute(sa.select(schema_info.c.version))).scalar_one() == SCHEMA_VERSION + 1
    await upgraded.close()


@pytest.mark.asyncio
async def test_replicas_starting_the_same_conversation_at_once_all_succeed(database: Database) -> None:
    # Each finds no row to update; on PostgreSQL every INSERT after the first used to fail on the key.
    store, references = SqlConversationStore(database=database), SqlChannelReferences(database=database)
    contacts = SqlContacts(database=database)
    for n in range(3):
        conversation = ConversationRef(channel="teams", id=f"a:1new-chat-{n}")
        await asyncio.gather(
            *(
                work
                for replica in range(3)
                for work in (
                    store.save_state(conversation=conversation, state=ConversationState(owner_id=f"r{replica}")),
                    references.save(conversation=conversation, reference={"replica": replica}),
                    contacts.remember(email="Alice@example.com", conversation=conversation, user_id="alice"),
                )
            )
        )
        state, reference = await store.load_state(conversation), await references.load(conversation)
        assert state is not None
        assert state.owner_id in {"r0", "r1", "r2"}
        assert reference is not None
        assert reference["replica"] in {0, 1, 2}
    newest = await contacts.newest("alice@example.com")
    assert newest is not None
    assert newest.conversation.id.startswith("a:1new-chat-")
