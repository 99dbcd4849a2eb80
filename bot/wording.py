"""The bot's words that every front end shows alike: labels, sentences, and how each is built.

No chat markup lives here: a sentence that needs emphasis, a person, a time, an emoji or text a
person typed asks the front end's Pen to write it, so Slack's mrkdwn and Teams' Adaptive Cards
say the same thing in their own markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.errors import (
    AlreadyDecidedError,
    AlreadyOpenError,
    CallbackTakenError,
    HelpdeskError,
    NoReasonError,
    NotAnAdminError,
    NoTextError,
    NothingSelectedError,
    OwnRequestError,
    RequestExpiredError,
    SameApproverError,
    SuspiciousError,
    UnreachableError,
    WrongPlaceError,
)
from bot.domain.identity import ResetAction
from bot.domain.notices import (
    AlertClaim,
    AuthenticatorEnrolled,
    HelpdeskAlert,
    ManagerSaidNo,
    NotMeAnswer,
    NotMeReported,
    PrivilegedReset,
    PromptAnswer,
    PromptReported,
    ResetEmailFailed,
    Revocation,
    RevokeOutcome,
    StepUpLocked,
)
from bot.domain.requests import (
    ACTIVE,
    PROMPT_TOPIC,
    ActionItem,
    ActionStatus,
    Answered,
    Change,
    HelpRequest,
    Remaining,
    Status,
)
from bot.domain.stepup import LockedOutError, NotEnrolledError, ReplayedCodeError, WrongCodeError


class Pen(Protocol):
    """How a front end writes the shared words in its own markup."""

    @property
    def br(self) -> str:
        """A line break inside one text."""
        ...

    @property
    def chat(self) -> str:
        """The chat's name ("Slack", "Teams")."""
        ...

    @property
    def dms(self) -> str:
        """Where the bot and a person talk alone ("our direct messages")."""
        ...

    def bold(self, text: str) -> str:
        """`text` (already written) in bold."""
        ...

    def italic(self, text: str) -> str:
        """`text` (already written) in italics."""
        ...

    def said(self, text: str) -> str:
        """What a person typed, escaped: it reads as typed and makes no markup."""
        ...

    def person(self, user_id: str) -> str:
        """A person, by their id on this chat."""
        ...

    def when(self, at: datetime) -> str:
        """A moment, as the reader's chat shows dates and times."""
        ...

    def emoji(self, name: str) -> str:
        """An emoji by its shortcode name."""
        ...

    def code(self, text: str) -> str:
        """A value to copy or type exactly."""
        ...

    def link(self, url: str, label: str) -> str:
        """A link with the words shown for it."""
        ...

    def enroll_how(self) -> str:
        """How an admin sets up their authenticator ("run /mfa-admin enroll and follow the steps
        in your DM")."""
        ...


# The guide's buttons.
CHOOSE = "Choose"
# The menu's button beside a topic: it starts that topic's steps.
SHOW_STEPS = "Show me the steps"
# On a topic that explains rather than fixes, the button to its next part.
READ_ON = "Next"
WORKED = "That worked"
NOT_WORKED = "That didn't work"
CONTACT_IT = "Contact IT"
BACK = "Back"
START_OVER = "Start over"

# The contact form.
NEVER_ASK = "IT will never ask you for your password or your verification codes."
SEND_TO_IT = "Send to IT"
CANCEL = "Cancel"
CLOSE = "Close"
DESCRIPTION_LABEL = "What happened?"
LOST_LABEL = "Was your phone lost or stolen?"
YES = "Yes"
NO = "No"
REMAINING_LABEL = "Which sign-in methods can you still use?"
CORRELATION_LABEL = "Correlation ID (optional)"
CORRELATION_HINT = (
    "On the sign-in error page, under More details. "
    "It looks like 3f2504e0-4f89-11d3-9a0c-0305e82c3301."
)
CONTACT_LABEL = "How can IT reach you?"
CONTACT_HINT = "A phone number IT can call you back on, or where and when to find you."
DETAILS_LABEL = "Anything else IT should know? (optional)"

# The help-desk card and the admins' buttons.
REQUESTER = "Requester"
TOPIC = "Topic"
SUBMITTED = "Submitted"
LOST_OR_STOLEN = "Lost or stolen"
CAN_STILL_USE = "Can still use"
REACH_THEM = "Reach them"
CORRELATION_ID = "Correlation ID"
NONE_GIVEN = "none given"
WHAT_HAPPENED = "What happened"
MORE = "More"
TRIED = "Already tried in the guide"
NOTHING_RECORDED = "nothing recorded"
PROPOSED_ACTIONS = "Proposed actions"
PROPOSED_NOTE = (
    "(change the selection if needed). Clearing MFA settings always revokes the sign-in "
    "sessions too, ticked or not, so that a session someone else holds cannot register a "
    "method of its own."
)
APPROVE = "Approve"
APPROVE_QUESTION = "Approve this request?"
APPROVE_CHECK = (
    "Have you verified that this is really the person, for example by calling them back on a "
    "number you already know?"
)
NOT_YET = "Not yet"
DENY = "Deny"
DENY_REASON_LABEL = "Why? The employee will read this."
NO_REASON = "Give a reason: the employee will read it."
RETRY = "Retry failed actions"
ON_IT = "I'm on it"
ON_IT_QUESTION = "Call the employee back?"
ON_IT_CHECK = "The card will show that you are calling them, so that nobody else does."
ASK_REQUESTER = "Ask the requester"
ASK_LABEL = "Your question (the employee reads it in their chat with the bot)"
ASK_HINT = "Never ask for their password or their verification codes."
DONE = "Done"
OPEN_ADMIN_CENTER = "Open the admin center"
NO_PERSONAL_CHAT = (
    "The employee has no personal chat with the bot yet, so it could not tell them: reach them "
    "another way."
)

