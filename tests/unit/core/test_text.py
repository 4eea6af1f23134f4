"""Incoming text is cleaned before anything stores or models it."""

from bot.core.text import clean_message


def test_control_characters_and_surrogates_are_dropped_but_line_breaks_kept() -> None:
    assert clean_message("vpn\x00 is\x1b down\nsince\u200b today\udcff") == "vpn is down\nsince today"


def test_whitespace_is_tidied() -> None:
    assert clean_message("  my   printer\t\tis\r\n\n\n\n jammed  ") == "my printer is\n\njammed"


def test_only_whitespace_becomes_empty() -> None:
    assert clean_message(" \t\n\u00a0 ") == ""


def test_unicode_is_normalised_to_nfc() -> None:
    assert clean_message("cafe\u0301") == "caf\u00e9"
