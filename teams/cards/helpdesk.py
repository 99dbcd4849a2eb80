"""Renders the help-desk path for Teams: the contact form, the request card and its per-admin
views, the employee's messages, enrollment and the list of requests in progress.

The twin of handlers/blocks/helpdesk.py: the words come from bot.wording (written with a
TeamsPen), the buttons are Action.Execute with typed data (teams.payloads). A view for one admin
(approve, deny, retry) is what the invoke answers the clicker with; the channel card is the same
for everyone. No card ever holds an authenticator code.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence

from bot import wording
from bot.domain.errors import HelpdeskError, NoTextError, TooManyRequestsError
from bot.domain.guide import Guide
from bot.domain.helpdesk.outreach import REACHABLE
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
from bot.qr import qr_png
from teams.cards.text import (
    TEAMS,
    Card,
    Element,
    TeamsPen,
    action_set,
    bold,
    card,
    emoji,
    escape,
    execute,
    heading,
    markup_text,
    open_url,
    quote,
    subtle,
    text_block,
)
from teams.ids import InputId, Verb
from teams.payloads import CODE_MAX, REASON_MAX, FormRef, ManualDoneData, RequestData

CORRELATION_MAX = 64
CODE_MIN = 6
_YES, _NO = "yes", "no"
# The form's fields as the core names them (ContactForm.problems) -> the card's inputs.
FORM_FIELDS = {
    "description": InputId.DESCRIPTION,
    "lost_or_stolen": InputId.LOST,
    "remaining": InputId.REMAINING,
    "correlation_id": InputId.CORRELATION,
    "contact": InputId.CONTACT,
    "details": InputId.DETAILS,
}


def refusal_text(error: HelpdeskError, names: Mapping[str, str] | None = None) -> str:
    """The sentence a refusal gets (the step-up's own words for its refusals), as Markdown."""
    return wording.stepup_refusal(TeamsPen(names), error)


def build_notice(text: str, title: str | None = None) -> Card:
    """A card that only says something: `text` is Markdown already written (escaped)."""
    body = [heading(title)] if title else []
    return card([*body, text_block(text)], _summary(text))


def build_contact_form(
    guide: Guide,
    ref: FormRef,
    filled: ContactForm | None = None,
    problems: Mapping[str, str] | None = None,
    problem: str | None = None,
    *,
    description: str | None = None,
    answered: Answered | None = None,
) -> Card:
    """The form behind Contact IT, in place of the walk's card: pre-filled from the topic
    (`description` when the walk told more), without the questions the walk `answered` (one line
    says what it took from there), or with what the employee typed when it comes back with
    `problems` (field -> what is wrong, as ContactForm.problems names them) shown under each
    field; `problem` is shown on top."""
    topic_id = ref.topic_id
    answered = answered or Answered()
    title = description or (_topic_title(guide, topic_id) if topic_id else "")
    wrong = problems or {}
    body: list[Element] = [heading(wording.CONTACT_IT)]
    if problem:
        body.append(_attention(f"{emoji('warning')} {bold(escape(problem))}"))
    body.append(text_block(f"{emoji('lock')} {bold(wording.NEVER_ASK)}"))
    body += _field(
        _text_input(
            InputId.DESCRIPTION,
            wording.DESCRIPTION_LABEL,
            filled.description if filled else title,
            DESCRIPTION_MAX,
            multiline=True,
            required=_required(topic_id, "description"),
        ),
        wrong.get("description"),
    )
    told = wording.you_told_me(TEAMS, answered)
    if told:
        body.append(text_block(escape(told)))
    body += _questions(topic_id, answered, filled, wrong)
    body += _field(
        _text_input(
            InputId.CORRELATION,
            wording.CORRELATION_LABEL,
            (filled.correlation_id or "") if filled else "",
            CORRELATION_MAX,
        ),
        wrong.get("correlation_id"),
        hint=wording.CORRELATION_HINT,
    )
    body += _field(
        _text_input(
            InputId.CONTACT,
            wording.CONTACT_LABEL,
            filled.contact if filled else "",
            CONTACT_MAX,
            required=_required(topic_id, "contact"),
        ),
        wrong.get("contact"),
        hint=wording.CONTACT_HINT,
    )
    body += _field(
        _text_input(
            InputId.DETAILS,
            wording.DETAILS_LABEL,
            filled.details if filled else "",
            DETAILS_MAX,
            multiline=True,
        ),
        wrong.get("details"),
    )
    data = ref.to_data()
    actions = [
        execute(wording.SEND_TO_IT, Verb.CONTACT_SEND, data, style="positive"),
        execute(wording.CANCEL, Verb.CONTACT_CANCEL, data, associatedInputs="none"),
    ]
    return card(body, wording.CONTACT_IT, actions)


def _required(topic_id: str, field: str) -> str | None:
    """What the core says when a required field is left empty (None: the field is optional)."""
    empty = ContactForm("", None, None, None, "")
    return empty.problems(topic_id).get(field)


def _questions(
    topic_id: str, answered: Answered, filled: ContactForm | None, wrong: Mapping[str, str]
) -> list[Element]:
    """The topic's questions the walk did not answer, none answered in advance: a preselected
    answer is one a hurried person leaves, and IT then reads it as theirs."""
    asked = questions_for(topic_id) - answered.questions
    elements: list[Element] = []
    if Question.LOST in asked:
        answer = None if filled is None else filled.lost_or_stolen
        chosen = "" if answer is None else (_YES if answer else _NO)
        yes_no = [(wording.YES, _YES), (wording.NO, _NO)]
        lost = _choices(InputId.LOST, wording.LOST_LABEL, yes_no, chosen, topic_id, Question.LOST)
        elements += _field(lost, wrong.get(Question.LOST))
    if Question.REMAINING in asked:
        had = filled.remaining if filled else None
        options = [(r.label, r.value) for r in Remaining]
        still = _choices(
            InputId.REMAINING,
            wording.REMAINING_LABEL,
            options,
            had.value if had else "",
            topic_id,
            Question.REMAINING,
        )
        elements += _field(still, wrong.get(Question.REMAINING))
    return elements


def _choices(
    input_id: InputId,
    label: str,
    options: list[tuple[str, str]],
    chosen: str,
    topic_id: str,
    question: Question,
) -> Element:
    element: Element = {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "style": "expanded",
        "choices": [{"title": title, "value": value} for title, value in options],
        "isRequired": True,
        "errorMessage": _required(topic_id, question) or label,
    }
    if chosen:
        element["value"] = chosen
    return element


def _text_input(
    input_id: InputId,
    label: str,
    value: str,
    limit: int,
    *,
    multiline: bool = False,
    required: str | None = None,
) -> Element:
    element: Element = {"type": "Input.Text", "id": input_id, "label": label, "maxLength": limit}
    if multiline:
        element["isMultiline"] = True
    if value:
        element["value"] = value[:limit]
    if required:
        element["isRequired"] = True
        element["errorMessage"] = required
    return element


def _field(element: Element, problem: str | None, hint: str | None = None) -> list[Element]:
    """An input with its hint under it, and what is wrong with it (shown inline) under that."""
    elements = [element]
    if hint:
        elements.append(subtle(escape(hint)))
    if problem:
        elements.append(_attention(escape(problem)))
    return elements


def _attention(text: str) -> Element:
    return text_block(text, color="Attention", spacing="Small")


def build_request_sent(request: HelpRequest) -> Card:
    """What the form turns into once sent: the request it stored (or, for a form sent again, the
    one it stored before, as it stands)."""
    return build_notice(wording.request_sent(TEAMS, request), wording.CONTACT_IT)


def build_contact_refusal(error: HelpdeskError, guide: Guide) -> Card:
    """What the form turns into when no request is stored: why, and how else to reach IT."""
    if isinstance(error, TooManyRequestsError):
        contact_it = markup_text(guide.texts.contact_it)
        text = wording.too_many_requests(TEAMS, error.limit, contact_it)
    else:
        text = refusal_text(error)
    return build_notice(text, wording.CONTACT_IT)


def build_open_request(request: HelpRequest) -> Card:
    """Shown instead of a second form while one request is in progress."""
    text = wording.open_request(request)
    actions = [_cancel_request(request)] if request.status is Status.OPEN else []
    return card([text_block(escape(text))], text, actions)


def build_cancelled(request: HelpRequest) -> Card:
    """Replaces the employee's card after they cancel."""
    return build_notice(wording.cancelled(TEAMS, request))


def _cancel_request(request: HelpRequest) -> Element:
    """Cancel, asked again first (a ShowCard with the confirming button)."""
    confirm = execute(
        wording.CANCEL_REQUEST,
        Verb.CANCEL_REQUEST,
        RequestData(request_id=request.id).to_data(),
        style="destructive",
    )
    return _asked_first(
        wording.CANCEL_REQUEST, wording.CANCEL_QUESTION, wording.cancel_check(request.id), confirm
    )


def _asked_first(title: str, question: str, check: str, confirm: Element) -> Element:
    """A button that first opens, inside the card, the question and the button that does it
    (Teams has no confirmation dialog for Action.Execute); pressing it again closes it."""
    inner = {
        "type": "AdaptiveCard",
        "body": [text_block(bold(escape(question))), text_block(escape(check))],
        "actions": [confirm],
    }
    return {"type": "Action.ShowCard", "title": title, "card": inner}


def build_request_card(
    request: HelpRequest,
    actions: Sequence[ActionItem],
    guide: Guide,
    provider: str,
    names: Mapping[str, str] | None = None,
    notice: str | None = None,
    unreachable: bool = False,
) -> Card:
    """The help-desk channel's card for a request, always showing its current state; `notice`
    (Markdown, for the clicker's own view only) says why a click was refused; `unreachable`
    says the employee has no personal chat with the bot, so what they were to be told wasn't."""
    pen = TeamsPen(_with_requester(request, names))
    topic = _topic_title(guide, request.topic_id)
    body: list[Element] = []
    if notice:
        body.append(_attention(notice))
    body.append(heading(wording.request_title(request.id, topic)))
    reported = wording.reported_before(pen, request)
    if reported:
        body.append(_attention(reported))
    body += _recap(request, pen)
    body.append(text_block(wording.status_line(pen, request), separator=True))
    if (calling := wording.callback_line(pen, request)) is not None:
        body.append(text_block(calling))
    if unreachable:
        body.append(_attention(f"{emoji('warning')} {escape(wording.NO_PERSONAL_CHAT)}"))
    if request.status is Status.OPEN:
        body += _decision(request)
    else:
        body += _action_items(actions, pen)
        if retryable(request, actions):
            body.append(action_set([_desk(wording.RETRY, Verb.RETRY, request, "positive")]))
        if request.status in REACHABLE:
            body.append(action_set(_reach_buttons(request)))
    body.append(subtle(escape(wording.provider_note(provider))))
    summary = f"{wording.request_title(request.id, topic)} ({wording.STATUS_WORDS[request.status]})"
    return card(body, summary)


def _recap(request: HelpRequest, pen: TeamsPen) -> list[Element]:
    """Who asked and what they said and tried, and what to heed before deciding."""
    form = request.form
    facts = [  # the topic is the card's title already
        (wording.SUBMITTED, pen.when(request.created_at)),
        *_answers(form, pen),
        (wording.REACH_THEM, escape(form.contact)),
        (wording.CORRELATION_ID, escape(form.correlation_id or wording.NONE_GIVEN)),
    ]
    elements: list[Element] = [
        text_block(f"{bold(wording.REQUESTER)} {_who(request, pen)}"),
        {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts]},
        text_block(bold(wording.WHAT_HAPPENED)),
        quote(form.description),
    ]
    if form.details:
        elements += [text_block(bold(wording.MORE)), quote(form.details)]
    tried = _bullets(request.tried) or pen.italic(wording.NOTHING_RECORDED)
    elements.append(text_block(f"{bold(wording.TRIED)}{pen.br}{tried}"))
    elements += [text_block(line) for line in wording.warnings(pen, request)]
    return elements