# The employee's buttons.
CANCEL_REQUEST = "Cancel request"
CANCEL_QUESTION = "Cancel this request?"
KEEP_IT = "Keep it"
NOT_ME = "This wasn't me"
NOT_ME_QUESTION = "Report this change?"
NOT_ME_CHECK = "IT security will treat your account as compromised."
NOT_ME_CONFIRM = "It wasn't me"
REPORT_IT = "Report it"
CLAIM = "Claim"
ANSWER = "Answer IT"
ANSWER_TITLE = "Answer IT"
ANSWER_LABEL = "Your answer"
ANSWER_SENT = "Thank you: your answer is with IT."
SEND = "Send"
MANAGER_YES = "Yes, they asked"
MANAGER_NO = "No"
MANAGER_THANKS_YES = "Thank you: IT can go ahead."
MANAGER_THANKS_NO = "Thank you: IT security has been alerted."

# Step-up: the admin's own authenticator.
STEPUP_TITLE = "Confirm it's you"
STEPUP_ASK = "Enter the current code from your authenticator app."
CODE_LABEL = "Authenticator code"
CONFIRM = "Confirm"
ENROLL_TITLE = "Confirm authenticator"
ENROLL_HEADING = "Set up your authenticator for IT approvals"
CURRENT_CODE_LABEL = "A code from your current authenticator"
CURRENT_CODE_HINT = "Replacing an authenticator needs the old one too."
NEW_CODE_LABEL = "The code your new app shows now"
QR_ALT = "Scan with your authenticator app"
ENROLLED = "Your authenticator is set up. Approvals will ask for its code."
STEPUP_OFF = "Step-up is turned off here (STEPUP_REQUIRED=false): there is nothing to set up."

NEXT_STEPS = {
    ResetAction.CLEAR_MFA: "Sign in again: you will be asked to set up two-step verification. "
    "Set up more than one method this time, for example an authenticator app and a phone.",
    ResetAction.DELETE_APP_PASSWORDS: (
        "Create a new app password for each older app that needs one."
    ),
    ResetAction.REVOKE_SESSIONS: "You are signed out everywhere: sign in again on each device.",
    ResetAction.ISSUE_TAP: "Use the temporary access pass I sent you to sign in, then register "
    "your new sign-in methods.",
}

ACTION_ICON = {
    ActionStatus.PENDING: "hourglass_flowing_sand",
    ActionStatus.RUNNING: "arrows_counterclockwise",
    ActionStatus.MANUAL: "memo",
    ActionStatus.DONE: "white_check_mark",
    ActionStatus.FAILED: "x",
}

STATUS_WORDS = {
    Status.OPEN: "waiting for a decision",
    Status.APPROVED: "approved",
    Status.EXECUTING: "being carried out",
    Status.DONE: "done",
    Status.FAILED: "failed, IT is on it",
    Status.DENIED: "denied",
    Status.EXPIRED: "expired",
    Status.CANCELLED: "cancelled",
}

# What a refused click reads, for the refusals that carry nothing to fill in.
_REFUSALS: dict[type[HelpdeskError], str] = {
    NotAnAdminError: "Only IT admins can decide on requests. This attempt has been recorded.",
    OwnRequestError: "You can't decide on your own request: another IT admin has to.",
    WrongPlaceError: "Requests are decided on their card in the help-desk channel.",
    SuspiciousError: (
        "This request was reported as not coming from the employee: it can't be approved."
    ),
    SameApproverError: "You approved this already: a second, different admin has to approve it.",
    NothingSelectedError: "Tick at least one action before approving, or deny the request.",
    NoReasonError: NO_REASON,
    NoTextError: "Type something first: nothing was sent.",
    UnreachableError: (
        "I couldn't reach the employee in chat, so your question was not sent: call them on the "
        "number they gave instead."
    ),
}


def request_title(request_id: int, topic: str) -> str:
    """The card's title."""
    return f"Request #{request_id}: {topic}"


def deny_title(request_id: int) -> str:
    """The title of the form that asks why."""
    return f"Deny request #{request_id}"


def cancel_check(request_id: int) -> str:
    """What cancelling means, asked before it is done."""
    return f"IT will stop working on request #{request_id}."


def stepup_what(
    pen: Pen, request: HelpRequest, actions: Sequence[ResetAction], *, retry: bool
) -> str:
    """What the code the admin is asked for will confirm: whose request, and which actions
    (none given: those ticked beside the code)."""
    verb = "Retry" if retry else "Approve"
    head = f"{pen.bold(f'{verb} request #{request.id}')} of {pen.person(request.requester_id)}"
    if not actions:
        return f"{head}: {'its failed actions' if retry else 'the actions ticked above'}."
    return f"{head}:{pen.br}" + pen.br.join(f"• {action.label}" for action in actions)


