"""Reading a message as a person does: the ask is kept, the mail around it is not."""

from bot.core.message_reading import read_message


def test_a_chat_message_is_read_as_written() -> None:
    reading = read_message("my laptop is really slow")
    assert reading.text == "my laptop is really slow"  # a one-line message reads as itself
    assert reading.clauses == ("my laptop is really slow",)


def test_the_subject_comes_first_and_the_greeting_signature_and_contact_lines_are_skipped() -> None:
    mail = (
        "Subject: RE: FW: VPN access\n\nHi team,\n\nI started in procurement on Monday. Could you give me VPN access?"
        "\n\nThanks and best regards,\nJane Doe\nProcurement | Building 2\nPhone: +1 555 123 4567\n+44 20 7946 0000"
    )
    reading = read_message(mail)
    assert reading.text == "VPN access. I started in procurement on Monday. Could you give me VPN access?"
    assert reading.original == mail  # the transcript keeps what the person wrote


def test_a_quoted_reply_is_not_read() -> None:
    reading = read_message(
        "please unlock my account\n\nOn Mon, 3 Mar 2025 at 09:12, IT Support <it@example.com> wrote:\n"
        "> Have you tried resetting your password in the portal?\n> IT Support"
    )
    assert reading.text == "please unlock my account"


def test_an_outlook_header_block_starts_the_quoted_thread() -> None:
    reading = read_message(
        "Still broken, I want to talk to someone.\n\nFrom: Service Desk <sd@example.com>\nSent: Monday 09:12\n"
        "To: Peter\nSubject: your password\n\nPlease reset your password in the portal."
    )
    assert reading.text == "Still broken, I want to talk to someone."


def test_an_original_message_separator_and_a_german_quote_header_end_the_own_part() -> None:
    english = read_message("thanks, works\n-----Original Message-----\nFrom: IT\nreset my password")
    german = read_message(
        "Danke!\n\nAm 03.03.2025 um 10:00 schrieb IT-Support <it@example.de>:\n> Passwort zurücksetzen"
    )
    assert (english.text, german.text) == ("thanks, works", "Danke!")


def test_a_forwarded_message_with_nothing_of_its_own_is_read_from_the_quote() -> None:
    reading = read_message("-----Original Message-----\nFrom: Anna\nSent: today\nmy account is locked")
    assert reading.text == "my account is locked"


def test_a_german_signature_and_disclaimer_are_skipped() -> None:
    reading = read_message(
        "Hallo zusammen,\n\nmein Konto ist gesperrt. Bitte entsperren.\n\nMit freundlichen Grüßen\nMax Muster\n"
        "Tel. +49 89 1234567\n\nDiese E-Mail enthält vertrauliche Informationen und ist nur für den Empfänger bestimmt."
    )
    assert reading.text == "mein Konto ist gesperrt. Bitte entsperren."


def test_sig_dashes_and_an_english_disclaimer_are_skipped() -> None:
    reading = read_message(
        "Outlook crashes when I open attachments.\n--\nTom Baker\nLogistics\n\n"
        "This e-mail and any attachments are confidential and intended solely for the addressee."
    )
    assert reading.text == "Outlook crashes when I open attachments."


def test_a_disclaimer_without_a_signature_is_skipped() -> None:
    reading = read_message(
        "Please install Visio on my laptop.\nThis message is confidential. If you are not the addressee, delete it."
    )
    assert reading.text == "Please install Visio on my laptop."


def test_only_the_first_sentences_are_read() -> None:
    reading = read_message(
        "My password expired. Please reset it. I am in the Leeds office. I tried twice. The portal said no. Thanks"
    )
    assert reading.text == "My password expired. Please reset it. I am in the Leeds office."


def test_a_closing_thanks_on_the_same_line_is_not_read() -> None:
    assert read_message("Please reset my password. Thanks, Lena").text == "Please reset my password."


def test_ticket_style_separators_split_sentences() -> None:
    reading = read_message("account locked // password reset request")
    assert reading.clauses == ("account locked", "password reset request")


def test_spacing_and_spelling_variants_of_the_key_words_are_normalised() -> None:
    assert read_message("pls re-set my pass word").text == "please reset my password"
    assert read_message("un lock my acount, i cant log in").text == "unlock my account, i cant login"
    assert read_message("pasword expired, need new pw").text == "password expired, need new password"
    assert (
        read_message("ich kann mein Passwort nicht zurück setzen").text == "ich kann mein Passwort nicht zurücksetzen"
    )


def test_clauses_separate_a_problem_from_a_request_for_a_person() -> None:
    reading = read_message("My laptop screen flickers green, I want to talk to a person")
    assert reading.clauses == ("My laptop screen flickers green", "I want to talk to a person")


def test_a_greeting_alone_is_still_read() -> None:
    assert read_message("Hi").text == "Hi"
    assert read_message("Hallo zusammen,").text == "Hallo zusammen,"
