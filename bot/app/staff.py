"""The staff side: queue, ticket operations, ticket cards, SLA watcher, ITSM outbox and article drafts."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.language_models.chat_models import BaseChatModel

from bot.audit import AuditLog
from bot.core.clock import SystemClock
from bot.core.ports import Clock, ConversationStore, Directory, ItsmSystem, Notifier, Summarizer, TurnOrder
from bot.handoff.drafts import ArticleDrafts
from bot.handoff.itsm.jira import JiraServiceDesk
from bot.handoff.itsm.outbox import ItsmOutbox
from bot.handoff.itsm.servicenow import ServiceNowIncidents
from bot.handoff.members import StaffMembership
from bot.handoff.operations import TicketOperations
from bot.handoff.queue import StaffQueue
from bot.handoff.requesters import RequesterLookup
from bot.handoff.routing import StaffConfig
from bot.handoff.sla import SlaWatcher
from bot.handoff.store import SqlTickets
from bot.handoff.summary import ExtractiveSummarizer, LlmSummarizer
from bot.handoff.ticket_cards import TicketCards
from bot.incidents.store import SqlIncidents
from bot.settings import ItsmSettings, JiraSettings, ServiceNowSettings, Settings
from bot.store.sql.database import Database
from bot.triage.triager import Triager


@dataclass(frozen=True, kw_only=True)
class StaffServices:
    config: StaffConfig
    tickets: SqlTickets
    cards: TicketCards
    membership: StaffMembership
    queue: StaffQueue
    operations: TicketOperations
    sla: SlaWatcher
    outbox: ItsmOutbox | None
    itsm: list[ItsmSystem]
    drafts: ArticleDrafts

    async def close(self) -> None:
        await self.cards.close()
        for system in self.itsm:
            await system.close()


def build_staff_services(
    settings: Settings,
    *,
    config: StaffConfig,
    database: Database,
    directory: Directory | None,
    store: ConversationStore,
    notifier: Notifier,
    audit: AuditLog,
    chat_model: BaseChatModel | None,
    triager: Triager,
    incidents: SqlIncidents | None = None,
    turn_order: TurnOrder | None = None,
    clock: Clock = SystemClock(),
) -> StaffServices:
    """`config`: the loaded staff.yml (HELPDESK_STAFF_CONFIG); `turn_order`: orders each ticket's card updates
    across replicas."""
    tickets = SqlTickets(database=database)
    cards = TicketCards(config=config, turn_order=turn_order, current=tickets.get)
    itsm = build_itsm(settings.itsm_settings, timeout_seconds=settings.itsm_timeout_seconds)
    outbox = ItsmOutbox(database, itsm, clock=clock) if itsm else None
    drafts = ArticleDrafts(database, articles_dir=settings.articles_dir)
    summarizer: Summarizer = (
        ExtractiveSummarizer()
        if chat_model is None
        else LlmSummarizer(model=chat_model, timeout_seconds=settings.llm.timeout_seconds)
    )
    membership = StaffMembership(config=config, directory=directory)
    queue = StaffQueue(
        tickets=tickets,
        config=config,
        requesters=RequesterLookup(directory=directory),
        summarizer=summarizer,
        triager=triager,
        incidents=incidents,
        cards=cards,
        outbox=outbox,
        audit=audit,
    )
    operations = TicketOperations(
        tickets=tickets,
        config=config,
        membership=membership,
        notifier=notifier,
        store=store,
        cards=cards,
        outbox=outbox,
        drafts=drafts,
    )
    sla = SlaWatcher(tickets=tickets, config=config, cards=cards, notifier=notifier, clock=clock)
    return StaffServices(
        config=config,
        tickets=tickets,
        cards=cards,
        membership=membership,
        queue=queue,
        operations=operations,
        sla=sla,
        outbox=outbox,
        itsm=itsm,
        drafts=drafts,
    )


def build_itsm(settings: ItsmSettings | None, *, timeout_seconds: float) -> list[ItsmSystem]:
    """The chosen ITSM tool's client (none for HELPDESK_ITSM=none); the caller closes them."""
    if isinstance(settings, ServiceNowSettings):
        return [
            ServiceNowIncidents(
                instance_url=settings.url,
                user=settings.user,
                password=settings.password.get_secret_value(),
                timeout_seconds=timeout_seconds,
            )
        ]
    if isinstance(settings, JiraSettings):
        return [
            JiraServiceDesk(
                site_url=settings.url,
                email=settings.email,
                api_token=settings.api_token.get_secret_value(),
                service_desk_id=settings.service_desk_id,
                request_type_id=settings.request_type_id,
                timeout_seconds=timeout_seconds,
            )
        ]
    return []