def _who(request: HelpRequest, pen: TeamsPen) -> str:
    parts = [pen.person(request.requester_id)]
    if request.requester_email:
        parts.append(escape(request.requester_email))
    return " · ".join(parts)


def _answers(form: ContactForm, pen: TeamsPen) -> list[tuple[str, str]]:
    """The form's questions as answered; a question the topic did not ask claims nothing."""
    answers = []
    if form.lost_or_stolen is not None:
        answers.append((wording.LOST_OR_STOLEN, wording.lost_answer(pen, form.lost_or_stolen)))
    if form.remaining is not None:
        answers.append((wording.CAN_STILL_USE, escape(form.remaining.label)))
    return answers


def _decision(request: HelpRequest) -> list[Element]:
    """The proposed actions (ticked in the approve view) and the Approve and Deny buttons."""
    proposed = _bullets([action.label for action in request.proposed]) or "\u2014"
    return [
        text_block(f"{bold(wording.PROPOSED_ACTIONS)}{TEAMS.br}{proposed}"),
        action_set(
            [
                _desk(wording.APPROVE, Verb.APPROVE, request, "positive"),
                _desk(wording.DENY, Verb.DENY, request, "destructive"),
                *_reach_buttons(request),
            ]
        ),
    ]


def _reach_buttons(request: HelpRequest) -> list[Element]:
    """Ask the requester a question, and "I'm on it" until an admin is calling them back."""
    buttons = [_desk(wording.ASK_REQUESTER, Verb.ASK, request)]
    if request.callback_by is None:
        buttons.insert(0, _desk(wording.ON_IT, Verb.ON_IT, request))
    return buttons


