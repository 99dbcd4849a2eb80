"""Renders the help-desk path: the contact form, the request card, notices and refusals."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain.errors import (
    AlreadyDecidedError,
    AlreadyOpenError,
    HelpdeskError,
    NoReasonError,
    NotAnAdminError,
    NothingSelectedError,
    OwnRequestError,
    RequestExpiredError,
    SameApproverError,
    SuspiciousError,
    TooManyRequestsError,
    WrongPlaceError,
)
from bot.domain.guide import Guide
from bot.domain.identity import ResetAction
from bot.domain.requests import (
    ACTIVE,
    CONTACT_MAX,
    DESCRIPTION_MAX,
    DETAILS_MAX,
    ActionItem,
    ActionStatus,
    Change,
    ContactForm,
    HelpRequest,
    Question,
    Remaining,
    Status,
    questions_for,
)
from bot.domain.stepup import LockedOutError, NotEnrolledError, ReplayedCodeError, WrongCodeError
from handlers.blocks.guide import Message
from handlers.blocks.text import escape_mrkdwn, escape_mrkdwn_within
from handlers.ids import ActionId, FieldId, ViewId
from handlers.payloads import ContactMeta, DenyMeta, EnrollMeta, StepUpMeta
from handlers.slack_rules.basics import SECTION_TEXT_LIMIT

NO_REASON = "Give a reason: the employee will read it."
NEVER_ASK = "IT will never ask you for your password or your verification codes."
_YES, _NO = "yes", "no"

_NEXT_STEPS = {
    ResetAction.CLEAR_MFA: "Sign in again: you will be asked to set up two-step verification. "
    "Set up more than one method this time, for example an authenticator app and a phone.",
    ResetAction.DELETE_APP_PASSWORDS: (
        "Create a new app password for each older app that needs one."
    ),
    ResetAction.REVOKE_SESSIONS: "You are signed out everywhere: sign in again on each device.",
    ResetAction.ISSUE_TAP: "Use the temporary access pass I sent you to sign in, then register "
    "your new sign-in methods.",
}

_ACTION_ICON = {
    ActionStatus.PENDING: ":hourglass_flowing_sand:",
    ActionStatus.RUNNING: ":arrows_counterclockwise:",
    ActionStatus.MANUAL: ":memo:",
    ActionStatus.DONE: ":white_check_mark:",
    ActionStatus.FAILED: ":x:",
}


def build_contact_modal(
    guide: Guide,
    topic_id: str,
    walk_id: str | None,
    filled: ContactForm | None = None,
    problem: str | None = None,
) -> View:
    """The form behind Contact IT, pre-filled from the topic the employee was on, or with what
    they typed before when it has to be shown again (`problem` says why)."""
    title = guide.topic(topic_id).title if topic_id else ""
    top = f":warning: *{problem}*\n\n" if problem else ""
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"{top}:lock: *{NEVER_ASK}*")),
        InputBlock(
            block_id=FieldId.DESCRIPTION,
            label="What happened?",
            element=PlainTextInputElement(
                action_id=f"{FieldId.DESCRIPTION}-input",
                multiline=True,
                initial_value=filled.description if filled else title,
                max_length=DESCRIPTION_MAX,
            ),
        ),
        *_questions(questions_for(topic_id), filled),
        InputBlock(
            block_id=FieldId.CORRELATION,
            label="Correlation ID (optional)",
            optional=True,
            hint="On the sign-in error page, under More details. "
            "It looks like 3f2504e0-4f89-11d3-9a0c-0305e82c3301.",
            element=PlainTextInputElement(
                action_id=f"{FieldId.CORRELATION}-input",
                max_length=64,
                initial_value=(filled.correlation_id or None) if filled else None,
            ),
        ),
        InputBlock(
            block_id=FieldId.CONTACT,
            label="How can IT reach you?",
            hint="A phone number IT can call you back on, or where and when to find you.",
            element=PlainTextInputElement(
                action_id=f"{FieldId.CONTACT}-input",
                max_length=CONTACT_MAX,
                initial_value=(filled.contact or None) if filled else None,
            ),
        ),
        InputBlock(
            block_id=FieldId.DETAILS,
            label="Anything else IT should know? (optional)",
            optional=True,
            element=PlainTextInputElement(
                action_id=f"{FieldId.DETAILS}-input",
                multiline=True,
                max_length=DETAILS_MAX,
                initial_value=(filled.details or None) if filled else None,
            ),
        ),
    ]
    return View(
        type="modal",
        callback_id=ViewId.CONTACT_IT,
        title="Contact IT",
        submit="Send to IT",
        close="Cancel",
        private_metadata=ContactMeta(walk_id=walk_id, topic_id=topic_id).model_dump_json(),
        blocks=blocks,
    )


def _questions(asked: frozenset[Question], filled: ContactForm | None) -> list[Block]:
    """The topic's questions, none answered in advance: a preselected answer is one a hurried
    person leaves, and IT then reads it as theirs."""
    blocks: list[Block] = []
    if Question.LOST in asked:
        yes_no = [Option(value=_YES, label="Yes"), Option(value=_NO, label="No")]
        answer = None if filled is None else filled.lost_or_stolen
        lost = None if answer is None else yes_no[0 if answer else 1]
        blocks.append(_radio(FieldId.LOST, "Was your phone lost or stolen?", yes_no, lost))
    if Question.REMAINING in asked:
        remaining = [Option(value=r.value, label=r.label) for r in Remaining]
        had = filled.remaining if filled else None
        still = next((o for o in remaining if had is not None and o.value == had.value), None)
        label = "Which sign-in methods can you still use?"
        blocks.append(_radio(FieldId.REMAINING, label, remaining, still))
    return blocks


def _radio(field: FieldId, label: str, options: list[Option], chosen: Option | None) -> Block:
    element = RadioButtonsElement(
        action_id=f"{field}-input", options=options, initial_option=chosen
    )
    return InputBlock(block_id=field, label=label, element=element)


def _answers(form: ContactForm) -> list[MarkdownTextObject]:
    """The form's questions as answered; a question the topic did not ask claims nothing."""
    fields = []
    if form.lost_or_stolen is not None:
        lost = ":rotating_light: Yes" if form.lost_or_stolen else "No"
        fields.append(MarkdownTextObject(text=f"*Lost or stolen*\n{lost}"))
    if form.remaining is not None:
        fields.append(MarkdownTextObject(text=f"*Can still use*\n{form.remaining.label}"))
    return fields


