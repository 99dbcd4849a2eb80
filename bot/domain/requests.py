"""Help-desk requests: the form, the lifecycle, what is proposed, and who may decide."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain.identity import ResetAction
from bot.domain.platform import Platform


class Status(StrEnum):
    """Where a request stands. The moves (each a conditional update in bot.domain.helpdesk):
    open -> approved | denied | expired | cancelled; approved -> executing;
    executing -> done | failed; failed -> executing (an admin's retry)."""

    OPEN = "open"
    APPROVED = "approved"
    EXECUTING = "executing"
    DONE = "done"
    FAILED = "failed"
    DENIED = "denied"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


ACTIVE = frozenset({Status.OPEN, Status.APPROVED, Status.EXECUTING})


class ActionStatus(StrEnum):
    """One approved action's progress."""

    PENDING = "pending"
    RUNNING = "running"
    MANUAL = "manual"
    DONE = "done"
    FAILED = "failed"


class Remaining(StrEnum):
    """Which sign-in methods the employee still has."""

    NONE = "none"
    OTHER_PHONE = "other_phone"
    AUTHENTICATOR_ELSEWHERE = "authenticator_elsewhere"

    @property
    def label(self) -> str:
        """How the form and the help desk show it."""
        return {
            Remaining.NONE: "None of my methods",
            Remaining.OTHER_PHONE: "Another phone",
            Remaining.AUTHENTICATOR_ELSEWHERE: "An authenticator app on another device",
        }[self]


class Question(StrEnum):
    """A question of the form that only some topics ask, named as ContactForm's field."""

    LOST = "lost_or_stolen"
    REMAINING = "remaining"


# The guide's topic "I got a sign-in prompt I didn't start": its walk ends with Report it, which
# files a request of this topic at once (Intake.report_prompt).
PROMPT_TOPIC = "unexpected-prompt"

# Which of those each topic of the guide asks. Why two-step verification is required and app
# passwords concern no lost phone nor any way left to sign in; with no phone today or no code
# arriving the phone is not lost, but what else still works decides what IT does. Lost phone,
# "no answer" and a topic an operator added ask both.
_ASKED: dict[str, frozenset[Question]] = {
    "why": frozenset(),
    # Filed by "Report it", with no form: the phone is in the person's hand.
    PROMPT_TOPIC: frozenset(),
    "app-passwords": frozenset(),
    "no-phone": frozenset({Question.REMAINING}),
    "not-receiving": frozenset({Question.REMAINING}),
}


def questions_for(topic_id: str) -> frozenset[Question]:
    """The questions the form asks for a topic; each is required where asked."""
    return _ASKED.get(topic_id, frozenset(Question))


@dataclass(frozen=True, slots=True)
class Answered:
    """The form's questions that the choices of a walk answered already (None: not answered)."""

    lost_or_stolen: bool | None = None
    remaining: Remaining | None = None

    @property
    def questions(self) -> frozenset[Question]:
        """The questions answered, which the form does not ask again."""
        given = {Question.LOST: self.lost_or_stolen, Question.REMAINING: self.remaining}
        return frozenset(question for question, answer in given.items() if answer is not None)

    def then(self, later: Answered) -> Answered:
        """These answers, with those of a later choice in place of what it answers again."""
        lost = self.lost_or_stolen if later.lost_or_stolen is None else later.lost_or_stolen
        return Answered(lost, later.remaining or self.remaining)

    def fill(self, form: ContactForm) -> ContactForm:
        """The form with these answers in place of whatever was sent for the same questions."""
        lost = form.lost_or_stolen if self.lost_or_stolen is None else self.lost_or_stolen
        return replace(form, lost_or_stolen=lost, remaining=self.remaining or form.remaining)


DESCRIPTION_MAX = 500
CONTACT_MAX = 200
DETAILS_MAX = 1000
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True, slots=True)
class ContactForm:
    """What the employee told IT; None for a question the form did not ask or they skipped."""

    description: str
    lost_or_stolen: bool | None
    remaining: Remaining | None
    correlation_id: str | None
    contact: str
    details: str = ""

    def as_asked(self, topic_id: str) -> ContactForm:
        """The form with no answer to a question the topic does not ask (a request stored
        before the form stopped preselecting answers claims none)."""
        asked = questions_for(topic_id)
        return replace(
            self,
            lost_or_stolen=self.lost_or_stolen if Question.LOST in asked else None,
            remaining=self.remaining if Question.REMAINING in asked else None,
        )

    def problems(self, topic_id: str) -> dict[str, str]:
        """Field name -> what is wrong with it, for inline errors; empty when the form is fine.
        A question the topic asks has no default answer: it must be answered."""
        found: dict[str, str] = {}
        asked = questions_for(topic_id)
        if Question.LOST in asked and self.lost_or_stolen is None:
            found[Question.LOST] = "Tell IT whether your phone was lost or stolen."
        if Question.REMAINING in asked and self.remaining is None:
            found[Question.REMAINING] = "Tell IT which sign-in methods you can still use."
        if not self.description.strip():
            found["description"] = "Tell IT what happened."
        elif len(self.description) > DESCRIPTION_MAX:
            found["description"] = f"Keep it under {DESCRIPTION_MAX} characters."
        if self.correlation_id and not _GUID.match(self.correlation_id.strip()):
            found["correlation_id"] = (
                "A correlation ID looks like 3f2504e0-4f89-11d3-9a0c-0305e82c3301 "
                "(it is on the sign-in error page). Leave it empty if you don't have one."
            )
        if not self.contact.strip():
            found["contact"] = "Tell IT how to reach you (for example a phone number)."
        elif len(self.contact) > CONTACT_MAX:
            found["contact"] = f"Keep it under {CONTACT_MAX} characters."
        if len(self.details) > DETAILS_MAX:
            found["details"] = f"Keep it under {DETAILS_MAX} characters."
        return found