def build_ask_view(
    request: HelpRequest,
    guide: Guide,
    *,
    question: str = "",
    problem: str | None = None,
    names: Mapping[str, str] | None = None,
) -> Card:
    """The clicker's own view after "Ask the requester": the recap and the question the
    employee will read in their personal chat."""
    pen = TeamsPen(_with_requester(request, names))
    topic = _topic_title(guide, request.topic_id)
    body: list[Element] = [heading(wording.request_title(request.id, topic))]
    if problem:
        body.append(_attention(problem))
    body += _recap(request, pen)
    body += [
        _text_input(
            InputId.QUESTION,
            wording.ASK_LABEL,
            question,
            REASON_MAX,
            multiline=True,
            required=wording.refusal(pen, NoTextError()),
        ),
        subtle(escape(wording.ASK_HINT)),
    ]
    actions = [
        _desk(wording.SEND, Verb.ASK_CONFIRM, request, "positive"),
        _back(request, wording.CANCEL),
    ]
    return card(body, wording.ask_title(request.id), actions)


def build_question(
    request: HelpRequest, actor: str, question: str, names: Mapping[str, str] | None = None
) -> Card:
    """The employee's personal-chat card: IT's question, where to type the answer, and Send."""
    pen = TeamsPen(_with_requester(request, names))
    text = wording.question_for_requester(pen, request, actor, question)
    body = [
        text_block(text),
        _text_input(
            InputId.ANSWER,
            wording.ANSWER_LABEL,
            "",
            REASON_MAX,
            multiline=True,
            required=wording.refusal(pen, NoTextError()),
        ),
    ]
    data = RequestData(request_id=request.id).to_data()
    send = execute(wording.ANSWER, Verb.ANSWER, data, style="positive")
    return card(body, f"IT has a question about your request #{request.id}", [send])


