"""Renders the help-desk path: the contact form, the request card, notices and refusals."""

from __future__ import annotations

from collections.abc import Sequence
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

from bot import wording
from bot.domain.errors import (
    HelpdeskError,
    TooManyRequestsError,
)
from bot.domain.guide import Guide
from bot.domain.helpdesk import Home
from bot.domain.helpdesk.outreach import QUESTION_MAX, REACHABLE
from bot.domain.identity import ResetAction
from bot.domain.requests import (
    CONTACT_MAX,
    DESCRIPTION_MAX,
    DETAILS_MAX,
    ActionItem,
    ActionStatus,
    Answered,
    Change,
    ContactForm,
    HelpRequest,
    Question,
    Remaining,
    Status,
    questions_for,
    retryable,
)
from handlers.blocks.guide import Message
from handlers.blocks.text import SLACK, escape_mrkdwn, escape_mrkdwn_within
from handlers.ids import ActionId, FieldId, ViewId
from handlers.payloads import (
    AnswerMeta,
    AskMeta,
    ContactMeta,
    DenyMeta,
    EnrollMeta,
    GuideMessage,
    StepUpMeta,
)
from handlers.slack_rules.basics import SECTION_TEXT_LIMIT

NO_REASON = wording.NO_REASON
NEVER_ASK = wording.NEVER_ASK
_YES, _NO = "yes", "no"


def build_contact_modal(
    guide: Guide,
    topic_id: str,
    walk_id: str | None,
    filled: ContactForm | None = None,
    problem: str | None = None,
    *,
    description: str | None = None,
    answered: Answered | None = None,
    origin: GuideMessage | None = None,
) -> View:
    """The form behind Contact IT, pre-filled from the topic the employee was on (`description`
    when the walk told more), without the questions the walk `answered` (one line says what it
    took from there), or with what they typed before when it has to be shown again (`problem`
    says why); `origin` is the guide message it was opened on."""
    title = description or (guide.topic(topic_id).title if topic_id else "")
    answered = answered or Answered()
    told = wording.you_told_me(SLACK, answered)
    top = f":warning: *{problem}*\n\n" if problem else ""
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"{top}:lock: *{NEVER_ASK}*")),
        InputBlock(
            block_id=FieldId.DESCRIPTION,
            label=wording.DESCRIPTION_LABEL,
            element=PlainTextInputElement(
                action_id=f"{FieldId.DESCRIPTION}-input",
                multiline=True,
                initial_value=filled.description if filled else title,
                max_length=DESCRIPTION_MAX,
            ),
        ),
        *([ContextBlock(elements=[MarkdownTextObject(text=told)])] if told else []),
        *_questions(questions_for(topic_id) - answered.questions, filled),
        InputBlock(
            block_id=FieldId.CORRELATION,
            label=wording.CORRELATION_LABEL,
            optional=True,
            hint=wording.CORRELATION_HINT,
            element=PlainTextInputElement(
                action_id=f"{FieldId.CORRELATION}-input",
                max_length=64,
                initial_value=(filled.correlation_id or None) if filled else None,
            ),
        ),
        InputBlock(
            block_id=FieldId.CONTACT,
            label=wording.CONTACT_LABEL,
            hint=wording.CONTACT_HINT,
            element=PlainTextInputElement(
                action_id=f"{FieldId.CONTACT}-input",
                max_length=CONTACT_MAX,
                initial_value=(filled.contact or None) if filled else None,
            ),
        ),
        InputBlock(
            block_id=FieldId.DETAILS,
            label=wording.DETAILS_LABEL,
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
        title=wording.CONTACT_IT,
        submit=wording.SEND_TO_IT,
        close=wording.CANCEL,
        private_metadata=ContactMeta(
            walk_id=walk_id, topic_id=topic_id, origin=origin
        ).model_dump_json(exclude_none=True),
        blocks=blocks,
    )


