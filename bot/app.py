"""Composition root: builds every service from Settings by explicit constructor injection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import structlog
from aiohttp import web
from microsoft_agents.hosting.core.authorization import Connections
from pydantic import SecretStr

from bot.actions.setup import SelfService, build_self_service
from bot.audit import AuditLog
from bot.channels.runtime.notify import ConversationNotifier
from bot.channels.slack.channel import SlackChannel
from bot.channels.slack.staff import SlackTicketCards
from bot.channels.teams.auth import auth_configuration
from bot.channels.teams.channel import TeamsChannel
from bot.channels.teams.people import TeamsPeople
from bot.channels.teams.staff import TeamsStaffConsole, TeamsTicketCards
from bot.channels.web.channel import HealthProbes, WebChannel, correlation_and_errors, register_shared_assets
from bot.channels.web.identity import WebIdentity
from bot.core.engine import ConversationSide, Engine, OptionalServices
from bot.core.intents import DEFAULT_EXAMPLES_PATH, IntentExamples, NearestExampleIntentDetector
from bot.core.policy import AnswerPolicy
from bot.core.ports import Directory, SharedState, TurnOrder
from bot.handoff.routing import StaffConfig
from bot.handoff.setup import StaffServices, build_staff_services
from bot.identity.providers import build_directory
from bot.incidents.store import SqlIncidents
from bot.incidents.tracker import IncidentTracker
from bot.kb.embedder import EncoderEmbedder
from bot.kb.service import KnowledgeService
from bot.settings import Settings
from bot.staff_api.console import StaffApi, StaffAuth, staff_errors
from bot.staff_api.incidents import IncidentRoutes
from bot.store.shared.memory import InProcessSharedState
from bot.store.shared.redis_state import RedisSharedState
from bot.store.shared.redis_turn_order import RedisTurnOrder
from bot.store.shared.redis_wakeups import RedisWakeups
from bot.store.shared.turn_order import InProcessTurnOrder
from bot.store.shared.wakeups import LocalWakeups, Wakeups
from bot.store.sql.contacts import SqlContacts
from bot.store.sql.conversations import SqlConversationStore
from bot.store.sql.database import Database
from bot.store.sql.references import SqlChannelReferences
from bot.triage.setup import build_triager
from knowledge.confidence import ConfidenceModel
from knowledge.embeddings import Encoder, MiniLMEncoder
from knowledge.generate import GroundedAnswerer
from knowledge.index import KnowledgeIndex
from knowledge.llm import build_chat_model
from knowledge.retrieval import HybridRetriever

log = structlog.get_logger(__name__)

APPROVAL_SWEEP_SECONDS = 60.0  # how often overdue approvals are expired (and their requesters told)
OUTBOX_SECONDS = 5.0  # how often changes waiting for ServiceNow / Jira are retried
REPORT_SWEEP_SECONDS = 300.0  # how often problem reports that left the surge window are dropped


@dataclass(frozen=True, kw_only=True)
class Services:
    """Everything a channel needs, built once per process."""

    settings: Settings
    database: Database
    store: SqlConversationStore
    staff: StaffServices
    references: SqlChannelReferences
    index: KnowledgeIndex
    knowledge: KnowledgeService
    intents: NearestExampleIntentDetector
    engine: Engine
    shared_state: SharedState
    wakeups: Wakeups
    audit: AuditLog
    notifier: ConversationNotifier
    directory: Directory | None
    self_service: SelfService
    incidents: IncidentTracker

    async def close(self) -> None:
        await self.staff.close()
        for shared in (self.wakeups, self.shared_state):  # Redis holds a subscription and a connection pool
            closer = getattr(shared, "close", None)
            if closer is not None:
                await closer()
        closer = getattr(self.directory, "close", None)  # the HTTP providers hold a session; LDAP does not
        if closer is not None:
            await closer()
        await self.database.close()


async def load_encoder() -> Encoder:
    """Load the offline sentence-embedding model (a few seconds, so off the event loop)."""
    return await asyncio.to_thread(MiniLMEncoder)


async def build_services(settings: Settings, *, encoder: Encoder | None = None) -> Services:
    """Connect the database, open the knowledge index and wire the engine.

    Args:
        settings: validated configuration.
        encoder: an already-loaded encoder to share (tests and benchmarks load it once).
    """
    database = Database(url=settings.resolved_database_url)
    await database.migrate()
    shared_state, turn_order, wakeups = _shared_state(settings)
    store = SqlConversationStore(database=database, wakeups=wakeups)

    encoder = encoder or await load_encoder()
    index = await asyncio.to_thread(KnowledgeIndex.open, directory=settings.index_dir, encoder=encoder,
                                    chroma_url=settings.chroma_url, timeout_seconds=settings.chroma_timeout_seconds)
    if index.is_empty:
        log.warning("knowledge_index_empty", hint="run `helpdesk-bot kb sync`", directory=str(settings.index_dir))
    confidence = ConfidenceModel.load()
    generator, chat_model = None, None
    if settings.llm:
        chat_model = build_chat_model(
            spec=settings.llm, base_url=settings.llm_base_url,
            api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
            api_version=settings.llm_api_version, timeout_seconds=settings.llm_timeout_seconds,
        )
        generator = GroundedAnswerer(model=chat_model, timeout_seconds=settings.llm_timeout_seconds)
    knowledge = KnowledgeService(index=index, retriever=HybridRetriever(index=index, encoder=encoder),
                                 confidence=confidence, generator=generator)

    examples = IntentExamples.load(settings.intent_examples or DEFAULT_EXAMPLES_PATH)
    intents = NearestExampleIntentDetector(embedder=EncoderEmbedder(encoder=encoder), examples=examples,
                                           threshold=settings.intent_threshold)
    await intents.warm_up()

    policy = AnswerPolicy(
        answer_threshold=_first(settings.answer_threshold, confidence.answer_threshold),
        clarify_threshold=_first(settings.clarify_threshold, confidence.clarify_threshold),
    )
    audit = AuditLog(database=database)
    contacts = SqlContacts(database=database)
    notifier = ConversationNotifier(store=store, contacts=contacts)
    directory = build_directory(settings)
    staff_config = StaffConfig.load(settings.staff_config)
    triager = await asyncio.to_thread(build_triager, settings, encoder=encoder, staff=staff_config)
    incident_store = SqlIncidents(database)
    staff = build_staff_services(settings, config=staff_config, database=database, directory=directory, store=store,
                             notifier=notifier, audit=audit, chat_model=chat_model, triager=triager,
                             incidents=incident_store, serial=turn_order)
    incidents = IncidentTracker(incidents=incident_store, embedder=EncoderEmbedder(encoder=encoder),
                             config=triager.config.surge, notifier=notifier, alert=staff.boards.announce,
                             serial=turn_order)
    self_service = build_self_service(settings, directory=directory, database=database, audit=audit, store=store,
                                      handoffs=staff.queue, shared_state=shared_state, notifier=notifier)
    engine = Engine(
        conversation=ConversationSide(store=store, intents=intents, knowledge=knowledge, handoffs=staff.queue,
                                      policy=policy, max_message_chars=settings.max_message_chars),
        services=OptionalServices(self_service=self_service.desk, contacts=contacts, relay=staff.desk,
                                  incidents=incidents, turn_order=turn_order))
    log.info("services_ready", chunks=index.chunk_count, llm=settings.llm or "none",
             answer_threshold=policy.answer_threshold, clarify_threshold=policy.clarify_threshold,
             intent_threshold=intents.threshold, directory=settings.directory)
    return Services(settings=settings, database=database, store=store, staff=staff,
                    references=SqlChannelReferences(database=database), index=index,
                    knowledge=knowledge, intents=intents, engine=engine, shared_state=shared_state, wakeups=wakeups,
                    audit=audit,
                    notifier=notifier, directory=directory, self_service=self_service,
                    incidents=incidents)


def _shared_state(settings: Settings) -> tuple[SharedState, TurnOrder, Wakeups]:
    """Redis when configured (required for several replicas), else this process's memory."""
    if settings.redis_url is None:
        return InProcessSharedState(), InProcessTurnOrder(), LocalWakeups()
    redis = RedisSharedState(settings.redis_url.get_secret_value())
    wakeups = RedisWakeups(redis)
    wakeups.start()
    return redis, RedisTurnOrder(redis), wakeups


