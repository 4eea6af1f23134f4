"""TOTP second factor (RFC 6238, pyotp): enrolment by IT staff, and single-use checking of 6-digit codes."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyotp
import sqlalchemy as sa

from bot.core.clock import SystemClock
from bot.core.ports import Clock
from bot.identity.secrets import SecretBox
from bot.store.sql.database import Database
from bot.store.sql.schema import totp_enrolments
from bot.store.sql.upsert import upsert

ISSUER = "IT Helpdesk"
CODE = re.compile(r"^\d{6}$")
DRIFT_STEPS = 1  # accept the previous and the next 30-second step too (phone clocks drift)


class CodeFormatError(ValueError):
    """Not six digits: told apart from a wrong code so the person can be asked to retype it."""


@dataclass(frozen=True, kw_only=True)
class Enrolment:
    """Shown once to whoever enrols the person, to type or scan into an authenticator app."""

    secret: str
    uri: str


class TotpEnrolments:
    """Enrolled TOTP secrets, encrypted at rest; a code is accepted at most once."""

    def __init__(self, *, database: Database, box: SecretBox, clock: Clock = SystemClock()) -> None:
        self._db = database
        self._clock = clock
        self._box = box

    async def enroll(self, email: str) -> Enrolment:
        """A fresh secret for `email`, replacing any earlier one."""
        address = _normalise(email)
        secret = pyotp.random_base32()
        values = {"secret": self._box.encrypt(secret), "last_step": None, "created_at": self._clock.now()}
        async with self._db.engine.begin() as conn:
            await upsert(conn, totp_enrolments, key={"email": address}, values=values)
        return Enrolment(secret=secret, uri=pyotp.TOTP(secret).provisioning_uri(name=address, issuer_name=ISSUER))

    async def is_enrolled(self, email: str) -> bool:
        async with self._db.engine.connect() as conn:
            found = await conn.execute(
                sa.select(totp_enrolments.c.email).where(totp_enrolments.c.email == _normalise(email))
            )
            return found.first() is not None

    async def verify(self, email: str, code: str) -> bool:
        """True when `code` is the person's current code and has not been used before.

        Raises:
            CodeFormatError: the code is not six digits.
        """
        code = code.strip().replace(" ", "")
        if not CODE.match(code):
            raise CodeFormatError("a code is six digits")
        address = _normalise(email)
        moment = self._clock.now().timestamp()
        async with self._db.engine.begin() as conn:
            row = (await conn.execute(sa.select(totp_enrolments).where(totp_enrolments.c.email == address))).first()
            if row is None:
                return False
            totp = pyotp.TOTP(self._box.decrypt(row.secret))
            step = _matching_step(totp, code, moment)
            if step is None or (row.last_step is not None and step <= row.last_step):
                return False  # wrong, or already used (a replay, or an older code after a newer one)
            # Conditional update: of two concurrent uses of one code, only one wins.
            claimed = await conn.execute(
                totp_enrolments.update()
                .where(
                    totp_enrolments.c.email == address,
                    sa.or_(totp_enrolments.c.last_step.is_(None), totp_enrolments.c.last_step < step),
                )
                .values(last_step=step)
            )
            return claimed.rowcount == 1


def _matching_step(totp: pyotp.TOTP, code: str, moment: float) -> int | None:
    current = int(moment // totp.interval)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


def _normalise(email: str) -> str:
    address = email.strip().lower()
    if "@" not in address:
        raise ValueError(f"not an e-mail address: {email!r}")
    return address