def build_answer_sent() -> Card:
    """What the question's card turns into once answered."""
    return build_notice(f"{emoji('white_check_mark')} {escape(wording.ANSWER_SENT)}")


def build_question_note(
    request: HelpRequest, actor: str, question: str, names: Mapping[str, str] | None = None
) -> Card:
    """The card's thread: what an admin asked the employee."""
    pen = TeamsPen(_with_requester(request, names))
    return build_notice(wording.question_note(pen, actor, question))


def build_answer_note(
    request: HelpRequest, answer: str, names: Mapping[str, str] | None = None
) -> Card:
    """The card's thread: the employee's answer."""
    pen = TeamsPen(_with_requester(request, names))
    return build_notice(wording.answer_note(pen, request, answer))


def _bullets(lines: Sequence[str]) -> str:
    """Plain lines as bulleted Markdown, one line each."""
    return TEAMS.br.join(f"• {escape(line)}" for line in lines)


def _desk(title: str, verb: Verb, request: HelpRequest, style: str | None = None) -> Element:
    extra = {"style": style} if style else {}
    return execute(title, verb, RequestData(request_id=request.id).to_data(), **extra)


def _action_items(actions: Sequence[ActionItem], pen: TeamsPen) -> list[Element]:
    elements: list[Element] = []
    for item in actions:
        lines = [wording.action_line(pen, item)]
        if item.summary:
            lines.append(escape(item.summary))
        if item.status is ActionStatus.MANUAL:
            lines.append("\n".join(f"{n}. {escape(s)}" for n, s in enumerate(item.manual_steps, 1)))
        if item.done_by:
            lines.append(wording.marked_done(pen, item.done_by))
        elements.append(text_block(pen.br.join(line for line in lines if line)))
        buttons = _manual_buttons(item)
        if buttons:
            elements.append(action_set(buttons))
    return elements