def provider_note(provider: str) -> str:
    """The card's footnote: what approving calls, and how to verify the person first."""
    return (
        f"Provider: {provider}. Verify the person before approving: call them back on a number "
        "you already know. Never ask for their password or codes."
    )


def proposed(pen: Pen) -> str:
    """The line above the actions an admin may tick."""
    return f"{pen.bold(PROPOSED_ACTIONS)} {PROPOSED_NOTE}"


_STILL_USE = {
    Remaining.NONE: "you can't use any of your sign-in methods",
    Remaining.OTHER_PHONE: "you can still sign in with another phone",
    Remaining.AUTHENTICATOR_ELSEWHERE: "you can still use an authenticator app on another device",
}


def you_told_me(pen: Pen, answered: Answered) -> str | None:
    """The one line the form shows in place of the questions the walk answered (None: none)."""
    said = []
    if answered.lost_or_stolen is not None:
        said.append(f"your phone was {'' if answered.lost_or_stolen else 'not '}lost or stolen")
    if answered.remaining is not None:
        said.append(_STILL_USE[answered.remaining])
    if not said:
        return None
    return f"{pen.emoji('speech_balloon')} You told me: {', and '.join(said)}."


def lost_answer(pen: Pen, lost: bool) -> str:
    """The answer to "lost or stolen?" as the help desk reads it."""
    return f"{pen.emoji('rotating_light')} Yes" if lost else "No"


def request_sent(pen: Pen, request: HelpRequest) -> str:
    """What the form says once sent: the request it stored, or the one it stored before."""
    if request.status in ACTIVE:
        text = (
            f"{pen.emoji('white_check_mark')} {pen.bold(f'Request #{request.id} is with IT.')}"
            f"{pen.br}I'll tell you in {pen.dms} as soon as IT decides, and what to do next."
        )
    else:
        text = (
            f"This form was sent already, as request #{request.id}, which is "
            f"{STATUS_WORDS[request.status]}. Press {pen.bold(CONTACT_IT)} again if you still "
            "need help."
        )
    return f"{text}\n\n{NEVER_ASK}"


def too_many_requests(pen: Pen, limit: int, contact_it: str) -> str:
    """Why no request was stored: too many within the hour; `contact_it` is already written."""
    return (
        f"{pen.emoji('telephone_receiver')} "
        f"{pen.bold(f'You have sent {limit} requests to IT within the last hour.')} "
        f"Please don't send another one: call IT instead.\n\n{contact_it}"
    )


def open_request(request: HelpRequest) -> str:
    """Said instead of a second form while one request is in progress."""
    return (
        f"You already have request #{request.id} with IT ({STATUS_WORDS[request.status]}). "
        "I'll message you as soon as it changes."
    )


def cancelled(pen: Pen, request: HelpRequest) -> str:
    """What the employee's message says once they cancelled."""
    return (
        f"You cancelled request #{request.id}. Press {pen.bold(CONTACT_IT)} again whenever you "
        "need help."
    )


def refusal(pen: Pen, error: HelpdeskError) -> str:
    """The sentence a refused click gets."""
    if isinstance(error, RequestExpiredError):
        return f"Request #{error.request_id} expired without a decision; it can't be approved."
    if isinstance(error, AlreadyDecidedError):
        by = f" by {pen.person(error.decided_by)}" if error.decided_by else ""
        return f"Request #{error.request_id} is already {error.status}{by}."
    if isinstance(error, AlreadyOpenError):
        return f"You already have request #{error.request_id} with IT."
    if isinstance(error, CallbackTakenError):
        if error.mine:
            return f"You are on request #{error.request_id} already: the card says so."
        return (
            f"{pen.person(error.by)} is already calling the employee back about request "
            f"#{error.request_id}: check with them before you call."
        )
    fixed = next((text for kind, text in _REFUSALS.items() if isinstance(error, kind)), None)
    return fixed or f"That didn't work: {error}"


def stepup_refusal(pen: Pen, error: HelpdeskError) -> str:
    """The inline error or notice for a step-up problem (or any other refusal)."""
    if isinstance(error, NotEnrolledError):
        return f"You haven't set up your authenticator for approvals yet: {pen.enroll_how()}."
    if isinstance(error, LockedOutError):
        return (
            "Too many attempts without a success: approvals are locked for you until "
            f"{error.until:%H:%M} UTC."
        )
    if isinstance(error, ReplayedCodeError):
        if error.locked:  # it was the last attempt left
            return "That code was used already, and approvals are now locked for 15 minutes."
        return "That code was used already: wait for the next one."
    if isinstance(error, WrongCodeError):
        return f"That code is not right: {error}."
    return refusal(pen, error)


def approvers(pen: Pen, request: HelpRequest) -> str:
    """Who approved a decided request: both admins when two had to, the first one first."""
    first, last = request.first_approver, request.decided_by
    if request.status is Status.DENIED or last is None:
        return ""
    if first and first != last:
        return f" by {pen.person(first)} and {pen.person(last)}"
    return f" by {pen.person(last)}"


