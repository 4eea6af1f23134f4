"""Which section an answer starts at: the steps, unless the question asks for another part of the article."""

from knowledge.answer import choose_section, compose_extractive
from knowledge.model import Chunk, ScoredChunk
from knowledge.section_roles import Role, section_role, wanted_roles


def section(n: int, heading: str, text: str) -> Chunk:
    return Chunk(
        chunk_id=f"slow#{n}",
        article_id="slow",
        article_title="Laptop running slowly",
        heading=f"Laptop running slowly > {heading}" if heading else "Laptop running slowly",
        text=text,
        url="https://intranet.example.com/kb/slow",
    )


INTRO = section(0, "", "If your laptop is slow, work through these checks in order.")
RESTART = section(1, "Restart the laptop properly", "1. Save your work.\n2. Click Start > Power > Restart.")
TASKS = section(2, "Find what is using the computer's power", "1. Press Ctrl+Shift+Esc.\n2. Sort by CPU.")
WHY = section(3, "Why laptops get slow", "Old laptops, full disks and many browser tabs slow a laptop down.")
AFTER = section(4, "After a restart", "The first start after updates can take a few minutes.")
STILL = section(
    5,
    "If the laptop is still slow",
    "Contact the IT Service Desk: ask this bot for a person. Tell them:\n\n1. The laptop's name.\n2. When it started.",
)
ARTICLE = [INTRO, RESTART, TASKS, WHY, AFTER, STILL]


def hit(chunk: Chunk, similarity: float) -> ScoredChunk:
    return ScoredChunk(chunk=chunk, score=similarity / 20, dense_similarity=similarity, bm25_score=2.0)


def test_roles_come_from_headings_and_list_shape() -> None:
    assert [section_role(c) for c in ARTICLE] == [
        Role.INTRO,
        Role.STEPS,
        Role.STEPS,
        Role.BACKGROUND,
        Role.AFTERCARE,
        Role.ESCALATION,
    ]
    plain = section(6, "Personal phones", "- Outlook keeps working.\n- Teams keeps working.")
    assert section_role(plain) is Role.STEPS
    assert section_role(section(7, "Duplicate files", "OneDrive adds your computer's name.")) is Role.OTHER


def test_the_contact_it_section_loses_to_the_steps_for_a_problem() -> None:
    hits = [hit(STILL, 0.63), hit(TASKS, 0.60)]
    assert choose_section(question="my laptop is really slow", hits=hits, article_chunks=ARTICLE) == TASKS


def test_an_intro_match_starts_at_the_first_how_to() -> None:
    hits = [hit(INTRO, 0.65), hit(STILL, 0.62)]
    assert choose_section(question="laptop slow", hits=hits, article_chunks=ARTICLE) == RESTART


def test_steps_the_search_missed_still_beat_the_contact_section() -> None:
    chosen = choose_section(question="slow laptop", hits=[hit(STILL, 0.6)], article_chunks=ARTICLE)
    assert chosen == RESTART


def test_a_question_about_reporting_to_it_gets_the_reporting_section() -> None:
    hits = [hit(STILL, 0.66), hit(TASKS, 0.58)]
    question = "who do I contact if my laptop stays slow"
    assert wanted_roles(question) == {Role.ESCALATION}
    assert choose_section(question=question, hits=hits, article_chunks=ARTICLE) == STILL


def test_a_why_question_gets_the_background() -> None:
    hits = [hit(WHY, 0.7), hit(TASKS, 0.64)]
    assert choose_section(question="why is my laptop so slow", hits=hits, article_chunks=ARTICLE) == WHY


def test_an_article_picked_from_the_options_starts_at_its_how_to() -> None:
    hits = [hit(AFTER, 0.7), hit(STILL, 0.69)]
    assert choose_section(question="laptop", hits=hits, article_chunks=ARTICLE, picked=True) == RESTART
    assert choose_section(question="laptop", hits=[], article_chunks=ARTICLE, picked=True) == RESTART


def test_an_article_without_steps_falls_back_to_its_best_section() -> None:
    article = [INTRO, WHY, STILL]
    assert choose_section(question="slow", hits=[hit(WHY, 0.5)], article_chunks=article, picked=True) == WHY
    assert choose_section(question="slow", hits=[], article_chunks=article) == INTRO


def test_the_whole_how_to_is_quoted_and_the_rest_named() -> None:
    answer = compose_extractive(best=RESTART, article_chunks=ARTICLE)
    assert [c.chunk_id for c in answer.sources] == ["slow#1", "slow#2"]
    assert "Click Start > Power > Restart." in answer.text
    assert "**Find what is using the computer's power**" in answer.text
    assert "Contact the IT Service Desk" not in answer.text
    assert answer.text.endswith(
        "More in the article: Why laptops get slow; After a restart; If the laptop is still slow."
    )


def test_a_how_to_that_does_not_fit_stops_at_a_whole_section() -> None:
    answer = compose_extractive(best=RESTART, article_chunks=ARTICLE, max_chars=80)
    assert [c.chunk_id for c in answer.sources] == ["slow#1"]
    assert "Ctrl+Shift+Esc" not in answer.text
    assert "More in the article: Find what is using the computer's power;" in answer.text


def test_a_section_named_after_a_situation_is_its_answer_even_when_it_sends_the_person_to_it() -> None:
    broken = section(8, "Broken or lost headset", "Contact the IT Service Desk for a replacement headset.")
    crashing = section(9, "If the laptop keeps crashing", "Contact the IT Service Desk. Have ready:\n\n1. The code.")
    assert section_role(broken) is Role.OTHER
    assert section_role(crashing) is Role.ESCALATION