def build_request_sent(request: HelpRequest) -> View:
    """What the form turns into as it is acked: the request it stored (or, for a form sent
    again, the one it stored before, as it stands)."""
    if request.status in ACTIVE:
        text = (
            f":white_check_mark: *Request #{request.id} is with IT.*\n"
            "I'll tell you in our direct messages as soon as IT decides, and what to do next."
        )
    else:
        text = (
            f"This form was sent already, as request #{request.id}, which is "
            f"{_status_words(request.status)}. Press *Contact IT* again if you still need help."
        )
    return View(
        type="modal",
        title="Contact IT",
        close="Close",
        blocks=[SectionBlock(text=MarkdownTextObject(text=f"{text}\n\n{NEVER_ASK}"))],
    )


def build_contact_refusal(error: HelpdeskError, contact_it: str) -> View:
    """What the form turns into when no request is stored: why, and how else to reach IT."""
    if isinstance(error, TooManyRequestsError):
        text = (
            f":telephone_receiver: *You have sent {error.limit} requests to IT within the last "
            "hour.* Please don't send another one: call IT instead.\n\n"
            f"{contact_it}"
        )
    else:
        text = build_refusal(error)
    return build_notice_modal("Contact IT", text)


def build_notice_modal(title: str, text: str) -> View:
    """A modal that only says something (a refusal shown where a form was)."""
    return View(
        type="modal",
        title=title[:24],
        close="Close",
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    )


def build_open_request(request: HelpRequest) -> Message:
    """Shown instead of a second form while one request is in progress."""
    text = (
        f"You already have request #{request.id} with IT ({_status_words(request.status)}). "
        "I'll message you as soon as it changes."
    )
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    if request.status is Status.OPEN:
        blocks.append(ActionsBlock(elements=[_cancel_button(request)]))
    return Message(text=text, blocks=blocks)


