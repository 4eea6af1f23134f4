"""Loading articles: every rejection names the file, the line and the reason; good articles still load."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from knowledge.embeddings import MiniLMEncoder
from knowledge.index import KnowledgeIndex
from knowledge.loader import ArticleError, load_articles
from knowledge.retrieval import HybridRetriever
from tests.unit.knowledge.helpers import VPN, front_matter, write_article

GOOD_HEAD = """---
id: vpn-connect
title: Connecting to the VPN
summary: How to connect.
tags: [vpn, network]
owner: network-team
last_reviewed: 2026-09-15
"""


def only_error(directory: Path) -> ArticleError:
    report = load_articles(directory=directory)
    assert report.articles == ()
    assert len(report.errors) == 1, report.errors
    return report.errors[0]


def test_a_good_article_loads_with_every_field(tmp_path: Path) -> None:
    path = write_article(
        tmp_path,
        "vpn-connect",
        "Connecting to the VPN",
        VPN,
        url="https://intranet.example.com/it/kb/vpn-connect",
        actions="[reset_password]",
    )
    report = load_articles(directory=tmp_path)
    assert report.errors == ()
    (article,) = report.articles
    assert article.id == "vpn-connect"
    assert article.title == "Connecting to the VPN"
    assert article.tags == ("test",)
    assert article.last_reviewed == date(2026, 9, 15)
    assert article.url == "https://intranet.example.com/it/kb/vpn-connect"
    assert article.actions == ("reset_password",)
    assert article.body.startswith("# Connecting to the VPN")
    assert "last_reviewed" not in article.body
    assert article.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert article.path == path


def test_a_quoted_date_is_accepted(tmp_path: Path) -> None:
    write_article(tmp_path, "a", "A", "Body.", last_reviewed='"2026-03-01"')
    assert load_articles(directory=tmp_path).articles[0].last_reviewed == date(2026, 3, 1)


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        (GOOD_HEAD.replace("id: vpn-connect\n", "") + "---\nBody.\n", 1, "missing required field 'id'"),
        (
            GOOD_HEAD.replace("2026-09-15", "2026-13-01") + "---\nBody.\n",
            7,
            "last_reviewed must be an ISO date (YYYY-MM-DD), got '2026-13-01'",
        ),
        (
            GOOD_HEAD.replace("2026-09-15", "15/09/2026") + "---\nBody.\n",
            7,
            "last_reviewed must be an ISO date (YYYY-MM-DD), got '15/09/2026'",
        ),
        (GOOD_HEAD + "---\n\n   \n", 9, "article body is empty"),
        ("# Connecting to the VPN\n\nNo front matter here.\n", 1, "no front matter (file must start with '---')"),
        (GOOD_HEAD + "Body without a closing line.\n", 1, "front matter is not closed (no second '---' line)"),
        (
            GOOD_HEAD.replace("tags: [vpn, network]", "tags: vpn") + "---\nBody.\n",
            5,
            "tags must be a list of strings, e.g. [vpn, network], got 'vpn'",
        ),
        (
            GOOD_HEAD.replace("id: vpn-connect", "id: VPN_Connect") + "---\nBody.\n",
            2,
            "id must be lowercase-kebab (a-z, 0-9 and '-', e.g. 'vpn-connect'), got 'VPN_Connect'",
        ),
        (
            GOOD_HEAD + "actions: [reset_pasword]\n---\nBody.\n",
            8,
            "unknown action 'reset_pasword' (allowed: reset_password, unlock_account, reset_mfa, request_access, "
            "request_software)",
        ),
        (
            GOOD_HEAD + "action: [reset_password]\n---\nBody.\n",
            8,
            "unknown field 'action' (allowed: id, title, summary, tags, owner, last_reviewed, url, actions)",
        ),
        (GOOD_HEAD + "title: Again\n---\nBody.\n", 8, "field 'title' appears more than once"),
        (
            GOOD_HEAD.replace("title: Connecting to the VPN", "title: ") + "---\nBody.\n",
            3,
            "title must be a non-empty string, got None",
        ),
    ],
)
def test_each_problem_is_reported_with_its_line(tmp_path: Path, content: str, line: int, reason: str) -> None:
    (tmp_path / "vpn-connect.md").write_text(content, encoding="utf-8")
    error = only_error(tmp_path)
    assert (error.path, error.line, error.reason) == (tmp_path / "vpn-connect.md", line, reason)
    assert str(error) == f"{tmp_path / 'vpn-connect.md'}:{line}: {reason}"


def test_invalid_yaml_points_at_the_bad_line(tmp_path: Path) -> None:
    content = GOOD_HEAD.replace("title: Connecting to the VPN", "title: Mapped drives (S: drive) missing")
    (tmp_path / "a.md").write_text(content + "---\nBody.\n", encoding="utf-8")
    error = only_error(tmp_path)
    assert error.line == 3
    assert error.reason == "front matter is not valid YAML: mapping values are not allowed here"


def test_a_file_that_is_not_utf8_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_bytes((GOOD_HEAD + "---\n").encode() + "Caf\xe9 menu\n".encode("latin-1"))
    error = only_error(tmp_path)
    assert (error.line, error.reason) == (9, "file is not valid UTF-8")


def test_all_problems_of_one_file_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\nid: a\ntitle: A\n---\n", encoding="utf-8")
    report = load_articles(directory=tmp_path)
    reasons = [error.reason for error in report.errors]
    assert reasons == [
        "missing required field 'summary'",
        "missing required field 'tags'",
        "missing required field 'owner'",
        "missing required field 'last_reviewed'",
        "article body is empty",
    ]


def test_a_duplicate_id_is_rejected_and_the_first_is_kept(tmp_path: Path) -> None:
    write_article(tmp_path, "vpn-connect", "Connecting to the VPN", VPN)
    (tmp_path / "vpn-copy.md").write_text(front_matter("vpn-connect", "Copy") + "\nCopy.\n", encoding="utf-8")
    report = load_articles(directory=tmp_path)
    assert [a.path.name for a in report.articles] == ["vpn-connect.md"]
    reason = "duplicate id 'vpn-connect' (first defined in vpn-connect.md)"
    assert report.errors == (ArticleError(path=tmp_path / "vpn-copy.md", line=2, reason=reason),)


def test_only_markdown_files_are_read_in_name_order(tmp_path: Path) -> None:
    write_article(tmp_path, "b-article", "B", "Body b.")
    write_article(tmp_path, "a-article", "A", "Body a.")
    (tmp_path / "notes.txt").write_text("not an article", encoding="utf-8")
    assert [a.id for a in load_articles(directory=tmp_path).articles] == ["a-article", "b-article"]


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="articles directory not found"):
        load_articles(directory=tmp_path / "nope")


@pytest.mark.asyncio
async def test_a_bad_article_indexes_nothing_and_the_good_ones_still_load(
    tmp_path: Path, encoder: MiniLMEncoder
) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    write_article(articles, "vpn-connect", "Connecting to the VPN", VPN)
    bad = GOOD_HEAD.replace("id: vpn-connect", "id: zebra-care").replace("2026-09-15", "2026-02-30")
    (articles / "zebra-care.md").write_text(
        bad + "---\n# Zebra care\n\nFeed the zebras hay twice a day.\n", encoding="utf-8"
    )
    report = load_articles(directory=articles)
    assert [a.id for a in report.articles] == ["vpn-connect"]
    assert [(e.path.name, e.line) for e in report.errors] == [("zebra-care.md", 7)]

    index = KnowledgeIndex.open(directory=tmp_path / "kb", encoder=encoder)
    try:
        await index.sync(articles=report.articles)
        assert {c.article_id for c in index.chunks} == {"vpn-connect"}
        result = await HybridRetriever(index=index, encoder=encoder).search("zebras hay", mode="bm25")
        assert result.hits == ()
    finally:
        await index.close()