def _first(override: float | None, default: float) -> float:
    return default if override is None else override


def create_web_app(services: Services, *, teams_connections: Connections | None = None) -> web.Application:
    """The aiohttp application: web chat (unless turned off), probes, and Slack and Teams when configured.

    Args:
        teams_connections: where the Teams channel gets its outgoing tokens; MSAL with TEAMS_APP_ID and
            TEAMS_APP_PASSWORD by default.
    """
    settings = services.settings
    app = web.Application(client_max_size=settings.max_body_bytes,
                          middlewares=[correlation_and_errors, staff_errors])
    HealthProbes(store=services.store, knowledge=services.knowledge).register(app)
    register_shared_assets(app)
    identity = None
    if settings.web_auth != "off":
        identity = WebIdentity(
            mode=settings.web_auth, proxy_secret=_secret(settings.web_proxy_secret),
            secret_header=settings.web_proxy_secret_header, user_header=settings.web_user_header,
            email_header=settings.web_email_header, name_header=settings.web_name_header,
        )
        WebChannel(engine=services.engine, store=services.store, identity=identity,
                   wakeups=services.wakeups).register(app)
    staff_auth = StaffAuth(token=_secret(settings.staff_token), token_name=settings.staff_token_name,
                           identity=identity)
    StaffApi(desk=services.staff.desk, auth=staff_auth).register(app)
    IncidentRoutes(incidents=services.incidents, auth=staff_auth, membership=services.staff.membership,
                   group=services.staff.config.group(services.staff.config.default_group)).register(app)
    if settings.slack_mode != "off":
        slack = _slack_channel(services)
        slack.register(app)
        services.notifier.register("slack", slack.send_proactive)
        services.staff.boards.register(SlackTicketCards(client=slack.client, tickets=services.staff.tickets))
    if settings.teams_mode != "off":
        teams_staff = TeamsStaffConsole(desk=services.staff.desk, tickets=services.staff.tickets,
                                        people=TeamsPeople(ttl_seconds=settings.teams_member_cache_seconds))
        teams = _teams_channel(services, connections=teams_connections, staff=teams_staff)
        teams.register(app)
        services.notifier.register("teams", lambda conversation, _user, reply: teams.send_proactive(conversation,
                                                                                                    reply))
        services.staff.boards.register(TeamsTicketCards(proactive=teams.continue_with, references=services.references,
                                                       tickets=services.staff.tickets))
    app.cleanup_ctx.append(_every(APPROVAL_SWEEP_SECONDS, "approvals_expired",
                                  services.self_service.approvals.expire_overdue))
    app.cleanup_ctx.append(_every(settings.sla_check_seconds, "sla_notices_sent", services.staff.sla.check))
    app.cleanup_ctx.append(_every(REPORT_SWEEP_SECONDS, "problem_reports_forgotten",
                                  services.incidents.forget_old_reports))
    if services.staff.outbox is not None:
        app.cleanup_ctx.append(_every(OUTBOX_SECONDS, "itsm_changes_mirrored", services.staff.outbox.run_due))
    if settings.chroma_url:  # the indexing job syncs the server from elsewhere; replicas pick its work up
        app.cleanup_ctx.append(_every(settings.chroma_refresh_seconds, "knowledge_index_refreshed",
                                      services.knowledge.refresh))
    return app