def status_line(pen: Pen, request: HelpRequest, deny_reason: str | None = None) -> str:
    """Where the request stands, in one line; `deny_reason` is the reason already written (a
    front end may have to shorten it), else the request's own."""
    by = approvers(pen, request)
    when = f" {pen.when(request.decided_at)}" if request.decided_at else ""
    yellow = pen.emoji("large_yellow_circle")
    expires = pen.when(request.expires_at)
    if request.status is Status.OPEN and request.first_approver:
        chosen = ", ".join(a.label for a in request.first_actions)
        return (
            f"{yellow} {pen.bold('1 of 2 approvals')}: {pen.person(request.first_approver)} "
            f"approved {chosen}. Waiting for a second admin (expires {expires})"
        )
    if request.status is Status.OPEN:
        return f"{yellow} {pen.bold('Waiting for a decision')} (expires {expires})"
    if request.status is Status.DENIED:
        reason = deny_reason if deny_reason is not None else pen.said(request.deny_reason or "")
        return f"{denied_head(pen, request)}{reason}"
    if request.status is Status.EXPIRED:
        return (
            f"{pen.emoji('hourglass')} {pen.bold('Expired')} without a decision. "
            "It can no longer be approved."
        )
    if request.status is Status.CANCELLED:
        return f"{pen.emoji('leftwards_arrow_with_hook')} {pen.bold('Cancelled')} by the employee."
    label = {
        Status.APPROVED: f"{pen.emoji('large_green_circle')} {pen.bold('Approved')}",
        Status.EXECUTING: (
            f"{pen.emoji('arrows_counterclockwise')} {pen.bold('Approved, being carried out')}"
        ),
        Status.DONE: f"{pen.emoji('white_check_mark')} {pen.bold('Done')}",
        Status.FAILED: f"{pen.emoji('x')} {pen.bold('Failed')}: some actions did not go through",
    }[request.status]
    return f"{label}{by}{when}"


def denied_head(pen: Pen, request: HelpRequest) -> str:
    """The start of a denied request's status line, up to its reason."""
    by = f" by {pen.person(request.decided_by)}" if request.decided_by else ""
    when = f" {pen.when(request.decided_at)}" if request.decided_at else ""
    return f"{pen.emoji('red_circle')} {pen.bold('Denied')}{by}{when}: "


def callback_line(pen: Pen, request: HelpRequest) -> str | None:
    """Who is calling the employee back, when an admin pressed "I'm on it"."""
    if request.callback_by is None:
        return None
    since = f" (since {pen.when(request.callback_at)})" if request.callback_at else ""
    return (
        f"{pen.emoji('telephone_receiver')} {pen.person(request.callback_by)} is "
        f"calling the employee back{since}."
    )


def ask_title(request_id: int) -> str:
    """The title of the form an admin types a question in."""
    return f"Ask about #{request_id}"


def question_for_requester(pen: Pen, request: HelpRequest, actor: str, question: str) -> str:
    """The employee's message: IT's question about their request (`question` as typed)."""
    return (
        f"{pen.emoji('question')} {pen.bold(f'IT has a question about your request #{request.id}')}"
        f" ({pen.person(actor)} asks):{pen.br}{pen.said(question)}{pen.br}"
        f"Press {pen.bold(ANSWER)} to reply. {NEVER_ASK}"
    )


def question_answered(pen: Pen, request_id: int, answer: str) -> str:
    """The employee's message with IT's question, once answered (`answer` as typed)."""
    return (
        f"{pen.emoji('white_check_mark')} {ANSWER_SENT} (request #{request_id}){pen.br}"
        f"{pen.bold('You answered:')} {pen.said(answer)}"
    )


def question_note(pen: Pen, actor: str, question: str) -> str:
    """The card's thread: what an admin asked the employee."""
    return f"{pen.emoji('question')} {pen.person(actor)} asked the employee: {pen.said(question)}"


def answer_note(pen: Pen, request: HelpRequest, answer: str) -> str:
    """The card's thread: the employee's answer, as typed."""
    return (
        f"{pen.emoji('speech_balloon')} {pen.person(request.requester_id)} answered: "
        f"{pen.said(answer)}"
    )


def warnings(pen: Pen, request: HelpRequest) -> list[str]:
    """What an admin must know before deciding: a report, privilege, the manager, a recent
    reset."""
    lines = []
    if request.suspicious:
        lines.append(
            f"{pen.emoji('rotating_light')} "
            f"{pen.bold('The employee says they did not ask for this.')} "
            "Treat the account as compromised."
        )
    if request.topic_id == PROMPT_TOPIC:
        lines.append(
            f"{pen.emoji('closed_lock_with_key')} {pen.bold('Reset their password by hand')} in "
            "the admin portal: this bot can't reset passwords. Approving here signs them out "
            "everywhere."
        )
    lines += _privilege_lines(pen, request)
    if request.manager_id:
        answer = {
            None: "asked, no answer yet",
            "yes": f"{pen.emoji('white_check_mark')} confirmed the request",
            "no": f"{pen.emoji('rotating_light')} {pen.bold('said the employee did NOT ask')}",
        }.get(request.manager_answer, request.manager_answer)
        lines.append(f"{pen.bold('Manager')} {pen.person(request.manager_id)}: {answer}")
    if request.recent_reset_at is not None:
        reset = f"This person's MFA was reset {pen.when(request.recent_reset_at)}."
        lines.append(
            f"{pen.emoji('rotating_light')} {pen.bold(reset)} A second reset so soon is a "
            "pattern of help-desk social engineering: verify with extra care."
        )
    return lines


