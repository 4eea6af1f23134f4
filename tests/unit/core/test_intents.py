"""What the intent classifier makes of messages as people write them (the real MiniLM model, the shipped examples)."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.intents import DEFAULT_EXAMPLES_PATH, ClassifierIntentDetector, IntentExamples
from bot.kb.embedder import EncoderEmbedder
from knowledge.embeddings import MiniLMEncoder
from knowledge.language import english_reading

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def detector(encoder: MiniLMEncoder) -> ClassifierIntentDetector:
    """Trained once for the module: training is what start-up does, not what these tests are about."""
    trained = ClassifierIntentDetector(
        embedder=EncoderEmbedder(encoder=encoder),
        examples=IntentExamples.load(DEFAULT_EXAMPLES_PATH),
        embedding_reading=english_reading,
    )
    asyncio.run(trained.warm_up())
    return trained


async def intent_of(detector: ClassifierIntentDetector, text: str) -> str | None:
    return (await detector.detect(text)).intent


async def test_a_request_for_a_person_anywhere_in_the_message_wins(detector: ClassifierIntentDetector) -> None:
    match = await detector.detect("My laptop screen flickers green, I want to talk to a person")
    assert match.intent == "human"
    assert match.nearest_example == "I want to talk to a person"  # the clause that decided, for the hand-off
    assert await intent_of(detector, "Outlook crashes all the time. Can someone from IT call me?") == "human"


async def test_a_problem_without_a_request_for_a_person_is_not_a_hand_off(detector: ClassifierIntentDetector) -> None:
    assert await intent_of(detector, "my monitor flickers") is None
    assert await intent_of(detector, "My laptop screen flickers green") is None


async def test_locked_out_and_a_password_reset_asked_together_get_the_reset(detector: ClassifierIntentDetector) -> None:
    assert await intent_of(detector, "account locked and password reset") == "reset_password"
    assert await intent_of(detector, "unlock and reset my password please") == "reset_password"
    assert await intent_of(detector, "please unlock my account") == "unlock_account"


async def test_typos_and_spacing_are_ordinary_input(detector: ClassifierIntentDetector) -> None:
    assert await intent_of(detector, "pass word reset | please reset the pass word for user jdoe") == "reset_password"
    assert await intent_of(detector, "pasword re-set pls") == "reset_password"
    assert await intent_of(detector, "my acount is lokced, un lock it") == "unlock_account"


async def test_german_messages_get_their_intent(detector: ClassifierIntentDetector) -> None:
    assert await intent_of(detector, "ich kann mein erp passwort nicht zurück setzen") == "reset_password"
    assert await intent_of(detector, "Mein Konto ist gesperrt, bitte entsperren") == "unlock_account"
    assert await intent_of(detector, "Ich möchte mit einem Mitarbeiter sprechen") == "human"
    assert await intent_of(detector, "Mein Drucker druckt nicht") is None


async def test_questions_about_passwords_are_for_the_knowledge_base(detector: ClassifierIntentDetector) -> None:
    assert await intent_of(detector, "how do I reset my password myself?") is None
    assert await intent_of(detector, "what are the password rules") is None
    assert await intent_of(detector, "Wie oft muss ich mein Passwort ändern?") is None


async def test_one_word_messages(detector: ClassifierIntentDetector) -> None:
    assert await intent_of(detector, "wifi") is None
    assert await intent_of(detector, "printer") is None
    assert await intent_of(detector, "hello") == "greeting"
    assert await intent_of(detector, "thanks") == "thanks"


async def test_small_talk_only_counts_for_short_messages(detector: ClassifierIntentDetector) -> None:
    assert await intent_of(detector, "hi there") == "greeting"
    assert await intent_of(detector, "hi, my vpn drops every single hour since monday morning") is None


async def test_an_e_mail_ticket_is_read_for_its_ask(detector: ClassifierIntentDetector) -> None:
    match = await detector.detect(
        "Subject: software\n\nHello IT,\n\nplease install Microsoft Visio on my laptop, I need it for process maps."
        "\n\nKind regards,\nHelen Price\nOperations | Floor 4\nPhone: +44 20 7946 0123\n\n"
        "This e-mail is confidential and intended solely for the addressee.\n\n"
        "On Tue, 4 Mar 2025, IT <it@example.com> wrote:\n> Please talk to a person at the desk about your password"
    )
    assert match.intent == "request_software"
    assert 0.0 <= match.confidence <= 1.0


async def test_batch_triage_gets_the_same_verdicts_from_precomputed_vectors(
    detector: ClassifierIntentDetector, encoder: MiniLMEncoder
) -> None:
    texts = ["reset my password please", "Subject: locked\n\nmy account is locked\n\nRegards\nAnn", "printer jam"]
    batch = await detector.detect_embedded(texts, encoder.encode(texts))
    single = [await detector.detect(text) for text in texts]
    assert [m.intent for m in batch] == [m.intent for m in single] == ["reset_password", "unlock_account", None]
    assert [round(m.confidence, 4) for m in batch] == [round(m.confidence, 4) for m in single]
