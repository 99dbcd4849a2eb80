"""Every Action.Execute verb and every card input id the Teams front end sends, in one place."""

from __future__ import annotations

from enum import StrEnum


class Verb(StrEnum):
    """What an Action.Execute button asks for; an `adaptiveCard/action` invoke carries it back."""

    # The employee's guide: one card per walk, updated in place.
    TOPIC = "mfa-guide-topic"
    WORKED = "mfa-guide-worked"
    NEXT = "mfa-guide-next"
    BACK = "mfa-guide-back"
    RESTART = "mfa-guide-restart"
    CHOICE = "mfa-guide-choice"
    CONTACT_IT = "mfa-guide-contact-it"
    REPORT_PROMPT = "mfa-guide-report-prompt"
    # The contact form that replaces the walk's card, and the employee's request.
    CONTACT_SEND = "mfa-contact-send"
    CONTACT_CANCEL = "mfa-contact-cancel"
    CANCEL_REQUEST = "mfa-request-cancel"
    NOT_ME = "mfa-request-not-me"
    # The help-desk card in the channel, and the per-admin views it turns into for the clicker.
    APPROVE = "mfa-desk-approve"
    APPROVE_CONFIRM = "mfa-desk-approve-confirm"
    DENY = "mfa-desk-deny"
    DENY_CONFIRM = "mfa-desk-deny-confirm"
    RETRY = "mfa-desk-retry"
    RETRY_CONFIRM = "mfa-desk-retry-confirm"
    DESK_BACK = "mfa-desk-back"
    MANUAL_DONE = "mfa-desk-done"
    ON_IT = "mfa-desk-on-it"
    ASK = "mfa-desk-ask"
    ASK_CONFIRM = "mfa-desk-ask-confirm"
    ANSWER = "mfa-request-answer"
    # The employee's manager, and an admin setting up step-up.
    MANAGER_YES = "mfa-manager-yes"
    MANAGER_NO = "mfa-manager-no"
    CLAIM_ALERT = "mfa-alert-claim"
    ENROLL_CONFIRM = "mfa-admin-enroll-confirm"


class InputId(StrEnum):
    """Card inputs; Teams merges each one's value into the action's data under this id."""

    DESCRIPTION = "mfa-contact-description"
    LOST = "mfa-contact-lost"
    REMAINING = "mfa-contact-remaining"
    CORRELATION = "mfa-contact-correlation"
    CONTACT = "mfa-contact-reach"
    DETAILS = "mfa-contact-details"
    DENY_REASON = "mfa-deny-reason"
    CODE = "mfa-stepup-code"
    CURRENT_CODE = "mfa-stepup-current-code"
    QUESTION = "mfa-desk-question"
    ANSWER = "mfa-request-answer-text"
    ACTION = "mfa-desk-action-"  # + a ResetAction value: one toggle per action

    def of(self, suffix: str) -> str:
        """This id with a suffix (the toggles of the approve view)."""
        return f"{self.value}{suffix}"
