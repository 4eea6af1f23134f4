"""How the answer policy treats vague messages: the plausible-article floor (bot/core/policy.py) measured.

Usage:
    python bench/vague_messages.py

Builds the starter knowledge base in a temporary directory and runs two measurements:

1. Full sentences: the labelled questions (knowledge/eval/questions.jsonl), split in two halves by a CRC32 of the
   question. For each candidate floor below the calibrated clarify threshold it counts, per half, the answerable
   questions that would newly be clarified (and how often the right article is among the options) and the
   unanswerable ones that would be shown articles before reaching a person. Choose on "tune", read "held-out".
2. One- and two-word messages: the best match (fused score, which the plausible-article floor reads) and the
   confidence of topic words and of words no article fits, and what the policy decides for each.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.policy import AnswerPolicy  # noqa: E402
from bot.kb.service import KnowledgeService  # noqa: E402
from knowledge.calibrate import load_questions  # noqa: E402
from knowledge.confidence import ConfidenceModel  # noqa: E402
from knowledge.embeddings import MiniLMEncoder  # noqa: E402
from knowledge.index import KnowledgeIndex  # noqa: E402
from knowledge.loader import load_articles  # noqa: E402
from knowledge.paths import packaged_articles_dir  # noqa: E402
from knowledge.retrieval import HybridRetriever  # noqa: E402

FLOORS = (0.05, 0.1, 0.15, 0.2)
SHORT_MESSAGES = (
    "wifi", "teams", "printer", "email", "vpn", "outlook", "laptop", "screen", "sound", "printer problem",
    "computer issue", "ok", "hm", "asdf qwerty", "any news?", "still broken", "lol", "test", "yes", "Drucker", "WLAN",
)  # fmt: skip


async def main() -> None:
    encoder = MiniLMEncoder()
    with tempfile.TemporaryDirectory() as directory:
        index = KnowledgeIndex.open(directory=Path(directory) / "kb", encoder=encoder)
        await index.sync(articles=load_articles(directory=packaged_articles_dir()).articles)
        confidence = ConfidenceModel.load()
        knowledge = KnowledgeService(
            index=index, retriever=HybridRetriever(index=index, encoder=encoder), confidence=confidence
        )
        policy = AnswerPolicy(
            answer_threshold=confidence.answer_threshold, clarify_threshold=confidence.clarify_threshold
        )
        questions = load_questions(ROOT / "knowledge" / "eval" / "questions.jsonl")
        scored = []
        for question in questions:
            retrieval = await knowledge.retrieve(question.question)
            top = [hit.article_id for hit in retrieval.top_articles(policy.clarify_options)]
            half = "tune" if zlib.crc32(question.question.encode()) % 2 == 0 else "held-out"
            scored.append((half, question.article_id, retrieval.confidence, top))
        print(f"Sentences below the clarify threshold ({policy.clarify_threshold:.2f}), by floor:")
        print("| half | floor | answerable newly clarified (right article offered) | unanswerable shown articles |")
        print("|---|---|---|---|")
        for half in ("tune", "held-out"):
            rows = [row for row in scored if row[0] == half]
            answerable = [row for row in rows if row[1]]
            unanswerable = [row for row in rows if not row[1]]
            for floor in FLOORS:
                band = [row for row in answerable if floor <= row[2] < policy.clarify_threshold]
                right = sum(row[1] in row[3] for row in band)
                shown = sum(floor <= row[2] < policy.clarify_threshold for row in unanswerable)
                print(
                    f"| {half} | {floor:.2f} | {len(band)} of {len(answerable)} ({right}) "
                    f"| {shown} of {len(unanswerable)} |"
                )
        print("\nShort messages:")
        print("| message | best match | confidence | decision |")
        print("|---|---|---|---|")
        for text in SHORT_MESSAGES:
            retrieval = await knowledge.retrieve(text)
            decision = policy.decide(retrieval)
            offered = ", ".join(hit.article_id for hit in decision.options)
            best = retrieval.hits[0].score if retrieval.hits else 0.0
            outcome = f"{decision.outcome}{f' ({offered})' if offered else ''}"
            print(f"| {text} | {best:.2f} | {retrieval.confidence:.2f} | {outcome} |")


if __name__ == "__main__":
    asyncio.run(main())
