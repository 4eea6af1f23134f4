"""Every user-facing string, in one place so wording can be reviewed and translated together."""

GREETING = (
    "Hi! I'm the IT help bot. Ask me an IT question in your own words — for example "
    '"how do I connect to the VPN?" — or say "talk to a person" at any time.'
)
HELP = (
    "I can answer everyday IT questions from the company knowledge base (VPN, Wi-Fi, printers, Outlook, "
    "Teams, OneDrive, laptops, security…) and point you to the article I used. For anything I can't "
    "answer, I'll pass you to the IT Service Desk with our conversation so you don't have to repeat yourself. "
    'Say "talk to a person" whenever you like.'
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
HANDOFF_STILL_UNCLEAR = (
    "I'm still not sure what you need, so I've passed your question to the IT Service Desk (ticket {ticket}). "
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

CLARIFY = "I want to make sure I help with the right thing. Which of these is closest to what you need?"
CLARIFY_NONE = "None of these — talk to a person"
CLARIFY_UNKNOWN_CHOICE = "That option isn't available any more. Please type your question again."

TURN_FAILED = (
    "Sorry — something went wrong on my side (reference {reference}). "
    'Please try again, or say "talk to a person" and I\'ll get someone from IT.'
)
CONVERSATION_NOT_YOURS = "This conversation belongs to someone else."

# An action intent this installation cannot carry out (no directory connected, or turned off): the articles say how
# to do it yourself.
ACTION_SELF_SERVICE = "I can't help with {action} directly here, but you can do it yourself — here's how:"
ACTION_SELF_SERVICE_OPTIONS = (
    "I can't help with {action} directly here, but these articles show how to do it yourself. Which one fits?"
)

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
SLACK_FROM_STAFF = "*{name}* · IT"  # above a message someone from IT wrote to the person
# The ticket cards in a Slack staff channel (bot/channels/slack/staff.py); read by IT staff only.
SLACK_STAFF_CLAIM = "Claim"
SLACK_STAFF_RESOLVE = "Resolve"
SLACK_STAFF_RETURN = "Return to bot"
SLACK_STAFF_MODAL_TITLE = "Resolve {ticket}"  # Slack allows 24 characters: "Resolve HD-yymmdd-XXXXXX" fits
SLACK_STAFF_MODAL_SUBMIT = "Resolve"
SLACK_STAFF_NOTE_LABEL = "Resolution note (the person will see it)"
SLACK_STAFF_NOTE_MISSING = "Write what fixed it."
SLACK_STAFF_TRANSCRIPT = "The conversation before the hand-off ({count} messages):"
SLACK_STAFF_UNKNOWN = (
    "I can't tell who you are from your Slack profile (no e-mail address is readable), so nothing was changed. "
    "Use the staff console instead."
)
SLACK_STAFF_FAILED = (
    "Sorry — something went wrong on my side (reference {reference}). Check the ticket in the staff console before "
    "trying again."
)

TEAMS_OTHER_TENANT = (
    "Sorry — I'm the IT help bot for another organisation, so I can't help with this account. "
    "Please contact your own IT department."
)
TEAMS_NOT_YOUR_THREAD = (
    "This thread is someone else's conversation with me. Mention me in a new post to start your own."
)
# The ticket cards in a Teams staff channel (bot/channels/teams/staff.py); read by IT staff only.
TEAMS_STAFF_CLAIM = "Claim"
TEAMS_STAFF_RETURN = "Return to bot"
TEAMS_STAFF_RESOLVE = "Resolve"
TEAMS_STAFF_RESOLVE_SUBMIT = "Resolve ticket"
TEAMS_STAFF_NOTE_LABEL = "Resolution note (the person will see it)"
TEAMS_STAFF_NOTE_MISSING = "Write what fixed it."
TEAMS_STAFF_TRANSCRIPT = "The conversation before the hand-off ({count} messages):"
TEAMS_FROM_STAFF = "**{name}** · IT"  # above a message someone from IT wrote to the person
TEAMS_STAFF_UNKNOWN = (
    "I can't tell who you are from the Teams roster (your account has no e-mail address or UPN), so nothing was "
    "changed. Use the staff console instead."
)

# ---- self-service actions -------------------------------------------------------------------------------------
ACTION_YES = "Yes, go ahead"
ACTION_CANCEL = "Cancel"
ACTION_APPROVE = "Approve"
ACTION_DENY = "Deny"
ACTION_CONFIRM = {
    "reset_password": "I can reset the password of your account **{account}** ({name}). You'll get a temporary "
    "password here, only visible to you, and must choose a new one when you next sign in. Go ahead?",
    "unlock_account": "I can unlock your account **{account}** ({name}) if it is locked. Go ahead?",
    "reset_mfa": "I can remove the multi-factor sign-in methods registered on your account **{account}** ({name}), "
    "so you can set them up again (e.g. on a new phone) at your next sign-in. Go ahead?",
    "request_access": "I can ask for **{item}** to be added to your account **{account}**. {approval} Go ahead?",
    "request_software": "I can request **{item}** for your account **{account}**. {approval} Go ahead?",
}
ACTION_NEEDS_APPROVAL = "{approver} will be asked to approve it."
ACTION_NO_APPROVAL = "No approval is needed."
ACTION_PICK_ITEM = "Which of these do you need?"
ACTION_NO_CATALOG = (
    "I can't find {what} in the request catalog, so I've passed your request to the IT Service Desk (ticket "
    "{ticket}). A person will follow up here."
)
ACTION_NO_CATALOG_WHAT = "that"  # the {what} above when the catalog has nothing of the kind asked for
ACTION_CANCELLED = "OK — I've cancelled that. Nothing was changed."
ACTION_EXPIRED = "That request timed out before it was finished, so nothing was changed. Just ask again if you need it."
ACTION_IN_PROGRESS = "You're in the middle of another request ({action}). Please finish it or press Cancel first."
ACTION_CONFIRM_AGAIN = 'Please press "Yes, go ahead" or "Cancel" (or type yes or cancel).'
ACTION_UNKNOWN_BUTTON = "That button belongs to a request that is finished or no longer open."

CODE_HIDDEN = "[one-time code entered; not stored]"
CODE_PROMPT_TOTP = "To confirm it's you, please type the 6-digit code from your authenticator app."
CODE_PROMPT_EMAIL = (
    "To confirm it's you, I've e-mailed a 6-digit code to your alternate address {address}. It works once, for "
    "5 minutes. Please type it here."
)
CODE_MALFORMED = "A code is 6 digits, like 123456. Please type the code, or press Cancel."
CODE_WRONG = "That code isn't right. Please try again ({left} attempt(s) left)."
CODE_EXPIRED = "That code has expired. I've sent a new one to {address} — please type it here."
CODE_LOCKED = (
    "That code was wrong too many times, so I've paused self-service for your account until {until} UTC and told the "
    "IT Service Desk (ticket {ticket}). Nothing was changed. A person will follow up with you."
)
SELF_SERVICE_LOCKED = (
    "Self-service is paused for your account until {until} UTC after too many wrong codes. I've passed this request "
    "to the IT Service Desk (ticket {ticket}); a person will follow up."
)
SELF_SERVICE_PAUSED = (
    "I can't do self-service actions right now: a system they rely on is unavailable for the moment, and I won't "
    'act without it. Nothing was changed. Please try again in a few minutes, or choose "Talk to a person".'
)
RATE_LIMITED = (
    "You've made a lot of requests in a short time, so I've passed this one to the IT Service Desk (ticket {ticket}) "
    "rather than doing it myself. A person will follow up."
)
COOLDOWN = (
    "This was already done for your account recently; I can do it again after {until} UTC. I've passed your request "
    "to the IT Service Desk (ticket {ticket}) in case it can't wait."
)

ACTION_REFUSED = (
    "I can't do that myself ({why}), so I've passed your request to the IT Service Desk (ticket {ticket}). "
    "A person will follow up here."
)
WHY_NO_DIRECTORY = "self-service isn't connected to the company directory"
WHY_DISABLED_BY_POLICY = "IT has set this request to be handled by a person"
WHY_NO_ACCOUNT = "I couldn't find exactly one directory account with your e-mail address"
WHY_ACCOUNT_DISABLED = "your account is disabled"
WHY_PRIVILEGED = "your account is a privileged one, which only IT staff may change"
WHY_OTHER_PERSON = "I can only act on your own account, and your message names someone else"
WHY_PRIVILEGED_ITEM = "access to {item} is privileged and always granted by IT staff"
WHY_NO_SECOND_FACTOR = (
    "this needs a second check of your identity and you have no authenticator app or alternate "
    "e-mail address registered with me"
)
WHY_EMAIL_FAILED = "I couldn't send the verification e-mail"
WHY_DIRECTORY_DOWN = "the company directory isn't answering right now"
WHY_STAFF_APPROVAL = "IT staff approve {item} themselves"
WHY_NO_APPROVER = "I couldn't find who approves {item}"
WHY_APPROVER_UNREACHABLE = "I couldn't reach {approver}"

PASSWORD_RESET_DONE = (
    "Done — your password has been reset. Your temporary password is:\n\n`{password}`\n\n"
    "It is shown only to you and only this once; I haven't stored it. Sign in with it now: you'll be asked to "
    "choose a new password straight away."
)
PASSWORD_RESET_TRANSCRIPT = "[temporary password shown to the person once; not stored]"
PASSWORD_REJECTED = (
    "The directory refused the temporary password I generated (its password policy), so nothing was changed. "
    "I've passed this to the IT Service Desk (ticket {ticket})."
)
UNLOCK_DONE = "Done — your account is unlocked. You can sign in again now."
UNLOCK_NOT_LOCKED = (
    "Your account isn't locked, so I didn't change anything. If you still can't sign in, your "
    "password may be wrong: I can reset it if you ask."
)
MFA_RESET_DONE = (
    "Done — I removed {count} sign-in method(s) from your account. At your next sign-in you'll be asked to set up "
    "multi-factor authentication again."
)
ACTION_FAILED = (
    "Something went wrong while I was doing that: {detail}. I've passed it to the IT Service Desk (ticket {ticket}) "
    "with exactly what happened, so a person can finish it."
)
APPROVAL_ASKED = (
    "I've asked {approver} to approve **{item}** (request {approval}). I'll tell you here as soon as they decide."
)
APPROVAL_REQUEST = "**Approval needed** ({approval}): {requester} asks for **{item}**. Approve or deny?"
APPROVAL_NOT_YOURS = "Only {approver} can decide request {approval}."
APPROVAL_ALREADY_DECIDED = "Request {approval} is already {status}."
APPROVAL_APPROVED_APPROVER = "Approved — {requester} now has {item}."
APPROVAL_DENIED_APPROVER = "Denied — I've told {requester}."
APPROVAL_GRANTED = "Good news: {approver} approved your request for **{item}**, and it has been added to your account."
APPROVAL_DENIED = "{approver} declined your request for **{item}**. Nothing was changed."
APPROVAL_EXPIRED = "Nobody decided your request for **{item}** in time, so it has expired. Nothing was changed."
APPROVAL_FAILED = (
    "{approver} approved your request for **{item}**, but adding it failed: {detail}. I've passed it to the IT "
    "Service Desk (ticket {ticket})."
)
APPROVAL_FAILED_APPROVER = "Approved, but adding it failed ({detail}); IT staff will finish it."

# ---- the IT staff queue (bot/handoff) ---------------------------------------------------------------------------
HANDOFF_NEXT = (
    "What happens next: someone from IT will reply right here{within}. Until then I'll pass on anything you write "
    'here to them. Say "cancel" if you no longer need help.'
)
HANDOFF_WITHIN = " — usually within {duration}"
HANDOFF_RELAYED = "Added to your ticket {ticket}. IT will see it when they pick it up."
# Below an answer given while a ticket is open and nobody from IT has written yet.
HANDOFF_NOTED = "Your ticket {ticket} is still open; I've added this question to it so IT sees it too."
CLOSE_TICKET = "Close my ticket"
NO_OPEN_TICKET = "You have no open ticket with the IT Service Desk. Ask me anything."
HANDOFF_CANCELLED = "OK — I've closed ticket {ticket}. I'm back: ask me anything."
HANDOFF_CANCEL_WORDS = (
    "cancel",
    "cancel ticket",
    "cancel the ticket",
    "cancel my ticket",
    "close ticket",
    "close the ticket",
    "never mind",
    "nevermind",
    "no longer needed",
)
HANDOFF_CLAIMED = "Your ticket {ticket} has been picked up by {name}, who will reply here."
HANDOFF_RESOLVED = "Your ticket {ticket} has been resolved by {name}:\n\n{note}"
HANDOFF_RATE = "How did we do? Rate the help you got from 1 (poor) to 5 (excellent)."
HANDOFF_RETURNED = (
    "{name} has handed this conversation back to me (ticket {ticket} is closed). "
    'Ask me anything, or say "talk to a person" to reach IT again.'
)
RATING_THANKS = "Thank you for rating ticket {ticket} {rating}/5."
RATING_UNKNOWN = "I can't record that rating: the ticket isn't yours or isn't resolved."
HANDOFF_NOT_HELPFUL_TWICE = (
    "I'm sorry my answers haven't helped. I've passed this conversation to the IT Service Desk (ticket {ticket}); "
    "a person will follow up here with everything we've said."
)
SLA_REMINDER = "Reminder: ticket {ticket} ({priority}) is due a {target} by {due}."
SLA_ESCALATION = "Escalation: ticket {ticket} ({priority}) missed its {target} target ({due})."
SLA_TARGET_NAMES = {"first_response": "first response", "resolution": "resolution"}
STAFF_NOT_MEMBER = "Sorry — only members of {group} can work on ticket {ticket}. Nothing was changed."
STAFF_CLAIM_FIRST = "Claim ticket {ticket} first; then what you write here goes to the person."
STAFF_ALREADY_CLAIMED = "Ticket {ticket} is already claimed by {name}."
STAFF_CLOSED = "Ticket {ticket} is {status}; nothing was changed."

# Incidents: many people reporting the same problem (README, "Triage and incidents"). Other reporters' words are
# never repeated to anyone; only the title staff give the incident is.
KNOWN_ISSUE = (
    "This looks like a problem IT already knows about{title} ({incident}): several people have "
    "reported it and IT is working on it. I've linked this conversation to it and will tell you here as "
    'soon as it\'s fixed. If your problem is something else, choose "Talk to a person".'
)
INCIDENT_CONFIRMED = (
    "IT has confirmed a wider problem{title} ({incident}) that matches what you reported, and is "
    "working on it. I'll tell you here when it's fixed."
)
INCIDENT_RESOLVED = (
    "Good news: the problem you reported{title} ({incident}) has been fixed.{note} If it still "
    "doesn't work for you, tell me here."
)


def incident_title(title: str | None) -> str:
    """The `{title}` part of the incident messages: " — VPN outage", or nothing before staff name it."""
    return f" \u2014 {title}" if title else ""


INCIDENT_SUSPECTED_ALERT = (
    "Suspected incident {incident}: {reporters} people reported similar problems within "
    "{minutes} minutes. First report: \u201c{summary}\u201d. Confirm it (people who report "
    "it next are told it is known) or resolve it: staff console, or "
    "`helpdesk-bot incidents confirm|resolve {incident}`."
)
INCIDENT_CONFIRMED_ALERT = "Incident {incident} confirmed by {actor}{title}: {reporters} people have reported it."
INCIDENT_RESOLVED_ALERT = "Incident {incident} resolved by {actor}: {reporters} people told."
