"""The Slack and Teams channels, each with its staff console, from Settings (only when configured)."""

from __future__ import annotations

import structlog
from microsoft_agents.hosting.core.authorization import Connections
from pydantic import SecretStr

from bot.app.services import Services
from bot.channels.slack.channel import SlackChannel, slack_web_client
from bot.channels.slack.people import SlackPeople
from bot.channels.slack.staff import SlackStaffConsole
from bot.channels.teams.auth import auth_configuration
from bot.channels.teams.channel import TeamsChannel
from bot.channels.teams.people import TeamsPeople
from bot.channels.teams.staff import TeamsStaffConsole
from bot.settings import SlackSettings

log = structlog.get_logger(__name__)


def slack_channel(services: Services, *, settings: SlackSettings, bot_token: SecretStr) -> SlackChannel:
    """`bot_token`: the checked SLACK_BOT_TOKEN (Slack is on only when it is set)."""
    client = slack_web_client(bot_token=bot_token.get_secret_value(), api_url=settings.api_url)
    people = SlackPeople(client=client, ttl_seconds=settings.user_cache_seconds)
    console = SlackStaffConsole(
        operations=services.staff.operations, tickets=services.staff.tickets, client=client, people=people
    )
    return SlackChannel(
        engine=services.engine,
        store=services.store,
        shared_state=services.shared_state,
        client=client,
        people=people,
        signing_secret=_secret(settings.signing_secret),
        app_token=_secret(settings.app_token),
        progress_reaction=settings.progress_reaction,
        staff_console=console,
    )


def teams_channel(services: Services, *, connections: Connections | None) -> TeamsChannel:
    settings = services.settings
    teams = settings.teams
    if settings.teams_mode == "anonymous":
        log.warning(
            "teams_unauthenticated",
            hint="HELPDESK_ENV=dev without TEAMS_APP_ID: /api/messages accepts "
            "unauthenticated requests; never expose this to a network",
        )
    console = TeamsStaffConsole(
        operations=services.staff.operations,
        tickets=services.staff.tickets,
        people=TeamsPeople(ttl_seconds=teams.member_cache_seconds),
    )
    configuration = auth_configuration(
        app_id=teams.app_id,
        app_password=_secret(teams.app_password),
        tenant_id=teams.tenant_id,
        certificate=teams.app_certificate,
    )
    return TeamsChannel(
        engine=services.engine,
        store=services.store,
        references=services.references,
        shared_state=services.shared_state,
        configuration=configuration,
        connections=connections,
        allowed_tenants=settings.allowed_tenants,
        member_cache_seconds=teams.member_cache_seconds,
        staff=console,
    )


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None