def propose_actions(topic_id: str, lost_or_stolen: bool | None) -> tuple[ResetAction, ...]:
    """The article's advice as pre-selected actions; admins may change the selection."""
    if lost_or_stolen:
        return (
            ResetAction.CLEAR_MFA,
            ResetAction.DELETE_APP_PASSWORDS,
            ResetAction.REVOKE_SESSIONS,
        )
    if topic_id == "app-passwords":
        return (ResetAction.DELETE_APP_PASSWORDS,)
    if topic_id == PROMPT_TOPIC:
        # Someone who knows the password may be signed in: sign every session out. No provider
        # resets passwords here: the card asks IT to do that in the admin portal.
        return (ResetAction.REVOKE_SESSIONS,)
    if topic_id in {"lost-phone", "no-phone", "not-receiving"}:
        return with_revocation((ResetAction.CLEAR_MFA,))
    return ()


def with_revocation(actions: tuple[ResetAction, ...]) -> tuple[ResetAction, ...]:
    """The actions, with sign-in sessions revoked whenever MFA settings are cleared (in the
    order of ResetAction). Clearing the methods while a session someone else holds stays alive lets
    that session register its own method: the reset would hand the account over."""
    if ResetAction.CLEAR_MFA not in actions or ResetAction.REVOKE_SESSIONS in actions:
        return actions
    chosen = {*actions, ResetAction.REVOKE_SESSIONS}
    return tuple(action for action in ResetAction if action in chosen)


