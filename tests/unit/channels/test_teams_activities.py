"""Teams activities become turns: mentions stripped, scopes told apart, card submits read, tokens bound to a URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from microsoft_agents.activity import Activity
from microsoft_agents.authentication.msal import MsalAuth
from microsoft_agents.hosting.core.authorization import AuthTypes, ClaimsIdentity

from bot.channels.teams import activities
from bot.channels.teams.auth import InboundAuth, TeamsAuthError, auth_configuration, msal_connections

BOT = {"id": "28:bot", "name": "IT Help"}


def activity(**fields: Any) -> Activity:
    body = {
        "type": "message",
        "id": "1",
        "serviceUrl": "https://smba.trafficmanager.net/amer/",
        "channelId": "msteams",
        "from": {"id": "29:ana", "aadObjectId": "AAD-ANA"},
        "recipient": BOT,
        "conversation": {"id": "a:1chat", "conversationType": "personal"},
        "channelData": {"tenant": {"id": "TENANT-1"}},
        **fields,
    }
    return Activity.model_validate(body)


def test_the_bots_mention_is_removed_and_other_mentions_are_kept_as_names() -> None:
    message = activity(
        text="<at>IT Help</at> can <at>Ben Okafor</at> get access to &quot;Finance&quot;?",
        entities=[
            {"type": "mention", "text": "<at>IT Help</at>", "mentioned": BOT},
            {"type": "mention", "text": "<at>Ben Okafor</at>", "mentioned": {"id": "29:ben", "name": "Ben Okafor"}},
        ],
    )
    turn = activities.turn_from_message(message)
    assert turn is not None
    assert turn.text == 'can @Ben Okafor get access to "Finance"?'


def test_a_personal_message_is_its_chat_and_the_person_is_known_by_entra_object_id() -> None:
    turn = activities.turn_from_message(activity(text="hello"))
    assert turn is not None
    assert turn.conversation.id == "a:1chat"
    assert turn.is_personal
    assert turn.user_key == "AAD-ANA"
    assert turn.tenant_id == "tenant-1"


def test_a_card_submit_is_a_choice_and_its_text_is_ignored() -> None:
    turn = activities.turn_from_message(
        activity(text="ignored", value={"helpdesk": {"choice": "feedback:helped", "in_reply_to": 4}})
    )
    assert turn is not None
    assert (turn.choice, turn.in_reply_to, turn.text) == ("feedback:helped", 4, "")


def test_the_bots_own_messages_and_senderless_activities_are_not_turns() -> None:
    assert activities.turn_from_message(activity(text="echo", **{"from": BOT})) is None
    # The SDK types the sender as always present, yet an activity can arrive without one.
    senderless = activity(text="x").model_copy(update={"from_property": None})
    assert activities.turn_from_message(senderless) is None


def test_the_tenant_falls_back_to_the_conversation() -> None:
    message = activity(channelData={}, conversation={"id": "a:1", "tenantId": "TENANT-2"})
    assert activities.tenant_of(message) == "tenant-2"


def test_service_url_binding_ignores_case_and_trailing_slash_but_not_hosts() -> None:
    claims = ClaimsIdentity({"serviceurl": "https://SMBA.trafficmanager.net/amer"})
    InboundAuth.check_service_url(claims, "https://smba.trafficmanager.net/amer/")
    with pytest.raises(TeamsAuthError):
        InboundAuth.check_service_url(claims, "https://smba.trafficmanager.net.attacker.example/amer/")
    # Entra-issued tokens have no serviceurl claim: signature and audience bind them instead.
    InboundAuth.check_service_url(ClaimsIdentity({"aud": "app"}), "https://anything.example/")


def test_the_bots_credentials_go_to_msal_with_issuer_checks_on() -> None:
    configuration = auth_configuration(app_id="app-1", app_password="secret", tenant_id="tenant-1")
    assert configuration.VALIDATE_ISSUER
    assert not configuration.ANONYMOUS_ALLOWED
    provider = msal_connections(configuration).get_default_connection()
    assert isinstance(provider, MsalAuth)
    assert (provider.configuration.CLIENT_ID, provider.configuration.TENANT_ID) == ("app-1", "tenant-1")


@pytest.mark.asyncio
async def test_without_an_app_id_only_requests_without_a_token_pass() -> None:
    auth = InboundAuth(configuration=auth_configuration(app_id=None, app_password=None, tenant_id=None))
    assert auth.anonymous
    assert (await auth.authenticate(None)).allow_anonymous
    with pytest.raises(TeamsAuthError):
        await auth.authenticate("Bearer some.jwt.value")


@pytest.mark.asyncio
async def test_with_an_app_id_a_missing_or_malformed_header_is_rejected_before_any_key_lookup() -> None:
    auth = InboundAuth(configuration=auth_configuration(app_id="app-1", app_password="s", tenant_id="t"))
    for header in (None, "", "Bearer", "Bearer a b", "Token abc"):
        with pytest.raises(TeamsAuthError):
            await auth.authenticate(header)


def test_a_certificate_configures_msal_to_sign_with_it(tmp_path: Path) -> None:
    configuration = auth_configuration(
        app_id="app-1", app_password=None, tenant_id="tenant-1", certificate=tmp_path / "bot.pfx"
    )
    assert AuthTypes.certificate == configuration.AUTH_TYPE
    assert str(tmp_path / "bot.pfx") == configuration.CERT_PFX_FILE
    assert configuration.CLIENT_SECRET is None
