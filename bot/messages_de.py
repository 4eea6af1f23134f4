"""The bot's own messages in German, keyed by their English originals in bot/messages.py.

bot/messages.py stays the one place where a message is written first; this catalog only translates. A message
missing here is sent in English, so a new English text never breaks a German conversation (the self-service
action flows are English for now). Placeholders ({ticket}, {action} …) must match the English text's; a test
checks that they do.
"""

from __future__ import annotations

from bot import messages as en

GERMAN: dict[str, str] = {
    en.GREETING: (
        "Hallo! Ich bin der IT-Hilfe-Bot. Stellen Sie mir Ihre IT-Frage in Ihren eigenen Worten — zum Beispiel "
        '"Wie verbinde ich mich mit dem VPN?" — oder schreiben Sie jederzeit "mit einem Menschen sprechen".'
    ),
    en.HELP: (
        "Ich beantworte alltägliche IT-Fragen aus der Wissensdatenbank des Unternehmens (VPN, WLAN, Drucker, "
        "Outlook, Teams, OneDrive, Laptops, Sicherheit …) und nenne Ihnen den Artikel, den ich verwendet habe. Was "
        "ich nicht beantworten kann, gebe ich mit unserem Gespräch an den IT-Service-Desk weiter, damit Sie nichts "
        'wiederholen müssen. Schreiben Sie "mit einem Menschen sprechen", wann immer Sie möchten.'
    ),
    en.THANKS: "Gern geschehen! Kann ich sonst noch helfen?",
    en.EMPTY_MESSAGE: "Ihre Nachricht war leer. Wobei kann ich helfen?",
    en.TOO_LONG: (
        "Diese Nachricht ist mir zu lang ({length} Zeichen; höchstens {limit}). "
        "Können Sie das Problem in ein paar Sätzen beschreiben?"
    ),
    en.HANDOFF_ASKED: (
        "Gern — ich habe das Gespräch an den IT-Service-Desk weitergegeben (Ticket {ticket}). "
        "Eine Person antwortet Ihnen hier; sie sieht alles, was wir geschrieben haben, Sie müssen also nichts "
        "wiederholen."
    ),
    en.HANDOFF_NO_ANSWER: (
        "Ich habe keinen Artikel gefunden, der das sicher beantwortet, und habe es deshalb an den IT-Service-Desk "
        "weitergegeben (Ticket {ticket}). Eine Person meldet sich hier, mit dem ganzen Gespräch vor Augen."
    ),
    en.HANDOFF_ACTION: (
        "Sie möchten Hilfe bei: {action}. Das kann ich selbst noch nicht erledigen, deshalb habe ich Ihre Anfrage "
        "an den IT-Service-Desk weitergegeben (Ticket {ticket}). Eine Person meldet sich hier."
    ),
    en.HANDOFF_NONE_OF_THESE: (
        "Danke — ich habe Ihre Frage an den IT-Service-Desk weitergegeben (Ticket {ticket}). "
        "Eine Person meldet sich hier, mit dem ganzen Gespräch."
    ),
    en.HANDOFF_STILL_UNCLEAR: (
        "Ich bin noch nicht sicher, was Sie brauchen, deshalb habe ich Ihre Frage an den IT-Service-Desk "
        "weitergegeben (Ticket {ticket}). Eine Person meldet sich hier, mit dem ganzen Gespräch."
    ),
    en.HANDOFF_ALREADY_OPEN: (
        "Ihr Gespräch liegt bereits beim IT-Service-Desk (Ticket {ticket}). Ich habe Ihre Nachricht hinzugefügt."
    ),
    en.HANDOFF_IDENTITY_UNKNOWN: (
        "Ich konnte nicht bestätigen, wer Sie sind (die E-Mail-Adresse Ihres Chat-Kontos ist nicht lesbar), daher "
        "beantworte oder erledige ich das nicht selbst. Ich habe Ihre Nachricht an den IT-Service-Desk "
        "weitergegeben (Ticket {ticket}); eine Person meldet sich."
    ),
    en.FEEDBACK_HELPED: "Hat geholfen",
    en.FEEDBACK_NOT_HELPFUL: "Nicht hilfreich",
    en.TALK_TO_PERSON: "Mit einem Menschen sprechen",
    en.FEEDBACK_THANKS: "Danke für die Rückmeldung — schön, dass es geholfen hat!",
    en.FEEDBACK_SORRY: (
        "Danke — ich habe notiert, dass diese Antwort nicht geholfen hat. Soll sich jemand aus der IT das ansehen?"
    ),
    en.FEEDBACK_UNKNOWN_ANSWER: (
        "Ich finde die Antwort zu dieser Schaltfläche nicht mehr und konnte Ihre Rückmeldung daher nicht speichern."
    ),
    en.CLARIFY: "Ich möchte sichergehen, dass ich beim Richtigen helfe. Was davon passt am besten zu Ihrer Frage?",
    en.CLARIFY_NONE: "Nichts davon — mit einem Menschen sprechen",
    en.CLARIFY_UNKNOWN_CHOICE: "Diese Auswahl gibt es nicht mehr. Bitte schreiben Sie Ihre Frage noch einmal.",
    en.ACTION_SELF_SERVICE: (
        "Bei {action} kann ich hier nicht direkt helfen, aber Sie können es selbst erledigen — so geht es:"
    ),
    en.ACTION_SELF_SERVICE_OPTIONS: (
        "Bei {action} kann ich hier nicht direkt helfen, aber diese Artikel zeigen, wie Sie es selbst erledigen. "
        "Welcher passt?"
    ),
    en.HANDOFF_NEXT: (
        "Wie es weitergeht: Jemand aus der IT antwortet Ihnen hier{within}. Bis dahin leite ich alles, was Sie hier "
        'schreiben, an die IT weiter. Schreiben Sie "abbrechen", wenn Sie keine Hilfe mehr brauchen.'
    ),
    en.HANDOFF_WITHIN: " — in der Regel innerhalb von {duration}",
    en.HANDOFF_RELAYED: "Zu Ihrem Ticket {ticket} hinzugefügt. Die IT sieht es, sobald sie das Ticket übernimmt.",
    en.HANDOFF_NOTED: (
        "Ihr Ticket {ticket} ist noch offen; ich habe diese Frage hinzugefügt, damit die IT sie auch sieht."
    ),
    en.CLOSE_TICKET: "Mein Ticket schließen",
    en.NO_OPEN_TICKET: "Sie haben kein offenes Ticket beim IT-Service-Desk. Fragen Sie mich gern.",
    en.HANDOFF_CANCELLED: "Gut — ich habe Ticket {ticket} geschlossen. Ich bin wieder da: fragen Sie mich gern.",
    en.HANDOFF_NOT_HELPFUL_TWICE: (
        "Schade, dass meine Antworten nicht geholfen haben. Ich habe das Gespräch an den IT-Service-Desk "
        "weitergegeben (Ticket {ticket}); eine Person meldet sich hier, mit allem, was wir geschrieben haben."
    ),
    en.HANDOFF_CLAIMED: "{name} hat Ihr Ticket {ticket} übernommen und antwortet Ihnen hier.",
    en.HANDOFF_RESOLVED: "Ihr Ticket {ticket} wurde von {name} gelöst:\n\n{note}",
    en.HANDOFF_RATE: "Wie zufrieden waren Sie? Bewerten Sie die Hilfe von 1 (schlecht) bis 5 (ausgezeichnet).",
    en.HANDOFF_RETURNED: (
        "{name} hat dieses Gespräch an mich zurückgegeben (Ticket {ticket} ist geschlossen). "
        'Fragen Sie mich gern, oder schreiben Sie "mit einem Menschen sprechen", um die IT wieder zu erreichen.'
    ),
    en.RATING_THANKS: "Danke, dass Sie Ticket {ticket} mit {rating}/5 bewertet haben.",
    en.RATING_UNKNOWN: "Diese Bewertung kann ich nicht speichern: Das Ticket ist nicht Ihres oder nicht gelöst.",
    en.KNOWN_ISSUE: (
        "Das sieht nach einem Problem aus, das die IT bereits kennt{title} ({incident}): Mehrere Personen haben es "
        "gemeldet, und die IT arbeitet daran. Ich habe dieses Gespräch damit verknüpft und sage Ihnen hier Bescheid, "
        'sobald es behoben ist. Wenn Ihr Problem ein anderes ist, wählen Sie "Mit einem Menschen sprechen".'
    ),
}

ACTION_LABELS = {
    "reset_password": "dem Zurücksetzen Ihres Passworts",
    "unlock_account": "dem Entsperren Ihres Kontos",
    "reset_mfa": "der Neueinrichtung Ihrer Mehrfaktor-Anmeldung",
    "request_access": "einem Zugriffsantrag",
    "request_software": "einem Software-Antrag",
}

# What a person writes to close their open ticket, besides the English words in bot/messages.py.
CANCEL_WORDS = (
    "abbrechen",
    "ticket schließen",
    "ticket schliessen",
    "mein ticket schließen",
    "ticket abbrechen",
    "hat sich erledigt",
    "nicht mehr nötig",
)

_UNITS = {"day": ("Tag", "Tagen"), "hour": ("Stunde", "Stunden"), "minute": ("Minute", "Minuten")}


def german(text: str) -> str:
    """The German version of one of bot/messages.py's texts (before it is filled in); the text itself if none."""
    return GERMAN.get(text, text)


def german_duration(count: int, unit: str) -> str:
    """ "innerhalb von …": 1 → "1 Stunde" … 8 → "8 Stunden" (the dative plural, as that phrase needs)."""
    one, many = _UNITS[unit]
    return f"{count} {one if count == 1 else many}"
