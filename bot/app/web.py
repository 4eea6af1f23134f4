"""create_web_app: the aiohttp application with its channels, staff API and periodic work."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import structlog
from aiohttp import web
from microsoft_agents.hosting.core.authorization import Connections

from bot.app.channels import slack_channel, teams_channel
from bot.app.services import Services
from bot.channels.runtime.http import correlation_and_errors
from bot.channels.slack.staff import SlackTicketCards
from bot.channels.teams.staff import TeamsTicketCards
from bot.channels.web.channel import WebChannel, register_shared_assets
from bot.channels.web.identity import WebIdentity
from bot.ops.health import HealthProbes
from bot.staff_api.console import StaffApi, StaffAuth, staff_errors
from bot.staff_api.incidents import IncidentRoutes

log = structlog.get_logger(__name__)

APPROVAL_SWEEP_SECONDS = 60.0  # how often overdue approvals are expired (and their requesters told)
OUTBOX_SECONDS = 5.0  # how often changes waiting for ServiceNow / Jira are retried
REPORT_SWEEP_SECONDS = 300.0  # how often problem reports that left the surge window are dropped


def create_web_app(services: Services, *, teams_connections: Connections | None = None) -> web.Application:
    """The aiohttp application: web chat (unless turned off), probes, and Slack and Teams when configured.

    Args:
        teams_connections: where the Teams channel gets its outgoing tokens; MSAL with TEAMS_APP_ID and
            TEAMS_APP_PASSWORD by default.
    """
    settings = services.settings
    staff = services.staff
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[correlation_and_errors, staff_errors])
    HealthProbes(store=services.store, knowledge=services.knowledge).register(app)
    register_shared_assets(app)
    identity = None
    web_settings = settings.web
    if web_settings.auth != "off":
        identity = WebIdentity(
            mode=web_settings.auth,
            proxy_secret=web_settings.proxy_secret.get_secret_value() if web_settings.proxy_secret else None,
            secret_header=web_settings.proxy_secret_header,
            user_header=web_settings.user_header,
            email_header=web_settings.email_header,
            name_header=web_settings.name_header,
        )
        WebChannel(engine=services.engine, store=services.store, identity=identity, wakeups=services.wakeups).register(
            app
        )
    token = settings.staff.token
    staff_auth = StaffAuth(
        token=token.get_secret_value() if token else None, token_name=settings.staff.token_name, identity=identity
    )
    StaffApi(operations=staff.operations, auth=staff_auth).register(app)
    IncidentRoutes(
        incidents=services.incidents,
        auth=staff_auth,
        membership=staff.membership,
        group=staff.config.group(staff.config.default_group),
    ).register(app)
    if settings.slack.bot_token is not None:  # settings.slack_mode != "off"
        slack = slack_channel(services, settings=settings.slack, bot_token=settings.slack.bot_token)
        slack.register(app)
        services.notifier.register("slack", slack.send_proactive)
        staff.cards.register(SlackTicketCards(client=slack.client, tickets=staff.tickets))
    if settings.teams_mode != "off":
        teams = teams_channel(services, connections=teams_connections)
        teams.register(app)
        services.notifier.register(
            "teams", lambda conversation, _user, reply: teams.send_proactive(conversation, reply)
        )
        staff.cards.register(
            TeamsTicketCards(proactive=teams.continue_with, references=services.references, tickets=staff.tickets)
        )
    app.cleanup_ctx.append(
        _every(APPROVAL_SWEEP_SECONDS, "approvals_expired", services.self_service.approvals.expire_overdue)
    )
    app.cleanup_ctx.append(_every(settings.sla_check_seconds, "sla_notices_sent", staff.sla.check))
    app.cleanup_ctx.append(
        _every(REPORT_SWEEP_SECONDS, "problem_reports_forgotten", services.incidents.forget_old_reports)
    )
    if staff.outbox is not None:
        app.cleanup_ctx.append(_every(OUTBOX_SECONDS, "itsm_changes_mirrored", staff.outbox.run_due))
    if settings.chroma.url:  # the indexing job syncs the server from elsewhere; replicas pick its work up
        app.cleanup_ctx.append(
            _every(settings.chroma.refresh_seconds, "knowledge_index_refreshed", services.knowledge.refresh)
        )
    return app


def _every(
    seconds: float, event: str, work: Callable[[], Awaitable[int]]
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
