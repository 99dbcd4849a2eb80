"""Every Teams card passes the Adaptive Card rules, says what Slack says, and leaks nothing."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import wording
from bot.domain.errors import AlreadyDecidedError, NoReasonError, TooManyRequestsError
from bot.domain.guide import WalkOutcome, WalkState
from bot.domain.identity import ResetAction
from bot.domain.notices import (
    AlertClaim,
    AuthenticatorEnrolled,
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
    ActionItem,
    ActionStatus,
    Change,
    ContactForm,
    HelpRequest,
    Remaining,
    Status,
)
from bot.domain.stepup import WrongCodeError
from bot.domain.walks import Surface, WalkRecord
from bot.guide import load_guide
from handlers.blocks.guide import build_walk as build_slack_walk
from handlers.blocks.helpdesk import build_employee_notice as build_slack_notice
from teams.card_rules import card_problems, walk_texts
from teams.cards import helpdesk, notices
from teams.cards.guide import TeamsScreens, build_menu, build_walk
from teams.cards.guide_check import guide_problems
from teams.cards.text import escape
from teams.ids import InputId, Verb
from teams.payloads import (
    ApproveData,
    ContactData,
    FormRef,
    MalformedActionError,
    RequestData,
    StepData,
    TopicData,
    decode,
    decode_invoke,
)

GUIDE = load_guide()
NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)
WALK = "c" * 32
CODE = "834211"
EVIL = "**Boss** _x_ [click](https://evil.example) <https://evil.example> {{DATE(x)}}"
ADMIN, SECOND, MANAGER = (
    "11111111-1111-4111-8111-111111111111",
    "22222222-2222-4222-8222-222222222222",
    "33333333-3333-4333-8333-333333333333",
)
NAMES = {ADMIN: "Ada Admin", SECOND: "Sam Second", MANAGER: "Max Manager"}
FORM = ContactForm(EVIL + "\nsecond line", True, Remaining.NONE, None, "+1 555 0100", EVIL)
REQUEST = HelpRequest(
    id=7,
    team_id="tenant",
    requester_id="44444444-4444-4444-8444-444444444444",
    topic_id="lost-phone",
    walk_id=WALK,
    form=FORM,
    proposed=(ResetAction.CLEAR_MFA, ResetAction.REVOKE_SESSIONS),
    tried=("lost-phone-start:Yes", EVIL),
    status=Status.OPEN,
    created_at=NOW,
    expires_at=NOW + timedelta(hours=4),
    updated_at=NOW,
    requester_name=EVIL,
    requester_email="ann@example.com",
)
ITEMS = [
    ActionItem(1, 7, ResetAction.CLEAR_MFA, ActionStatus.DONE, "Cleared 2 methods"),
    ActionItem(
        2,
        7,
        ResetAction.REVOKE_SESSIONS,
        ActionStatus.MANUAL,
        "Do it in the portal",
        ("Open the user", "Press Revoke"),
        "https://admin.example.com/user",
    ),
    ActionItem(3, 7, ResetAction.ISSUE_TAP, ActionStatus.FAILED, "throttled", done_by=ADMIN),
]
VARIANTS = {
    "open": REQUEST,
    "first approval": replace(
        REQUEST,
        first_approver=ADMIN,
        first_actions=(ResetAction.CLEAR_MFA,),
        privileged=True,
        privileged_reason="Global Administrator",
    ),
    "suspicious": replace(
        REQUEST,
        suspicious=True,
        manager_id=MANAGER,
        manager_answer="no",
        recent_reset_at=NOW - timedelta(days=2),
    ),
    "manager yes": replace(REQUEST, manager_id=MANAGER, manager_answer="yes"),
    **{
        f"status {status}": replace(
            REQUEST,
            status=status,
            decided_by=SECOND,
            decided_at=NOW,
            deny_reason=EVIL if status is Status.DENIED else None,
        )
        for status in Status
    },
}


def _walk(topic: str, step: str, outcome: WalkOutcome = WalkOutcome.IN_PROGRESS) -> WalkRecord:
    first = GUIDE.topic(topic).first_step.id
    path = (first,) if step == first else (first, step)
    state = WalkState(topic_id=topic, path=path, seen=path, outcome=outcome)
    return WalkRecord(WALK, "tenant", "user", Surface.DM, state, NOW, NOW)


def _nodes(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, Mapping):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from _nodes(item)


def _of_type(card: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    return [node for node in _nodes(card) if node.get("type") == kind]


def _text(card: Mapping[str, Any]) -> str:
    return "\n".join(text for _, text in walk_texts(card))


def _ok(card: Mapping[str, Any]) -> Mapping[str, Any]:
    assert card_problems(card) == []
    for action in _of_type(card, "Action.Execute"):
        decode(action["verb"], action["data"])  # every button's data is what its verb takes
    return card


STEPS = [(t.id, s.id) for t in GUIDE.topics for s in t.steps]


@pytest.mark.parametrize(("topic", "step"), STEPS)
@pytest.mark.parametrize("outcome", list(WalkOutcome))
def test_every_step_is_a_valid_card_with_slacks_buttons(
    topic: str, step: str, outcome: WalkOutcome
) -> None:
    walk = _walk(topic, step, outcome)
    card = _ok(build_walk(GUIDE, walk))
    slack = build_slack_walk(GUIDE, walk).blocks
    slack_buttons = [
        element["text"]["text"]
        for block in (b if isinstance(b, dict) else b.to_dict() for b in slack)
        for element in block.get("elements", [])
        if element.get("type") == "button"
    ]
    teams_buttons = [
        action["title"]
        for action in _of_type(card, "Action.Execute") + _of_type(card, "Action.OpenUrl")
    ]
    assert teams_buttons == slack_buttons
    assert TeamsScreens(GUIDE).walk(walk) == card


def test_a_steps_buttons_carry_the_walk_and_step() -> None:
    topic = GUIDE.topics[1]
    card = build_walk(GUIDE, _walk(topic.id, topic.first_step.id))
    for action in _of_type(card, "Action.Execute"):
        data = decode(action["verb"], action["data"])
        assert isinstance(data, StepData)
        assert (data.walk_id, data.topic_id, data.step_id) == (WALK, topic.id, topic.first_step.id)
    links = _of_type(card, "Action.OpenUrl")
    assert [link["url"] for link in links] == [link.url for link in topic.first_step.links]


def test_the_menu_offers_every_topic() -> None:
    card = _ok(build_menu(GUIDE))
    picks = [decode(a["verb"], a["data"]) for a in _of_type(card, "Action.Execute")]
    assert picks == [TopicData(topic_id=topic_id) for topic_id in GUIDE.menu_order()]
    assert GUIDE.texts.menu_header in _text(card)
    _ok(build_menu(GUIDE, GUIDE.texts.not_matched))


def test_the_guide_fits_teams() -> None:
    assert guide_problems(GUIDE) == []


@pytest.mark.parametrize("name", list(VARIANTS))
def test_every_request_card_is_valid_and_says_what_slack_says(name: str) -> None:
    request = VARIANTS[name]
    card = _ok(helpdesk.build_request_card(request, ITEMS, GUIDE, "entra", NAMES))
    text = _text(card)
    assert "Request #7: I lost my phone" in text
    assert "ann@example.com" in text
    assert wording.provider_note("entra") in text
    buttons = {a["verb"] for a in _of_type(card, "Action.Execute")}
    if request.status is Status.OPEN:
        assert buttons == {Verb.APPROVE, Verb.DENY, Verb.ON_IT, Verb.ASK}
    else:
        assert Verb.APPROVE not in buttons
        assert "Open the user" in text
        assert "https://admin.example.com/user" in json.dumps(card)
    # A failed action can be retried at once, also while a manual step keeps it executing.
    retry = request.status in (Status.FAILED, Status.EXECUTING)
    assert (Verb.RETRY in buttons) is retry


def test_the_card_shows_the_two_approver_rule_the_report_and_the_manager() -> None:
    first = _text(helpdesk.build_request_card(VARIANTS["first approval"], [], GUIDE, "x", NAMES))
    assert "**1 of 2 approvals**: Ada Admin approved" in first
    assert "Two different admins must approve" in first
    suspicious = _text(helpdesk.build_request_card(VARIANTS["suspicious"], [], GUIDE, "x", NAMES))
    assert "The employee says they did not ask for this." in suspicious
    assert "**Manager** Max Manager" in suspicious
    assert "said the employee did NOT ask" in suspicious
    assert "This person's MFA was reset" in suspicious
    done = VARIANTS["status done"]
    unreachable = helpdesk.build_request_card(done, [], GUIDE, "x", unreachable=True)
    assert escape(wording.NO_PERSONAL_CHAT) in _text(_ok(unreachable))
    expired = _text(helpdesk.build_request_card(VARIANTS["status expired"], [], GUIDE, "x"))
    assert "It can no longer be approved." in expired


def test_times_are_shown_in_the_readers_own_zone() -> None:
    text = _text(helpdesk.build_request_card(REQUEST, [], GUIDE, "x"))
    assert "{{DATE(2026-12-02T13:00:00Z, SHORT)}} {{TIME(2026-12-02T13:00:00Z)}}" in text


def test_typed_text_makes_no_markup() -> None:
    cards = [
        helpdesk.build_request_card(VARIANTS["status denied"], ITEMS, GUIDE, "x", NAMES),
        helpdesk.build_approve_view(REQUEST, GUIDE, ask_code=True),
        helpdesk.build_employee_notice(VARIANTS["status denied"], Change.DENIED, [], EVIL),
        helpdesk.build_manager_question(REQUEST),
        notices.build_alert(ResetEmailFailed(REQUEST, EVIL)),
    ]
    for card in cards:
        assert card is not None
        for where, text in walk_texts(_ok(card)):
            if where.endswith(".value") and ".facts[" not in where:
                continue  # an input's value is shown as typed, never as Markdown
            assert not re.search(r"(?<!\\)\]\(https://evil", text), where
            assert not re.search(r"(?<!\\)<https://evil", text), where
            assert "{{DATE(x)" not in text, where
            assert not re.search(r"(?<!\\)\*\*Boss", text), where
    assert escape(EVIL).startswith("\\*\\*Boss\\*\\* \\_x\\_ \\[click\\](https://evil.example) \\<")


def test_the_approve_view_asks_for_the_code_and_never_holds_one() -> None:
    card = _ok(
        helpdesk.build_approve_view(
            VARIANTS["first approval"],
            GUIDE,
            ask_code=True,
            ticked=[ResetAction.ISSUE_TAP],
            problem=helpdesk.refusal_text(WrongCodeError("wrong code")),
            names=NAMES,
        )
    )
    toggles = {t["id"]: t["value"] for t in _of_type(card, "Input.Toggle")}
    assert toggles == {
        InputId.ACTION.of(a.value): ("true" if a is ResetAction.ISSUE_TAP else "false")
        for a in ResetAction
    }
    (code,) = [i for i in _of_type(card, "Input.Text") if i["id"] == InputId.CODE]
    assert code["style"] == "Password"
    assert "value" not in code
    assert "That code is not right: wrong code." in _text(card)
    assert "1 of 2 approvals" in _text(card)
    back = next(a for a in _of_type(card, "Action.Execute") if a["verb"] == Verb.DESK_BACK)
    assert back["associatedInputs"] == "none"  # a code typed in is not sent back by Cancel
    sent = {**RequestData(request_id=7).to_data(), **toggles, InputId.CODE.value: CODE}
    decoded = decode(Verb.APPROVE_CONFIRM, sent)
    assert isinstance(decoded, ApproveData)
    assert decoded.actions == (ResetAction.ISSUE_TAP,)
    assert CODE not in repr(decoded)
    assert CODE not in str(decoded)
    again = helpdesk.build_approve_view(REQUEST, GUIDE, ask_code=True, ticked=decoded.actions)
    assert CODE not in json.dumps(again)


def test_without_step_up_the_approve_view_has_no_code() -> None:
    card = _ok(helpdesk.build_approve_view(REQUEST, GUIDE, ask_code=False))
    assert not [i for i in _of_type(card, "Input.Text") if i["id"] == InputId.CODE]


def test_the_deny_view_requires_a_reason_and_keeps_what_was_typed() -> None:
    card = _ok(
        helpdesk.build_deny_view(
            REQUEST, GUIDE, reason="not them", problem=helpdesk.refusal_text(NoReasonError())
        )
    )
    (reason,) = _of_type(card, "Input.Text")
    assert reason["isRequired"] is True
    assert reason["errorMessage"] == wording.NO_REASON
    assert reason["value"] == "not them"
    assert [a["verb"] for a in _of_type(card, "Action.Execute")] == [
        Verb.DENY_CONFIRM,
        Verb.DESK_BACK,
    ]


def test_the_retry_view_asks_for_a_code() -> None:
    card = _ok(helpdesk.build_retry_view(VARIANTS["status failed"], GUIDE, items=ITEMS))
    text = _text(card)
    assert "**Retry request #7** of " in text
    failed = [item.action.label for item in ITEMS if item.status is ActionStatus.FAILED]
    assert failed
    assert all(f"• {label}" in text for label in failed)
    assert [i["style"] for i in _of_type(card, "Input.Text")] == ["Password"]


@pytest.mark.parametrize("topic", [t.id for t in GUIDE.topics])
def test_the_contact_form_asks_the_topics_questions(topic: str) -> None:
    ref = FormRef(walk_id=WALK, topic_id=topic, step_id="s")
    card = _ok(helpdesk.build_contact_form(GUIDE, ref))
    required = {i["id"] for i in _nodes(card) if i.get("isRequired")}
    problems = ContactForm("", None, None, None, "").problems(topic)
    assert required == {helpdesk.FORM_FIELDS[field] for field in problems}
    assert GUIDE.topic(topic).title in json.dumps(card)  # the description starts as the topic


def test_a_bad_field_comes_back_inline_with_the_typed_values() -> None:
    typed = ContactForm("stuck", None, Remaining.OTHER_PHONE, "not-a-guid", "+1 555", "more")
    problems = typed.problems("lost-phone")
    ref = FormRef(walk_id=WALK, topic_id="lost-phone", step_id="s")
    card = _ok(helpdesk.build_contact_form(GUIDE, ref, typed, problems))
    body = card["body"]
    ids = [element.get("id") for element in body]
    for field, problem in problems.items():
        at = ids.index(helpdesk.FORM_FIELDS[field])
        shown = [e["text"] for e in body[at + 1 : at + 3] if e.get("color") == "Attention"]
        assert shown == [escape(problem)]
    values = {e["id"]: e.get("value") for e in body if str(e.get("type")).startswith("Input.")}
    assert values[InputId.CORRELATION] == "not-a-guid"
    assert values[InputId.REMAINING] == Remaining.OTHER_PHONE.value
    assert values[InputId.LOST] is None  # never answered in advance
    send = next(a for a in _of_type(card, "Action.Execute") if a["verb"] == Verb.CONTACT_SEND)
    sent = decode(Verb.CONTACT_SEND, {**send["data"], **{k: v for k, v in values.items() if v}})
    assert isinstance(sent, ContactData)
    assert sent.form() == replace(typed, lost_or_stolen=None)
    cancel = next(a for a in _of_type(card, "Action.Execute") if a["verb"] == Verb.CONTACT_CANCEL)
    assert cancel["associatedInputs"] == "none"


def test_the_forms_other_endings() -> None:
    for status in (Status.OPEN, Status.DONE):
        _ok(helpdesk.build_request_sent(replace(REQUEST, status=status)))
    assert "call IT instead" in _text(
        _ok(helpdesk.build_contact_refusal(TooManyRequestsError(3), GUIDE))
    )
    card = _ok(helpdesk.build_open_request(REQUEST))
    (ask,) = _of_type(card, "Action.ShowCard")
    assert ask["card"]["actions"][0]["verb"] == Verb.CANCEL_REQUEST
    _ok(helpdesk.build_cancelled(REQUEST))


@pytest.mark.parametrize("change", list(Change))
def test_the_employee_hears_of_the_same_changes_as_on_slack(change: Change) -> None:
    request = VARIANTS["status done"]
    card = helpdesk.build_employee_notice(request, change, ITEMS[:2], "the IT desk")
    slack = build_slack_notice(request, change, ITEMS[:2], "the IT desk")
    assert (card is None) is (slack is None)
    if card is not None:
        _ok(card)
        assert "request #7" in _text(card)
    if change is Change.DONE:
        assert card is not None
        (ask,) = _of_type(card, "Action.ShowCard")
        assert ask["title"] == wording.NOT_ME
        assert ask["card"]["actions"][0]["verb"] == Verb.NOT_ME


def test_the_pass_the_manager_and_the_thread() -> None:
    assert "TAP-SECRET" in _text(_ok(helpdesk.build_secret_notice(REQUEST, "TAP-SECRET")))
    question = _ok(helpdesk.build_manager_question(REQUEST))
    assert [a["verb"] for a in _of_type(question, "Action.Execute")] == [
        Verb.MANAGER_YES,
        Verb.MANAGER_NO,
    ]
    _ok(helpdesk.build_manager_thanks(True))
    silent = []
    for change in Change:
        note = helpdesk.build_thread_note(REQUEST, change, ADMIN, ITEMS, NAMES)
        if note is None:
            silent.append(change)
        else:
            _ok(note)
    # An action's own progress is the card's, not a line each: one execution, one line.
    assert silent == [Change.UNDERWAY, Change.ACTION_WAITING, Change.ACTION_RETRYING]


@pytest.mark.parametrize("replacing", [False, True])
def test_enrollment_shows_the_qr_code_and_the_key(replacing: bool) -> None:
    uri = "otpauth://totp/MFA%20helpdesk:ada?secret=JBSWY3DPEHPK3PXP&issuer=MFA%20helpdesk"
    card = _ok(helpdesk.build_enrollment(uri, "JBSWY3DPEHPK3PXP", replacing=replacing))
    (image,) = _of_type(card, "Image")
    assert base64.b64decode(image["url"].split(",", 1)[1]).startswith(b"\x89PNG")
    assert "JBSW Y3DP EHPK 3PXP" in _text(card)
    codes = [i["id"] for i in _of_type(card, "Input.Text")]
    assert codes == ([InputId.CURRENT_CODE, InputId.CODE] if replacing else [InputId.CODE])
    assert all(i["style"] == "Password" for i in _of_type(card, "Input.Text"))
    assert "JBSWY3DPEHPK3PXP" not in _text(_ok(helpdesk.build_enrolled()))


def test_pending_lists_requests_with_links() -> None:
    assert "No requests are waiting." in _text(_ok(helpdesk.build_pending([], GUIDE)))
    listed = [(REQUEST, "https://teams.example.com/l/message/1"), (VARIANTS["status failed"], None)]
    text = _text(_ok(helpdesk.build_pending(listed, GUIDE)))
    assert "**2 requests in progress**" in text
    assert (
        "• [#7 I lost my phone or got a new number](https://teams.example.com/l/message/1): "
        in text
    )
    assert escape(EVIL) in text  # the requester, by the name they have in the directory


@pytest.mark.parametrize(
    "alert",
    [
        NotMeReported(REQUEST, RevokeOutcome(Revocation.REVOKED)),
        NotMeReported(REQUEST, RevokeOutcome(Revocation.FAILED, "throttled")),
        PromptReported(REQUEST, filed=True),
        PromptReported(REQUEST, filed=False),
        ManagerSaidNo(REQUEST),
        StepUpLocked(ADMIN),
        AuthenticatorEnrolled(ADMIN, replaced=True),
        PrivilegedReset(VARIANTS["first approval"], (ResetAction.CLEAR_MFA,), complete=False),
        ResetEmailFailed(REQUEST, "smtp down"),
    ],
)
def test_every_alert_renders(alert: Any) -> None:
    text = _text(_ok(notices.build_alert(alert, NAMES)))
    assert "Ada Admin" in text or "request #7" in text.lower() or "Request #7" in text


def test_an_alert_about_a_request_can_be_claimed_and_then_says_who_has_it() -> None:
    alert = _ok(notices.build_alert(NotMeReported(REQUEST, RevokeOutcome(Revocation.REVOKED))))
    [claim] = alert["actions"]
    assert (claim["verb"], claim["data"]) == (Verb.CLAIM_ALERT, {"request": 7})
    assert "actions" not in _ok(notices.build_alert(StepUpLocked(ADMIN)))
    claimed = _ok(notices.build_claimed_alert(AlertClaim(REQUEST, ADMIN, taken=True), NAMES))
    assert "Ada Admin is on it" in _text(claimed)
    assert "actions" not in claimed


def test_the_prompt_reply_renders() -> None:
    url = "https://mysignins.microsoft.com/security-info"
    text = _text(_ok(notices.build_prompt_reply(PromptAnswer(7, True, False, url))))
    assert f"[your security info]({url})" in text


def test_the_not_me_reply_and_refusals() -> None:
    _ok(notices.build_not_me_reply(NotMeAnswer(None)))
    _ok(notices.build_not_me_reply(NotMeAnswer(RevokeOutcome(Revocation.BY_HAND))))
    refused = helpdesk.refusal_text(AlreadyDecidedError(7, "approved", ADMIN), NAMES)
    assert refused == "Request #7 is already approved by Ada Admin."
    _ok(helpdesk.build_request_card(REQUEST, [], GUIDE, "x", notice=refused))


def test_malformed_actions_are_refused_without_their_values() -> None:
    with pytest.raises(MalformedActionError, match="unknown verb"):
        decode("mfa-nope", {})
    with pytest.raises(MalformedActionError, match=r"mfa-guide-next: walk") as caught:
        decode(Verb.NEXT, {"walk": "../../etc", "topic": "t", "step": "s"})
    assert "etc" not in str(caught.value)
    with pytest.raises(MalformedActionError) as caught:
        decode(Verb.APPROVE_CONFIRM, {"request": 7, InputId.CODE: "123456789"})
    assert "123456789" not in str(caught.value)
    with pytest.raises(MalformedActionError):
        decode_invoke({"action": {"type": "Action.Submit", "verb": "x"}})
    verb, data = decode_invoke(
        {"action": {"type": "Action.Execute", "verb": "mfa-desk-deny", "data": {"request": 7}}}
    )
    assert (verb, data) == (Verb.DENY, RequestData(request_id=7))
