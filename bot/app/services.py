"""build_services: the database, shared state, knowledge, intents, staff side, self-service and the engine."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import structlog
from langchain_core.language_models.chat_models import BaseChatModel

import bot.app
from bot.app.directory import build_directory
from bot.app.self_service import SelfServiceServices, build_self_service
from bot.app.staff import StaffServices, build_staff_services
from bot.app.triage import build_triager
from bot.audit import AuditLog
from bot.channels.runtime.notify import ConversationNotifier
from bot.core.clock import SystemClock
from bot.core.engine import ConversationSide, Engine, OptionalServices
from bot.core.intents import DEFAULT_EXAMPLES_PATH, ClassifierIntentDetector, IntentExamples
from bot.core.policy import AnswerPolicy
from bot.core.ports import Clock, Directory, SharedState, TurnOrder, Wakeups
from bot.handoff.routing import StaffConfig
from bot.incidents.store import SqlIncidents
from bot.incidents.tracker import IncidentTracker
from bot.kb.embedder import EncoderEmbedder
from bot.kb.service import KnowledgeService
from bot.settings import IntentSettings, LlmSettings, Settings
from bot.store.shared.memory import InProcessSharedState
from bot.store.shared.redis_state import RedisSharedState
from bot.store.shared.redis_turn_order import RedisTurnOrder
from bot.store.shared.redis_wakeups import RedisWakeups
from bot.store.shared.turn_order import InProcessTurnOrder
from bot.store.shared.wakeups import LocalWakeups
from bot.store.sql.contacts import SqlContacts
from bot.store.sql.conversations import SqlConversationStore
from bot.store.sql.database import Database
from bot.store.sql.references import SqlChannelReferences
from knowledge.confidence import ConfidenceModel
from knowledge.embeddings import Encoder
from knowledge.generate import GroundedAnswerer
from knowledge.index import KnowledgeIndex
from knowledge.language import detect_language, english_reading
from knowledge.llm import build_chat_model
from knowledge.retrieval import HybridRetriever

log = structlog.get_logger(__name__)


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
    intents: ClassifierIntentDetector
    engine: Engine
    shared_state: SharedState
    wakeups: Wakeups
    audit: AuditLog
    notifier: ConversationNotifier
    directory: Directory | None
    self_service: SelfServiceServices
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


async def build_services(settings: Settings, *, encoder: Encoder | None = None, clock: Clock | None = None) -> Services:
    """Connect the database, open the knowledge index and wire the engine.

    Args:
        settings: validated configuration.
        encoder: an already-loaded encoder to share (tests and benchmarks load it once).
        clock: the time that expiry, cooldowns, one-time codes, SLA timers and ITSM retries run on; default: the
            system clock (tests pass a fake one instead of waiting).
    """
    clock = clock or SystemClock()
    database = Database(url=settings.resolved_database_url)
    await database.migrate()
    shared_state, turn_order, wakeups = _shared_state(settings)
    store = SqlConversationStore(database=database, wakeups=wakeups)

    encoder = encoder or await bot.app.load_encoder()
    index = await asyncio.to_thread(
        KnowledgeIndex.open,
        directory=settings.index_dir,
        encoder=encoder,
        chroma_url=settings.chroma.url,
        timeout_seconds=settings.chroma.timeout_seconds,
    )
    if index.is_empty:
        log.warning("knowledge_index_empty", hint="run `helpdesk-bot kb sync`", directory=str(settings.index_dir))
    confidence = ConfidenceModel.load()
    chat_model = _chat_model(settings.llm)
    generator = (
        None if chat_model is None else GroundedAnswerer(model=chat_model, timeout_seconds=settings.llm.timeout_seconds)
    )
    knowledge = KnowledgeService(
        index=index, retriever=HybridRetriever(index=index, encoder=encoder), confidence=confidence, generator=generator
    )

    intents = intent_detector(settings.intent, encoder=encoder, cache_dir=settings.data_dir / "intents")
    await intents.warm_up()

    policy = AnswerPolicy(
        answer_threshold=_first(settings.answer_threshold, confidence.answer_threshold),
        clarify_threshold=_first(settings.clarify_threshold, confidence.clarify_threshold),
    )
    audit = AuditLog(database=database)
    contacts = SqlContacts(database=database)
    notifier = ConversationNotifier(store=store, contacts=contacts)
    directory = build_directory(settings.directory_settings)
    staff_config = StaffConfig.load(settings.staff.config)
    triager = await asyncio.to_thread(
        build_triager,
        config=settings.triage.config,
        models=settings.resolved_triage_models,
        encoder=encoder,
        staff=staff_config,
    )
    incident_store = SqlIncidents(database)
    staff = build_staff_services(
        settings,
        config=staff_config,
        database=database,
        directory=directory,
        store=store,
        notifier=notifier,
        audit=audit,
        chat_model=chat_model,
        triager=triager,
        incidents=incident_store,
        turn_order=turn_order,
        clock=clock,
    )
    incidents = IncidentTracker(
        incidents=incident_store,
        embedder=EncoderEmbedder(encoder=encoder),
        config=triager.config.surge,
        notifier=notifier,
        alert=staff.cards.announce,
        turn_order=turn_order,
    )
    self_service = build_self_service(
        settings,
        directory=directory,
        database=database,
        audit=audit,
        store=store,
        handoffs=staff.queue,
        shared_state=shared_state,
        notifier=notifier,
        clock=clock,
    )
    engine = Engine(
        conversation=ConversationSide(
            store=store,
            intents=intents,
            knowledge=knowledge,
            handoffs=staff.queue,
            policy=policy,
            max_message_chars=settings.max_message_chars,
        ),
        services=OptionalServices(
            self_service=self_service.actions,
            contacts=contacts,
            relay=staff.operations,
            incidents=incidents,
            turn_order=turn_order,
            language=detect_language,
        ),
    )
    log.info(
        "services_ready",
        chunks=index.chunk_count,
        llm=settings.llm.model or "none",
        answer_threshold=policy.answer_threshold,
        clarify_threshold=policy.clarify_threshold,
        intent_threshold=intents.threshold,
        directory=settings.directory,
    )
    return Services(
        settings=settings,
        database=database,
        store=store,
        staff=staff,
        references=SqlChannelReferences(database=database),
        index=index,
        knowledge=knowledge,
        intents=intents,
        engine=engine,
        shared_state=shared_state,
        wakeups=wakeups,
        audit=audit,
        notifier=notifier,
        directory=directory,
        self_service=self_service,
        incidents=incidents,
    )


def intent_detector(
    settings: IntentSettings, *, encoder: Encoder, cache_dir: Path | None = None
) -> ClassifierIntentDetector:
    """The intent detector over the configured examples (HELPDESK_INTENT_EXAMPLES) and threshold."""
    return ClassifierIntentDetector(
        embedder=EncoderEmbedder(encoder=encoder),
        examples=IntentExamples.load(settings.examples or DEFAULT_EXAMPLES_PATH),
        threshold=settings.threshold,
        embedding_reading=english_reading,
        cache_dir=cache_dir,
    )


def _chat_model(settings: LlmSettings) -> BaseChatModel | None:
    """The configured chat model (HELPDESK_LLM), or None for extractive answers."""
    if settings.model is None:
        return None
    return build_chat_model(
        spec=settings.model,
        base_url=settings.base_url,
        api_key=settings.api_key.get_secret_value() if settings.api_key else None,
        api_version=settings.api_version,
        timeout_seconds=settings.timeout_seconds,
    )


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