def build_deny_modal(request_id: int, channel_id: str | None) -> View:
    """Asks the admin for the reason the employee will read."""
    return View(
        type="modal",
        callback_id=ViewId.DENY,
        title=f"Deny request #{request_id}"[:24],
        submit="Deny",
        close="Back",
        private_metadata=DenyMeta(request_id=request_id, channel_id=channel_id).model_dump_json(),
        blocks=[
            InputBlock(
                block_id=FieldId.DENY_REASON,
                label="Why? The employee will read this.",
                element=PlainTextInputElement(
                    action_id=f"{FieldId.DENY_REASON}-input", multiline=True, max_length=1000
                ),
            )
        ],
    )


def build_request_card(
    request: HelpRequest, actions: list[ActionItem], guide: Guide, provider: str
) -> Message:
    """The help-desk channel's card for a request, always showing its current state."""
    topic = _topic_title(guide, request.topic_id)
    form = request.form
    who = f"<@{request.requester_id}>"
    if request.requester_name or request.requester_email:
        who += (
            f" · {escape_mrkdwn(request.requester_name)} · {escape_mrkdwn(request.requester_email)}"
        )
    fields = [
        MarkdownTextObject(text=f"*Topic*\n{topic}"),
        MarkdownTextObject(text=f"*Submitted*\n{_when(request.created_at)}"),
        *_answers(form),
        MarkdownTextObject(text=f"*Reach them*\n{escape_mrkdwn(form.contact)}"),
        MarkdownTextObject(
            text=f"*Correlation ID*\n{escape_mrkdwn(form.correlation_id or 'none given')}"
        ),
    ]
    blocks: list[Block] = [
        HeaderBlock(text=f"Request #{request.id}: {topic}"[:150]),
        SectionBlock(text=MarkdownTextObject(text=f"*Requester* {who}")),
        SectionBlock(fields=fields),
        SectionBlock(text=MarkdownTextObject(text=_quote("What happened", form.description))),
    ]
    if form.details:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_quote("More", form.details))))
    tried = "\n".join(f"• {escape_mrkdwn(line)}" for line in request.tried) or "_nothing recorded_"
    blocks.append(
        SectionBlock(text=MarkdownTextObject(text=f"*Already tried in the guide*\n{tried}"[:3000]))
    )
    warnings = _warnings(request)
    if warnings:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(warnings))))
    blocks.append(DividerBlock())
    blocks.append(SectionBlock(text=MarkdownTextObject(text=_status_line(request))))
    if request.status is Status.OPEN:
        blocks += _decision_blocks(request)
    else:
        blocks += _action_blocks(actions)
        if request.status is Status.FAILED:
            blocks.append(
                ActionsBlock(
                    elements=[
                        ButtonElement(
                            text="Retry failed actions",
                            action_id=ActionId.RETRY,
                            value=str(request.id),
                            style="primary",
                        )
                    ]
                )
            )
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"Provider: {provider}. Verify the person before approving: call them "
                    "back on a number you already know. Never ask for their password or codes."
                )
            ]
        )
    )
    return Message(
        text=f"Request #{request.id}: {topic} ({_status_words(request.status)})", blocks=blocks
    )


def build_thread_note(
    request: HelpRequest, change: Change, actor: str | None, actions: list[ActionItem]
) -> str:
    """One line for the card's thread, so the history stays readable."""
    by = f" by <@{actor}>" if actor else ""
    if change is Change.APPROVED:
        chosen = ", ".join(item.action.label for item in actions)
        return f":large_green_circle: Approved{by}: {chosen}."
    if change is Change.DENIED:
        return f":red_circle: Denied{by}: {escape_mrkdwn(request.deny_reason or '')}"
    if change in (
        Change.ACTION_DONE,
        Change.ACTION_WAITING,
        Change.ACTION_FAILED,
        Change.ACTION_RETRYING,
    ):
        return "\n".join(
            f"{_ACTION_ICON[item.status]} {item.action.label}: {item.status.value}"
            for item in actions
        )
    return {
        Change.CREATED: "Request received.",
        Change.DONE: ":white_check_mark: All actions done. The employee has been told.",
        Change.FAILED: ":x: Some actions failed: see the card.",
        Change.RETRIED: f":repeat: Failed actions tried again{by}.",
        Change.FIRST_APPROVAL: f":one: First of two approvals{by}.",
        Change.MANAGER_ASKED: "The employee's manager was asked to confirm.",
        Change.MANAGER_ANSWERED: f"The manager answered{by}: {request.manager_answer}.",
        Change.REPORTED: ":rotating_light: The employee reported that they did not ask for this.",
        Change.EXPIRED: ":hourglass: Expired without a decision.",
        Change.CANCELLED: ":leftwards_arrow_with_hook: Cancelled by the employee.",
    }.get(change, change.value)