def _privilege_lines(pen: Pen, request: HelpRequest) -> list[str]:
    """Why two admins must approve, or what was checked when one is enough."""
    reason = pen.said(request.privileged_reason or "")
    shield = pen.emoji("shield")
    if request.privileged and not reason:
        return [
            f"{shield} {pen.bold('Privileged account')} (not assessed yet): two different admins "
            "must approve."
        ]
    if request.privileged:
        return [
            f"{shield} {pen.bold('Privileged account')}: {reason}. Two different admins must "
            "approve."
        ]
    return [f"Not privileged: {reason}."] if reason else []


def action_line(pen: Pen, item: ActionItem) -> str:
    """One approved action and where it stands (its label without the aside in brackets: the
    result below it says what it did)."""
    label = item.action.label.split(" (", 1)[0]
    return f"{pen.emoji(ACTION_ICON[item.status])} {pen.bold(label)}: {item.status.value}"


def marked_done(pen: Pen, user_id: str) -> str:
    """Who marked a manual action done."""
    return f"Marked done by {pen.person(user_id)}"


def thread_note(
    pen: Pen, request: HelpRequest, change: Change, actor: str | None, actions: list[ActionItem]
) -> str | None:
    """One line for the card's history, or None for a step the card shows and the request's
    next change sums up (an action's own state: one execution is one line, not one per action)."""
    by = f" by {pen.person(actor)}" if actor else ""
    if change is Change.APPROVED:
        chosen = ", ".join(item.action.label for item in actions)
        return f"{pen.emoji('large_green_circle')} Approved{by}: {chosen}."
    if change is Change.DENIED:
        return f"{pen.emoji('red_circle')} Denied{by}: {pen.said(request.deny_reason or '')}"
    if change in (Change.ACTION_DONE, Change.ACTION_FAILED):
        return _action_note(pen, change, by, actions)
    if change in (Change.ACTION_WAITING, Change.ACTION_RETRYING, Change.UNDERWAY):
        return None
    if change is Change.DONE:
        done = ", ".join(item.action.label for item in actions)
        return (
            f"{pen.emoji('white_check_mark')} Done: {done}. The employee has been told."
            if done
            else f"{pen.emoji('white_check_mark')} Done. The employee has been told."
        )
    if change is Change.FAILED:
        failed = ", ".join(i.action.label for i in actions if i.status is ActionStatus.FAILED)
        return f"{pen.emoji('x')} Failed: {failed or 'some actions'}. See the card to retry."
    return {
        Change.CREATED: "Request received.",
        Change.RETRIED: f"{pen.emoji('repeat')} Failed actions tried again{by}.",
        Change.FIRST_APPROVAL: f"{pen.emoji('one')} First of two approvals{by}.",
        Change.MANAGER_ASKED: "The employee's manager was asked to confirm.",
        Change.MANAGER_ANSWERED: f"The manager answered{by}: {request.manager_answer}.",
        Change.REPORTED: f"{pen.emoji('rotating_light')} The employee reported that they did not "
        "ask for this.",
        Change.EXPIRED: f"{pen.emoji('hourglass')} Expired without a decision.",
        Change.CANCELLED: f"{pen.emoji('leftwards_arrow_with_hook')} Cancelled by the employee.",
        Change.CALLBACK: f"{pen.emoji('telephone_receiver')} Calling the employee back{by}.",
    }.get(change, change.value)


def _action_note(pen: Pen, change: Change, by: str, actions: list[ActionItem]) -> str | None:
    """A line for an action's own change only when a person made it (a manual step marked
    done), or when it failed while a manual step keeps the request from settling: the admins
    must hear of it now to retry it."""
    if change is Change.ACTION_DONE:
        return f"{pen.emoji('white_check_mark')} A manual step was marked done{by}." if by else None
    if not any(item.status is ActionStatus.MANUAL for item in actions):
        return None  # the request settles as failed at once, and says so in one line
    failed = ", ".join(i.action.label for i in actions if i.status is ActionStatus.FAILED)
    return f"{pen.emoji('x')} Failed: {failed}. It can be retried now, while the manual step waits."


def reach_it(it_contact: str | None) -> str:
    """How to reach IT, to end a sentence ("... or contact IT (call 555-0100)"); `it_contact` is
    the IT_CONTACT setting already written, None when the operator did not set it."""
    return f"contact IT ({it_contact})" if it_contact else "contact your IT department"


