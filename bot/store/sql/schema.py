"""Durable tables (SQLAlchemy Core): conversations, transcripts, feedback, hand-off tickets and the audit log."""

from __future__ import annotations

import sqlalchemy as sa

# The schema version the releases before the Alembic migrations kept in `schema_info` (2: answer feedback;
# 3: channel references; 4: references without a conversation row; 5: the audit log, TOTP enrolments and e-mailed
# codes; 6: approvals, self-service lockouts, contacts; 7: the staff queue; 8: incidents and problem reports).
# Frozen: schema changes are Alembic revisions now (see bot/store/sql/legacy_upgrade.py for the older databases).
SCHEMA_VERSION = 8

# Migrations live in bot/store/sql/migrations (Alembic): a change here needs a new revision there, and
# tests/unit/store/test_migrations.py fails until the revisions produce exactly these tables.
#
# Constraint and index names follow one convention so SQLite and PostgreSQL databases carry the same names (which
# later migrations refer to). They are the names PostgreSQL itself gives unnamed constraints, so a PostgreSQL
# database created before the migrations (by `create_all`) already has them; "ix_" is SQLAlchemy's own default.
NAMING_CONVENTION = {
    "pk": "%(table_name)s_pkey",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "uq": "%(table_name)s_%(column_0_name)s_key",
    "ix": "ix_%(column_0_label)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

schema_info = sa.Table(
    "schema_info",
    metadata,
    # Read by the releases before the migrations, which refuse a version above their own: the baseline revision
    # writes SCHEMA_VERSION (its schema is exactly version 8); a revision that changes the schema writes 9.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
)

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("external_id", sa.String(256), nullable=False),
    sa.Column("owner_id", sa.String(256), nullable=False),
    sa.Column("flow", sa.String(64), nullable=True),
    sa.Column("flow_data", sa.JSON, nullable=False, default=dict),
    sa.Column("open_handoff", sa.String(32), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("language", sa.String(8), nullable=True),  # of the bot's messages; NULL (older rows): English
)

turns = sa.Table(
    "turns",
    metadata,
    # The autoincrement id doubles as the polling cursor ("events?after=N"): monotonic across replicas.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_key", sa.String(300), sa.ForeignKey("conversations.key"), nullable=False, index=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("user_id", sa.String(256), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("reply", sa.JSON, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

feedback = sa.Table(
    "feedback",
    metadata,
    # One rating per answer: a second click replaces the first.
    sa.Column("turn_id", sa.Integer, sa.ForeignKey("turns.id"), primary_key=True),
    sa.Column("conversation_key", sa.String(300), sa.ForeignKey("conversations.key"), nullable=False, index=True),
    sa.Column("user_id", sa.String(256), nullable=False),
    sa.Column("helpful", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

channel_references = sa.Table(
    "channel_references",
    metadata,
    # What a channel needs to write into a conversation later (Teams: the Bot Framework ConversationReference).
    # No foreign key: a reference is stored when the app is installed, before anyone has said anything.
    sa.Column("conversation_key", sa.String(300), primary_key=True),
    sa.Column("reference", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

handoffs = sa.Table(
    "handoffs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("conversation_key", sa.String(300), sa.ForeignKey("conversations.key"), nullable=False, index=True),
    sa.Column("user_id", sa.String(256), nullable=False),
    sa.Column("packet", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default="open"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # Since 7 (bot/store/sql/legacy_upgrade.py adds them to older databases; older tickets keep them empty).
    sa.Column("requester", sa.JSON, nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("summary", sa.Text, nullable=True),
    sa.Column("category", sa.String(64), nullable=True),
    sa.Column("priority", sa.String(8), nullable=True),
    sa.Column("group_name", sa.String(64), nullable=True, index=True),
    sa.Column("assignee", sa.String(320), nullable=True),
    sa.Column("assignee_name", sa.String(256), nullable=True),
    sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("resolution", sa.Text, nullable=True),
    sa.Column("rating", sa.Integer, nullable=True),
    sa.Column("external", sa.JSON, nullable=True),  # ITSM system → its id for this ticket
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
)

ticket_events = sa.Table(
    "ticket_events",
    metadata,
    # Every state change and message of a ticket, in order: the complete history (who, when, what).
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket", sa.String(32), sa.ForeignKey("handoffs.id"), nullable=False, index=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(320), nullable=False),
    sa.Column("actor_name", sa.String(256), nullable=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("internal", sa.Boolean, nullable=False),
)

ticket_cards = sa.Table(
    "ticket_cards",
    metadata,
    # Where a ticket's card was posted for staff (a Slack message, a Teams channel thread): replies in that
    # thread are the staff's messages for the ticket. `address` is the channel's own name for the thread.
    sa.Column("address", sa.String(400), primary_key=True),
    sa.Column("ticket", sa.String(32), sa.ForeignKey("handoffs.id"), nullable=False, index=True),
    sa.Column("surface", sa.String(16), nullable=False),
    sa.Column("meta", sa.JSON, nullable=False),
)

ticket_notices = sa.Table(
    "ticket_notices",
    metadata,
    # SLA reminders and escalations already sent: the primary key makes "send once" hold across replicas
    # and restarts (the first INSERT wins).
    sa.Column("ticket", sa.String(32), sa.ForeignKey("handoffs.id"), primary_key=True),
    sa.Column("notice", sa.String(32), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

itsm_outbox = sa.Table(
    "itsm_outbox",
    metadata,
    # Changes waiting to be mirrored into ServiceNow / Jira, retried with backoff until they go through.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket", sa.String(32), sa.ForeignKey("handoffs.id"), nullable=False, index=True),
    sa.Column("system", sa.String(32), nullable=False),
    sa.Column("operation", sa.String(32), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
)

article_drafts = sa.Table(
    "article_drafts",
    metadata,
    # Suggested knowledge articles from resolved tickets, for editors to accept or reject (`kb drafts`).
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("ticket", sa.String(32), sa.ForeignKey("handoffs.id"), nullable=False, unique=True),
    sa.Column("title", sa.String(256), nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("resolution", sa.Text, nullable=False),
    sa.Column("category", sa.String(64), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),  # pending, accepted, rejected
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decided_by", sa.String(320), nullable=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("article_path", sa.Text, nullable=True),
)

incidents = sa.Table(
    "incidents",
    metadata,
    # Suspected (a surge of similar reports), confirmed (by staff, or by the number of reporters), resolved.
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    # The first report's words, for staff only: other reporters never see what someone else wrote.
    sa.Column("summary", sa.String(256), nullable=False),
    sa.Column("title", sa.String(256), nullable=True),  # what staff call it when they confirm it (told to people)
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("confirmed_by", sa.String(320), nullable=True),
    sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("resolved_by", sa.String(320), nullable=True),
    sa.Column("resolution", sa.Text, nullable=True),
)

problem_reports = sa.Table(
    "problem_reports",
    metadata,
    # What people reported, kept for the surge window (and for as long as their incident is open): the
    # embedding compares reports; the conversation is where "known issue" and "fixed" are told.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("person", sa.String(320), nullable=False),
    sa.Column("user_id", sa.String(256), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("conversation_id", sa.String(256), nullable=False),
    sa.Column("text", sa.String(500), nullable=False),
    sa.Column("vector", sa.LargeBinary, nullable=False),  # float32, little-endian
    sa.Column("incident", sa.String(32), sa.ForeignKey("incidents.id"), nullable=True, index=True),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    # Append-only: each record's hash covers its fields and the previous record's hash (bot/audit.py).
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("actor", sa.String(256), nullable=False),
    sa.Column("account", sa.String(512), nullable=True),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("approver", sa.String(256), nullable=True),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("rollback", sa.Text, nullable=True),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

audit_head = sa.Table(
    "audit_head",
    metadata,
    # One row: the next sequence number and the newest hash. Appends update it first, which serialises
    # concurrent writers (a row lock in PostgreSQL, the write lock in SQLite) and makes a deleted tail visible.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("next_seq", sa.Integer, nullable=False),
    sa.Column("last_hash", sa.String(64), nullable=False),
)

totp_enrolments = sa.Table(
    "totp_enrolments",
    metadata,
    sa.Column("email", sa.String(320), primary_key=True),  # lower-cased
    sa.Column("secret", sa.Text, nullable=False),  # encrypted with HELPDESK_SECRET_KEY, never in clear
    sa.Column("last_step", sa.BigInteger, nullable=True),  # the newest accepted code's time step: no replays
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

email_codes = sa.Table(
    "email_codes",
    metadata,
    # The one outstanding e-mailed code per person, as a keyed hash only (bot/identity/email_codes.py).
    sa.Column("person", sa.String(320), primary_key=True),
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("attempts_left", sa.Integer, nullable=False),
)

approvals = sa.Table(
    "approvals",
    metadata,
    # An access or software request waiting for (or decided by) its approver. No secrets: ids and names only.
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("item_id", sa.String(128), nullable=False),
    sa.Column("requester_email", sa.String(320), nullable=False),
    sa.Column("requester_account", sa.String(512), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),  # the requester's conversation: where they hear the outcome
    sa.Column("conversation_id", sa.String(256), nullable=False),
    sa.Column("requester_user_id", sa.String(256), nullable=False),  # their id there, to answer privately
    sa.Column("approver_email", sa.String(320), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending, approved, denied, expired, failed
    sa.Column("decided_by", sa.String(320), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
)

self_service_lockouts = sa.Table(
    "self_service_lockouts",
    metadata,
    # A person whose second factor failed too often may not use self-service until `until`.
    sa.Column("email", sa.String(320), primary_key=True),  # lower-cased
    sa.Column("until", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)

contacts = sa.Table(
    "contacts",
    metadata,
    # The newest conversation each person (by e-mail) has with the bot: where approvals reach them.
    sa.Column("email", sa.String(320), primary_key=True),  # lower-cased
    sa.Column("conversation_key", sa.String(300), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("external_id", sa.String(256), nullable=False),
    sa.Column("user_id", sa.String(256), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