def build_employee_notice(
    request: HelpRequest, change: Change, actions: list[ActionItem], it_contact: str
) -> Message | None:
    """The DM the employee gets at each change that concerns them; None when there is none."""
    number = f"request #{request.id}"
    text: str
    blocks: list[Block]
    if change is Change.CREATED:
        text = (
            f":inbox_tray: Your {number} is with IT.\n*What happens next:* someone from IT "
            "checks it and may call you back on the number you gave. I'll message you here as "
            f"soon as they decide.\n\n:lock: {NEVER_ASK} If someone does, it isn't IT."
        )
        blocks = [
            SectionBlock(text=MarkdownTextObject(text=text)),
            ActionsBlock(elements=[_cancel_button(request)]),
        ]
        return Message(text=f"Your {number} is with IT.", blocks=blocks)
    if change is Change.APPROVED:
        chosen = "\n".join(f"• {item.action.label}" for item in actions)
        text = (
            f":large_green_circle: IT approved your {number} and is making these changes:\n{chosen}"
        )
    elif change is Change.DENIED:
        text = (
            f":red_circle: IT declined your {number}.\n*Reason:* "
            f"{escape_mrkdwn(request.deny_reason or '')}\n*What next:* if you still can't sign in, "
            f"contact IT: {it_contact}."
        )
    elif change is Change.DONE:
        changed = "\n".join(f"• {escape_mrkdwn(item.summary)}" for item in actions)
        steps = "\n".join(f"• {_NEXT_STEPS[item.action]}" for item in actions)
        text = (
            f":white_check_mark: Your {number} is done.\n*What changed:*\n{changed}\n"
            f"*What to do next:*\n{steps}\n\n"
            "If you didn't ask for this, press *This wasn't me* at once: IT security is alerted "
            f"and your sessions are revoked. Or tell IT: {it_contact}."
        )
        return Message(
            text=text.split("\n", 1)[0],
            blocks=[
                SectionBlock(text=MarkdownTextObject(text=text[:3000])),
                ActionsBlock(
                    elements=[
                        ButtonElement(
                            text="This wasn't me",
                            action_id=ActionId.NOT_ME,
                            value=str(request.id),
                            style="danger",
                            confirm=ConfirmObject(
                                title="Report this change?",
                                text="IT security will treat your account as compromised.",
                                confirm="It wasn't me",
                                deny="Cancel",
                            ),
                        )
                    ]
                ),
            ],
        )
    elif change is Change.FAILED:
        text = (
            f":warning: IT couldn't finish every change of your {number}. They have been told "
            f"and will follow up with you. Questions: {it_contact}."
        )
    elif change is Change.EXPIRED:
        text = (
            f":hourglass: Your {number} expired without a decision. If you still need help, "
            f"press *Contact IT* again or contact IT: {it_contact}."
        )
    else:
        return None
    return Message(
        text=text.split("\n", 1)[0],
        blocks=[SectionBlock(text=MarkdownTextObject(text=text[:3000]))],
    )


def build_cancelled(request: HelpRequest) -> Message:
    """Replaces the employee's message after they cancel."""
    text = f"You cancelled request #{request.id}. Press *Contact IT* again whenever you need help."
    return Message(text=text, blocks=[SectionBlock(text=MarkdownTextObject(text=text))])


