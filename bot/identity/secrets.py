"""Secrets at rest (TOTP seeds): encrypted with HELPDESK_SECRET_KEY, a Fernet key (AES-128-CBC + HMAC-SHA256)."""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken


class SecretKeyError(ValueError):
    """HELPDESK_SECRET_KEY is missing or not a Fernet key; says how to make one."""


class SecretBox:
    """Encrypts and decrypts small secrets with one key; a wrong key or an altered value is an error."""

    def __init__(self, *, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as error:
            raise SecretKeyError(
                "HELPDESK_SECRET_KEY is not a valid key (32 url-safe base64-encoded bytes); "
                "create one with `helpdesk-bot identity new-secret-key`"
            ) from error

        self._key = key

    def derived_key(self, purpose: str) -> bytes:
        """A separate key for `purpose` (e.g. hashing e-mailed codes), so one key never serves two jobs."""
        return hmac.new(self._key.encode("ascii"), f"helpdesk-bot:{purpose}".encode(), hashlib.sha256).digest()

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def decrypt(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except InvalidToken as error:
            raise SecretKeyError(
                "a stored secret cannot be decrypted: HELPDESK_SECRET_KEY has changed, or the value was altered"
            ) from error


def new_secret_key() -> str:
    return Fernet.generate_key().decode("ascii")
