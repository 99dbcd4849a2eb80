"""Every action_id, callback_id and block_id the bot sends, in one place."""

from __future__ import annotations

import re
from enum import StrEnum


class ActionId(StrEnum):
    """Interactive elements; ids ending in a dash get a suffix so each stays unique per message."""

    TOPIC = "mfa-guide-topic-"
    WORKED = "mfa-guide-worked"
    NEXT = "mfa-guide-next"
    BACK = "mfa-guide-back"
    RESTART = "mfa-guide-restart"
    CHOICE = "mfa-guide-choice-"
    CONTACT_IT = "mfa-guide-contact-it"
    REPORT_PROMPT = "mfa-guide-report-prompt"
    LINK = "mfa-guide-link-"
    CANCEL_REQUEST = "mfa-request-cancel"
    APPROVE = "mfa-desk-approve"
    DENY = "mfa-desk-deny"
    SELECT_ACTIONS = "mfa-desk-actions"
    MANUAL_DONE = "mfa-desk-done-"
    RETRY = "mfa-desk-retry"
    ON_IT = "mfa-desk-on-it"
    ASK = "mfa-desk-ask"
    ANSWER = "mfa-request-answer"
    ENROLL_CONFIRM = "mfa-admin-enroll-confirm"
    NOT_ME = "mfa-request-not-me"
    MANAGER_YES = "mfa-manager-yes"
    MANAGER_NO = "mfa-manager-no"
    CLAIM_ALERT = "mfa-alert-claim"

    @property
    def with_suffix(self) -> str:
        """Regex source (unanchored) for this id with any suffix."""
        return re.escape(self.value) + r"[a-z0-9-]*"

    def pattern(self) -> re.Pattern[str]:
        """A regex matching this id with any suffix."""
        return re.compile(f"^{self.with_suffix}$")


class BlockId(StrEnum):
    """Blocks that carry interactive elements."""

    MENU = "mfa-guide-menu"
    STEP_CHOICES = "mfa-guide-step-choices"
    STEP_BUTTONS = "mfa-guide-step-buttons"
    STEP_LINKS = "mfa-guide-step-links"


class FieldId(StrEnum):
    """Input blocks of the modals; the block id doubles as the inline-error key."""

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
    SETUP_CHANNEL = "mfa-setup-channel"
    SETUP_ADMINS = "mfa-setup-admins"
    SETUP_USERGROUP = "mfa-setup-usergroup"
    ANSWER = "mfa-request-answer-text"


class ViewId(StrEnum):
    """Modal callback ids."""

    CONTACT_IT = "mfa-contact-it"
    DENY = "mfa-desk-deny-reason"
    STEPUP = "mfa-desk-stepup"
    ENROLL = "mfa-admin-enroll"
    ASK = "mfa-desk-ask-question"
    ANSWER = "mfa-request-answer-question"
    SETUP = "mfa-admin-setup"


class Command(StrEnum):
    """Slash commands from the manifest."""

    HELP = "/mfa-help"
    ADMIN = "/mfa-admin"
