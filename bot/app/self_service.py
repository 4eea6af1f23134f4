"""The self-service actions and their approvals, with whatever second factors the settings allow."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from bot.actions.approval_workflow import ApprovalWorkflow
from bot.actions.approvals import SqlApprovals
from bot.actions.catalog import Catalog
from bot.actions.guards import Guards
from bot.actions.policy import ActionPolicy
from bot.actions.self_service import SelfServiceActions
from bot.actions.verification import SecondFactor
from bot.audit import AuditLog
from bot.core.clock import SystemClock
from bot.core.ports import Clock, ConversationStore, Directory, HandoffQueue, Notifier, SharedState
from bot.identity.email_codes import EmailCodes, SmtpServer
from bot.identity.secrets import SecretBox
from bot.identity.totp import TotpEnrolments
from bot.settings import Settings
from bot.store.sql.database import Database

log = structlog.get_logger(__name__)


@dataclass(frozen=True, kw_only=True)
class SelfServiceServices:
    actions: SelfServiceActions
    approvals: ApprovalWorkflow


def build_self_service(
    settings: Settings,
    *,
    directory: Directory | None,
    database: Database,
    audit: AuditLog,
    store: ConversationStore,
    handoffs: HandoffQueue,
    shared_state: SharedState,
    notifier: Notifier,
    clock: Clock = SystemClock(),
) -> SelfServiceServices:
    """The self-service actions and their approvals, with whatever second factors the settings allow (on `clock`'s
    time).

    Raises:
        PolicyError: the action policy or the catalog file is invalid.
    """
    policy = ActionPolicy.load(settings.action_policy)
    catalog = Catalog.load(settings.catalog)
    totp, email_codes = None, None
    if settings.secret_key is not None:
        box = SecretBox(key=settings.secret_key.get_secret_value())
        totp = TotpEnrolments(database=database, box=box, clock=clock)
        smtp = settings.smtp
        if smtp.host:
            email_codes = EmailCodes(
                database=database,
                key=box.derived_key("email-codes"),
                clock=clock,
                smtp=SmtpServer(
                    host=smtp.host,
                    port=smtp.port,
                    sender=smtp.sender,
                    username=smtp.username,
                    password=smtp.password.get_secret_value() if smtp.password else None,
                    starttls=smtp.starttls,
                ),
            )
    elif directory is not None:
        log.warning(
            "no_second_factor",
            hint="HELPDESK_SECRET_KEY is not set: actions that need a second factor "
            "(password reset, MFA reset) go to IT staff",
        )
    approvals = ApprovalWorkflow(
        directory=directory,
        approvals=SqlApprovals(database=database, clock=clock),
        catalog=catalog,
        policy=policy,
        audit=audit,
        notifier=notifier,
        store=store,
        handoffs=handoffs,
        clock=clock,
    )
    actions = SelfServiceActions(
        directory=directory,
        policy=policy,
        catalog=catalog,
        guards=Guards(database=database, audit=audit, shared_state=shared_state, policy=policy, clock=clock),
        second_factor=SecondFactor(totp=totp, email_codes=email_codes, attempts=policy.code_attempts),
        audit=audit,
        approvals=approvals,
        shared_state=shared_state,
        clock=clock,
    )
    return SelfServiceServices(actions=actions, approvals=approvals)