def _manual_buttons(item: ActionItem) -> list[Element]:
    """A manual action's Done button, and its link to the admin center."""
    if item.status is not ActionStatus.MANUAL:
        return []
    done = ManualDoneData(request_id=item.request_id, item_id=item.id)
    buttons = [execute(wording.DONE, Verb.MANUAL_DONE, done.to_data())]
    if item.link:
        buttons.append(open_url(wording.OPEN_ADMIN_CENTER, item.link))
    return buttons


def build_approve_view(
    request: HelpRequest,
    guide: Guide,
    *,
    ask_code: bool,
    ticked: Sequence[ResetAction] | None = None,
    problem: str | None = None,
    names: Mapping[str, str] | None = None,
) -> Card:
    """The clicker's own view of the card after Approve: who and what (the recap), the actions
    as toggles (the proposed ones, or what they `ticked` before), the authenticator code when
    step-up is on, and Confirm or Cancel; `problem` (Markdown) says why the last try failed."""
    pen = TeamsPen(_with_requester(request, names))
    topic = _topic_title(guide, request.topic_id)
    chosen = request.proposed if ticked is None else tuple(ticked)
    body: list[Element] = [heading(wording.request_title(request.id, topic))]
    if problem:
        body.append(_attention(problem))
    body += [*_recap(request, pen), text_block(wording.status_line(pen, request))]
    body += [
        text_block(bold(escape(wording.APPROVE_QUESTION)), separator=True),
        text_block(escape(wording.APPROVE_CHECK)),
        text_block(wording.proposed(pen)),
        *(_toggle(action, action in chosen) for action in ResetAction),
    ]
    if ask_code:
        body += _code_inputs(wording.stepup_what(pen, request, (), retry=False))
    actions = [
        _desk(wording.CONFIRM, Verb.APPROVE_CONFIRM, request, "positive"),
        _back(request, wording.CANCEL),
    ]
    return card(body, wording.request_title(request.id, topic), actions)


def _toggle(action: ResetAction, on: bool) -> Element:
    return {
        "type": "Input.Toggle",
        "id": InputId.ACTION.of(action.value),
        "title": action.label,
        "value": "true" if on else "false",
        "valueOn": "true",
        "valueOff": "false",
    }


def _code_inputs(what: str) -> list[Element]:
    """What the code confirms (Markdown), and the masked input for it (never filled in)."""
    return [
        text_block(f"{what}{TEAMS.br}{escape(wording.STEPUP_ASK)}", separator=True),
        _code(InputId.CODE, wording.CODE_LABEL),
    ]


def _code(input_id: InputId, label: str) -> Element:
    return {
        "type": "Input.Text",
        "id": input_id,
        "label": label,
        "style": "Password",
        "placeholder": "123456",
        "maxLength": CODE_MAX,
        "isRequired": True,
        "errorMessage": f"Enter the {CODE_MIN}-digit code.",
    }


