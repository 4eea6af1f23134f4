"""A local stand-in for the Bot Framework connector (Teams' serviceUrl) and the Bot Framework token service.

Connector side, the REST calls the SDK's connector client makes, as documented for the Bot Connector API v3:
POST v3/conversations/{id}/activities (send), POST v3/conversations/{id}/activities/{activityId} (reply),
PUT …/activities/{activityId} (update one of the bot's own messages; 404 for any other), POST v3/conversations
(a 1:1 chat with `bot` and `members`, or a new thread in a team channel with `isGroup`, channelData.channel.id and
the root post as `activity`, answered with {"id": "<channel>;messageid=<activity id>", "activityId"}; 403 in a
team the app was removed from) and
GET v3/conversations/{id}/members/{userId} (roster). With `require_auth` every call must carry
`Authorization: Bearer <bot_token>` (401 otherwise, as Teams answers); activities without a type are 400.

Token side: an RSA key pair published as a JWKS, and `channel_token()` signing the JWT the Bot Framework sends
with every activity (issuer https://api.botframework.com, audience the bot's app id, serviceurl claim).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt import PyJWKClient
from jwt.algorithms import RSAAlgorithm
from microsoft_agents.hosting.core.authorization import AccessTokenProviderBase, AgentAuthConfiguration
from microsoft_agents.hosting.core.authorization.authentication_constants import AuthenticationConstants
from microsoft_agents.hosting.core.authorization.jwt.jwt_token_validator import JwtTokenValidator, _JwkClientCacheEntry

from tests.fakes.local_server import LocalServer

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"


@dataclass
class ConnectorCall:
    """One call that got past authentication."""

    method: str
    path: str
    conversation_id: str
    body: dict[str, Any]
    activity_id: str | None = None  # the activity replied to or updated; for a new thread, its root post
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        """What the person sees: the message text, or an Adaptive Card's text blocks."""
        if self.body.get("text"):
            return str(self.body["text"])
        return "\n".join(
            block["text"] for card in self.cards for block in card.get("body", []) if block.get("type") == "TextBlock"
        )

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"]
            for a in self.body.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [action for card in self.cards for action in card.get("actions", [])]

    @property
    def facts(self) -> dict[str, str]:
        """An Adaptive Card's FactSet entries, title → value."""
        return {
            fact["title"]: fact["value"]
            for card in self.cards
            for block in card.get("body", [])
            if block.get("type") == "FactSet"
            for fact in block["facts"]
        }


