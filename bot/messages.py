"""Every user-facing string, in one place so wording can be reviewed and translated together."""

GREETING = (
    "Hi! I'm the IT help bot. Ask me an IT question in your own words — for example "
    "\"how do I connect to the VPN?\" — or say \"talk to a person\" at any time."
)
HELP = (
    "I can answer everyday IT questions from the company knowledge base (VPN, Wi-Fi, printers, Outlook, "
    "Teams, OneDrive, laptops, security…) and point you to the article I used. For anything I can't "
    "answer, I'll pass you to the IT Service Desk with our conversation so you don't have to repeat yourself. "
    "Say \"talk to a person\" whenever you like."
)
THANKS = "You're welcome! Anything else I can help with?"
EMPTY_MESSAGE = "I didn't catch that — your message was empty. What can I help you with?"
TOO_LONG = (
    "That message is too long for me ({length} characters; the limit is {limit}). "
    "Could you describe the problem in a few sentences?"
)

HANDOFF_ASKED = (
    "Sure — I've passed this conversation to the IT Service Desk (ticket {ticket}). "
    "A person will reply here; they can see everything we've said, so you won't need to repeat yourself."
)
HANDOFF_NO_ANSWER = (
    "I couldn't find a knowledge article that answers this confidently, so I've passed it to the IT Service Desk "
    "(ticket {ticket}). A person will follow up here with the full conversation in front of them."
)
HANDOFF_ACTION = (
    "I understand you'd like help with: {action}. I can't do that myself yet, so I've passed your request to the "
    "IT Service Desk (ticket {ticket}). A person will follow up here."
)
HANDOFF_NONE_OF_THESE = (
    "Thanks — I've passed your question to the IT Service Desk (ticket {ticket}). "
    "A person will follow up here with the full conversation."
)
HANDOFF_ALREADY_OPEN = (
    "Your conversation is already with the IT Service Desk (ticket {ticket}). I've added your message to it."
)

HANDOFF_IDENTITY_UNKNOWN = (
    "I couldn't confirm who you are (I can't read the e-mail address on your chat account), so I won't answer or "
    "act on this myself. I've passed your message to the IT Service Desk (ticket {ticket}); a person will follow up."
)

FEEDBACK_HELPED = "This helped"
FEEDBACK_NOT_HELPFUL = "Not helpful"
TALK_TO_PERSON = "Talk to a person"
FEEDBACK_THANKS = "Thanks for letting me know — glad it helped!"
FEEDBACK_SORRY = (
    "Thanks for telling me — I've noted that this answer didn't help. Would you like a person from IT to take a look?"
)
FEEDBACK_UNKNOWN_ANSWER = "I can't find the answer that button belongs to any more, so I couldn't record your feedback."

CLARIFY = "I found a few articles that might help. Which one is closest to your question?"
CLARIFY_NONE = "None of these"
CLARIFY_UNKNOWN_CHOICE = "That option isn't available any more. Please type your question again."

TURN_FAILED = (
    "Sorry — something went wrong on my side (reference {reference}). "
    "Please try again, or say \"talk to a person\" and I'll get someone from IT."
)
CONVERSATION_NOT_YOURS = "This conversation belongs to someone else."

ACTION_LABELS = {
    "reset_password": "resetting your password",
    "unlock_account": "unlocking your account",
    "reset_mfa": "re-enrolling your multi-factor authentication",
    "request_access": "an access request",
    "request_software": "a software request",
}

SLACK_COMMAND_ACK = "I've opened a direct message with you — let's talk there."
SLACK_YOU_ASKED = "You asked: {question}"
SLACK_NOT_YOUR_THREAD = (
    "This thread is someone else's conversation with me. Mention me in a new message to start your own."
)
SLACK_CHANNEL_UNREACHABLE = (
    "I couldn't post in the channel you wrote in (I'm not a member of it, or it no longer exists), so here is my "
    "reply privately. Invite me to the channel to get replies there."
)
SLACK_PRIVATE_BY_DM = "This reply is only for you, so I'm sending it here."

TEAMS_OTHER_TENANT = (
    "Sorry — I'm the IT help bot for another organisation, so I can't help with this account. "
    "Please contact your own IT department."
)
TEAMS_NOT_YOUR_THREAD = (
    "This thread is someone else's conversation with me. Mention me in a new post to start your own."
)