def _back(request: HelpRequest, title: str) -> Element:
    """Back to the channel card, sending none of the view's inputs (nor a code typed in it)."""
    data = RequestData(request_id=request.id).to_data()
    return execute(title, Verb.DESK_BACK, data, associatedInputs="none")


def build_deny_view(
    request: HelpRequest,
    guide: Guide,
    *,
    reason: str = "",
    problem: str | None = None,
    names: Mapping[str, str] | None = None,
) -> Card:
    """The clicker's own view after Deny: the recap and the reason the employee will read
    (required; what they typed is kept when it comes back with a `problem`)."""
    pen = TeamsPen(_with_requester(request, names))
    topic = _topic_title(guide, request.topic_id)
    body: list[Element] = [heading(wording.deny_title(request.id)), text_block(escape(topic))]
    if problem:
        body.append(_attention(problem))
    body += _recap(request, pen)
    body.append(
        _text_input(
            InputId.DENY_REASON,
            wording.DENY_REASON_LABEL,
            reason,
            REASON_MAX,
            multiline=True,
            required=wording.NO_REASON,
        )
    )
    actions = [
        _desk(wording.DENY, Verb.DENY_CONFIRM, request, "destructive"),
        _back(request, wording.BACK),
    ]
    return card(body, wording.deny_title(request.id), actions)


def build_retry_view(
    request: HelpRequest,
    guide: Guide,
    *,
    problem: str | None = None,
    items: Sequence[ActionItem] = (),
    names: Mapping[str, str] | None = None,
) -> Card:
    """The clicker's own view after Retry: whose request and which of its `items` (the failed
    ones) the code confirms, the code, Confirm or Cancel."""
    pen = TeamsPen(_with_requester(request, names))
    topic = _topic_title(guide, request.topic_id)
    body: list[Element] = [heading(wording.request_title(request.id, topic))]
    if problem:
        body.append(_attention(problem))
    failed = tuple(item.action for item in items if item.status is ActionStatus.FAILED)
    body += _code_inputs(wording.stepup_what(pen, request, failed, retry=True))
    actions = [
        _desk(wording.CONFIRM, Verb.RETRY_CONFIRM, request, "positive"),
        _back(request, wording.CANCEL),
    ]
    return card(body, wording.STEPUP_TITLE, actions)


def build_thread_note(
    request: HelpRequest,
    change: Change,
    actor: str | None,
    actions: Sequence[ActionItem],
    names: Mapping[str, str] | None = None,
) -> Card | None:
    """One line for the card's thread (a reply to it), so the history stays readable; None when
    the change has no line of its own (see wording.thread_note)."""
    pen = TeamsPen(_with_requester(request, names))
    note = wording.thread_note(pen, request, change, actor, list(actions))
    return None if note is None else build_notice(note)


def build_employee_notice(
    request: HelpRequest,
    change: Change,
    actions: Sequence[ActionItem],
    it_contact: str | None,
    hours: str | None = None,
) -> Card | None:
    """The personal-chat message the employee gets at each change that concerns them (None when
    there is none); `it_contact` and `hours` are plain text (the settings), None when unset."""
    contact = escape(it_contact) if it_contact else None
    when = escape(hours) if hours else None
    text = wording.employee_notice(TEAMS, request, change, list(actions), contact, when)
    if text is None:
        return None
    buttons: list[Element] = []
    if change is Change.CREATED:
        buttons.append(_cancel_request(request))
    if change is Change.DONE and request.reported_not_me_at is None:
        buttons.append(_not_me(request))
    return card([text_block(text)], _summary(text), buttons)


def _not_me(request: HelpRequest) -> Element:
    confirm = execute(
        wording.NOT_ME_CONFIRM,
        Verb.NOT_ME,
        RequestData(request_id=request.id).to_data(),
        style="destructive",
    )
    return _asked_first(wording.NOT_ME, wording.NOT_ME_QUESTION, wording.NOT_ME_CHECK, confirm)