def employee_notice(
    pen: Pen,
    request: HelpRequest,
    change: Change,
    actions: list[ActionItem],
    it_contact: str | None,
    hours: str | None = None,
) -> str | None:
    """What the employee is told at a change that concerns them; None when there is nothing.
    `it_contact` (IT_CONTACT) and `hours` (HELPDESK_HOURS) are already written, None when unset.
    An approval is told once: with the result when it is carried out at once, else as UNDERWAY."""
    number = f"request #{request.id}"
    br = pen.br
    if change is Change.CREATED:
        when = f" IT usually answers {hours}." if hours else ""
        return (
            f"{pen.emoji('inbox_tray')} Your {number} is with IT."
            f"{br}{pen.bold('What happens next:')} "
            "someone from IT checks it and may call you back on the number you gave. I'll message "
            f"you here as soon as they decide.{when}\n\n"
            f"{pen.emoji('lock')} {NEVER_ASK} If someone does, it isn't IT."
        )
    if change is Change.UNDERWAY:
        chosen = br.join(f"• {item.action.label}" for item in actions)
        return (
            f"{pen.emoji('large_green_circle')} IT approved your {number} and is making these "
            f"changes:{br}{chosen}{br}I'll message you again when they are done."
        )
    if change is Change.DENIED:
        call = f" Or call IT: {it_contact}." if it_contact else ""
        return (
            f"{pen.emoji('red_circle')} IT declined your {number}.{br}{pen.bold('Reason:')} "
            f"{pen.said(request.deny_reason or '')}{br}{pen.bold('What next:')} if you still "
            f"can't sign in, send a new request with more detail: what happened, what you "
            f"tried, and how IT can check it is really you (press {pen.bold(CONTACT_IT)} in the "
            f"guide).{call}"
        )
    return _employee_end(pen, request, change, actions, it_contact)


def _employee_end(
    pen: Pen,
    request: HelpRequest,
    change: Change,
    actions: list[ActionItem],
    it_contact: str | None,
) -> str | None:
    """What the employee is told when their request ends without a denial."""
    number = f"request #{request.id}"
    br = pen.br
    if change is Change.DONE:
        changed = br.join(f"• {pen.said(item.summary)}" for item in actions)
        steps = br.join(f"• {NEXT_STEPS[item.action]}" for item in actions)
        if request.reported_not_me_at is not None:
            last = (
                f"{pen.emoji('rotating_light')} You reported this as not you: IT security has "
                "been alerted."
            )
        else:
            last = (
                f"If you didn't ask for this, press {pen.bold(NOT_ME)} at once: IT security is "
                f"alerted and your sessions are revoked. Or {reach_it(it_contact)} at once."
            )
        return (
            f"{pen.emoji('white_check_mark')} Your {number} is done: IT approved it and made "
            f"the changes.{br}"
            f"{pen.bold('What changed:')}{br}{changed}{br}"
            f"{pen.bold('What to do next:')}{br}{steps}\n\n{last}"
        )
    if change is Change.FAILED:
        return (
            f"{pen.emoji('warning')} IT approved your {number} but couldn't finish every "
            "change. They have been told and will follow up with you. If you have questions, "
            f"{reach_it(it_contact)}."
        )
    if change is Change.EXPIRED:
        return (
            f"{pen.emoji('hourglass')} Your {number} expired without a decision. If you still "
            f"need help, press {pen.bold(CONTACT_IT)} again or {reach_it(it_contact)}."
        )
    return None


def request_status_dm(pen: Pen, request: HelpRequest) -> str:
    """The employee's first message about a request, once it can no longer be cancelled: where
    it stands now (the later messages say the rest)."""
    return (
        f"{pen.emoji('inbox_tray')} Your request #{request.id} went to IT. "
        f"{pen.bold('Now:')} {STATUS_WORDS[request.status]}.\n\n"
        f"{pen.emoji('lock')} {NEVER_ASK} If someone does, it isn't IT."
    )


def request_sent_note(pen: Pen, request_id: int) -> str:
    """What the guide message that led to a request says once it was sent (its Contact IT
    button gone: the request is with IT)."""
    return (
        f"{pen.emoji('white_check_mark')} {pen.bold(f'Request #{request_id} sent')}. "
        f"I'll tell you in {pen.dms} as soon as IT decides."
    )


def pass_expiry(at: datetime, zone: str | None = None) -> str:
    """When a temporary access pass expires, for its holder: in their time zone (an IANA name
    such as "Europe/Berlin") with UTC beside it, or in UTC alone when the zone is not known."""
    utc = at.astimezone(UTC)
    day = f"{utc:%A} {utc.day} {utc:%B}"
    try:
        local = utc.astimezone(ZoneInfo(zone)) if zone and zone != "UTC" else None
    except (ZoneInfoNotFoundError, ValueError):
        local = None
    if local is None:
        return f"at {utc:%H:%M} UTC on {day}"
    local_day = f"{local:%A} {local.day} {local:%B}"
    return f"at {local:%H:%M} {zone} time on {local_day} ({utc:%H:%M} UTC)"


def secret_notice(pen: Pen, request: HelpRequest, secret: str, expires: str | None = None) -> str:
    """The temporary access pass, for the employee's eyes only; `expires` is when, written for
    the reader (None: not known)."""
    until = f"expires {expires}" if expires else "expires soon"
    return (
        f"{pen.emoji('key')} Your temporary access pass for request #{request.id}: "
        f"{pen.code(secret)}{pen.br}It works once and {until}. Use it to sign in before then, "
        "then set up your sign-in methods. Don't share it with anyone, IT included."
    )