def build_secret_notice(request: HelpRequest, secret: str) -> Message:
    """The temporary access pass, for the employee's eyes only."""
    text = (
        f":key: Your temporary access pass for request #{request.id}: `{secret}`\n"
        "It works once and expires soon. Use it to sign in, then set up your sign-in methods. "
        "Don't share it with anyone, IT included."
    )
    return Message(
        text="Your temporary access pass", blocks=[SectionBlock(text=MarkdownTextObject(text=text))]
    )


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
}


def build_refusal(error: HelpdeskError) -> str:
    """The ephemeral sentence a refused click gets."""
    if isinstance(error, RequestExpiredError):
        return f"Request #{error.request_id} expired without a decision; it can't be approved."
    if isinstance(error, AlreadyDecidedError):
        by = f" by <@{error.decided_by}>" if error.decided_by else ""
        return f"Request #{error.request_id} is already {error.status}{by}."
    if isinstance(error, AlreadyOpenError):
        return f"You already have request #{error.request_id} with IT."
    fixed = next((text for kind, text in _REFUSALS.items() if isinstance(error, kind)), None)
    return fixed or f"That didn't work: {error}"


def build_pending(requests: list[tuple[HelpRequest, str | None]], guide: Guide) -> Message:
    """`/mfa-admin pending`: requests in progress, with links to their cards."""
    if not requests:
        text = "No requests are waiting. :tada:"
        return Message(text=text, blocks=[SectionBlock(text=MarkdownTextObject(text=text))])
    lines = []
    for request, link in requests[:40]:
        title = f"#{request.id} {_topic_title(guide, request.topic_id)}"
        shown = f"<{link}|{title}>" if link else title
        lines.append(
            f"• {shown}: <@{request.requester_id}>, {_status_words(request.status)}, "
            f"since {_when(request.created_at)}"
        )
    text = f"*{len(requests)} request(s) in progress*\n" + "\n".join(lines)
    return Message(
        text=f"{len(requests)} request(s) in progress",
        blocks=[SectionBlock(text=MarkdownTextObject(text=text[:3000]))],
    )


def _decision_blocks(request: HelpRequest) -> list[Block]:
    options = [Option(value=a.value, label=a.label) for a in ResetAction]
    chosen = [o for o in options if ResetAction(o.value) in request.proposed]
    return [
        SectionBlock(
            text=MarkdownTextObject(
                text="*Proposed actions* (change the selection if needed). Clearing MFA "
                "settings always revokes the sign-in sessions too, ticked or not, so that a "
                "session someone else holds cannot register a method of its own."
            )
        ),
        ActionsBlock(
            block_id=f"{ActionId.SELECT_ACTIONS}-block",
            elements=[
                CheckboxesElement(
                    action_id=ActionId.SELECT_ACTIONS,
                    options=options,
                    initial_options=chosen or None,
                )
            ],
        ),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Approve",
                    action_id=ActionId.APPROVE,
                    value=str(request.id),
                    style="primary",
                    confirm=ConfirmObject(
                        title="Approve this request?",
                        text="Have you verified that this is really the person, for example by "
                        "calling them back on a number you already know?",
                        confirm="Approve",
                        deny="Not yet",
                    ),
                ),
                ButtonElement(
                    text="Deny", action_id=ActionId.DENY, value=str(request.id), style="danger"
                ),
            ]
        ),
    ]


def _action_blocks(actions: list[ActionItem]) -> list[Block]:
    blocks: list[Block] = []
    for item in actions:
        line = f"{_ACTION_ICON[item.status]} *{item.action.label}*: {item.status.value}"
        if item.summary:
            line += f"\n{escape_mrkdwn(item.summary)}"
        if item.status is ActionStatus.MANUAL:
            steps = "\n".join(
                f"{n}. {escape_mrkdwn(s)}" for n, s in enumerate(item.manual_steps, 1)
            )
            line += f"\n{steps}"
            if item.link:
                line += f"\n<{item.link}|Open the admin center>"
        if item.done_by:
            line += f"\nMarked done by <@{item.done_by}>"
        section = SectionBlock(text=MarkdownTextObject(text=line[:3000]))
        if item.status is ActionStatus.MANUAL:
            section.accessory = ButtonElement(
                text="Done", action_id=f"{ActionId.MANUAL_DONE}{item.id}", value=str(item.id)
            )
        blocks.append(section)
    return blocks


