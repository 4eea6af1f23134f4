"""Calls to Microsoft Graph with an app-only token: one request, every page of a collection, the port's errors."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import structlog
from multidict import CIMultiDictProxy
from yarl import URL

from bot.core.directory import DirectoryError, DirectoryUnavailable
from bot.core.json_api import decode_json as _decode
from bot.core.json_api import json_objects
from bot.core.json_api import text_or_none as _text
from bot.identity.entra_token import AppTokens

log = structlog.get_logger(__name__)

MAX_PAGES = 1000  # a guard against a next link that never ends, far beyond any real membership list


@dataclass(frozen=True)
class GraphReply:
    """A Microsoft Graph HTTP response."""

    status: int
    body: Any  # the decoded JSON, or None when the body was empty or not JSON
    headers: CIMultiDictProxy[str]


class GraphClient:
    """Microsoft Graph at `origin`, called with the app's tokens; every failure becomes the `Directory` port's error.

    The arguments are taken as already validated (`EntraDirectory` checks them). One aiohttp session is opened on
    first use; `close()` ends it, and the token client's session.
    """

    def __init__(self, *, origin: URL, tokens: AppTokens, timeout_seconds: float) -> None:
        self.origin = origin
        self._tokens = tokens
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds, connect=timeout_seconds)
        self._timeout_seconds = timeout_seconds
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._tokens.close()

    async def send(
        self,
        method: str,
        target: str | URL,
        *,
        operation: str,
        permission: str,
        query: Mapping[str, str] | None = None,
        body: dict[str, Any] | None = None,
        changes: bool = False,
        allow: Collection[int] = (),
        secrets: Sequence[str] = (),
    ) -> GraphReply:
        """One Graph call; the answer when it succeeded (or its status is in `allow`), else the port's error.

        A 401 is retried once with a freshly fetched token: MSAL's cached one may have been revoked early. `changes`
        marks calls that change something: when Graph stops answering after such a request was sent, the change may
        or may not have happened, so that is a DirectoryError (a person must look), not DirectoryUnavailable (which
        promises that nothing changed). `permission` is what a 403 names as missing; `secrets` never reach an error.
        """
        url = target if isinstance(target, URL) else URL(f"{self.origin}{target}{_query(query)}", encoded=True)
        answer = await self._request(method, url, operation=operation, body=body, changes=changes)
        if answer.status == 401:
            log.info("entra_token_refused_by_graph", operation=operation, error_code=graph_error(answer.body)[0])
            await self._tokens.forget()
            answer = await self._request(method, url, operation=operation, body=body, changes=changes)
        if 200 <= answer.status < 300 or answer.status in allow:
            return answer
        raise self.failure(answer, operation=operation, permission=permission, secrets=secrets)

    async def all_pages(
        self, path: str, *, query: Mapping[str, str], operation: str, permission: str
    ) -> list[dict[str, Any]]:
        """Every object of a collection, following `@odata.nextLink`."""
        items: list[dict[str, Any]] = []
        target: str | URL = path
        params: Mapping[str, str] | None = query
        seen: set[URL] = set()
        for _ in range(MAX_PAGES):
            answer = await self.send("GET", target, query=params, operation=operation, permission=permission)
            body = answer.body if isinstance(answer.body, dict) else {}
            items.extend(json_objects(body.get("value"), service="Microsoft Graph", operation=operation))
            link = body.get("@odata.nextLink")
            if not isinstance(link, str):
                return items
            next_url = URL(link, encoded=True)
            if next_url.origin() != self.origin:
                # The next link would carry the access token to another host.
                raise DirectoryError(
                    f"Microsoft Graph's next-page link for {operation} points away from {self.origin.host}"
                )
            if next_url in seen:
                raise DirectoryError(f"Microsoft Graph's next-page links for {operation} go round in a circle")
            seen.add(next_url)
            target, params = next_url, None
        raise DirectoryError(f"Microsoft Graph sent more than {MAX_PAGES} pages to {operation}")

    def failure(
        self, answer: GraphReply, *, operation: str, permission: str, secrets: Sequence[str] = ()
    ) -> DirectoryError:
        """The port's error for a Graph error answer; its text never holds the secret, a token or a password."""
        status, (code, message) = answer.status, graph_error(answer.body)
        log.warning(
            "entra_request_failed",
            operation=operation,
            status=status,
            error_code=code,
            request_id=answer.headers.get("request-id"),
        )
        label = f"{status} {code}" if code else str(status)
        detail = self.scrub(message or f"HTTP {status}", secrets)
        if status == 429 or status >= 500:
            wait = answer.headers.get("Retry-After", "")
            when = f"; Graph asks to retry after {wait} s" if wait.isdigit() else ""
            return DirectoryUnavailable(f"Microsoft Graph could not {operation} right now ({label}){when}")
        if status == 401:
            return DirectoryError(f"Microsoft Graph rejected the app's access token ({label}: {detail})")
        if status == 403:
            return DirectoryError(
                f"Microsoft Graph did not allow the bot to {operation} ({label}): the app "
                f"registration lacks permission; it needs {permission}"
            )
        if status == 404:
            return DirectoryError(f"Microsoft Graph found nothing to {operation} ({label}: {detail})")
        return DirectoryError(f"Microsoft Graph refused to {operation} ({label}: {detail})")

    def scrub(self, text: str, secrets: Sequence[str] = ()) -> str:
        """`text` with the client secret, and each of `secrets`, replaced by `***`."""
        return self._tokens.scrub(text, secrets)

    async def _request(
        self, method: str, url: URL, *, operation: str, body: dict[str, Any] | None, changes: bool
    ) -> GraphReply:
        headers = {"Authorization": f"Bearer {await self._tokens.token()}", "Accept": "application/json"}
        try:
            # No redirects: Graph's API calls do not redirect, and following one could hand the token elsewhere.
            async with self._open().request(method, url, json=body, headers=headers, allow_redirects=False) as response:
                return GraphReply(status=response.status, body=_decode(await response.read()), headers=response.headers)
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as error:
            log.warning("entra_unreachable", operation=operation, error=type(error).__name__)
            raise DirectoryUnavailable(
                f"Microsoft Graph ({self.origin.host}) could not be reached to {operation}"
            ) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("entra_no_answer", operation=operation, error=type(error).__name__, changes=changes)
            what = f"Microsoft Graph did not answer the request to {operation} within {self._timeout_seconds:g} s"
            if changes:
                raise DirectoryError(f"{what}; it may or may not have been done") from None
            raise DirectoryUnavailable(what) from None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session


def graph_error(body: Any) -> tuple[str | None, str]:
    """Graph's error code and message from `{"error": {"code", "message"}}`."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, ""
    return _text(error.get("code")), _text(error.get("message")) or ""


def _query(params: Mapping[str, str] | None) -> str:
    """A query string with spaces as %20 (the form Graph's documentation uses) and `+` as %2B."""
    if not params:
        return ""
    return "?" + "&".join(f"{quote(key, safe='$')}={quote(value, safe=',')}" for key, value in params.items())
