"""Who is posting to the web chat: trusted body (local only) or a reverse proxy's authenticated headers."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

from bot.core.model import UserRef


class IdentityError(Exception):
    """The request does not carry an acceptable identity."""

    def __init__(self, *, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True, kw_only=True)
class WebIdentity:
    """Resolves the user of a web request according to HELPDESK_WEB_AUTH.

    - `none`: the user in the JSON body is trusted. Settings only allow this on a loopback address,
      i.e. for one person trying the bot on their own machine.
    - `header`: an authenticating reverse proxy (oauth2-proxy, an SSO gateway…) sets the user headers
      and a shared secret header; requests without the right secret are refused, so the headers cannot
      be forged by calling the bot directly. The body's user is ignored.
    """

    mode: Literal["none", "header"]
    proxy_secret: str | None = None
    secret_header: str = "X-Helpdesk-Proxy-Secret"
    user_header: str = "X-Forwarded-User"
    email_header: str = "X-Forwarded-Email"
    name_header: str = "X-Forwarded-Preferred-Username"

    def __post_init__(self) -> None:
        if self.mode == "header" and not self.proxy_secret:
            raise ValueError("header identity needs a proxy secret")

    def resolve(self, request: web.Request, body_user: UserRef | None) -> UserRef:
        """The authenticated user, or IdentityError (401 for a missing/bad proxy secret, 400 for no user)."""
        if self.mode == "none":
            if body_user is None:
                raise IdentityError(status=400, code="missing_user", message="'user' with a non-empty 'id' is required")
            return body_user
        presented = request.headers.get(self.secret_header, "")
        if self.proxy_secret is None:  # __post_init__ refuses header mode without one
            raise RuntimeError("header identity needs a proxy secret")
        if not hmac.compare_digest(presented.encode(), self.proxy_secret.encode()):
            raise IdentityError(
                status=401, code="unauthenticated", message="request did not come through the authenticating proxy"
            )
        user_id = request.headers.get(self.user_header, "").strip()
        if not user_id:
            raise IdentityError(
                status=401, code="unauthenticated", message=f"the proxy did not send the {self.user_header} header"
            )
        return UserRef(
            id=user_id,
            email=request.headers.get(self.email_header) or None,
            name=request.headers.get(self.name_header) or None,
        )

    def may_read(self, request: web.Request, owner_id: str) -> bool:
        """Whether this request may read a conversation owned by `owner_id` (events polling)."""
        if self.mode == "none":
            return True
        try:
            return self.resolve(request, None).id == owner_id
        except IdentityError:
            return False