def _questions(asked: frozenset[Question], filled: ContactForm | None) -> list[Block]:
    """The topic's questions, none answered in advance: a preselected answer is one a hurried
    person leaves, and IT then reads it as theirs."""
    blocks: list[Block] = []
    if Question.LOST in asked:
        yes_no = [Option(value=_YES, label=wording.YES), Option(value=_NO, label=wording.NO)]
        answer = None if filled is None else filled.lost_or_stolen
        lost = None if answer is None else yes_no[0 if answer else 1]
        blocks.append(_radio(FieldId.LOST, wording.LOST_LABEL, yes_no, lost))
    if Question.REMAINING in asked:
        remaining = [Option(value=r.value, label=r.label) for r in Remaining]
        had = filled.remaining if filled else None
        still = next((o for o in remaining if had is not None and o.value == had.value), None)
        blocks.append(_radio(FieldId.REMAINING, wording.REMAINING_LABEL, remaining, still))
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
        lost = wording.lost_answer(SLACK, form.lost_or_stolen)
        fields.append(MarkdownTextObject(text=f"*{wording.LOST_OR_STOLEN}*\n{lost}"))
    if form.remaining is not None:
        can = wording.CAN_STILL_USE
        fields.append(MarkdownTextObject(text=f"*{can}*\n{form.remaining.label}"))
    return fields


def build_request_sent(request: HelpRequest) -> View:
    """What the form turns into as it is acked: the request it stored (or, for a form sent
    again, the one it stored before, as it stands)."""
    text = wording.request_sent(SLACK, request)
    return View(
        type="modal",
        title=wording.CONTACT_IT,
        close=wording.CLOSE,
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    )


def build_contact_refusal(error: HelpdeskError, contact_it: str) -> View:
    """What the form turns into when no request is stored: why, and how else to reach IT."""
    if isinstance(error, TooManyRequestsError):
        text = wording.too_many_requests(SLACK, error.limit, contact_it)
    else:
        text = build_refusal(error)
    return build_notice_modal(wording.CONTACT_IT, text)


def build_notice_modal(title: str, text: str) -> View:
    """A modal that only says something (a refusal shown where a form was)."""
    return View(
        type="modal",
        title=title[:24],
        close=wording.CLOSE,
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    )


def build_open_request(request: HelpRequest) -> Message:
    """Shown instead of a second form while one request is in progress."""
    text = wording.open_request(request)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    if request.status is Status.OPEN:
        blocks.append(ActionsBlock(elements=[_cancel_button(request)]))
    return Message(text=text, blocks=blocks)


