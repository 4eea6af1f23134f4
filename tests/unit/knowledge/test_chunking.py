"""Chunking: one chunk per heading section with its heading path; long sections never cut a step in two."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from knowledge.chunking import chunk_article
from knowledge.model import Article
from tests.unit.knowledge.helpers import VPN


def article(body: str, *, article_id: str = "vpn-connect", title: str = "Connecting to the VPN") -> Article:
    return Article(
        id=article_id,
        title=title,
        summary="s",
        tags=(),
        owner="o",
        last_reviewed=date(2026, 9, 1),
        body=body,
        path=Path(f"{article_id}.md"),
        content_hash="h",
        url="https://kb/vpn",
    )


def test_each_section_is_a_chunk_with_its_heading_path() -> None:
    chunks = chunk_article(article=article(VPN))
    assert [(c.chunk_id, c.heading) for c in chunks] == [
        ("vpn-connect#0", "Connecting to the VPN"),
        ("vpn-connect#1", "Connecting to the VPN > Steps"),
        ("vpn-connect#2", "Connecting to the VPN > If the VPN still does not connect"),
    ]
    intro, steps, _ = chunks
    assert intro.text.startswith("You need the VPN")
    assert steps.text.startswith("1. Open Cisco Secure Client")
    assert "## Steps" not in steps.text
    assert {(c.article_id, c.article_title, c.url) for c in chunks} == {
        ("vpn-connect", "Connecting to the VPN", "https://kb/vpn")
    }


def test_subsections_nest_and_empty_sections_are_skipped() -> None:
    body = "# Title\n\nIntro.\n\n## Empty\n\n## Mac\n\n### Sonoma\n\nText.\n\n#### Deeper\n\nStill Sonoma.\n"
    chunks = chunk_article(article=article(body))
    assert [(c.heading, c.text) for c in chunks] == [
        ("Title", "Intro."),
        ("Title > Mac > Sonoma", "Text.\n\n#### Deeper\n\nStill Sonoma."),
    ]


def test_markdown_inside_a_section_is_kept_exactly() -> None:
    body = (
        "# T\n\n## Steps\n\n1. First step.\n   - a nested note\n2. Second step.\n\n"
        "```\n# not a heading\nping vpn.example.com\n```\n\nAfter the code.\n"
    )
    (steps,) = chunk_article(article=article(body))
    assert steps.heading == "T > Steps"
    assert steps.text == (
        "1. First step.\n   - a nested note\n2. Second step.\n\n"
        "```\n# not a heading\nping vpn.example.com\n```\n\nAfter the code."
    )


def test_an_unclosed_code_fence_loses_no_text() -> None:
    chunks = chunk_article(article=article("# T\n\nIntro.\n\n```\ncode\n\n## Later\n\nLast words.\n"))
    assert "Last words." in "\n".join(c.text for c in chunks)


def test_a_long_section_is_split_between_steps_never_inside_one() -> None:
    steps = [
        f"{n}. Step {n}: "
        + ("open the client and check the connection status " * 3).strip()
        + f"\n   Detail line of step {n}."
        for n in range(1, 13)
    ]
    body = "# Long\n\nIntro.\n\n## Steps\n\n" + "\n".join(steps) + "\n"
    chunks = chunk_article(article=article(body), max_chars=600)
    step_chunks = [c for c in chunks if c.heading == "Long > Steps"]
    assert len(step_chunks) > 2
    assert all(len(c.text) <= 600 for c in step_chunks)
    for chunk in step_chunks:
        assert re.match(r"\d+\. Step", chunk.text), chunk.text  # every piece starts at a step
    for step in steps:
        assert sum(step in c.text for c in step_chunks) == 1  # whole, continuation line included, once
    assert [c.chunk_id for c in chunks] == [f"vpn-connect#{n}" for n in range(len(chunks))]


def test_text_before_any_heading_takes_the_title() -> None:
    (chunk,) = chunk_article(article=article("Just a paragraph, no headings.", title="Plain"))
    assert (chunk.heading, chunk.text) == ("Plain", "Just a paragraph, no headings.")
