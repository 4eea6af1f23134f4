"""Calibration fits a confidence that separates answerable from unanswerable questions on the starter KB."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.calibrate import calibrate, load_questions
from knowledge.embeddings import MiniLMEncoder
from knowledge.index import KnowledgeIndex
from knowledge.model import SearchResult
from knowledge.retrieval import HybridRetriever

EVAL = Path(__file__).resolve().parents[3] / "knowledge" / "eval"
QUESTIONS = EVAL / "questions.jsonl"


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


@pytest.mark.asyncio
async def test_held_out_questions_are_measured_but_not_fitted(starter_data_dir: Path, encoder: MiniLMEncoder) -> None:
    index = KnowledgeIndex.open(directory=starter_data_dir / "kb", encoder=encoder)
    retriever = HybridRetriever(index=index, encoder=encoder)
    training = load_questions(QUESTIONS)[::4] + load_questions(EVAL / "questions_messy.jsonl")[::4]
    held_out = load_questions(EVAL / "questions_messy_heldout.jsonl")[::4]

    model = await calibrate(retriever=retriever, questions=training, held_out=held_out)

    assert model.report["questions"] == len(training)
    assert model.report["held_out"]["questions"] == len(held_out)
    assert {"confidently_wrong", "answerable_answered_correctly"} <= model.report["held_out"].keys()
    assert [cap.feature for cap in model.caps] == ["dense_margin", "coverage"]
