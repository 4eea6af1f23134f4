"""The German catalog translates bot/messages.py's texts without losing a placeholder."""

from __future__ import annotations

import string

import pytest

from bot import messages, messages_de


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


@pytest.mark.parametrize(("english", "german"), list(messages_de.GERMAN.items()))
def test_a_german_text_fills_in_exactly_what_its_english_original_does(english: str, german: str) -> None:
    assert placeholders(german) == placeholders(english)
    assert german != english


def test_every_key_is_one_of_the_english_messages() -> None:
    constants = [value for name, value in vars(messages).items() if name.isupper()]
    english = {value for value in constants if isinstance(value, str)}
    english |= {text for value in constants if isinstance(value, dict) for text in value.values()}  # ACTION_CONFIRM
    assert set(messages_de.GERMAN) <= english


def test_every_action_has_a_german_name() -> None:
    assert set(messages_de.ACTION_LABELS) == set(messages.ACTION_LABELS)


def test_a_text_without_a_translation_stays_english() -> None:
    assert messages_de.german(messages.CODE_HIDDEN) == messages.CODE_HIDDEN


def test_what_only_staff_and_approvers_read_stays_english() -> None:
    staff_facing = (
        messages.APPROVAL_REQUEST,
        messages.APPROVAL_NOT_YOURS,
        messages.APPROVAL_APPROVED_APPROVER,
        messages.APPROVAL_FAILED_APPROVER,
        messages.PASSWORD_RESET_TRANSCRIPT,
        messages.SLA_REMINDER,
    )
    assert not set(staff_facing) & set(messages_de.GERMAN)