def _warnings(request: HelpRequest) -> list[str]:
    lines = []
    if request.suspicious:
        lines.append(
            ":rotating_light: *The employee says they did not ask for this.* "
            "Treat the account as compromised."
        )
    lines += _privilege_lines(request)
    if request.manager_id:
        answer = {
            None: "asked, no answer yet",
            "yes": ":white_check_mark: confirmed the request",
            "no": ":rotating_light: *said the employee did NOT ask*",
        }.get(request.manager_answer, request.manager_answer)
        lines.append(f"*Manager* <@{request.manager_id}>: {answer}")
    if request.recent_reset_at is not None:
        lines.append(
            f":rotating_light: *This person's MFA was reset {_when(request.recent_reset_at)}.* "
            "A second reset so soon is a pattern of help-desk social engineering: verify "
            "with extra care."
        )
    return lines


def _privilege_lines(request: HelpRequest) -> list[str]:
    """Why two admins must approve, or what was checked when one is enough."""
    reason = escape_mrkdwn(request.privileged_reason or "")
    if request.privileged and not reason:
        return [
            ":shield: *Privileged account* (not assessed yet): two different admins must approve."
        ]
    if request.privileged:
        return [f":shield: *Privileged account*: {reason}. Two different admins must approve."]
    return [f"Not privileged: {reason}."] if reason else []


def _status_line(request: HelpRequest) -> str:
    by = f" by <@{request.decided_by}>" if request.decided_by else ""
    when = f" {_when(request.decided_at)}" if request.decided_at else ""
    if request.status is Status.OPEN and request.first_approver:
        chosen = ", ".join(a.label for a in request.first_actions)
        return (
            f":large_yellow_circle: *1 of 2 approvals*: <@{request.first_approver}> approved "
            f"{chosen}. Waiting for a second admin (expires {_when(request.expires_at)})"
        )
    if request.status is Status.OPEN:
        return (
            f":large_yellow_circle: *Waiting for a decision* (expires {_when(request.expires_at)})"
        )
    if request.status is Status.DENIED:
        # A reason of 1,000 characters can escape to 5,000: it is cut to what the section takes.
        head = f":red_circle: *Denied*{by}{when}: "
        reason = escape_mrkdwn_within(request.deny_reason or "", SECTION_TEXT_LIMIT - len(head))
        return head + reason
    if request.status is Status.EXPIRED:
        return ":hourglass: *Expired* without a decision. It can no longer be approved."
    if request.status is Status.CANCELLED:
        return ":leftwards_arrow_with_hook: *Cancelled* by the employee."
    label = {
        Status.APPROVED: ":large_green_circle: *Approved*",
        Status.EXECUTING: ":arrows_counterclockwise: *Approved, being carried out*",
        Status.DONE: ":white_check_mark: *Done*",
        Status.FAILED: ":x: *Failed*: some actions did not go through",
    }[request.status]
    return f"{label}{by}{when}"


def _status_words(status: Status) -> str:
    return {
        Status.OPEN: "waiting for a decision",
        Status.APPROVED: "approved",
        Status.EXECUTING: "being carried out",
        Status.DONE: "done",
        Status.FAILED: "failed, IT is on it",
        Status.DENIED: "denied",
        Status.EXPIRED: "expired",
        Status.CANCELLED: "cancelled",
    }[status]


def _cancel_button(request: HelpRequest) -> ButtonElement:
    return ButtonElement(
        text="Cancel request",
        action_id=ActionId.CANCEL_REQUEST,
        value=str(request.id),
        confirm=ConfirmObject(
            title="Cancel this request?",
            text=f"IT will stop working on request #{request.id}.",
            confirm="Cancel request",
            deny="Keep it",
        ),
    )


def _quote(label: str, text: str) -> str:
    quoted = "\n".join(f"> {line}" for line in escape_mrkdwn(text).splitlines() or [""])
    return f"*{label}*\n{quoted}"[:3000]


