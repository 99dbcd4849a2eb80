"""The admin's words: plurals, every approver, the code's recap, "I'm on it", the Home tab."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from slack_sdk.models.blocks import Block

from bot import wording
from bot.domain.errors import CallbackTakenError
from bot.domain.helpdesk import Home
from bot.domain.identity import ResetAction
from bot.domain.requests import ContactForm, HelpRequest, Remaining, Status
from bot.guide import load_guide
from handlers.blocks.helpdesk import build_ask_modal, build_home_desk, build_question
from handlers.blocks.text import SLACK

GUIDE = load_guide()
NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
REQUEST = HelpRequest(
    id=7,
    team_id="T",
    requester_id="U1",
    topic_id="lost-phone",
    walk_id=None,
    form=ContactForm("gone", True, Remaining.NONE, None, "+1 555 0101"),
    proposed=(ResetAction.CLEAR_MFA,),
    tried=(),
    status=Status.OPEN,
    created_at=NOW,
    expires_at=NOW,
    updated_at=NOW,
)


def test_counts_read_in_the_singular_for_one() -> None:
    assert wording.in_progress(1) == "1 request in progress"
    assert wording.in_progress(2) == "2 requests in progress"
    assert wording.plural(0, "app password") == "0 app passwords"


def test_a_two_approver_request_names_both_admins_first_one_first() -> None:
    done = replace(REQUEST, status=Status.DONE, first_approver="UA", decided_by="UB")
    assert wording.status_line(SLACK, done).startswith(
        ":white_check_mark: *Done* by <@UA> and <@UB>"
    )
    alone = replace(done, first_approver=None)
    assert "*Done* by <@UB>" in wording.status_line(SLACK, alone)
    denied = replace(done, status=Status.DENIED, deny_reason="no")
    assert "<@UA>" not in wording.status_line(SLACK, denied)


def test_the_code_recap_names_the_requester_and_each_action() -> None:
    actions = (ResetAction.CLEAR_MFA, ResetAction.REVOKE_SESSIONS)
    recap = wording.stepup_what(SLACK, REQUEST, actions, retry=False)
    assert recap.startswith("*Approve request #7* of <@U1>:")
    assert all(f"• {action.label}" in recap for action in actions)
    assert "its failed actions" in wording.stepup_what(SLACK, REQUEST, (), retry=True)


def test_a_taken_callback_says_who_has_it_or_that_it_is_yours() -> None:
    other = wording.refusal(SLACK, CallbackTakenError(7, "UB", mine=False))
    assert other.startswith("<@UB> is already calling the employee back about request #7")
    assert "already" in wording.refusal(SLACK, CallbackTakenError(7, "UA", mine=True))
    on_it = replace(REQUEST, callback_by="UB", callback_at=NOW)
    line = wording.callback_line(SLACK, on_it)
    assert line is not None
    assert "<@UB> is calling the employee back (since" in line
    assert wording.callback_line(SLACK, REQUEST) is None


def test_the_question_and_its_form_render_and_escape_what_was_typed() -> None:
    message = build_question(REQUEST, "UA", "<!here> *which* phone?")
    blocks = [b if isinstance(b, dict) else b.to_dict() for b in message.blocks]
    assert all(Block.parse(b) is not None for b in blocks)
    assert "&lt;!here&gt;" in str(blocks)
    assert "<!here>" not in str(blocks)
    assert build_ask_modal(7, "C0DESK").to_dict()["private_metadata"]


def test_home_shows_nothing_extra_without_a_request_or_a_queue() -> None:
    assert build_home_desk(None, [], GUIDE) == []
    assert build_home_desk(Home(None, None), [], GUIDE) == []
    queue = (REQUEST, replace(REQUEST, id=8, status=Status.FAILED))
    blocks = build_home_desk(Home(None, queue), ["https://x/1", None], GUIDE)
    text = str([b.to_dict() for b in blocks])
    assert "2 requests in progress" in text
    assert "1 waiting for a decision · 1 failed, IT is on it" in text
    assert "<https://x/1|#7 " in text
    assert text.index("#7 ") < text.index("#8 ")