def build_deny_modal(request_id: int, channel_id: str | None) -> View:
    """Asks the admin for the reason the employee will read."""
    return View(
        type="modal",
        callback_id=ViewId.DENY,
        title=wording.deny_title(request_id)[:24],
        submit=wording.DENY,
        close=wording.BACK,
        private_metadata=DenyMeta(request_id=request_id, channel_id=channel_id).model_dump_json(),
        blocks=[
            InputBlock(
                block_id=FieldId.DENY_REASON,
                label=wording.DENY_REASON_LABEL,
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
    # Slack shows the mention as the person's name: the name again would read twice.
    who = f"<@{request.requester_id}>"
    if request.requester_email:
        who += f" · {escape_mrkdwn(request.requester_email)}"
    correlation = escape_mrkdwn(form.correlation_id or wording.NONE_GIVEN)
    fields = [  # the topic is the card's title already
        MarkdownTextObject(text=f"*{wording.SUBMITTED}*\n{_when(request.created_at)}"),
        *_answers(form),
        MarkdownTextObject(text=f"*{wording.REACH_THEM}*\n{escape_mrkdwn(form.contact)}"),
        MarkdownTextObject(text=f"*{wording.CORRELATION_ID}*\n{correlation}"),
    ]
    blocks: list[Block] = [
        HeaderBlock(text=wording.request_title(request.id, topic)[:150]),
        *_reported_before(request),
        SectionBlock(text=MarkdownTextObject(text=f"*{wording.REQUESTER}* {who}")),
        SectionBlock(fields=fields),
        SectionBlock(text=MarkdownTextObject(text=_quote(wording.WHAT_HAPPENED, form.description))),
    ]
    if form.details:
        more = _quote(wording.MORE, form.details)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=more)))
    tried = "\n".join(f"• {escape_mrkdwn(line)}" for line in request.tried) or SLACK.italic(
        wording.NOTHING_RECORDED
    )
    blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*{wording.TRIED}*\n{tried}"[:3000])))
    warnings = wording.warnings(SLACK, request)
    if warnings:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(warnings))))
    blocks.append(DividerBlock())
    blocks.append(SectionBlock(text=MarkdownTextObject(text=_status_line(request))))
    if (calling := wording.callback_line(SLACK, request)) is not None:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=calling)))
    if request.status is Status.OPEN:
        blocks += _decision_blocks(request)
    else:
        blocks += _action_blocks(actions)
        if request.status in REACHABLE:
            blocks.append(ActionsBlock(elements=_reach_buttons(request)))
        if retryable(request, actions):
            blocks.append(
                ActionsBlock(
                    elements=[
                        ButtonElement(
                            text=wording.RETRY,
                            action_id=ActionId.RETRY,
                            value=str(request.id),
                            style="primary",
                        )
                    ]
                )
            )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=wording.provider_note(provider))]))
    return Message(
        text=f"{wording.request_title(request.id, topic)} ({_status_words(request.status)})",
        blocks=blocks,
    )


def _reported_before(request: HelpRequest) -> list[Block]:
    """At the top of the card: the person reported an earlier request as not theirs."""
    line = wording.reported_before(SLACK, request)
    return [SectionBlock(text=MarkdownTextObject(text=line))] if line else []


def build_thread_note(
    request: HelpRequest, change: Change, actor: str | None, actions: list[ActionItem]
) -> str | None:
    """One line for the card's thread, so the history stays readable; None when the change
    has no line of its own (see wording.thread_note)."""
    return wording.thread_note(SLACK, request, change, actor, actions)


def build_employee_notice(
    request: HelpRequest,
    change: Change,
    actions: list[ActionItem],
    it_contact: str | None,
    hours: str | None = None,
) -> Message | None:
    """The DM the employee gets at each change that concerns them; None when there is none.
    `it_contact` and `hours` are the settings escaped, None when unset."""
    text = wording.employee_notice(SLACK, request, change, actions, it_contact, hours)
    if text is None:
        return None
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text[:3000]))]
    if change is Change.CREATED:
        blocks.append(ActionsBlock(elements=[_cancel_button(request)]))
        return Message(text=f"Your request #{request.id} is with IT.", blocks=blocks)
    if change is Change.DONE and request.reported_not_me_at is None:
        blocks.append(ActionsBlock(elements=[_not_me_button(request)]))
    return Message(text=text.split("\n", 1)[0], blocks=blocks)


def _not_me_button(request: HelpRequest) -> ButtonElement:
    return ButtonElement(
        text=wording.NOT_ME,
        action_id=ActionId.NOT_ME,
        value=str(request.id),
        style="danger",
        confirm=ConfirmObject(
            title=wording.NOT_ME_QUESTION,
            text=wording.NOT_ME_CHECK,
            confirm=wording.NOT_ME_CONFIRM,
            deny=wording.CANCEL,
        ),
    )


def build_cancelled(request: HelpRequest) -> Message:
    """Replaces the employee's message after they cancel."""
    return Message.plain(wording.cancelled(SLACK, request))


def build_secret_notice(request: HelpRequest, secret: str, expires: str | None = None) -> Message:
    """The temporary access pass, for the employee's eyes only; `expires` says when."""
    text = wording.secret_notice(SLACK, request, secret, expires)
    return Message(
        text="Your temporary access pass", blocks=[SectionBlock(text=MarkdownTextObject(text=text))]
    )


