"""Searching a small knowledge base in hybrid, dense and BM25 modes."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.embeddings import MiniLMEncoder
from knowledge.fusion import DEFAULT_FUSION, Fusion
from knowledge.index import KnowledgeIndex
from knowledge.loader import load_articles
from knowledge.retrieval import HybridRetriever
from tests.unit.knowledge.helpers import write_article, write_sample


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
async def test_a_vpn_question_finds_the_vpn_article(retriever: HybridRetriever, mode: str) -> None:
    result = await retriever.search("how do I connect to the vpn", k=5, mode=mode)  # type: ignore[arg-type]
    assert result.query == "how do I connect to the vpn"
    assert result.hits[0].chunk.article_id == "vpn-connect"
    assert result.article_ids()[0] == "vpn-connect"
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.asyncio
async def test_hybrid_hits_carry_both_signals_and_fused_scores(retriever: HybridRetriever) -> None:
    result = await retriever.search("forgot my password", k=10)
    assert result.hits[0].chunk.article_id == "password-self-service-reset"
    for hit in result.hits:
        assert hit.dense_similarity is not None
        assert -1.0 <= hit.dense_similarity <= 1.0
        assert hit.bm25_score is not None
        assert hit.bm25_score >= 0.0
        expected = 0.8 * max(hit.dense_similarity, 0.0) + 0.2 * hit.bm25_score / (hit.bm25_score + 10.0)
        assert hit.score == pytest.approx(expected)  # the default fusion, from the hit's own two signals
    assert any(hit.bm25_rank is None and hit.bm25_score == 0.0 for hit in result.hits)  # dense-only hits


@pytest.mark.asyncio
async def test_bm25_only_hits_get_their_cosine_similarity(sample_index: KnowledgeIndex, encoder: MiniLMEncoder) -> None:
    narrow = HybridRetriever(index=sample_index, encoder=encoder, candidates=1)
    wide = HybridRetriever(index=sample_index, encoder=encoder)
    dense = await wide.search("Start menu", k=50, mode="dense")
    exact = {hit.chunk.chunk_id: hit.dense_similarity for hit in dense.hits}
    result = await narrow.search("Start menu", k=2)
    lexical_only = [hit for hit in result.hits if hit.dense_rank is None]
    assert lexical_only, result.hits
    for hit in lexical_only:
        assert hit.bm25_rank == 1
        assert hit.dense_similarity == pytest.approx(exact[hit.chunk.chunk_id], abs=1e-5)


@pytest.mark.asyncio
async def test_single_modes_report_only_their_own_signal(retriever: HybridRetriever) -> None:
    dense = await retriever.search("out of office while on holiday", k=3, mode="dense")
    assert dense.hits[0].chunk.article_id == "outlook-out-of-office"
    assert all(h.score == h.dense_similarity for h in dense.hits)
    assert all(h.bm25_score is None and h.bm25_rank is None for h in dense.hits)
    assert [h.dense_rank for h in dense.hits] == [1, 2, 3]

    bm25 = await retriever.search("FollowMe queue", k=3, mode="bm25")
    assert bm25.hits[0].chunk.article_id == "printer-add"
    assert all(h.score == h.bm25_score for h in bm25.hits)
    assert all(h.dense_similarity is None and h.dense_rank is None for h in bm25.hits)


@pytest.mark.asyncio
async def test_words_the_index_lacks_leave_the_dense_side_to_answer(retriever: HybridRetriever) -> None:
    assert (await retriever.search("automobile reservation", mode="bm25")).hits == ()
    hybrid = await retriever.search("automobile reservation", k=3)
    assert hybrid.hits[0].chunk.article_id == "pool-car"
    assert all(h.bm25_score is None and h.bm25_rank is None for h in hybrid.hits)


@pytest.mark.asyncio
@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
async def test_a_blank_query_finds_nothing(retriever: HybridRetriever, query: str, mode: str) -> None:
    result = await retriever.search(query, mode=mode)  # type: ignore[arg-type]
    assert (result.query, result.hits) == (query, ())


@pytest.mark.asyncio
async def test_k_beyond_the_corpus_returns_every_chunk_once(
    retriever: HybridRetriever, sample_index: KnowledgeIndex
) -> None:
    result = await retriever.search("vpn", k=1000, mode="dense")
    assert len({hit.chunk.chunk_id for hit in result.hits}) == len(result.hits) == sample_index.chunk_count


@pytest.mark.asyncio
async def test_an_empty_index_finds_nothing(tmp_path: Path, encoder: MiniLMEncoder) -> None:
    index = KnowledgeIndex.open(directory=tmp_path / "kb", encoder=encoder)
    try:
        retriever = HybridRetriever(index=index, encoder=encoder)
        for mode in ("hybrid", "dense", "bm25"):
            result = await retriever.search("vpn", mode=mode)
            assert result.hits == ()
    finally:
        await index.close()


@pytest.mark.asyncio
async def test_an_unknown_mode_is_refused(retriever: HybridRetriever) -> None:
    with pytest.raises(ValueError, match="mode must be one of hybrid, dense, bm25"):
        await retriever.search("vpn", mode="fuzzy")  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_the_default_fusion_is_what_hybrid_search_orders_by(
    sample_index: KnowledgeIndex, encoder: MiniLMEncoder
) -> None:
    lexical_only = HybridRetriever(index=sample_index, encoder=encoder, fusion=Fusion(dense_weight=0.0))
    default = HybridRetriever(index=sample_index, encoder=encoder)
    query = "Start menu Applications"
    bm25 = [h.chunk.chunk_id for h in (await default.search(query, k=3, mode="bm25")).hits]
    by_words = (await lexical_only.search(query, k=3)).hits
    # All weight on the lexical side orders like BM25; chunks BM25 did not find follow with nothing.
    assert [h.chunk.chunk_id for h in by_words[: len(bm25)]] == bm25
    assert all(h.score == 0.0 for h in by_words[len(bm25) :])
    fused = (await default.search(query, k=10)).hits
    assert [h.score for h in fused] == sorted((h.score for h in fused), reverse=True)
    assert DEFAULT_FUSION.dense_weight > 0.5  # dense-weighted: the lexical side only adjusts


@pytest.mark.asyncio
async def test_a_german_question_reaches_the_english_article(retriever: HybridRetriever) -> None:
    assert (await retriever.search("Passwort vergessen", k=3)).hits[0].chunk.article_id == (
        "password-self-service-reset"
    )
    # BM25 alone shows the English reading at work: the German words are in no article.
    assert (await retriever.search("Passwort vergessen", k=3, mode="bm25")).hits[0].chunk.article_id == (
        "password-self-service-reset"
    )


@pytest.mark.asyncio
async def test_without_the_english_reading_german_words_find_nothing_lexically(
    sample_index: KnowledgeIndex, encoder: MiniLMEncoder
) -> None:
    as_written = HybridRetriever(index=sample_index, encoder=encoder, english_readings=False)
    assert (await as_written.search("Passwort vergessen", k=3, mode="bm25")).hits == ()


@pytest.mark.asyncio
async def test_a_german_article_is_still_found_by_a_german_question(tmp_path: Path, encoder: MiniLMEncoder) -> None:
    articles = write_sample(tmp_path / "articles")
    write_article(
        articles,
        "drucker-einrichten",
        "Drucker einrichten",
        "# Drucker einrichten\n\nÖffnen Sie die Einstellungen und fügen Sie den Drucker FollowMe hinzu. "
        "Danach holen Sie den Ausdruck mit Ihrem Ausweis am Gerät ab.\n",
    )
    report = load_articles(directory=articles)
    index = KnowledgeIndex.open(directory=tmp_path / "kb", encoder=encoder)
    try:
        await index.sync(articles=report.articles)
        result = await HybridRetriever(index=index, encoder=encoder).search("Wie kann ich den Drucker einrichten?")
        assert result.article_ids()[0] == "drucker-einrichten"
    finally:
        await index.close()
