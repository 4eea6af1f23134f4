"""English or German, and the English reading of German IT wording."""

from __future__ import annotations

import pytest

from knowledge.language import detect_language, english_reading


@pytest.mark.parametrize(
    "text",
    [
        "Mein Drucker druckt nicht",
        "ich kann mein erp passwort nicht zurück setzen",
        "Guten Morgen, mein Laptop ist langsam",
        "Hallo",
        "Danke",
        "Drucker",
        "Kennwortänderung",
    ],
)
def test_german_messages_are_recognised_even_when_short(text: str) -> None:
    assert detect_language(text) == "de"


@pytest.mark.parametrize(
    "text",
    ["my vpn keps disconecting evry 10 min", "account locked", "the network drive is full", "thanks", "printer"],
)
def test_english_messages_stay_english(text: str) -> None:
    assert detect_language(text) == "en"


def test_a_word_that_could_be_either_keeps_the_conversations_language() -> None:
    assert detect_language("VPN", default="de") == "de"
    assert detect_language("VPN", default="en") == "en"
    assert detect_language("  ", default="de") == "de"


def test_german_it_wording_is_read_in_english_words() -> None:
    assert english_reading("Mein Drucker druckt nicht") == "my printer does not print"
    assert english_reading("Mein Passwort ist abgelaufen") == "my password has expired"
    assert english_reading("Konto gesperrt") == "account locked"


def test_compounds_are_split_into_listed_parts() -> None:
    assert english_reading("Druckerproblem") == "printer problem"
    assert english_reading("Kennwortänderung") == "password change"


def test_english_text_is_left_as_it_is() -> None:
    # "was" is German for "what", but an English text keeps its own words.
    assert english_reading("what was the problem with my printer") == "what was the problem with my printer"