def build_refusal(error: HelpdeskError) -> str:
    """The ephemeral sentence a refused click gets."""
    return wording.refusal(SLACK, error)


def build_pending(requests: list[tuple[HelpRequest, str | None]], guide: Guide) -> Message:
    """`/mfa-admin pending`: requests in progress, with links to their cards."""
    if not requests:
        return Message.plain(wording.nothing_pending(SLACK))
    lines = [
        wording.pending_line(
            SLACK, request, f"#{request.id} {_topic_title(guide, request.topic_id)}", link
        )
        for request, link in requests[:40]
    ]
    text = f"{wording.pending_header(SLACK, len(requests))}\n" + "\n".join(lines)
    return Message(
        text=wording.in_progress(len(requests)),
        blocks=[SectionBlock(text=MarkdownTextObject(text=text[:3000]))],
    )


HOME_QUEUE_MAX = 20


def build_opened_in_dms(topic: str, link: str | None) -> str:
    """The Home tab's note after a topic was pressed there: where its walk went."""
    return wording.opened_in_dms(SLACK, topic, link)


def build_home_desk(
    home: Home | None, links: Sequence[str | None], guide: Guide, note: str | None = None
) -> list[Block]:
    """The top of the Home tab: `note` (where a walk went), the person's request in progress,
    and for an admin the queue, oldest first, each linked to its card (`links`); `home` is None
    without a help desk."""
    blocks: list[Block] = []
    if note:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=note)))
    if home is not None and home.request is not None:
        topic = _topic_title(guide, home.request.topic_id)
        mine = wording.your_request(SLACK, home.request, topic)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=mine)))
    if home is not None and home.queue is not None:
        blocks += _queue(home.queue, links, guide)
    return [DividerBlock(), *blocks] if blocks else []  # the guide's own divider follows


def _queue(queue: Sequence[HelpRequest], links: Sequence[str | None], guide: Guide) -> list[Block]:
    if not queue:
        return [SectionBlock(text=MarkdownTextObject(text=wording.nothing_pending(SLACK)))]
    lines = [
        wording.pending_line(SLACK, request, _pending_title(guide, request), link)
        for request, link in zip(queue[:HOME_QUEUE_MAX], links, strict=False)
    ]
    head = f"{wording.pending_header(SLACK, len(queue))}\n{wording.queue_counts(queue)}"
    text = "\n".join([head, *lines])
    return [SectionBlock(text=MarkdownTextObject(text=text[:SECTION_TEXT_LIMIT]))]


def _pending_title(guide: Guide, request: HelpRequest) -> str:
    return f"#{request.id} {_topic_title(guide, request.topic_id)}"


def _decision_blocks(request: HelpRequest) -> list[Block]:
    options = [Option(value=a.value, label=a.label) for a in ResetAction]
    chosen = [o for o in options if ResetAction(o.value) in request.proposed]
    return [
        SectionBlock(text=MarkdownTextObject(text=wording.proposed(SLACK))),
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
                    text=wording.APPROVE,
                    action_id=ActionId.APPROVE,
                    value=str(request.id),
                    style="primary",
                    confirm=ConfirmObject(
                        title=wording.APPROVE_QUESTION,
                        text=wording.APPROVE_CHECK,
                        confirm=wording.APPROVE,
                        deny=wording.NOT_YET,
                    ),
                ),
                ButtonElement(
                    text=wording.DENY,
                    action_id=ActionId.DENY,
                    value=str(request.id),
                    style="danger",
                ),
                *_reach_buttons(request),
            ]
        ),
    ]


