"""Builds the staff side from Settings: queue, desk, boards, SLA watcher, ITSM outbox and article drafts."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.language_models.chat_models import BaseChatModel

from bot.audit import AuditLog
from bot.core.ports import ConversationStore, Directory, ItsmSystem, Notifier, Summarizer, TurnOrder
from bot.handoff.drafts import ArticleDrafts
from bot.handoff.itsm.outbox import ItsmOutbox
from bot.handoff.itsm.setup import build_itsm
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
from bot.settings import Settings
from bot.store.sql.database import Database
from bot.triage.triager import Triager


@dataclass(frozen=True, kw_only=True)
class StaffServices:
    config: StaffConfig
    tickets: SqlTickets
    boards: TicketCards
    membership: StaffMembership
    queue: StaffQueue
    desk: TicketOperations
    sla: SlaWatcher
    outbox: ItsmOutbox | None
    itsm: list[ItsmSystem]
    drafts: ArticleDrafts

    async def close(self) -> None:
        await self.boards.close()
        for system in self.itsm:
            await system.close()


def build_staff_services(settings: Settings, *, config: StaffConfig, database: Database, directory: Directory | None,
                     store: ConversationStore, notifier: Notifier, audit: AuditLog,
                     chat_model: BaseChatModel | None, triager: Triager,
                     incidents: SqlIncidents | None = None, serial: TurnOrder | None = None) -> StaffServices:
    """`config`: the loaded staff.yml (HELPDESK_STAFF_CONFIG); `serial`: orders each ticket's card updates across
    replicas."""
    tickets = SqlTickets(database=database)
    boards = TicketCards(config=config, turn_order=serial, current=tickets.get)
    itsm = build_itsm(settings)
    outbox = ItsmOutbox(database, itsm) if itsm else None
    drafts = ArticleDrafts(database, articles_dir=settings.articles_dir)
    summarizer: Summarizer = (ExtractiveSummarizer() if chat_model is None else
                              LlmSummarizer(model=chat_model, timeout_seconds=settings.llm_timeout_seconds))
    membership = StaffMembership(config=config, directory=directory)
    queue = StaffQueue(tickets=tickets, config=config, requesters=RequesterLookup(directory=directory),
                       summarizer=summarizer, triager=triager, incidents=incidents, cards=boards,
                       outbox=outbox, audit=audit)
    desk = TicketOperations(tickets=tickets, config=config, membership=membership, notifier=notifier, store=store,
                     cards=boards, outbox=outbox, drafts=drafts)
    sla = SlaWatcher(tickets=tickets, config=config, cards=boards, notifier=notifier)
    return StaffServices(config=config, tickets=tickets, boards=boards, membership=membership, queue=queue,
                     desk=desk, sla=sla, outbox=outbox, itsm=itsm, drafts=drafts)