def _when(at: datetime) -> str:
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{at:%Y-%m-%d %H:%M} UTC>"


def _topic_title(guide: Guide, topic_id: str) -> str:
    try:
        return guide.topic(topic_id).title
    except KeyError:
        return topic_id


def build_stepup_modal(meta: StepUpMeta, what: str) -> View:
    """Asks the admin for their authenticator's current code before a decision counts."""
    return View(
        type="modal",
        callback_id=ViewId.STEPUP,
        title="Confirm it's you",
        submit="Confirm",
        close="Cancel",
        private_metadata=meta.model_dump_json(),
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"{what}\n\nEnter the current code from your authenticator app."
                )
            ),
            InputBlock(
                block_id=FieldId.CODE,
                label="Authenticator code",
                element=PlainTextInputElement(
                    action_id=f"{FieldId.CODE}-input",
                    min_length=6,
                    max_length=8,
                    placeholder="123456",
                ),
            ),
        ],
    )


def build_enrollment(uri: str, secret: str, file_id: str | None) -> Message:
    """The admin's DM to set up step-up: the key to type (the QR code comes as a file)."""
    spaced = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    text = (
        ":closed_lock_with_key: *Set up your authenticator for IT approvals*\n"
        "1. Scan the QR code I sent with your authenticator app (Microsoft Authenticator, "
        "Google Authenticator, 1Password, …).\n"
        f"2. Can't scan? Add an account by hand with this key: `{spaced}`\n"
        f"   or open `{uri}`\n"
        "3. Press *Confirm* and enter the code the app shows.\n"
        "Until you confirm, your previous authenticator (if any) keeps working. "
        "This message and the QR code are deleted once you are set up."
    )
    return Message(
        text="Set up your authenticator for IT approvals",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=text)),
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Confirm",
                        action_id=ActionId.ENROLL_CONFIRM,
                        value=file_id or "none",
                        style="primary",
                    )
                ]
            ),
        ],
    )


def build_enroll_modal(replacing: bool, meta: EnrollMeta) -> View:
    """Asks for the first code from the new authenticator (and the current one's, when it
    replaces one)."""
    blocks: list[Block] = []
    if replacing:
        blocks.append(
            InputBlock(
                block_id=FieldId.CURRENT_CODE,
                label="A code from your current authenticator",
                hint="Replacing an authenticator needs the old one too.",
                element=PlainTextInputElement(
                    action_id=f"{FieldId.CURRENT_CODE}-input", min_length=6, max_length=8
                ),
            )
        )
    blocks.append(
        InputBlock(
            block_id=FieldId.CODE,
            label="The code your new app shows now",
            element=PlainTextInputElement(
                action_id=f"{FieldId.CODE}-input", min_length=6, max_length=8
            ),
        )
    )
    return View(
        type="modal",
        callback_id=ViewId.ENROLL,
        title="Confirm authenticator",
        submit="Confirm",
        close="Cancel",
        private_metadata=meta.model_dump_json(),
        blocks=blocks,
    )


def build_stepup_refusal(error: HelpdeskError) -> str:
    """The inline error or notice for a step-up problem."""
    if isinstance(error, NotEnrolledError):
        return (
            "You haven't set up your authenticator for approvals yet: run `/mfa-admin enroll` "
            "and follow the steps in your DM."
        )
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
    return build_refusal(error)


def build_manager_question(request: HelpRequest) -> Message:
    """Asks the employee's manager whether the employee really asked IT."""
    name = escape_mrkdwn(request.requester_name) or "your report"
    text = (
        f":question: Did <@{request.requester_id}> ({name}) ask IT to reset their sign-in "
        f"methods (request #{request.id})? Attackers impersonate employees to take over their "
        "accounts: if you are not sure, say no and call them."
    )
    return Message(
        text=f"Did {name} ask IT to reset their sign-in methods?",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=text)),
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Yes, they asked",
                        action_id=ActionId.MANAGER_YES,
                        value=str(request.id),
                        style="primary",
                    ),
                    ButtonElement(
                        text="No",
                        action_id=ActionId.MANAGER_NO,
                        value=str(request.id),
                        style="danger",
                    ),
                ]
            ),
        ],
    )
