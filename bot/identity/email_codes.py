"""One-time codes by e-mail: six digits to the directory's alternate address, single use, short-lived.

Only a keyed hash of a code is stored (HMAC-SHA256 with HELPDESK_SECRET_KEY), so neither the database nor its
backups can give a code away, and a 6-digit code cannot be brute-forced from a leaked hash without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from enum import StrEnum

import aiosmtplib
import sqlalchemy as sa
import structlog

from bot.core.clock import SystemClock
from bot.core.ports import Clock
from bot.identity.totp import CODE, CodeFormatError
from bot.store.sql.database import Database, as_utc
from bot.store.sql.schema import email_codes
from bot.store.sql.upsert import upsert

log = structlog.get_logger(__name__)

CODE_LIFETIME = timedelta(minutes=5)
ATTEMPTS = 3


class CodeCheck(StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"  # attempts remain
    EXHAUSTED = "exhausted"  # that was the last attempt: the code is void
    EXPIRED = "expired"
    NONE_SENT = "none_sent"  # no code outstanding (never sent, or already used)


@dataclass(frozen=True, kw_only=True)
class SmtpServer:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_seconds: float = 10.0


class EmailDeliveryError(Exception):
    """The code could not be handed to the mail server; nothing is outstanding."""


class EmailCodes:
    """Sends and checks e-mailed one-time codes, one outstanding code per person."""

    def __init__(self, *, database: Database, smtp: SmtpServer, key: bytes, clock: Clock = SystemClock()) -> None:
        self._db = database
        self._clock = clock
        self._smtp = smtp
        self._key = key

    async def send(self, *, person: str, to_address: str) -> None:
        """Mail a fresh code for `person` (replacing any outstanding one) to `to_address`.

        Raises:
            EmailDeliveryError: the mail server refused or could not be reached.
        """
        code = f"{secrets.randbelow(1_000_000):06d}"
        message = EmailMessage()
        message["From"], message["To"] = self._smtp.sender, to_address
        message["Subject"] = "Your IT Helpdesk verification code"
        message.set_content(
            f"Your verification code is {code}.\n\nIt works once, for 5 minutes. If you did not "
            "ask the IT help bot for it, tell IT: someone may be trying to use your account.\n"
        )
        try:
            await aiosmtplib.send(
                message,
                hostname=self._smtp.host,
                port=self._smtp.port,
                username=self._smtp.username,
                password=self._smtp.password,
                start_tls=self._smtp.starttls,
                timeout=self._smtp.timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            log.warning("email_code_not_sent", error=type(error).__name__)
            raise EmailDeliveryError("the verification e-mail could not be sent") from None
        values = {
            "code_hash": self._digest(person, code),
            "expires_at": self._clock.now() + CODE_LIFETIME,
            "attempts_left": ATTEMPTS,
        }
        async with self._db.engine.begin() as conn:
            await upsert(conn, email_codes, key={"person": _normalise(person)}, values=values)

    async def check(self, *, person: str, code: str) -> CodeCheck:
        """Raises:
        CodeFormatError: not six digits (does not use up an attempt).
        """
        code = code.strip().replace(" ", "")
        if not CODE.match(code):
            raise CodeFormatError("a code is six digits")
        address = _normalise(person)
        async with self._db.engine.begin() as conn:
            row = (await conn.execute(sa.select(email_codes).where(email_codes.c.person == address))).first()
            if row is None:
                return CodeCheck.NONE_SENT
            if as_utc(row.expires_at) <= self._clock.now():
                await conn.execute(email_codes.delete().where(email_codes.c.person == address))
                return CodeCheck.EXPIRED
            if hmac.compare_digest(row.code_hash, self._digest(address, code)):
                # Delete-on-use, conditionally: of two concurrent uses only one finds the row.
                used = await conn.execute(
                    email_codes.delete().where(
                        email_codes.c.person == address, email_codes.c.code_hash == row.code_hash
                    )
                )
                return CodeCheck.ACCEPTED if used.rowcount == 1 else CodeCheck.NONE_SENT
            if row.attempts_left <= 1:
                await conn.execute(email_codes.delete().where(email_codes.c.person == address))
                return CodeCheck.EXHAUSTED
            await conn.execute(
                email_codes.update().where(email_codes.c.person == address).values(attempts_left=row.attempts_left - 1)
            )
            return CodeCheck.WRONG

    def _digest(self, person: str, code: str) -> str:
        return hmac.new(self._key, f"{_normalise(person)}:{code}".encode(), hashlib.sha256).hexdigest()


def _normalise(person: str) -> str:
    return person.strip().lower()