def manager_question(pen: Pen, request: HelpRequest) -> str:
    """Asks the employee's manager whether the employee really asked IT."""
    name = pen.said(request.requester_name) or "your report"
    return (
        f"{pen.emoji('question')} Did {pen.person(request.requester_id)} ({name}) ask IT to reset "
        f"their sign-in methods (request #{request.id})? Attackers impersonate employees to take "
        "over their accounts: if you are not sure, say no and call them."
    )


def manager_summary(pen: Pen, request: HelpRequest) -> str:
    """The manager's question in a notification's few words."""
    name = pen.said(request.requester_name) or "your report"
    return f"Did {name} ask IT to reset their sign-in methods?"


def enrollment_steps(pen: Pen, uri: str, secret: str, qr_where: str) -> str:
    """How to set up the authenticator: scan the QR code (`qr_where`: where it is) or type the
    key, then confirm with a code."""
    spaced = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return (
        f"1. Scan the QR code {qr_where} with your authenticator app (Microsoft Authenticator, "
        f"Google Authenticator, 1Password, …).{pen.br}"
        f"2. Can't scan? Add an account by hand with this key: {pen.code(spaced)}{pen.br}"
        f"   or open {pen.code(uri)}{pen.br}"
        f"3. Press {pen.bold(CONFIRM)} and enter the code the app shows.{pen.br}"
        "Until you confirm, your previous authenticator (if any) keeps working. "
        "This message and the QR code are deleted once you are set up."
    )


def plural(count: int, noun: str) -> str:
    """`count` and the noun, in the singular for one ("1 request", "2 requests")."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def in_progress(count: int) -> str:
    """How many requests are in progress, in words."""
    return f"{plural(count, 'request')} in progress"


def pending_header(pen: Pen, count: int) -> str:
    """The title of the list of requests in progress."""
    return pen.bold(in_progress(count))


def pending_line(pen: Pen, request: HelpRequest, title: str, link: str | None) -> str:
    """One request in progress; `title` is plain, `link` goes to its card when known."""
    shown = pen.link(link, title) if link else title
    return (
        f"• {shown}: {pen.person(request.requester_id)}, {STATUS_WORDS[request.status]}, "
        f"since {pen.when(request.created_at)}"
    )


def your_request(pen: Pen, request: HelpRequest, topic: str) -> str:
    """The employee's Home: where their request in progress stands (`topic` is plain)."""
    return (
        f"{pen.bold(f'Your request #{request.id}')}: {pen.said(topic)}{pen.br}"
        f"{STATUS_WORDS[request.status].capitalize()}, sent {pen.when(request.created_at)}. "
        "I'll message you as soon as it changes."
    )


def queue_counts(requests: Sequence[HelpRequest]) -> str:
    """The admin's Home: how many requests stand where ("2 waiting for a decision · 1 failed")."""
    counts = dict.fromkeys(STATUS_WORDS, 0)
    for request in requests:
        counts[request.status] += 1
    return " · ".join(f"{n} {STATUS_WORDS[status]}" for status, n in counts.items() if n)


def opened_in_dms(pen: Pen, topic: str, link: str | None) -> str:
    """The Home tab after a topic was pressed there: where its walk went (`topic` is plain)."""
    where = pen.link(link, pen.dms) if link else pen.dms
    return f"{pen.emoji('point_right')} I opened {pen.bold(pen.said(topic))} in {where}."


def nothing_pending(pen: Pen) -> str:
    """Said when no request is in progress."""
    return f"No requests are waiting. {pen.emoji('tada')}"


def alert(pen: Pen, alert: HelpdeskAlert) -> str:
    """The help-desk channel's (and security's) line for an alert."""
    siren = pen.emoji("rotating_light")
    match alert:
        case NotMeReported(request=request, revoked=revoked):
            return (
                f"{siren} {pen.person(request.requester_id)} says they did NOT ask for request "
                f"#{request.id}. Treat the account as compromised. {revocation(pen, revoked)}"
            )
        case PromptReported(request=request, filed=filed):
            return _prompt_alert(pen, request, filed=filed)
        case ManagerSaidNo(request=request):
            return (
                f"{siren} The manager of {pen.person(request.requester_id)} says they did NOT ask "
                f"IT for request #{request.id}. It can no longer be approved."
            )
        case StepUpLocked(actor=actor):
            return (
                f"Step-up for {pen.person(actor)} is locked for 15 minutes after five attempts "
                "without a success."
            )
        case AuthenticatorEnrolled(actor=actor, replaced=replaced):
            what = "replaced their authenticator" if replaced else "set up an authenticator"
            return f"{pen.emoji('closed_lock_with_key')} {pen.person(actor)} {what} for approvals."
        case PrivilegedReset():
            return _privileged_reset(pen, alert)
        case ResetEmailFailed(request=request, why=why):
            return (
                f"{pen.emoji('warning')} The email telling {pen.person(request.requester_id)} "
                "about "
                f"the changes of request #{request.id} could not be sent ({pen.said(why)}). "
                f"Tell them another way, not in {pen.chat} alone."
            )
    raise TypeError(f"no words for {type(alert).__name__}")


