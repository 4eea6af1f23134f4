"""Who is asking, for the ticket: the channel's name and e-mail, completed from the directory when there is one."""

from __future__ import annotations

import structlog

from bot.core.directory import DirectoryError
from bot.core.model import UserRef
from bot.core.ports import Directory
from bot.core.tickets import Requester

log = structlog.get_logger(__name__)


class RequesterLookup:
    """A directory failure only leaves the ticket with less detail; the hand-off itself must never fail."""

    def __init__(self, *, directory: Directory | None) -> None:
        self._directory = directory

    async def describe(self, user: UserRef) -> Requester:
        requester = Requester(user_id=user.id, email=user.email, name=user.name)
        if self._directory is None or not user.email:
            return requester
        try:
            accounts = await self._directory.find_by_email(user.email)
        except DirectoryError as error:
            log.warning("requester_lookup_failed", error=str(error))
            return requester
        if len(accounts) != 1:  # none, or ambiguous: show staff only what the channel vouched for
            return requester
        account = accounts[0]
        return Requester(
            user_id=user.id,
            email=user.email,
            name=user.name or account.display_name or None,
            department=account.department,
            manager=account.manager_email,
            location=account.location,
        )