def _reach_buttons(request: HelpRequest) -> list[ButtonElement]:
    """Ask the requester a question, and "I'm on it" until an admin is calling them back."""
    buttons = [
        ButtonElement(text=wording.ASK_REQUESTER, action_id=ActionId.ASK, value=str(request.id))
    ]
    if request.callback_by is None:
        on_it = ButtonElement(
            text=wording.ON_IT,
            action_id=ActionId.ON_IT,
            value=str(request.id),
            confirm=ConfirmObject(
                title=wording.ON_IT_QUESTION,
                text=wording.ON_IT_CHECK,
                confirm=wording.ON_IT,
                deny=wording.NOT_YET,
            ),
        )
        buttons.insert(0, on_it)
    return buttons


def build_ask_modal(request_id: int, channel_id: str | None) -> View:
    """Asks the admin for the question the employee will read in their DM."""
    return View(
        type="modal",
        callback_id=ViewId.ASK,
        title=wording.ask_title(request_id)[:24],
        submit=wording.SEND,
        close=wording.CANCEL,
        private_metadata=AskMeta(request_id=request_id, channel_id=channel_id).model_dump_json(),
        blocks=[
            InputBlock(
                block_id=FieldId.QUESTION,
                label=wording.ASK_LABEL,
                hint=wording.ASK_HINT,
                element=PlainTextInputElement(
                    action_id=f"{FieldId.QUESTION}-input",
                    multiline=True,
                    max_length=QUESTION_MAX,
                ),
            )
        ],
    )


def build_question(request: HelpRequest, actor: str, question: str) -> Message:
    """The employee's DM: IT's question, and the button that opens the answer form."""
    text = wording.question_for_requester(SLACK, request, actor, question)
    answer = ButtonElement(
        text=wording.ANSWER, action_id=ActionId.ANSWER, value=str(request.id), style="primary"
    )
    return Message(
        text=f"IT has a question about your request #{request.id}",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=text[:SECTION_TEXT_LIMIT])),
            ActionsBlock(elements=[answer]),
        ],
    )


def build_answer_modal(meta: AnswerMeta) -> View:
    """The employee's answer to IT's question."""
    return View(
        type="modal",
        callback_id=ViewId.ANSWER,
        title=wording.ANSWER_TITLE,
        submit=wording.SEND,
        close=wording.CANCEL,
        private_metadata=meta.model_dump_json(),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f":lock: *{NEVER_ASK}*")),
            InputBlock(
                block_id=FieldId.ANSWER,
                label=wording.ANSWER_LABEL,
                element=PlainTextInputElement(
                    action_id=f"{FieldId.ANSWER}-input", multiline=True, max_length=QUESTION_MAX
                ),
            ),
        ],
    )


def build_question_answered(request_id: int, answer: str) -> Message:
    """The employee's DM with IT's question once answered: what they said, and no button."""
    text = wording.question_answered(SLACK, request_id, answer)[:SECTION_TEXT_LIMIT]
    return Message(
        text=wording.ANSWER_SENT, blocks=[SectionBlock(text=MarkdownTextObject(text=text))]
    )


def build_question_note(actor: str, question: str) -> str:
    """The card's thread: what an admin asked the employee."""
    return wording.question_note(SLACK, actor, question)[:SECTION_TEXT_LIMIT]


def build_answer_note(request: HelpRequest, answer: str) -> str:
    """The card's thread: the employee's answer."""
    return wording.answer_note(SLACK, request, answer)[:SECTION_TEXT_LIMIT]


def _action_blocks(actions: list[ActionItem]) -> list[Block]:
    blocks: list[Block] = []
    for item in actions:
        line = wording.action_line(SLACK, item)
        if item.summary:
            line += f"\n{escape_mrkdwn(item.summary)}"
        if item.status is ActionStatus.MANUAL:
            steps = "\n".join(
                f"{n}. {escape_mrkdwn(s)}" for n, s in enumerate(item.manual_steps, 1)
            )
            line += f"\n{steps}"
            if item.link:
                line += f"\n{SLACK.link(item.link, wording.OPEN_ADMIN_CENTER)}"
        if item.done_by:
            line += f"\n{wording.marked_done(SLACK, item.done_by)}"
        section = SectionBlock(text=MarkdownTextObject(text=line[:3000]))
        if item.status is ActionStatus.MANUAL:
            section.accessory = ButtonElement(
                text=wording.DONE,
                action_id=f"{ActionId.MANUAL_DONE}{item.id}",
                value=str(item.id),
            )
        blocks.append(section)
    return blocks


