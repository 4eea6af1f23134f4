"""What part an article section plays: the steps, background, after-care or the way to IT.

Read from the section's own structure (its heading's wording and the shape of its body), never from a list
of article ids, so a new article written the way the packaged ones are is understood without changes here.
The answer composer uses the role to quote the section that tells the person what to do, unless the
question asks for another part ("how do I report VPN drops to IT" wants the reporting section).
"""

from __future__ import annotations

import re
from enum import StrEnum

from knowledge.model import Chunk


class Role(StrEnum):
    INTRO = "intro"  # the text under the title, before the first section heading
    STEPS = "steps"  # what to do: a list of actions, or a heading that promises them
    BACKGROUND = "background"  # why, what, when, before: context the person may not need first
    AFTERCARE = "aftercare"  # what to do once the main task is done
    ESCALATION = "escalation"  # when the self-help has not worked: contacting or reporting to IT
    OTHER = "other"  # anything else (prose about one situation, a list of facts)


_LIST_ITEM = re.compile(r"(?m)^[ \t]*(?:\d+[.)]|[-*+])[ \t]+\S")
_NUMBERED_ITEM = re.compile(r"(?m)^[ \t]*\d+[.)][ \t]+\S")

# Heading wording, matched case-insensitively at the start of the last heading on the path.
_ESCALATION_HEADING = re.compile(
    r"^(?:if\b.*\bstill\b|still\b|getting help|password help|help\b|if you need help|reporting\b.*\bto it\b"
    r"|contact(?:ing)?\b|when to contact|if you can'?t\b|if you forgot or can'?t\b|if .*\bstuck or refused\b)"
    r"|\bfrom a person\b",
    re.IGNORECASE,
)
_AFTERCARE_HEADING = re.compile(r"^(?:after\b|once\b|when .* is done\b)", re.IGNORECASE)
_BACKGROUND_HEADING = re.compile(
    r"^(?:why\b|what\b|when you need\b|when to\b|before\b|normal reasons\b|how (?!to\b).*\bworks?\b|how long\b"
    r"|tips\b|common reasons\b|where\b|.*\blevels\b|licences every\b|warning signs\b)",
    re.IGNORECASE,
)
_STEPS_HEADING = re.compile(
    r"^(?:how to\b|steps?\b|fix\b|quick fix|quick checks?\b|try\b|option \d|add\b|check\b|clear\b|connect"
    r"|choose\b|allow\b|install\b|map\b|open\b|restart\b|find\b|enter\b|set\b|setting up|moving\b|re-?pair"
    r"|free\b|clean\b|let\b|make\b|protect\b|report\b|release\b|share|sharing|adding|joining|using\b|arranging"
    r"|signing in|turn\b|reset\b|unlock\b|move\b|stop\b|submit\b|hand over|return|enrol|fully enrol)",
    re.IGNORECASE,
)
_CONDITION_HEADING = re.compile(r"^(?:if|when)\b", re.IGNORECASE)
# Sections whose body is mostly the way to a person: "contact the IT Service Desk", "call ext 4357".
_CONTACT_IT = re.compile(
    r"contact (?:the )?(?:it|service desk|it service desk)\b|ask this bot for a person|call ext", re.IGNORECASE
)


def section_role(chunk: Chunk) -> Role:
    """The role of one chunk, from its heading path and the shape of its text."""
    if " > " not in chunk.heading and chunk.heading == chunk.article_title:
        return Role.INTRO
    heading = chunk.heading.split(" > ")[-1].strip()
    if _ESCALATION_HEADING.search(heading):
        return Role.ESCALATION
    if _AFTERCARE_HEADING.search(heading):
        return Role.AFTERCARE
    if _BACKGROUND_HEADING.search(heading):
        return Role.BACKGROUND
    if _CONDITION_HEADING.search(heading) and _mostly_contact(chunk.text):
        # "If the laptop keeps crashing: contact the Service Desk" is the way to IT, not self-help. A section
        # named after a situation ("Broken or lost headset") that sends the person to IT is that situation's
        # answer, so it keeps its role from its shape below.
        return Role.ESCALATION
    if _STEPS_HEADING.search(heading) or _NUMBERED_ITEM.search(chunk.text):
        return Role.STEPS
    if len(_LIST_ITEM.findall(chunk.text)) >= 2:
        return Role.STEPS
    return Role.OTHER


def _mostly_contact(text: str) -> bool:
    # The first paragraph carries the section's point; a contact line further down is a fallback.
    first = text.strip().split("\n\n", 1)[0]
    return bool(_CONTACT_IT.search(first))


# Words in a question that ask for a part other than the steps.
_ASKS_FOR: dict[Role, re.Pattern[str]] = {
    Role.ESCALATION: re.compile(
        r"\b(?:report(?:ing)?\b.*\b(?:it|service desk|helpdesk|help desk)\b|contact(?:ing)?|escalat\w*"
        r"|who (?:do|should|can) i|(?:call|phone|ring)\b.*\b(?:it|service desk|helpdesk|help desk)\b"
        r"|what (?:do|should) i tell)",
        re.IGNORECASE,
    ),
    Role.AFTERCARE: re.compile(r"\b(?:after|afterwards|once i(?:'ve| have)?)\b", re.IGNORECASE),
    Role.BACKGROUND: re.compile(
        r"\b(?:why|what is|what are|how long|how many|when do|when should|before i|is it normal)\b", re.IGNORECASE
    ),
}


def wanted_roles(question: str) -> frozenset[Role]:
    """The non-steps roles a question asks for, from its wording (empty for "it doesn't work" questions)."""
    return frozenset(role for role, pattern in _ASKS_FOR.items() if pattern.search(question))