@dataclass
class FakeBotConnector:
    app_id: str = "00000000-0000-0000-0000-0000000000b0"
    bot_token: str = "connector-access-token"
    require_auth: bool = True
    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # Teams user id → TeamsChannelAccount
    calls: list[ConnectorCall] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # paths refused for bad auth
    threads: list[dict[str, Any]] = field(default_factory=list)  # the parameters of each channel thread started
    removed_from: set[str] = field(default_factory=set)  # channels of teams the app was taken out of (403)
    _sent: set[tuple[str, str]] = field(default_factory=set)  # (conversation, activity id) of the bot's messages
    _key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    _kid: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:8]}")
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_700_000_000_001))
    _server: LocalServer = field(default_factory=LocalServer)

    # ---- lifecycle and test helpers ----------------------------------------------------------------------------

    async def start(self) -> str:
        application = web.Application()
        application.router.add_get("/v1/.well-known/keys", self._keys)
        application.router.add_post("/v3/conversations", self._create_conversation)
        application.router.add_post("/v3/conversations/{cid}/activities", self._send)
        application.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._send)
        application.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        application.router.add_get("/v3/conversations/{cid}/members/{uid}", self._member)
        return await self._server.serve(application)

    async def close(self) -> None:
        await self._server.close()

    @property
    def service_url(self) -> str:
        return self._server.base_url + "/"

    def trust_keys(self) -> None:
        """Make the SDK's JWT validator fetch the Bot Framework signing keys from here.

        The SDK reads them from the fixed URL login.botframework.com, through a class-level PyJWKClient cache;
        seeding that cache with a PyJWKClient for this server's JWKS is the one way in. The validator's own
        code (signature, expiry, audience, issuer) still does all the checking.
        """
        entry = _JwkClientCacheEntry(PyJWKClient(self._server.base_url + "/v1/.well-known/keys"), threading.Lock())
        JwtTokenValidator._jwk_client_manager._cache[AuthenticationConstants.PUBLIC_ABS_JWKS_URL] = entry

    def add_member(
        self, user_id: str, *, aad_object_id: str, email: str | None, name: str, upn: str | None = None
    ) -> None:
        self.members[user_id] = {
            "id": user_id,
            "aadObjectId": aad_object_id,
            "name": name,
            **({"email": email} if email else {}),
            **({"userPrincipalName": upn or email} if (upn or email) else {}),
        }

    def channel_token(
        self,
        *,
        audience: str | None = None,
        service_url: str | None = None,
        issuer: str = BOT_FRAMEWORK_ISSUER,
        expires_in: int = 3600,
        key: Any = None,
    ) -> str:
        """The JWT the Bot Framework attaches to an activity it delivers to this bot."""
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": audience or self.app_id,
            "serviceurl": service_url or self.service_url,
            "nbf": now - 5,
            "iat": now - 5,
            "exp": now + expires_in,
        }
        return jwt.encode(claims, key or self._key, algorithm="RS256", headers={"kid": self._kid})

    def posted(self, conversation_id: str | None = None) -> list[ConnectorCall]:
        """Messages the bot sent (not typing indicators), oldest first; in one conversation if given."""
        return [
            c
            for c in self.calls
            if c.body.get("type") == "message"
            and c.method == "POST"
            and (conversation_id is None or c.conversation_id == conversation_id)
        ]

    def updates(self, conversation_id: str) -> list[ConnectorCall]:
        """Messages the bot changed in place (PUT), oldest first."""
        return [c for c in self.calls if c.method == "PUT" and c.conversation_id == conversation_id]

    def typing(self, conversation_id: str) -> list[ConnectorCall]:
        return [c for c in self.calls if c.body.get("type") == "typing" and c.conversation_id == conversation_id]

    async def wait_for_posts(self, count: int, *, timeout: float = 30.0) -> list[ConnectorCall]:
        async with asyncio.timeout(timeout):
            while len(self.posted()) < count:
                await asyncio.sleep(0.01)
        return self.posted()

    # ---- the REST API ------------------------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        if not self.require_auth or request.headers.get("Authorization") == f"Bearer {self.bot_token}":
            return True
        self.rejected.append(request.path)
        return False

    async def _keys(self, _request: web.Request) -> web.Response:
        public = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        return web.json_response(
            {"keys": [{**public, "kid": self._kid, "use": "sig", "alg": "RS256", "endorsements": ["msteams"]}]}
        )

    async def _send(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, "Unauthorized", "Authorization has been denied for this request.")
        body = await _json(request)
        if body is None or not body.get("type"):
            return _error(400, "BadArgument", "Activity must have a type")
        self.calls.append(
            ConnectorCall(
                method=request.method,
                path=request.path,
                body=body,
                conversation_id=request.match_info["cid"],
                activity_id=request.match_info.get("aid"),
            )
        )
        sent = str(next(self._ids))
        self._sent.add((request.match_info["cid"], sent))
        return web.json_response({"id": sent})

    async def _update(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, "Unauthorized", "Authorization has been denied for this request.")
        body = await _json(request)
        if body is None or not body.get("type"):
            return _error(400, "BadArgument", "Activity must have a type")
        conversation_id, activity_id = request.match_info["cid"], request.match_info["aid"]
        if (conversation_id, activity_id) not in self._sent:
            return _error(404, "ActivityNotFoundInConversation", "The activity was not found in the conversation")
        self.calls.append(
            ConnectorCall(
                method="PUT", path=request.path, body=body, conversation_id=conversation_id, activity_id=activity_id
            )
        )
        return web.json_response({"id": activity_id})

    async def _create_conversation(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, "Unauthorized", "Authorization has been denied for this request.")
        body = await _json(request)
        channel_data = (body or {}).get("channelData")
        if isinstance(channel_data, dict) and isinstance(channel_data.get("channel"), dict):
            return self._start_thread(request, body or {}, str(channel_data["channel"].get("id") or ""))
        members = (body or {}).get("members") or []
        if not members or not (body or {}).get("bot"):
            return _error(400, "BadArgument", "Conversation must have a bot and members")
        self.calls.append(ConnectorCall(method="POST", path=request.path, body=body or {}, conversation_id=""))
        return web.json_response({"id": f"a:personal-{members[0]['id']}"})

    def _start_thread(self, request: web.Request, body: dict[str, Any], channel_id: str) -> web.Response:
        """A new post in a team channel: the root activity is posted, and the thread is its own conversation."""
        activity = body.get("activity")
        if not channel_id or body.get("isGroup") is not True:
            return _error(400, "BadArgument", "A channel conversation needs isGroup and channelData.channel.id")
        if not isinstance(activity, dict) or not activity.get("type"):
            return _error(400, "BadArgument", "A channel conversation needs an activity to post")
        if channel_id in self.removed_from:
            return _error(403, "BotNotInConversationRoster", "The bot is not part of the conversation roster.")
        activity_id = str(next(self._ids))
        thread = f"{channel_id};messageid={activity_id}"
        self.threads.append(body)
        self._sent.add((thread, activity_id))
        self.calls.append(
            ConnectorCall(
                method="POST", path=request.path, body=activity, conversation_id=thread, activity_id=activity_id
            )
        )
        return web.json_response({"id": thread, "activityId": activity_id}, status=201)

    async def _member(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, "Unauthorized", "Authorization has been denied for this request.")
        member = self.members.get(request.match_info["uid"])
        if member is None:
            return _error(404, "MemberNotFoundInConversation", "The member is not part of the conversation")
        self.calls.append(
            ConnectorCall(method="GET", path=request.path, body={}, conversation_id=request.match_info["cid"])
        )
        return web.json_response(member)


class StaticTokenProvider(AccessTokenProviderBase):
    """The bot's outgoing token, in place of MSAL's call to Entra (which cannot be reached from here)."""

    def __init__(self, configuration: AgentAuthConfiguration, *, token: str) -> None:
        self._configuration = configuration
        self._token = token

    @property
    def configuration(self) -> AgentAuthConfiguration:
        return self._configuration

    async def get_access_token(self, resource_url: str, scopes: list[str], force_refresh: bool = False) -> str:
        return self._token

    def get_token_credential(self) -> Any:
        raise NotImplementedError("not used by the bot")

    # The protocol's on-behalf-of and agentic-identity members: the bot signs in as itself only.
    async def acquire_token_on_behalf_of(self, scopes: list[str], user_assertion: str) -> str:
        raise NotImplementedError("not used by the bot")

    async def get_agentic_application_token(self, tenant_id: str, agent_app_instance_id: str) -> str | None:
        raise NotImplementedError("not used by the bot")

    async def get_agentic_instance_token(self, tenant_id: str, agent_app_instance_id: str) -> tuple[str, str]:
        raise NotImplementedError("not used by the bot")

    async def get_agentic_user_token(
        self, tenant_id: str, agent_app_instance_id: str, agentic_user_id: str, scopes: list[str]
    ) -> str | None:
        raise NotImplementedError("not used by the bot")


async def _json(request: web.Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)