def _prompt_alert(pen: Pen, request: HelpRequest, *, filed: bool) -> str:
    who = pen.person(request.requester_id)
    head = (
        f"{pen.emoji('rotating_light')} {who} got a sign-in prompt they didn't start: someone "
        "may know their password."
    )
    if filed:
        return (
            f"{head} Request #{request.id} proposes revoking their sign-in sessions; reset their "
            "password in the admin portal. Call them back on a number you already know."
        )
    return (
        f"{head} Their request #{request.id} is still in progress: decide on it with this in "
        "mind, and reset their password in the admin portal."
    )


def reported_before(pen: Pen, request: HelpRequest) -> str | None:
    """The line at the top of a request's card when the person reported an earlier request as
    not theirs; None otherwise."""
    if request.reported_before is None:
        return None
    reported = f"Reported request #{request.reported_before} as not them"
    return (
        f"{pen.emoji('rotating_light')} {pen.bold(reported)}. A temporary access pass needs two "
        "different admins."
    )


def claim_line(pen: Pen, claim: AlertClaim) -> str:
    """Who handles the alert, as the alert shows it once claimed."""
    return f"{pen.emoji('raising_hand')} {pen.person(claim.claimed_by)} is on it."


def claimed_alert(pen: Pen, claim: AlertClaim) -> str:
    """A security alert once claimed: what it was about, and who handles it."""
    request = claim.request
    who = pen.person(request.requester_id)
    if request.reported_not_me_at is not None:
        what = f"{who} says they did NOT ask for request #{request.id}."
    else:
        what = f"{who} got a sign-in prompt they didn't start (request #{request.id})."
    return f"{pen.emoji('rotating_light')} {what} {claim_line(pen, claim)}"


def claim_refusal(pen: Pen, claim: AlertClaim) -> str:
    """Said to an admin who claims an alert someone has already."""
    return f"{pen.person(claim.claimed_by)} has this one already. Thank you for checking."


def _privileged_reset(pen: Pen, alert: PrivilegedReset) -> str:
    request = alert.request
    reason = request.privileged_reason
    why = f" ({pen.said(reason)})" if reason else ""
    labels = "; ".join(action.label for action in alert.actions)
    outcome = "carried out" if alert.complete else "partly carried out (it failed after)"
    return (
        f"{pen.emoji('rotating_light')} Request #{request.id} for "
        f"{pen.person(request.requester_id)}, a privileged account{why}, was {outcome}: {labels}."
    )


def revocation(pen: Pen, revoked: RevokeOutcome) -> str:
    """What became of signing the person out again, in one sentence (the provider's error as
    the text it sent, never as markup)."""
    if revoked.revocation is Revocation.BY_HAND:
        return "Sign-in sessions must be revoked by hand (manual provider)."
    if revoked.revocation is Revocation.FAILED:
        return f"Revoking the sign-in sessions again failed: {pen.said(revoked.error or '')}"
    return "The account's sign-in sessions were revoked again."


def not_me_reply(pen: Pen, answer: NotMeAnswer) -> str:
    """What the employee who reported "this wasn't me" reads: what to do now, and who calls."""
    number = f"request #{answer.request_id}" if answer.request_id else "this request"
    if answer.revoked is None:
        return (
            f"{pen.emoji('rotating_light')} You reported {number} already, thank you: IT "
            f"security has it and nothing more is needed from you.{pen.br}"
            f"{_change_password(pen, answer.password_url, again=True)}"
        )
    return (
        f"{pen.emoji('rotating_light')} Thank you. IT security has been alerted about {number}. "
        f"{revocation(pen, answer.revoked)}{pen.br}"
        f"{_change_password(pen, answer.password_url)}{pen.br}"
        "Someone from the IT help desk will contact you about it. IT will never ask you for "
        "your password or your verification codes."
    )


def prompt_reply(pen: Pen, answer: PromptAnswer) -> str:
    """What the employee who reported a sign-in prompt they didn't start reads."""
    number = f"request #{answer.request_id}"
    change = _change_password(pen, answer.password_url, again=answer.again)
    if answer.again:
        return (
            f"{pen.emoji('rotating_light')} You reported this already, thank you: IT security "
            f"has it as {number}. Nothing more is needed from you.{pen.br}{change}"
        )
    filed = (
        f"IT will sign you out everywhere once an admin approves {number}."
        if answer.filed
        else f"IT will look at it with your {number}, which is still in progress."
    )
    return (
        f"{pen.emoji('rotating_light')} Thank you. IT security and the help desk have been "
        f"alerted. {filed}{pen.br}{change}{pen.br}"
        "Someone from the IT help desk will contact you. Until then, deny every prompt you "
        "didn't start. IT will never ask you for your password or your verification codes."
    )


def _change_password(pen: Pen, url: str | None, *, again: bool = False) -> str:
    """Tell them to change their password now, with the link when there is one."""
    where = (
        f": open {pen.link(url, 'your security info')} and choose Password"
        if url
        else " from a device you trust"
    )
    if again:
        return f"If you haven't yet, change your password now{where}."
    return f"{pen.bold('Change your password now')}{where}."
