"""Calibration fits a confidence that separates answerable from unanswerable questions on the starter KB."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.calibrate import calibrate, load_questions
from knowledge.embeddings import MiniLMEncoder
from knowledge.index import KnowledgeIndex
from knowledge.model import SearchResult
from knowledge.retrieval import HybridRetriever

QUESTIONS = Path(__file__).resolve().parents[3] / "knowledge" / "eval" / "questions.jsonl"


def test_a_malformed_labelled_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "vpn?", "article_id": "vpn-connect"}\n{"question": "no id"}\n')
    with pytest.raises(ValueError, match=r"q.jsonl:2:"):
        load_questions(path)


@pytest.mark.asyncio
async def test_calibration_on_a_sample_of_the_labelled_questions(
    starter_data_dir: Path, encoder: MiniLMEncoder
) -> None:
    index = KnowledgeIndex.open(directory=starter_data_dir / "kb", encoder=encoder)
    retriever = HybridRetriever(index=index, encoder=encoder)
    sample = load_questions(QUESTIONS)[::4]  # every 4th keeps both answerable and unanswerable ones

    model = await calibrate(retriever=retriever, questions=sample)

    assert 0 < model.clarify_threshold <= model.answer_threshold < 1
    assert model.report["questions"] == len(sample)
    assert model.report["unanswerable"] > 5
    assert model.report["answered_precision"] >= 0.8
    on_topic: SearchResult = await retriever.search("how do I connect to the vpn from home", k=10)
    off_topic: SearchResult = await retriever.search("who won the football match last night", k=10)
    assert model.score(on_topic) > model.answer_threshold > model.score(off_topic)
