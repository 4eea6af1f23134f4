"""Cleaning of incoming message text before anything stores or models it."""

from __future__ import annotations

import re
import unicodedata

_KEEP = {"\n"}
_MANY_BLANK_LINES = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\u00a0]+")


def clean_message(text: str) -> str:
    """Normalise text: NFC, no control or surrogate characters, tidy whitespace.

    Lone surrogates arrive when a client sends invalid UTF-8 escaped into JSON; they cannot be stored
    or encoded, so they are dropped along with control characters (keeping line breaks).
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\t", " "))
    kept = "".join(ch for ch in text if ch in _KEEP or unicodedata.category(ch) not in {"Cc", "Cs", "Cf"})
    lines = [_SPACES.sub(" ", line).strip() for line in kept.split("\n")]
    return _MANY_BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
