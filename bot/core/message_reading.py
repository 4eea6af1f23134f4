"""Reading a message the way a person does before deciding what it asks for.

A ticket e-mail carries a greeting, the ask, a signature, a legal disclaimer and the quoted thread it replies to.
A person reads the subject and the first sentences and skips the rest; the classifier should read the same text.
These are pure functions; the original message is kept unchanged for the transcript.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Where the quoted thread starts: everything from here on was written by someone else, earlier.
_QUOTE_START = re.compile(
    r"""^(
        -{2,}\s*(original\s+message|urspr(ü|ue)ngliche\s+nachricht|forwarded\s+message)\s*-{2,}
      | on\s.{3,120}\swrote:
      | am\s.{3,120}\sschrieb.{0,80}:
      | (from|von):\s.+
      | _{8,}
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Where the signature or the disclaimer starts: the closing formula, the sig dashes, the legal boilerplate.
_CLOSING = re.compile(
    r"""^(
        --\s*
      | ((thanks|thank\s+you|many\s+thanks)\s*(and|&)?\s*)?(best|kind|warm|many)?\s*(regards|wishes|greetings)\b.{0,40}
      | (br|vg|lg|mfg|thx|thanks|thank\s+you|cheers|many\s+thanks|thanks\s+in\s+advance|thank\s+you\s+in\s+advance)
        [\s,.!]*\S{0,30}\s*
      | (mit\s+)?(freundlichen|besten|viele|liebe|beste)\s+gr(ü|ue)(ß|ss)e?n?\b.{0,40}
      | (danke|gru(ß|ss)|gr(ü|ue)(ß|ss)e)\b[\s,.!]*(und\s+gru(ß|ss))?[\s,.!]*\S{0,30}\s*
      | sent\s+from\s+my\s.+
      | von\s+meinem\s.+\sgesendet.*
      | (this|the\s+information\s+in\s+this)\s+(e-?mail|message|communication)\b.+
      | the\s+information\s+contained\s+in\s+this.+
      | (confidentiality\s+notice|disclaimer|privileged\s*/\s*confidential)\b.*
      | diese\s+(e-?mail|nachricht)\s+enth(ä|ae)lt\b.+
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
# Contact lines of a signature: phone numbers, e-mail or web addresses alone on a line.
_CONTACT = re.compile(r"^((phone|tel|mobile|mob|fax|t|m|handy)\b[.:]?\s*)?[+(0-9][0-9 ()/.-]{6,}$", re.IGNORECASE)
# A line that only greets: it tells nothing about the ask once the message has one.
_SALUTATION = re.compile(
    r"^(hi|hello|hey|dear|good\s+(morning|afternoon|evening)|hallo|guten\s+(morgen|tag)|moin|servus|liebe[rs]?|sehr\s+geehrte[rs]?)"
    r"\b[^.!?]{0,40}[,!:]?$",
    re.IGNORECASE,
)
_SUBJECT = re.compile(r"^(subject|betreff|subj)\s*:\s*((re|aw|fw|fwd|wg)\s*:\s*)*", re.IGNORECASE)
_HEADER = re.compile(r"^(sent|gesendet|to|an|cc|date|datum)\s*:", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\s+(?:\||//|--)\s+|\n+")
_CLAUSE_BREAK = re.compile(r",\s+|;\s+|:\s+|\s+(?:and|but|also|und|aber|auch)\s+", re.IGNORECASE)

# How much of the body a person reads before they know what the message is about.
FIRST_SENTENCES = 3

# Spelling and spacing variants of the words intents hinge on; character n-grams catch the rest.
_VARIANTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), replacement)
    for pattern, replacement in (
        (r"\bpass\s*-?\s*words?\b", "password"),
        (r"\bpas+wo?r+d?s?\b|\bpass?wrod\b|\bpassowrd\b|\bpwd\b|\bpw\b", "password"),
        (r"\bre\s*-\s*set|\bre\s+set\b", "reset"),
        (r"\bun\s*-?\s*lock", "unlock"),
        (r"\blog\s+(in|on)\b", "login"),
        (r"\bsign\s+in\b", "signin"),
        (r"\blo[ck]+d\b|\blokced\b", "locked"),
        (r"\bac+ount\b|\bacct\b", "account"),
        (r"\bac+ess\b", "access"),
        (r"\b2\s*-?\s*(fa|factor)\b", "two factor"),
        (r"\bzur(ü|ue)ck\s+setzen\b", "zurücksetzen"),
        (r"\bpls\b|\bplz\b", "please"),
    )
)


@dataclass(frozen=True, kw_only=True)
class MessageReading:
    """What the intent decision reads: the ask, and its clauses (to find a request for a person anywhere)."""

    original: str
    text: str
    clauses: tuple[str, ...]


def read_message(text: str) -> MessageReading:
    """The subject and first sentences of the message's own part, normalised, and its clauses."""
    subject, body = _own_part(text)
    sentences = [s for s in (_tidy(s) for s in _SENTENCE_END.split(body)) if s]
    sentences = sentences[:1] + [s for s in sentences[1:] if not _CLOSING.match(s)]  # "... for me. Thanks, Lena"
    read = ([subject] if subject else []) + sentences[:FIRST_SENTENCES]
    if not read:  # nothing but a greeting, a signature or a forwarded thread: read what is there
        lines = (raw.strip().lstrip("> ") for raw in text.splitlines())
        read = [_tidy(line) for line in lines if _readable(line)] or [_tidy(text)]
    normalised = [normalise(s) for s in read]
    clauses = tuple(c for s in normalised for c in (p.strip(" .,!?") for p in _CLAUSE_BREAK.split(s)) if c)
    # The last sentence keeps its own ending, so a one-line message reads as itself (and its embedding, cached by
    # the encoder, serves retrieval too).
    joined = " ".join([*(_ended(s) for s in normalised[:-1]), normalised[-1]])
    return MessageReading(original=text, text=joined, clauses=clauses)


def normalise(text: str) -> str:
    """Spelling and spacing variants of the key words in one form ("pass word", "re-set", "un lock")."""
    for pattern, replacement in _VARIANTS:
        text = pattern.sub(replacement, text)
    return text


def _own_part(text: str) -> tuple[str, str]:
    """(subject, body) of what the sender wrote: no quoted thread, headers, signature or disclaimer."""
    subject = ""
    kept: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if _SUBJECT.match(line):
            if subject or kept:  # a second subject belongs to a quoted header block
                break
            subject = _SUBJECT.sub("", line).strip()
            continue
        if line.startswith(">") or _HEADER.match(line):
            continue
        if _QUOTE_START.match(line) or (kept and _CLOSING.match(line)):
            break
        if _CONTACT.match(line) or (_SALUTATION.match(line) and not kept):
            continue
        kept.append(line)
    return subject, "\n".join(kept)


def _readable(line: str) -> bool:
    return bool(line) and not (_QUOTE_START.match(line) or _HEADER.match(line) or _CONTACT.match(line))


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(" -|/")


def _ended(sentence: str) -> str:
    """A sentence with its end mark, so the joined reading keeps the sentence boundaries."""
    sentence = sentence.rstrip(",;")
    return sentence if sentence[-1:] in ".!?:" else sentence + "."
