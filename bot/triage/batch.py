"""Batch triage: a JSON Lines backlog export in, one triage line per ticket out, streamed in chunks.

Each chunk is embedded once; the same vectors serve the intent detector and the classifiers, exactly as in
live chat. A bad line is reported with its number and skipped; the rest are still processed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from bot.core.intents import ACTION_INTENTS, ClassifierIntentDetector
from bot.core.ports import Embedder
from bot.triage.triager import Triager

CHUNK = 256
MAX_TEXT_CHARS = 20_000  # a pasted log beyond this adds nothing to triage but slows TF-IDF
REPORTED_INTENTS = ACTION_INTENTS | {"human"}  # small talk is not an intent a backlog ticket has


@dataclass(frozen=True, kw_only=True)
class BatchTicket:
    line: int
    id: str | int
    text: str


@dataclass(frozen=True, kw_only=True)
class BatchReport:
    written: int
    skipped: int


def parse_line(number: int, line: str) -> BatchTicket | str:
    """The ticket on one input line, or the reason it cannot be used."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as error:
        return f"not JSON ({error.msg})"
    if not isinstance(item, dict):
        return "not a JSON object"
    ticket_id, text = item.get("id"), item.get("text")
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, str | int) or ticket_id == "":
        return "'id' must be a non-empty string or a number"
    if not isinstance(text, str) or not text.strip():
        return "'text' must be a non-empty string"
    return BatchTicket(line=number, id=ticket_id, text=text.strip()[:MAX_TEXT_CHARS])


def _chunks(
    lines: Iterable[str], on_problem: Callable[[int, str], None], on_line: Callable[[str], None]
) -> Iterator[list[BatchTicket]]:
    chunk: list[BatchTicket] = []
    for number, line in enumerate(lines, start=1):
        on_line(line)
        if not line.strip():
            continue
        parsed = parse_line(number, line)
        if isinstance(parsed, str):
            on_problem(number, parsed)
            continue
        chunk.append(parsed)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def triage_lines(
    source: TextIO,
    sink: TextIO,
    *,
    embedder: Embedder,
    intents: ClassifierIntentDetector,
    triager: Triager,
    on_problem: Callable[[int, str], None],
    on_line: Callable[[str], None] = lambda line: None,
) -> BatchReport:
    """Read tickets from `source`, write one JSON line per usable ticket to `sink`, in input order."""
    written = skipped = 0

    def problem(number: int, reason: str) -> None:
        nonlocal skipped
        skipped += 1
        on_problem(number, reason)

    for chunk in _chunks(source, problem, on_line):
        texts = [ticket.text for ticket in chunk]
        vectors = await embedder.embed(texts)
        matches = await intents.detect_embedded(texts, vectors)
        found = [match.intent if match.intent in REPORTED_INTENTS else None for match in matches]
        results = triager.triage_embedded(texts, vectors, intents=found)
        for ticket, match, intent, result in zip(chunk, matches, found, results, strict=True):
            sink.write(
                json.dumps(
                    {
                        "id": ticket.id,
                        "intent": intent,
                        "intent_confidence": round(match.confidence, 3) if intent else None,
                        "category": result.category,
                        "category_confidence": round(result.category_confidence, 3),
                        "priority": result.priority.priority,
                        "group": result.group,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
            written += 1
    return BatchReport(written=written, skipped=skipped)
