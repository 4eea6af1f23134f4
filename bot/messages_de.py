"""The bot's own messages in German, keyed by their English originals in bot/messages.py.

bot/messages.py stays the one place where a message is written first; this catalog only translates. A message
missing here is sent in English, so a new English text never breaks a German conversation. What IT staff and
approvers read (staff cards, approval requests, SLA and incident alerts) stays English: they are addressed in the
IT team's language. Placeholders ({ticket}, {action} …) must match the English text's; a test checks that they do.
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
    # ---- the self-service actions (what the person sees; approvers and IT staff read English) ----
    en.ACTION_YES: "Ja, gerne",  # people type a button's words too: "ja bitte" reads as asking for a person
    en.ACTION_CANCEL: "Abbrechen",
    en.ACTION_CONFIRM["reset_password"]: (
        "Ich kann das Passwort Ihres Kontos **{account}** ({name}) zurücksetzen. Sie erhalten hier ein temporäres "
        "Passwort, das nur Sie sehen, und müssen bei der nächsten Anmeldung ein neues wählen. Soll ich?"
    ),
    en.ACTION_CONFIRM[
        "unlock_account"
    ]: "Ich kann Ihr Konto **{account}** ({name}) entsperren, falls es gesperrt ist. Soll ich?",
    en.ACTION_CONFIRM["reset_mfa"]: (
        "Ich kann die Mehrfaktor-Anmeldemethoden entfernen, die für Ihr Konto **{account}** ({name}) registriert "
        "sind, damit Sie sie bei der nächsten Anmeldung neu einrichten können (z. B. auf einem neuen Handy). Soll ich?"
    ),
    en.ACTION_CONFIRM["request_access"]: (
        "Ich kann beantragen, dass **{item}** Ihrem Konto **{account}** hinzugefügt wird. {approval} Soll ich?"
    ),
    en.ACTION_CONFIRM[
        "request_software"
    ]: "Ich kann **{item}** für Ihr Konto **{account}** beantragen. {approval} Soll ich?",
    en.ACTION_NEEDS_APPROVAL: "{approver} wird um Genehmigung gebeten.",
    en.ACTION_NO_APPROVAL: "Eine Genehmigung ist nicht nötig.",
    en.ACTION_PICK_ITEM: "Welches davon brauchen Sie?",
    en.ACTION_NO_CATALOG: (
        "Ich finde {what} nicht im Antragskatalog und habe Ihre Anfrage deshalb an den IT-Service-Desk "
        "weitergegeben (Ticket {ticket}). Eine Person meldet sich hier."
    ),
    en.ACTION_NO_CATALOG_WHAT: "das",
    en.ACTION_CANCELLED: "Gut — ich habe das abgebrochen. Es wurde nichts geändert.",
    en.ACTION_EXPIRED: (
        "Diese Anfrage ist abgelaufen, bevor sie abgeschlossen war; es wurde nichts geändert. Fragen Sie einfach "
        "noch einmal, wenn Sie es brauchen."
    ),
    en.ACTION_IN_PROGRESS: (
        "Wir sind noch mitten in einer anderen Anfrage (bei {action}). Bitte schließen Sie sie ab oder wählen Sie "
        'zuerst "Abbrechen".'
    ),
    en.ACTION_CONFIRM_AGAIN: 'Bitte wählen Sie "Ja, gerne" oder "Abbrechen" (oder schreiben Sie ja oder abbrechen).',
    en.ACTION_UNKNOWN_BUTTON: (
        "Diese Schaltfläche gehört zu einer Anfrage, die abgeschlossen oder nicht mehr offen ist."
    ),
    en.CODE_PROMPT_TOTP: (
        "Zur Bestätigung, dass Sie es sind, geben Sie bitte den 6-stelligen Code aus Ihrer Authenticator-App ein."
    ),
    en.CODE_PROMPT_EMAIL: (
        "Zur Bestätigung, dass Sie es sind, habe ich einen 6-stelligen Code an Ihre alternative Adresse {address} "
        "geschickt. Er gilt einmal, 5 Minuten lang. Bitte geben Sie ihn hier ein."
    ),
    en.CODE_MALFORMED: 'Ein Code hat 6 Ziffern, etwa 123456. Bitte geben Sie den Code ein oder wählen Sie "Abbrechen".',
    en.CODE_WRONG: "Dieser Code stimmt nicht. Bitte versuchen Sie es noch einmal (noch {left} Versuch(e)).",
    en.CODE_EXPIRED: (
        "Dieser Code ist abgelaufen. Ich habe einen neuen an {address} geschickt — bitte geben Sie ihn hier ein."
    ),
    en.CODE_LOCKED: (
        "Der Code war zu oft falsch, deshalb habe ich die Selbstbedienung für Ihr Konto bis {until} UTC pausiert und "
        "den IT-Service-Desk informiert (Ticket {ticket}). Es wurde nichts geändert. Eine Person meldet sich bei Ihnen."
    ),
    en.SELF_SERVICE_LOCKED: (
        "Die Selbstbedienung ist für Ihr Konto nach zu vielen falschen Codes bis {until} UTC pausiert. Ich habe "
        "diese Anfrage an den IT-Service-Desk weitergegeben (Ticket {ticket}); eine Person meldet sich."
    ),
    en.SELF_SERVICE_PAUSED: (
        "Ich kann gerade keine Selbstbedienungsaktionen ausführen: Ein System, auf das sie angewiesen sind, ist im "
        "Moment nicht erreichbar, und ohne es handle ich nicht. Es wurde nichts geändert. Bitte versuchen Sie es in "
        'ein paar Minuten noch einmal, oder wählen Sie "Mit einem Menschen sprechen".'
    ),
    en.RATE_LIMITED: (
        "Sie haben in kurzer Zeit viele Anfragen gestellt, deshalb habe ich diese an den IT-Service-Desk "
        "weitergegeben (Ticket {ticket}), statt sie selbst zu erledigen. Eine Person meldet sich."
    ),
    en.COOLDOWN: (
        "Das wurde für Ihr Konto erst vor Kurzem erledigt; ich kann es ab {until} UTC wieder tun. Falls es nicht "
        "warten kann, habe ich Ihre Anfrage an den IT-Service-Desk weitergegeben (Ticket {ticket})."
    ),
    en.ACTION_REFUSED: (
        "Das kann ich nicht selbst erledigen ({why}), deshalb habe ich Ihre Anfrage an den IT-Service-Desk "
        "weitergegeben (Ticket {ticket}). Eine Person meldet sich hier."
    ),
    en.WHY_NO_DIRECTORY: "die Selbstbedienung ist nicht mit dem Unternehmensverzeichnis verbunden",
    en.WHY_DISABLED_BY_POLICY: "die IT hat festgelegt, dass eine Person diese Anfrage bearbeitet",
    en.WHY_NO_ACCOUNT: "ich habe nicht genau ein Verzeichniskonto mit Ihrer E-Mail-Adresse gefunden",
    en.WHY_ACCOUNT_DISABLED: "Ihr Konto ist deaktiviert",
    en.WHY_PRIVILEGED: "Ihr Konto ist ein privilegiertes Konto, das nur die IT ändern darf",
    en.WHY_OTHER_PERSON: "ich kann nur Ihr eigenes Konto bearbeiten, und Ihre Nachricht nennt jemand anderen",
    en.WHY_PRIVILEGED_ITEM: "Zugriff auf {item} ist privilegiert und wird immer von der IT vergeben",
    en.WHY_NO_SECOND_FACTOR: (
        "dafür ist eine zweite Prüfung Ihrer Identität nötig, und bei mir ist weder eine Authenticator-App noch eine "
        "alternative E-Mail-Adresse für Sie registriert"
    ),
    en.WHY_EMAIL_FAILED: "ich konnte die Bestätigungs-E-Mail nicht senden",
    en.WHY_DIRECTORY_DOWN: "das Unternehmensverzeichnis antwortet gerade nicht",
    en.WHY_STAFF_APPROVAL: "{item} genehmigt die IT selbst",
    en.WHY_NO_APPROVER: "ich habe nicht herausgefunden, wer {item} genehmigt",
    en.WHY_APPROVER_UNREACHABLE: "ich konnte {approver} nicht erreichen",
    en.PASSWORD_RESET_DONE: (
        "Erledigt — Ihr Passwort wurde zurückgesetzt. Ihr temporäres Passwort lautet:\n\n`{password}`\n\n"
        "Es wird nur Ihnen und nur dieses eine Mal angezeigt; ich habe es nicht gespeichert. Melden Sie sich jetzt "
        "damit an: Sie werden sofort aufgefordert, ein neues Passwort zu wählen."
    ),
    en.PASSWORD_REJECTED: (
        "Das Verzeichnis hat das von mir erzeugte temporäre Passwort abgelehnt (wegen seiner Passwortrichtlinie), "
        "daher wurde nichts geändert. Ich habe das an den IT-Service-Desk weitergegeben (Ticket {ticket})."
    ),
    en.UNLOCK_DONE: "Erledigt — Ihr Konto ist entsperrt. Sie können sich jetzt wieder anmelden.",
    en.UNLOCK_NOT_LOCKED: (
        "Ihr Konto ist nicht gesperrt, daher habe ich nichts geändert. Wenn Sie sich trotzdem nicht anmelden können, "
        "ist vielleicht Ihr Passwort falsch: Ich kann es zurücksetzen, wenn Sie mich darum bitten."
    ),
    en.MFA_RESET_DONE: (
        "Erledigt — ich habe {count} Anmeldemethode(n) von Ihrem Konto entfernt. Bei der nächsten Anmeldung werden "
        "Sie gebeten, die Mehrfaktor-Authentifizierung neu einzurichten."
    ),
    en.ACTION_FAILED: (
        "Dabei ist etwas schiefgegangen: {detail}. Ich habe es mit genau dem, was passiert ist, an den "
        "IT-Service-Desk weitergegeben (Ticket {ticket}), damit eine Person es abschließen kann."
    ),
    en.APPROVAL_ASKED: (
        "Ich habe {approver} gebeten, **{item}** zu genehmigen (Antrag {approval}). Ich sage Ihnen hier Bescheid, "
        "sobald entschieden ist."
    ),
    en.APPROVAL_GRANTED: (
        "Gute Nachricht: {approver} hat Ihren Antrag auf **{item}** genehmigt, und es wurde Ihrem Konto hinzugefügt."
    ),
    en.APPROVAL_DENIED: "{approver} hat Ihren Antrag auf **{item}** abgelehnt. Es wurde nichts geändert.",
    en.APPROVAL_EXPIRED: (
        "Über Ihren Antrag auf **{item}** wurde nicht rechtzeitig entschieden, deshalb ist er abgelaufen. Es wurde "
        "nichts geändert."
    ),
    en.APPROVAL_FAILED: (
        "{approver} hat Ihren Antrag auf **{item}** genehmigt, aber das Hinzufügen ist fehlgeschlagen: {detail}. Ich "
        "habe es an den IT-Service-Desk weitergegeben (Ticket {ticket})."
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


def in_language(text: str, language: str | None) -> str:
    """One of bot/messages.py's texts (before it is filled in) in a conversation's language (None: not known)."""
    return german(text) if language == "de" else text


def german_duration(count: int, unit: str) -> str:
    """ "innerhalb von …": 1 → "1 Stunde" … 8 → "8 Stunden" (the dative plural, as that phrase needs)."""
    one, many = _UNITS[unit]
    return f"{count} {one if count == 1 else many}"
