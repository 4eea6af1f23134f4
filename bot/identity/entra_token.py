"""App-only access tokens for Microsoft Graph from Entra ID, through MSAL's client-credentials flow (client secret)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import msal
import requests
import structlog

from bot.core.directory import DirectoryError, DirectoryUnavailable

log = structlog.get_logger(__name__)

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


class AppTokens:
    """The app registration's Graph tokens: MSAL caches one and fetches a new one shortly before it expires.

    MSAL's calls block, so they run in a worker thread. The MSAL client is built on first use, since building it
    fetches the tenant's OpenID configuration; `close()` ends its HTTP session. The arguments are taken as already
    validated (`EntraDirectory` checks them); `authority` is the tenant's authority URL.
    """

    def __init__(
        self, *, tenant: str, client_id: str, client_secret: str, authority: str, timeout_seconds: float
    ) -> None:
        self._tenant = tenant
        self._client_id = client_id
        self._secret = client_secret
        self._authority = authority
        self._timeout_seconds = timeout_seconds
        self._app: msal.ConfidentialClientApplication | None = None
        self._app_lock = asyncio.Lock()

    def close(self) -> None:
        if self._app is not None:
            self._app.http_client.close()
            self._app = None

    async def token(self) -> str:
        """An app-only Graph token: MSAL's cached one while it is fresh, else a new one from Entra."""
        app = await self._application()
        try:
            result: dict[str, Any] = await asyncio.to_thread(app.acquire_token_for_client, scopes=[GRAPH_SCOPE])
        except requests.RequestException as error:  # connection failures, timeouts, and 5xx from the token endpoint
            log.warning("entra_token_unreachable", authority=self._authority, error=type(error).__name__)
            raise DirectoryUnavailable(f"Entra's token service ({self._authority}) could not be reached") from None
        except ValueError:  # the token endpoint answered something that is not JSON
            log.warning("entra_token_garbled", authority=self._authority)
            raise DirectoryError(
                f"Entra's token service ({self._authority}) answered with something other than a token"
            ) from None
        token = result.get("access_token")
        if isinstance(token, str) and token:
            return token
        code, description = str(result.get("error") or "no token"), str(result.get("error_description") or "")
        log.warning(
            "entra_token_refused",
            error=code,
            error_codes=result.get("error_codes"),
            trace_id=result.get("trace_id"),
            correlation_id=result.get("correlation_id"),
        )
        # Entra appends trace and correlation ids and a timestamp: they are logged above, not repeated.
        summary = self.scrub(description.split(" Trace ID:")[0].strip())
        hint = (
            " (check the client id and secret; secrets expire)"
            if code in ("invalid_client", "unauthorized_client")
            else ""
        )
        raise DirectoryError(
            f"Entra refused the app's client credentials for tenant {self._tenant}{hint}: "
            f"{code}" + (f": {summary}" if summary else "")
        )

    async def forget(self) -> None:
        """Drop the cached token, so the next `token()` fetches a new one (Graph may refuse one before it expires)."""
        app = await self._application()
        await asyncio.to_thread(app.remove_tokens_for_client)

    def scrub(self, text: str, secrets: Sequence[str] = ()) -> str:
        """`text` with the client secret, and each of `secrets`, replaced by `***`."""
        for secret in (self._secret, *secrets):
            if secret:
                text = text.replace(secret, "***")
        return text

    async def _application(self) -> msal.ConfidentialClientApplication:
        """The MSAL client, built once: building it fetches the tenant's OpenID configuration (blocking I/O)."""
        async with self._app_lock:
            if self._app is None:
                try:
                    self._app = await asyncio.to_thread(self._build_application)
                except requests.RequestException as error:
                    log.warning("entra_authority_unreachable", authority=self._authority, error=type(error).__name__)
                    raise DirectoryUnavailable(
                        f"Entra's sign-in service ({self._authority}) could not be reached"
                    ) from None
                except ValueError:  # MSAL's answer to a 4xx from the OpenID configuration: no such tenant
                    log.warning("entra_tenant_unknown", authority=self._authority)
                    raise DirectoryError(
                        f"Entra has no tenant {self._tenant} (no OpenID configuration under "
                        f"{self._authority}): check the tenant id"
                    ) from None
            return self._app

    def _build_application(self) -> msal.ConfidentialClientApplication:
        # Our own requests session, so it can be closed when MSAL fails half-way through building (an unknown
        # tenant): MSAL's own would be left holding a connection.
        http = _TimedSession(timeout_seconds=self._timeout_seconds)
        try:
            # instance_discovery=False: no call to Microsoft's instance-discovery endpoint, so the authority is used
            # as given (sovereign clouds and stand-ins alike); MSAL still reads the tenant's OpenID configuration.
            return msal.ConfidentialClientApplication(
                self._client_id,
                client_credential=self._secret,
                authority=self._authority,
                http_client=http,
                validate_authority=False,
                instance_discovery=False,
            )
        except BaseException:
            http.close()
            raise


class _TimedSession(requests.Session):
    """A requests session with a default timeout on every request (requests has no session-wide one)."""

    def __init__(self, *, timeout_seconds: float) -> None:
        super().__init__()
        self._timeout_seconds = timeout_seconds

    def request(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self._timeout_seconds)
        return super().request(*args, **kwargs)
