"""Temporary passwords: random, long, and acceptable to common directory complexity rules."""

from __future__ import annotations

import secrets

# No look-alikes (0/O, 1/l/I) because people type these from a chat window.
_LOWER = "abcdefghijkmnopqrstuvwxyz"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_SYMBOLS = "-_.!#%+=?"
_ALPHABET = _LOWER + _UPPER + _DIGITS + _SYMBOLS


def temporary_password(*, length: int) -> str:
    """A password of `length` characters holding at least one lower, upper, digit and symbol character."""
    if length < 12:
        raise ValueError("temporary passwords are at least 12 characters")
    required = [secrets.choice(chars) for chars in (_LOWER, _UPPER, _DIGITS, _SYMBOLS)]
    rest = [secrets.choice(_ALPHABET) for _ in range(length - len(required))]
    characters = required + rest
    secrets.SystemRandom().shuffle(characters)  # so the required classes are not always first
    return "".join(characters)
