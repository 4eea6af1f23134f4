"""The HTTP side the ITSM clients share: basic auth, JSON both ways, one timeout, and failures as ItsmError."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog
from yarl import URL

from bot.core.itsm import ItsmError
from bot.core.json_api import decode_json

log = structlog.get_logger(__name__)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
RETRYABLE_STATUSES = frozenset({408, 425, 429})  # and every 5xx: the service or a proxy in front of it is struggling
DETAIL_LIMIT = 300

ErrorDetail = Callable[[Any], str | None]  # the service's own error text in a decoded error body


@dataclass(frozen=True)
class HttpReply:
    """An ITSM system's HTTP response (not to be confused with the core's knowledge Answer)."""

    status: int
    body: Any  # the decoded JSON, or None when the body was empty or not JSON


class JsonClient:
    """Calls one ITSM system's REST API as one service account; `close()` ends the aiohttp session.

    Plain http is refused except on loopback (the local stand-ins), because the password travels with every
    request; redirects are not followed for the same reason.
    """

    def __init__(
        self, *, service: str, base_url: str, user: str, secret: str, timeout_seconds: float, error_detail: ErrorDetail
    ) -> None:
        base = URL(base_url.strip().rstrip("/"))
        if not base.host or not (base.scheme == "https" or (base.scheme == "http" and base.host in LOOPBACK_HOSTS)):
            raise ValueError(f"the {service} URL must be an https:// URL, got {base_url!r}")
        if not user.strip() or not secret.strip():
            raise ValueError(f"{service} needs a user and a password or API token")
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        self.service = service
        self._base = str(base)
        self._authorization = aiohttp.encode_basic_auth(user.strip(), secret.strip())
        self._secret = secret.strip()
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._timeout_seconds = timeout_seconds
        self._error_detail = error_detail
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        allow: Collection[int] = (),
    ) -> HttpReply:
        """One call; its answer when 2xx (or a status in `allow`), else ItsmError saying whether to retry.

        `path` must already be encoded (ids go through `path_segment`).
        """
        url = URL(f"{self._base}{path}", encoded=True)
        headers = {"Accept": "application/json", "Authorization": self._authorization}
        try:
            async with self._open().request(
                method, url, params=params, json=body, headers=headers, allow_redirects=False
            ) as response:
                answer = HttpReply(status=response.status, body=decode_json(await response.read()))
        except aiohttp.ClientConnectorError as error:
            log.warning("itsm_unreachable", service=self.service, operation=operation, error=type(error).__name__)
            raise ItsmError(
                f"{self.service} ({url.host}) could not be reached to {operation}", retryable=True
            ) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            # Includes a request sent whose answer never came: it may have been done, and is tried again.
            log.warning("itsm_no_answer", service=self.service, operation=operation, error=type(error).__name__)
            raise ItsmError(
                f"{self.service} did not answer the request to {operation} within {self._timeout_seconds:g} s",
                retryable=True,
            ) from None
        if 200 <= answer.status < 300 or answer.status in allow:
            return answer
        raise self._failure(answer, operation=operation)

    def _failure(self, answer: HttpReply, *, operation: str) -> ItsmError:
        """The ItsmError for an error answer; its text never holds the password or token."""
        status, detail = answer.status, self._error_detail(answer.body)
        label = f"{status}: {self._scrub(detail)[:DETAIL_LIMIT]}" if detail else str(status)
        log.warning("itsm_request_failed", service=self.service, operation=operation, status=status)
        if status == 401:
            return ItsmError(
                f"{self.service} rejected the bot's credentials ({label}); check the configured user "
                "and password or API token",
                retryable=False,
            )
        if status == 403:
            return ItsmError(f"{self.service} did not allow the bot to {operation} ({label})", retryable=False)
        if status == 404:
            return ItsmError(f"{self.service} found nothing to {operation} ({label})", retryable=False)
        if 300 <= status < 400:
            return ItsmError(
                f"{self.service} redirected the request to {operation} ({status}); check the configured URL",
                retryable=False,
            )
        retryable = status in RETRYABLE_STATUSES or status >= 500
        verb = "could not" if retryable else "refused to"
        return ItsmError(f"{self.service} {verb} {operation} ({label})", retryable=retryable)

    def _scrub(self, text: str) -> str:
        return text.replace(self._secret, "***")

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session