def _every(seconds: float, event: str, work: Callable[[], Awaitable[int]]
           ) -> Callable[[web.Application], AsyncIterator[None]]:
    """While the app runs: call `work` every `seconds` (e.g. expire overdue approvals, check SLA timers)."""

    async def context(_app: web.Application) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                await asyncio.sleep(seconds)
                try:
                    count = await work()
                    if count:
                        log.info(event, count=count)
                except Exception:  # a failed round (database blip) must not stop the next one
                    log.exception("periodic_task_failed", task=event)

        task = asyncio.create_task(loop())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context


def _teams_channel(services: Services, *, connections: Connections | None,
                   staff: TeamsStaffConsole) -> TeamsChannel:
    settings = services.settings
    if settings.teams_mode == "anonymous":
        log.warning("teams_unauthenticated", hint="HELPDESK_ENV=dev without TEAMS_APP_ID: /api/messages accepts "
                    "unauthenticated requests; never expose this to a network")
    configuration = auth_configuration(app_id=settings.teams_app_id,
                                       app_password=_secret(settings.teams_app_password),
                                       tenant_id=settings.teams_tenant_id,
                                       certificate=settings.teams_app_certificate)
    return TeamsChannel(engine=services.engine, store=services.store, references=services.references,
                        shared_state=services.shared_state, configuration=configuration, connections=connections,
                        allowed_tenants=settings.allowed_tenants,
                        member_cache_seconds=settings.teams_member_cache_seconds, staff=staff)


def _slack_channel(services: Services) -> SlackChannel:
    settings = services.settings
    assert settings.slack_bot_token is not None
    return SlackChannel(
        engine=services.engine, store=services.store, shared_state=services.shared_state,
        bot_token=settings.slack_bot_token.get_secret_value(),
        signing_secret=_secret(settings.slack_signing_secret), app_token=_secret(settings.slack_app_token),
        api_url=settings.slack_api_url, user_cache_seconds=settings.slack_user_cache_seconds,
        progress_reaction=settings.slack_progress_reaction, staff=services.staff,
    )


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None
