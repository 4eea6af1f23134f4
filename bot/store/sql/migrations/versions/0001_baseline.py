"""Baseline: the whole schema as the releases before the migrations left it (their version 8).

Revision ID: 0001
Revises: (none)

Frozen: later schema changes are new revisions, never edits here. Every table and index is created "if not
exists" because a database from before the migrations (schema_info version 1 to 8) runs this revision too, after
bot/store/sql/legacy_upgrade.py has altered the tables it already had: the baseline then adds only what is missing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

LEGACY_VERSION = 8  # bot.store.sql.schema.SCHEMA_VERSION, copied: a revision never imports code that can change


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("requester_email", sa.String(length=320), nullable=False),
        sa.Column("requester_account", sa.String(length=512), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=256), nullable=False),
        sa.Column("requester_user_id", sa.String(length=256), nullable=False),
        sa.Column("approver_email", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="approvals_pkey"),
        if_not_exists=True,
    )
    op.create_index("ix_approvals_expires_at", "approvals", ["expires_at"], if_not_exists=True)
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("next_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="audit_head_pkey"),
        if_not_exists=True,
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=256), nullable=False),
        sa.Column("account", sa.String(length=512), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("approver", sa.String(length=256), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("rollback", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="audit_log_pkey"),
        if_not_exists=True,
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], if_not_exists=True)
    op.create_table(
        "channel_references",
        sa.Column("conversation_key", sa.String(length=300), nullable=False),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("conversation_key", name="channel_references_pkey"),
        if_not_exists=True,
    )
    op.create_table(
        "contacts",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("conversation_key", sa.String(length=300), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=256), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email", name="contacts_pkey"),
        if_not_exists=True,
    )
    op.create_table(
        "conversations",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=256), nullable=False),
        sa.Column("owner_id", sa.String(length=256), nullable=False),
        sa.Column("flow", sa.String(length=64), nullable=True),
        sa.Column("flow_data", sa.JSON(), nullable=False),
        sa.Column("open_handoff", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="conversations_pkey"),
        if_not_exists=True,
    )
    op.create_table(
        "email_codes",
        sa.Column("person", sa.String(length=320), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts_left", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("person", name="email_codes_pkey"),
        if_not_exists=True,
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.String(length=256), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.String(length=320), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=320), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="incidents_pkey"),
        if_not_exists=True,
    )
    op.create_index("ix_incidents_status", "incidents", ["status"], if_not_exists=True)
    op.create_table(
        "schema_info",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="schema_info_pkey"),
        if_not_exists=True,
    )
    op.create_table(
        "self_service_lockouts",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("email", name="self_service_lockouts_pkey"),
        if_not_exists=True,
    )
    op.create_table(
        "totp_enrolments",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email", name="totp_enrolments_pkey"),
        if_not_exists=True,
    )
    op.create_table(
        "handoffs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("conversation_key", sa.String(length=300), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("packet", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requester", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("priority", sa.String(length=8), nullable=True),
        sa.Column("group_name", sa.String(length=64), nullable=True),
        sa.Column("assignee", sa.String(length=320), nullable=True),
        sa.Column("assignee_name", sa.String(length=256), nullable=True),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("external", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["conversation_key"], ["conversations.key"], name="handoffs_conversation_key_fkey"),
        sa.PrimaryKeyConstraint("id", name="handoffs_pkey"),
        if_not_exists=True,
    )
    op.create_index("ix_handoffs_conversation_key", "handoffs", ["conversation_key"], if_not_exists=True)
    op.create_index("ix_handoffs_group_name", "handoffs", ["group_name"], if_not_exists=True)
    op.create_table(
        "problem_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("person", sa.String(length=320), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=256), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("incident", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["incident"], ["incidents.id"], name="problem_reports_incident_fkey"),
        sa.PrimaryKeyConstraint("id", name="problem_reports_pkey"),
        if_not_exists=True,
    )
    op.create_index("ix_problem_reports_at", "problem_reports", ["at"], if_not_exists=True)
    op.create_index("ix_problem_reports_incident", "problem_reports", ["incident"], if_not_exists=True)
    op.create_table(
        "turns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_key", sa.String(length=300), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reply", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_key"], ["conversations.key"], name="turns_conversation_key_fkey"),
        sa.PrimaryKeyConstraint("id", name="turns_pkey"),
        if_not_exists=True,
    )
    op.create_index("ix_turns_conversation_key", "turns", ["conversation_key"], if_not_exists=True)
    op.create_table(
        "article_drafts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("ticket", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("article_path", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["ticket"], ["handoffs.id"], name="article_drafts_ticket_fkey"),
        sa.PrimaryKeyConstraint("id", name="article_drafts_pkey"),
        sa.UniqueConstraint("ticket", name="article_drafts_ticket_key"),
        if_not_exists=True,
    )
    op.create_table(
        "feedback",
        sa.Column("turn_id", sa.Integer(), nullable=False),
        sa.Column("conversation_key", sa.String(length=300), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_key"], ["conversations.key"], name="feedback_conversation_key_fkey"),
        sa.ForeignKeyConstraint(["turn_id"], ["turns.id"], name="feedback_turn_id_fkey"),
        sa.PrimaryKeyConstraint("turn_id", name="feedback_pkey"),
        if_not_exists=True,
    )
    op.create_index("ix_feedback_conversation_key", "feedback", ["conversation_key"], if_not_exists=True)
    op.create_table(
        "itsm_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket", sa.String(length=32), nullable=False),
        sa.Column("system", sa.String(length=32), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["ticket"], ["handoffs.id"], name="itsm_outbox_ticket_fkey"),
        sa.PrimaryKeyConstraint("id", name="itsm_outbox_pkey"),
        if_not_exists=True,
    )
    op.create_index("ix_itsm_outbox_next_attempt_at", "itsm_outbox", ["next_attempt_at"], if_not_exists=True)
    op.create_index("ix_itsm_outbox_ticket", "itsm_outbox", ["ticket"], if_not_exists=True)
    op.create_table(
        "ticket_cards",
        sa.Column("address", sa.String(length=400), nullable=False),
        sa.Column("ticket", sa.String(length=32), nullable=False),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["ticket"], ["handoffs.id"], name="ticket_cards_ticket_fkey"),
        sa.PrimaryKeyConstraint("address", name="ticket_cards_pkey"),
        if_not_exists=True,
    )
    op.create_index("ix_ticket_cards_ticket", "ticket_cards", ["ticket"], if_not_exists=True)
    op.create_table(
        "ticket_events",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("actor_name", sa.String(length=256), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["ticket"], ["handoffs.id"], name="ticket_events_ticket_fkey"),
        sa.PrimaryKeyConstraint("seq", name="ticket_events_pkey"),
        if_not_exists=True,
    )
    op.create_index("ix_ticket_events_ticket", "ticket_events", ["ticket"], if_not_exists=True)
    op.create_table(
        "ticket_notices",
        sa.Column("ticket", sa.String(length=32), nullable=False),
        sa.Column("notice", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket"], ["handoffs.id"], name="ticket_notices_ticket_fkey"),
        sa.PrimaryKeyConstraint("ticket", "notice", name="ticket_notices_pkey"),
        if_not_exists=True,
    )
    # The releases before the migrations read this row and refuse a higher version; this schema is their version 8.
    op.execute(sa.text("DELETE FROM schema_info"))
    schema_info = sa.table("schema_info", sa.column("id", sa.Integer), sa.column("version", sa.Integer))
    op.bulk_insert(schema_info, [{"id": 1, "version": LEGACY_VERSION}])


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone: restore a backup of the database instead")