def _status_line(request: HelpRequest) -> str:
    if request.status is Status.DENIED:
        # A reason of 1,000 characters can escape to 5,000: it is cut to what the section takes.
        head = wording.denied_head(SLACK, request)
        reason = escape_mrkdwn_within(request.deny_reason or "", SECTION_TEXT_LIMIT - len(head))
        return wording.status_line(SLACK, request, reason)
    return wording.status_line(SLACK, request)


def _status_words(status: Status) -> str:
    return wording.STATUS_WORDS[status]


def _cancel_button(request: HelpRequest) -> ButtonElement:
    return ButtonElement(
        text=wording.CANCEL_REQUEST,
        action_id=ActionId.CANCEL_REQUEST,
        value=str(request.id),
        confirm=ConfirmObject(
            title=wording.CANCEL_QUESTION,
            text=wording.cancel_check(request.id),
            confirm=wording.CANCEL_REQUEST,
            deny=wording.KEEP_IT,
        ),
    )


def _quote(label: str, text: str) -> str:
    quoted = "\n".join(f"> {line}" for line in escape_mrkdwn(text).splitlines() or [""])
    return f"*{label}*\n{quoted}"[:3000]


def _when(at: datetime) -> str:
    return SLACK.when(at)


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
        title=wording.STEPUP_TITLE,
        submit=wording.CONFIRM,
        close=wording.CANCEL,
        private_metadata=meta.model_dump_json(),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"{what}\n\n{wording.STEPUP_ASK}")),
            InputBlock(
                block_id=FieldId.CODE,
                label=wording.CODE_LABEL,
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
    text = (
        f":closed_lock_with_key: *{wording.ENROLL_HEADING}*\n"
        f"{wording.enrollment_steps(SLACK, uri, secret, 'I sent')}"
    )
    return Message(
        text=wording.ENROLL_HEADING,
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=text)),
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text=wording.CONFIRM,
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
                label=wording.CURRENT_CODE_LABEL,
                hint=wording.CURRENT_CODE_HINT,
                element=PlainTextInputElement(
                    action_id=f"{FieldId.CURRENT_CODE}-input", min_length=6, max_length=8
                ),
            )
        )
    blocks.append(
        InputBlock(
            block_id=FieldId.CODE,
            label=wording.NEW_CODE_LABEL,
            element=PlainTextInputElement(
                action_id=f"{FieldId.CODE}-input", min_length=6, max_length=8
            ),
        )
    )
    return View(
        type="modal",
        callback_id=ViewId.ENROLL,
        title=wording.ENROLL_TITLE,
        submit=wording.CONFIRM,
        close=wording.CANCEL,
        private_metadata=meta.model_dump_json(),
        blocks=blocks,
    )


def build_stepup_refusal(error: HelpdeskError) -> str:
    """The inline error or notice for a step-up problem."""
    return wording.stepup_refusal(SLACK, error)


def build_manager_question(request: HelpRequest) -> Message:
    """Asks the employee's manager whether the employee really asked IT."""
    return Message(
        text=wording.manager_summary(SLACK, request),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=wording.manager_question(SLACK, request))),
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text=wording.MANAGER_YES,
                        action_id=ActionId.MANAGER_YES,
                        value=str(request.id),
                        style="primary",
                    ),
                    ButtonElement(
                        text=wording.MANAGER_NO,
                        action_id=ActionId.MANAGER_NO,
                        value=str(request.id),
                        style="danger",
                    ),
                ]
            ),
        ],
    )
