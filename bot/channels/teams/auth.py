"""Who may call /api/messages, and how the bot authenticates its own calls back to Teams.

Incoming: the Bot Framework sends a JWT signed with keys published at login.botframework.com (or Entra's, for
tokens Entra issues). The SDK's JwtTokenValidator checks signature, expiry and audience (the bot's app id); we
also turn on its issuer allow-list and require the token's `serviceurl` claim to match the activity, so a valid
token cannot be replayed to make the bot post its own credentials to somewhere else.

Outgoing: MSAL client-credentials tokens for the app id and its password or certificate, through the SDK's
connection manager.
"""

from __future__ import annotations

from pathlib import Path

from jwt import PyJWTError
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.core import AgentAuthConfiguration
from microsoft_agents.hosting.core.authorization import AuthTypes, ClaimsIdentity, Connections
from microsoft_agents.hosting.core.authorization.jwt import JwtTokenValidator
from yarl import URL

SERVICE_CONNECTION = "SERVICE_CONNECTION"  # the SDK's name for the bot's own credentials
SERVICE_URL_CLAIM = "serviceurl"


class TeamsAuthError(Exception):
    """The request is not from the Bot Framework for this bot; the message is safe to log (no token content)."""


def auth_configuration(
    *, app_id: str | None, app_password: str | None, tenant_id: str | None, certificate: Path | None = None
) -> AgentAuthConfiguration:
    """The SDK configuration: single-tenant, with a client secret or a PFX certificate, when there is an app id;
    anonymous (the Emulator, dev only) without one."""
    if not app_id:
        return AgentAuthConfiguration(anonymous_allowed=True)
    if certificate is not None:
        return AgentAuthConfiguration(
            auth_type=AuthTypes.certificate,
            client_id=app_id,
            tenant_id=tenant_id,
            cert_pfx_file=str(certificate),
            validate_issuer=True,
            connection_name=SERVICE_CONNECTION,
        )
    return AgentAuthConfiguration(
        auth_type=AuthTypes.client_secret,
        client_id=app_id,
        client_secret=app_password,
        tenant_id=tenant_id,
        validate_issuer=True,
        connection_name=SERVICE_CONNECTION,
    )


def msal_connections(configuration: AgentAuthConfiguration) -> Connections:
    """Outgoing tokens from Entra (MSAL) for the bot's app registration."""
    return MsalConnectionManager(connections_configurations={SERVICE_CONNECTION: configuration})


class InboundAuth:
    """Authenticates one request to /api/messages (fail closed: anything unreadable is a rejection)."""

    def __init__(self, *, configuration: AgentAuthConfiguration) -> None:
        self._configuration = configuration
        self._validator = JwtTokenValidator(configuration)

    @property
    def anonymous(self) -> bool:
        return self._configuration.ANONYMOUS_ALLOWED and not self._configuration.CLIENT_ID

    async def authenticate(self, authorization: str | None) -> ClaimsIdentity:
        """The caller's verified claims, from the `Authorization: Bearer …` header.

        Raises:
            TeamsAuthError: no token, a malformed header, or a token that does not verify.
        """
        if not authorization:
            if self.anonymous:
                return ClaimsIdentity()  # dev mode: the Emulator sends no token when no app id is configured
            raise TeamsAuthError("no Authorization header")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or any(c.isspace() for c in token):
            raise TeamsAuthError("malformed Authorization header")
        if self.anonymous:
            raise TeamsAuthError("a token was sent but no app id is configured to check it against")
        try:
            return await self._validator.validate_token(token)
        except (PyJWTError, ValueError) as error:
            raise TeamsAuthError(f"token rejected ({type(error).__name__})") from None

    @staticmethod
    def check_service_url(claims: ClaimsIdentity, service_url: str) -> None:
        """Bot Framework tokens name the service the activity came from; the activity must say the same.

        Raises:
            TeamsAuthError: the activity's serviceUrl is not the one the token was issued for.
        """
        claimed = claims.get_claim_value(SERVICE_URL_CLAIM)
        if claimed is None:
            return  # Entra-issued tokens carry no serviceurl claim; signature and audience still bind them
        if _normalised(str(claimed)) != _normalised(service_url):
            raise TeamsAuthError("the activity's serviceUrl does not match the token")


def _normalised(url: str) -> tuple[str, str, int | None, str]:
    parsed = URL(url)
    return (parsed.scheme.lower(), (parsed.host or "").lower(), parsed.port, parsed.path.rstrip("/"))