def build_secret_notice(request: HelpRequest, secret: str, expires: str | None = None) -> Card:
    """The temporary access pass, for the employee's eyes only (their personal chat); `expires`
    says when."""
    text = wording.secret_notice(TEAMS, request, secret, expires)
    return card([text_block(text)], "Your temporary access pass")


def build_manager_question(request: HelpRequest, names: Mapping[str, str] | None = None) -> Card:
    """Asks the employee's manager whether the employee really asked IT."""
    pen = TeamsPen(_with_requester(request, names))
    data = RequestData(request_id=request.id).to_data()
    buttons = [
        execute(wording.MANAGER_YES, Verb.MANAGER_YES, data, style="positive"),
        execute(wording.MANAGER_NO, Verb.MANAGER_NO, data, style="destructive"),
    ]
    body = [text_block(wording.manager_question(pen, request))]
    return card(body, wording.manager_summary(pen, request).replace("\\", ""), buttons)


def build_manager_thanks(yes: bool) -> Card:
    """What the manager's card turns into once they answered."""
    return build_notice(escape(wording.MANAGER_THANKS_YES if yes else wording.MANAGER_THANKS_NO))


def build_enrollment(uri: str, secret: str, *, replacing: bool, problem: str | None = None) -> Card:
    """The admin's personal-chat card to set up step-up: the QR code, the key to type, and the
    code(s) to confirm with (the current authenticator's too when it replaces one)."""
    png = base64.b64encode(qr_png(uri)).decode()
    body: list[Element] = [
        text_block(f"{emoji('closed_lock_with_key')} {bold(wording.ENROLL_HEADING)}"),
    ]
    if problem:
        body.append(_attention(problem))
    body += [
        {
            "type": "Image",
            "url": f"data:image/png;base64,{png}",
            "altText": wording.QR_ALT,
            "size": "Large",
        },
        text_block(wording.enrollment_steps(TEAMS, uri, secret, "above")),
    ]
    if replacing:
        body += [
            _code(InputId.CURRENT_CODE, wording.CURRENT_CODE_LABEL),
            subtle(escape(wording.CURRENT_CODE_HINT)),
        ]
    body.append(_code(InputId.CODE, wording.NEW_CODE_LABEL))
    actions = [execute(wording.CONFIRM, Verb.ENROLL_CONFIRM, {}, style="positive")]
    return card(body, wording.ENROLL_HEADING, actions)


def build_enrolled() -> Card:
    """What the enrollment card turns into once set up: the QR code and the key are gone."""
    return build_notice(f"{emoji('white_check_mark')} {escape(wording.ENROLLED)}")


def build_pending(
    requests: Sequence[tuple[HelpRequest, str | None]],
    guide: Guide,
    names: Mapping[str, str] | None = None,
) -> Card:
    """ "pending": the requests in progress, with links to their cards when known."""
    known = dict(names or {})
    for request, _ in requests:
        known.update(_with_requester(request, known))
    pen = TeamsPen(known)
    if not requests:
        return build_notice(wording.nothing_pending(pen))
    lines = [
        wording.pending_line(pen, request, escape(_pending_title(guide, request)), link)
        for request, link in requests[:40]
    ]
    header = wording.pending_header(pen, len(requests))
    return card(
        [text_block(header), text_block(pen.br.join(lines))],
        wording.in_progress(len(requests)),
    )


def _pending_title(guide: Guide, request: HelpRequest) -> str:
    return f"#{request.id} {_topic_title(guide, request.topic_id)}"


def _with_requester(request: HelpRequest, names: Mapping[str, str] | None) -> dict[str, str]:
    """The names known, with the requester's own from the request."""
    known = dict(names or {})
    if request.requester_name:
        known.setdefault(request.requester_id, request.requester_name)
    return known


def _topic_title(guide: Guide, topic_id: str) -> str:
    try:
        return guide.topic(topic_id).title
    except KeyError:
        return topic_id


def _summary(text: str) -> str:
    """A notification's few words: the first line of a Markdown text, without its markup."""
    first = text.split("\n", 1)[0]
    return first.replace("**", "").replace("\\", "")[:200]
