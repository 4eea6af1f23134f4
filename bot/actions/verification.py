"""The second factor (assurance level 2): a code from the person's authenticator app, or one e-mailed to the
alternate address the directory holds for them. Which one: TOTP when enrolled, else e-mail when possible."""

from __future__ import annotations

from enum import StrEnum

from bot.identity.email_codes import CodeCheck, EmailCodes
from bot.identity.totp import CodeFormatError, TotpEnrolments


class Method(StrEnum):
    TOTP = "totp"
    EMAIL = "email"


class CodeResult(StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    MALFORMED = "malformed"  # not six digits: does not count as an attempt
    EXPIRED = "expired"  # the e-mailed code ran out (or was voided): a new one is needed
    EXHAUSTED = "exhausted"  # the last attempt failed


class SecondFactor:
    """Chooses, sends and checks second factors; either method may be unconfigured (None)."""

    def __init__(self, *, totp: TotpEnrolments | None, email_codes: EmailCodes | None, attempts: int) -> None:
        self._totp = totp
        self._email = email_codes
        self._attempts = attempts

    async def method_for(self, *, email: str, alternate_email: str | None) -> Method | None:
        """The method this person can use, or None (then a human must verify them)."""
        if self._totp is not None and await self._totp.is_enrolled(email):
            return Method.TOTP
        if self._email is not None and alternate_email and alternate_email.casefold() != email.casefold():
            return Method.EMAIL  # never the primary address: whoever holds the chat session may read that mailbox
        return None

    async def challenge(self, *, method: Method, email: str, alternate_email: str | None) -> None:
        """Send the e-mailed code (nothing to send for TOTP).

        Raises:
            EmailDeliveryError: the mail server did not take it.
        """
        if method is Method.EMAIL:
            if self._email is None or not alternate_email:  # the flow only offers e-mail when both exist
                raise RuntimeError("an e-mailed code needs the e-mail service and an alternate address")
            await self._email.send(person=email, to_address=alternate_email)

    async def check(self, *, method: Method, email: str, code: str, wrong_so_far: int) -> CodeResult:
        """Check one code; `wrong_so_far` counts this flow's earlier wrong codes."""
        try:
            if method is Method.TOTP:
                if self._totp is None:
                    raise RuntimeError("a TOTP code was checked without TOTP enrolments")
                if await self._totp.verify(email, code):
                    return CodeResult.ACCEPTED
                return CodeResult.EXHAUSTED if wrong_so_far + 1 >= self._attempts else CodeResult.WRONG
            if self._email is None:
                raise RuntimeError("an e-mailed code was checked without the e-mail service")
            checked = await self._email.check(person=email, code=code)
        except CodeFormatError:
            return CodeResult.MALFORMED
        if checked is CodeCheck.ACCEPTED:
            return CodeResult.ACCEPTED
        if checked in (CodeCheck.EXPIRED, CodeCheck.NONE_SENT):
            return CodeResult.EXPIRED
        if checked is CodeCheck.EXHAUSTED or wrong_so_far + 1 >= self._attempts:
            return CodeResult.EXHAUSTED
        return CodeResult.WRONG