@dataclass(frozen=True)
class HelpRequest:
    """Request #id: who asked, what they said, what is proposed, and where it stands."""

    id: int
    team_id: str
    requester_id: str
    topic_id: str
    walk_id: str | None
    form: ContactForm
    proposed: tuple[ResetAction, ...]
    tried: tuple[str, ...]
    status: Status
    created_at: datetime
    expires_at: datetime
    updated_at: datetime
    requester_name: str = ""
    requester_email: str = ""
    channel_id: str | None = None
    message_ts: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    deny_reason: str | None = None
    privileged: bool = False
    first_approver: str | None = None
    first_actions: tuple[ResetAction, ...] = ()
    suspicious: bool = False
    recent_reset_at: datetime | None = None
    manager_id: str | None = None
    manager_answer: str | None = None
    privileged_reason: str | None = None
    submission_key: str | None = None
    # Who holds the posting of its card until it is posted (see bot.domain.helpdesk.announce).
    announce_owner: str | None = None
    # The front end it came from: its card, its decisions and its notices stay there.
    platform: Platform = Platform.SLACK
    # Where the front end showed the employee their request (its own reference): that message
    # loses its Cancel button, updated in place, once the request can no longer be cancelled.
    employee_message: str | None = None
    # An earlier request of the same person that they reported as "this wasn't me", found as this
    # one was made: a temporary access pass on this one needs two approvers.
    reported_before: int | None = None
    # When the employee reported this very request as "this wasn't me".
    reported_not_me_at: datetime | None = None
    # The admin handling the security alert about this request (Claim), if any.
    alert_claimed_by: str | None = None
    # The admin calling the employee back ("I'm on it"), so that a second one does not.
    callback_by: str | None = None
    callback_at: datetime | None = None

    def is_expired(self, now: datetime) -> bool:
        """True once the request waited past its expiry without a decision."""
        return self.status is Status.OPEN and now >= self.expires_at


@dataclass(frozen=True)
class Intake:
    """What storing an employee's form needs to know first, read in one go."""

    submitted_as: int | None  # the request this very form submission made before, if any
    open_request: int | None  # the employee's request in progress, if any
    sent_since: int  # the employee's requests since the start of the limit's window
    last_reset: datetime | None  # when a request of theirs was last done
    reported_not_me: int | None = None  # their last request reported as "this wasn't me"


@dataclass(frozen=True)
class ActionItem:
    """One approved action of a request and what became of it."""

    id: int
    request_id: int
    action: ResetAction
    status: ActionStatus
    summary: str = ""
    manual_steps: tuple[str, ...] = ()
    link: str | None = None
    attempts: int = 0
    done_by: str | None = None


@dataclass(frozen=True)
class ActionRecord:
    """The result of an action as stored with it."""

    status: ActionStatus
    summary: str | None = None
    manual_steps: tuple[str, ...] = ()
    link: str | None = None
    idp_request_id: str | None = None
    directory_object_id: str | None = None
    done_by: str | None = None


@dataclass(frozen=True)
class Card:
    """Where a request's card was posted."""

    channel_id: str
    message_ts: str


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only audit log; `detail` never holds a secret."""

    at: datetime
    actor_id: str
    event: str
    request_id: int | None = None
    detail: dict[str, Any] | None = None


class Change(StrEnum):
    """What just happened to a request, for the channel card, its thread and the employee's DM."""

    CREATED = "created"
    APPROVED = "approved"
    UNDERWAY = "underway"  # the approval outlasts its first run: the employee hears of it now
    DENIED = "denied"
    ACTION_WAITING = "action_waiting"
    ACTION_DONE = "action_done"
    ACTION_FAILED = "action_failed"
    ACTION_RETRYING = "action_retrying"
    DONE = "done"
    FAILED = "failed"
    RETRIED = "retried"
    FIRST_APPROVAL = "first_approval"
    MANAGER_ASKED = "manager_asked"
    MANAGER_ANSWERED = "manager_answered"
    REPORTED = "reported"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    CALLBACK = "callback"


# Changes the channel card does not show (the employee's alone), or shows already as posted.
NOT_ON_THE_CARD = frozenset({Change.CREATED, Change.UNDERWAY})
# Changes after which a request can no longer be cancelled: the Cancel button goes.
ENDS_CANCELLING = frozenset(
    {
        Change.APPROVED,
        Change.DENIED,
        Change.EXPIRED,
        Change.CANCELLED,
        Change.DONE,
        Change.FAILED,
    }
)


def retryable(request: HelpRequest, actions: Sequence[ActionItem]) -> bool:
    """True when an admin may retry the request's failed actions now: the request failed, or an
    action failed while another (a manual step) keeps the request from settling."""
    if request.status is Status.FAILED:
        return True
    failed = any(item.status is ActionStatus.FAILED for item in actions)
    return request.status is Status.EXECUTING and failed
