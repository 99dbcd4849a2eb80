"""The help-desk path, driven as Slack drives it: the form, the card, the decisions, the audit."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_runtime
from bot.domain.identity import ResetAction
from bot.settings import Settings
from handlers.ids import ActionId, FieldId
from storage.demo import SqlDemoStore
from storage.engine import session_factory
from storage.helpdesk import SqlRequestRepository
from storage.walks import SqlWalkRepository
from tests.conftest import FixedClock, serving
from tests.driver import Screen, SlackDriver
from tests.fakes.slack import FakeSlack

DESK = "C0DESK"
ADMIN, ADMIN2, GROUP_ADMIN, STRANGER = "UADMIN1", "UADMIN2", "UGROUP1", "USTRANGER"
GUID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


@pytest.fixture
def bot_env(bot_env: dict[str, Any], fake_slack: FakeSlack) -> dict[str, Any]:
    """A help desk with two listed admins, a user group, and the demo directory."""
    fake_slack.usergroups["S0IT"] = [GROUP_ADMIN]
    for user, name in ((ADMIN, "Ines Admin"), (ADMIN2, "Omar Admin"), (STRANGER, "Sam Stranger")):
        fake_slack.add_user(user, name, f"{name.split()[0].lower()}@example.com")
    return {
        **bot_env,
        "helpdesk_channel": DESK,
        "it_admin_users": f"{ADMIN},{ADMIN2}",
        "it_admin_usergroup": "S0IT",
        "identity_provider": "demo",
    }


async def _to_contact_it(slack: SlackDriver, user: str = "U1", choice: int = 1) -> Screen:
    """The lost-phone topic walked to "Have IT clear your settings" by its `choice`: 1 lost or
    stolen, 2 a new number (each with no other method)."""
    _, menu = await slack.command(user=user)
    assert menu is not None
    step = await slack.click_and_see(menu, f"{ActionId.TOPIC}lost-phone")
    return await slack.click_and_see(step, f"{ActionId.CHOICE}{choice}")


async def _request(slack: SlackDriver, user: str = "U1", choice: int = 1, **values: str) -> Screen:
    """Walk, press Contact IT, submit the form; the request's card in the help-desk channel."""
    step = await _to_contact_it(slack, user, choice)
    reply, _ = await slack.click(step, ActionId.CONTACT_IT)
    assert reply.status == 200
    await slack.settle()
    form = {
        FieldId.LOST: "yes",
        FieldId.REMAINING: "none",
        FieldId.CORRELATION: GUID,
        FieldId.CONTACT: "+1 555 0101, desk 4B",
        **values,
    }
    reply = await slack.submit(slack.opened_view(), form, user=user)
    assert reply.status == 200, reply
    assert reply.json()["response_action"] == "update", reply.body
    await slack.settle()
    return _card(slack)


def _card(slack: SlackDriver, user: str = ADMIN) -> Screen:
    """The newest request card in the help-desk channel."""
    cards = [
        ts
        for (channel, ts), m in slack.fake.messages.items()
        if channel == DESK and not m.get("thread_ts") and _is_card(m.get("blocks"))
    ]
    assert cards, "no card in the help-desk channel"
    return slack.channel_screen(DESK, max(cards), user)


def _is_card(blocks: list[dict[str, Any]] | None) -> bool:
    """A request's card opens with its title (an alert, with its Claim button, does not)."""
    return bool(blocks) and blocks[0].get("type") == "header"


def _dms(slack: SlackDriver, user: str = "U1") -> list[str]:
    channel = "D" + user.lstrip("U")
    return [
        Screen(m["blocks"], m["text"], user, channel, False).all_text()
        for (c, _), m in slack.fake.messages.items()
        if c == channel
    ]


def _thread(slack: SlackDriver) -> list[str]:
    return [
        m["text"] for (c, _), m in slack.fake.messages.items() if c == DESK and m.get("thread_ts")
    ]


async def _audit(slack: SlackDriver) -> list[tuple[str, str, dict[str, Any]]]:
    repo = SqlRequestRepository(session_factory(slack.runtime.engine))
    entries = await repo.audit_since(FixedClock().now().replace(year=2000))
    return [(e.event, e.actor_id, e.detail or {}) for e in entries]


async def test_from_a_topic_to_a_done_request(slack: SlackDriver) -> None:
    step = await _to_contact_it(slack)
    await slack.click(step, ActionId.CONTACT_IT)
    await slack.settle()
    form = slack.opened_view()
    assert "never ask you for your password" in json.dumps(form)
    description = next(b for b in form["blocks"] if b.get("block_id") == FieldId.DESCRIPTION)
    # What the walk's choice told, rather than the topic's title (which names two problems).
    lost = "My phone was lost or stolen, and I have no other way to sign in."
    assert description["element"]["initial_value"] == lost

    card = await _request(slack)
    text = card.all_text()
    assert "Request #1: I lost my phone or got a new number" in text
    assert "*Requester* <@U1> · ada@example.com" in text  # the mention shows the name once
    assert "Ada Lovelace" not in text
    assert GUID in text
    assert "+1 555 0101, desk 4B" in text
    assert ":rotating_light: Yes" in text
    assert "Two ways back into your account" in text
    assert "chose: It's lost or stolen, and I have no other method" in text
    ticked = card.element(ActionId.SELECT_ACTIONS)["initial_options"]
    assert [o["value"] for o in ticked] == ["clear_mfa", "delete_app_passwords", "revoke_sessions"]
    assert "Your request #1 is with IT" in _dms(slack)[0]
    assert ActionId.CANCEL_REQUEST in slack.dm_screen().action_ids()

    reply, _ = await slack.click(card, ActionId.APPROVE)
    assert reply.status == 200
    assert reply.elapsed_s < 1
    await slack.settle()

    done = _card(slack)
    assert "*Done* by <@UADMIN1>" in done.all_text()
    assert ActionId.APPROVE not in done.action_ids()
    assert done.all_text().count(":white_check_mark:") >= 3
    dms = _dms(slack)
    # Approved and done at once: one message says both, not two a second apart.
    assert not any("IT approved your request #1 and is making" in dm for dm in dms)
    finished = next(dm for dm in dms if "is done: IT approved it" in dm)
    assert "Removed 3 sign-in methods" in finished
    assert "asked to set up two-step verification" in finished
    assert any("Approved by <@UADMIN1>" in note for note in _thread(slack))

    person = await SqlDemoStore(session_factory(slack.runtime.engine)).get_demo_user(
        "ada@example.com"
    )
    assert person is not None
    assert (person.methods, person.app_passwords, person.sessions) == ((), 0, 0)

    events = [event for event, _, _ in await _audit(slack)]
    assert events == [
        "request.created",
        "request.not_privileged",
        "request.approved",
        "request.executing",
        "action.done",
        "action.done",
        "action.done",
        "request.done",
        "notice.skipped",  # no SMTP_URL here: the email to the person is audited as not sent
    ]
    walks = await SqlWalkRepository(slack.runtime.engine).walks_of("U1")
    assert walks[-1].state.outcome.value == "escalated"


async def test_a_malformed_correlation_id_is_shown_inline_and_nothing_is_sent(
    slack: SlackDriver,
) -> None:
    step = await _to_contact_it(slack)
    await slack.click(step, ActionId.CONTACT_IT)
    await slack.settle()
    reply = await slack.submit(
        slack.opened_view(),
        {FieldId.CORRELATION: "not-a-guid", FieldId.CONTACT: "x"},
    )
    body = reply.json()
    assert body["response_action"] == "errors"
    assert FieldId.CORRELATION in body["errors"]
    assert "looks like" in body["errors"][FieldId.CORRELATION]
    reply = await slack.submit(slack.opened_view(), {FieldId.CONTACT: "  "})
    assert FieldId.CONTACT in reply.json()["errors"]
    await slack.settle()
    assert [c for c in slack.fake.calls_to("chat.postMessage") if c.params["channel"] == DESK] == []


async def test_user_text_cannot_ping_or_hide_links_in_the_channel(slack: SlackDriver) -> None:
    card = await _request(
        slack,
        **{
            FieldId.DESCRIPTION: "<!channel> help <@U999> & <https://evil.test|sso.corp>",
            FieldId.CONTACT: "<!here>",
            FieldId.DETAILS: "<#C123> *bold*",
        },
    )
    raw = json.dumps(card.blocks)
    for token in ("<!channel>", "<!here>", "<@U999>", "<https://evil.test", "<#C123>"):
        assert token not in raw
    assert "&lt;!channel&gt; help &lt;@U999&gt; &amp; &lt;https://evil.test|sso.corp&gt;" in raw


async def test_a_non_admin_is_refused_and_the_attempt_audited(slack: SlackDriver) -> None:
    card = await _request(slack)
    reply, url = await slack.click(card, ActionId.APPROVE, user=STRANGER)
    assert reply.status == 200
    await slack.settle()
    refusal = slack.fake.response_posts(url)[-1]
    assert refusal["replace_original"] is False
    assert refusal["response_type"] == "ephemeral"
    assert "Only IT admins" in refusal["text"]
    assert ActionId.APPROVE in _card(slack).action_ids()
    assert ("decision.refused", STRANGER, {"reason": "not_an_admin"}) in await _audit(slack)


async def test_a_member_of_the_admin_group_may_decide(slack: SlackDriver) -> None:
    card = await _request(slack)
    await slack.click(card, ActionId.APPROVE, user=GROUP_ADMIN, selected=["revoke_sessions"])
    await slack.settle()
    assert slack.fake.calls_to("usergroups.users.list")
    assert "*Done* by <@UGROUP1>" in _card(slack).all_text()
    person = await SqlDemoStore(session_factory(slack.runtime.engine)).get_demo_user(
        "ada@example.com"
    )
    assert person is not None
    assert len(person.methods) == 3
    assert person.sessions == 0


async def test_an_admin_cannot_decide_on_their_own_request(slack: SlackDriver) -> None:
    card = await _request(slack, user=ADMIN)
    _, url = await slack.click(card, ActionId.APPROVE, user=ADMIN)
    await slack.settle()
    assert "your own request" in slack.fake.response_posts(url)[-1]["text"]
    assert ("decision.refused", ADMIN, {"reason": "own_request"}) in await _audit(slack)
    # An admin's own account is privileged: two other admins must approve.
    await slack.click(card, ActionId.APPROVE, user=ADMIN2)
    await slack.settle()
    first = _card(slack)
    assert "1 of 2 approvals" in first.all_text()
    assert "Privileged account" in first.all_text()
    _, url = await slack.click(first, ActionId.APPROVE, user=ADMIN2)
    await slack.settle()
    assert "second, different admin" in slack.fake.response_posts(url)[-1]["text"]
    await slack.click(first, ActionId.APPROVE, user=GROUP_ADMIN, selected=["clear_mfa"])
    await slack.settle()
    done = _card(slack).all_text()
    assert "*Done* by <@UADMIN2> and <@UGROUP1>" in done
    events = [(e, a, d) for e, a, d in await _audit(slack)]
    assert ("request.first_approval", ADMIN2) in [(e, a) for e, a, _ in events]
    approved = next(d for e, _, d in events if e == "request.approved")
    # Only what both admins approved, and sessions revoked with any clear.
    assert approved == {"actions": ["clear_mfa", "revoke_sessions"], "revocation_added": True}


async def test_deny_needs_a_reason_and_the_employee_reads_it(slack: SlackDriver) -> None:
    card = await _request(slack)
    await slack.click(card, ActionId.DENY, user=ADMIN)
    await slack.settle()
    modal = slack.opened_view()
    empty = await slack.submit(modal, {FieldId.DENY_REASON: "   "}, user=ADMIN)
    assert FieldId.DENY_REASON in empty.json()["errors"]
    await slack.settle()
    assert ActionId.APPROVE in _card(slack).action_ids()

    reply = await slack.submit(
        modal, {FieldId.DENY_REASON: "We couldn't reach you <!here>"}, user=ADMIN
    )
    assert reply.status == 200
    await slack.settle()
    denied = _card(slack).all_text()
    assert "*Denied* by <@UADMIN1>" in denied
    assert "&lt;!here&gt;" in denied
    assert any(
        "declined your request #1" in dm and "We couldn't reach you" in dm for dm in _dms(slack)
    )
    _, url = await slack.click(card, ActionId.APPROVE, user=ADMIN2)
    await slack.settle()
    assert "already denied by <@UADMIN1>" in slack.fake.response_posts(url)[-1]["text"]


async def test_the_employee_can_cancel_and_then_nobody_can_approve(slack: SlackDriver) -> None:
    card = await _request(slack)
    dm = slack.dm_screen()
    cancelled = await slack.click_and_see(dm, ActionId.CANCEL_REQUEST)
    assert "You cancelled request #1" in cancelled.all_text()
    assert "*Cancelled* by the employee" in _card(slack).all_text()
    _, url = await slack.click(card, ActionId.APPROVE, user=ADMIN)
    await slack.settle()
    assert "already cancelled" in slack.fake.response_posts(url)[-1]["text"]


async def test_an_expired_request_cannot_be_approved(slack: SlackDriver, clock: FixedClock) -> None:
    card = await _request(slack)
    clock.advance(hours=23, minutes=59)
    await slack.runtime.housekeeping_once()
    assert "Waiting for a decision" in _card(slack).all_text()
    clock.advance(minutes=2)
    _, url = await slack.click(card, ActionId.APPROVE, user=ADMIN)
    await slack.settle()
    assert "expired" in slack.fake.response_posts(url)[-1]["text"]
    assert "*Expired*" in _card(slack).all_text()
    assert any("expired without a decision" in dm for dm in _dms(slack))
    person = await SqlDemoStore(session_factory(slack.runtime.engine)).get_demo_user(
        "ada@example.com"
    )
    assert person is not None
    assert len(person.methods) == 3  # asked about roles, but nothing was changed


async def test_the_housekeeping_expires_requests_nobody_touched(
    slack: SlackDriver, clock: FixedClock
) -> None:
    await _request(slack)
    clock.advance(hours=25)
    await slack.runtime.housekeeping_once()
    await slack.settle()
    assert "*Expired*" in _card(slack).all_text()
    assert ActionId.APPROVE not in _card(slack).action_ids()


async def test_two_approvals_at_the_same_moment_run_each_action_once(slack: SlackDriver) -> None:
    card = await _request(slack)
    replies = await asyncio.gather(
        slack.click(card, ActionId.APPROVE, user=ADMIN),
        slack.click(card, ActionId.APPROVE, user=ADMIN2),
        slack.click(card, ActionId.APPROVE, user=ADMIN),
    )
    await slack.settle()
    assert all(reply.status == 200 for reply, _ in replies)
    events = [event for event, _, _ in await _audit(slack)]
    assert events.count("request.approved") == 1
    assert events.count("action.done") == 3
    refusals = [p["text"] for _, url in replies for p in slack.fake.response_posts(url)]
    assert len(refusals) == 2
    assert all("already" in text for text in refusals)
    assert sum("is done" in dm for dm in _dms(slack)) == 1


async def test_a_second_contact_it_shows_the_open_request(slack: SlackDriver) -> None:
    await _request(slack)
    opened = len(slack.fake.calls_to("views.open"))
    step = await _to_contact_it(slack)
    again = await slack.click_and_see(step, ActionId.CONTACT_IT)
    assert "You already have request #1" in again.all_text()
    assert len(slack.fake.calls_to("views.open")) == opened


async def test_the_temporary_access_pass_reaches_only_the_employee(
    slack: SlackDriver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    card = await _request(slack)
    await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=[ResetAction.ISSUE_TAP.value])
    await slack.settle()
    secret_dm = next(dm for dm in _dms(slack) if "temporary access pass for request" in dm)
    tap = secret_dm.split("`")[1]
    assert len(tap) == 12
    everything_else = json.dumps(
        [c.params for c in slack.fake.calls if c.params.get("channel") != "D1"]
    )
    assert tap not in everything_else
    assert tap not in caplog.text
    assert tap not in json.dumps(await _audit(slack))
    async with slack.runtime.engine.connect() as conn:
        from sqlalchemy import text

        for table in ("help_requests", "request_actions", "audit_log", "demo_directory"):
            rows = (await conn.execute(text(f"SELECT * FROM {table}"))).fetchall()  # noqa: S608
            assert tap not in repr(rows), table


async def test_the_audit_export_holds_every_decision_and_no_secret(
    slack: SlackDriver, database_url: str, tmp_path: Path
) -> None:
    card = await _request(slack)
    await slack.click(card, ActionId.APPROVE, user=STRANGER)
    await slack.settle()
    await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=["clear_mfa", "issue_tap"])
    await slack.settle()
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": database_url, "HOME": str(tmp_path)}
    jsonl = await _cli(["audit", "export", "--since", "2026-11-01", "--format", "jsonl"], env)
    lines = [json.loads(line) for line in jsonl.splitlines()]
    assert [(line["event"], line["actor_id"]) for line in lines] == [
        ("request.created", "U1"),
        ("request.not_privileged", "system"),
        ("decision.refused", STRANGER),
        ("request.approved", ADMIN),
        ("request.executing", "system"),
        ("action.done", "system"),
        ("action.done", "system"),
        ("action.done", "system"),
        ("request.done", "system"),
        ("notice.skipped", "system"),
    ]
    assert lines[1]["detail"] == {"reason": "Demo directory: no admin role; on no privileged list"}
    assert lines[2]["detail"] == {"reason": "not_an_admin"}
    assert lines[3]["detail"] == {
        "actions": ["clear_mfa", "revoke_sessions", "issue_tap"],
        "revocation_added": True,
    }
    assert all(line["request_id"] == 1 for line in lines)
    assert lines[0]["at"].startswith("2026-11-27T08:00:00")
    out = tmp_path / "audit.csv"
    await _cli(
        ["audit", "export", "--since", "2026-11-01", "--format", "csv", "--output", str(out)], env
    )
    rows = out.read_text().splitlines()
    assert rows[0] == "at,actor_id,event,request_id,detail"
    assert len(rows) == len(lines) + 1
    later = await _cli(["audit", "export", "--since", "2026-11-28"], env)
    assert later == ""
    tap = next(dm for dm in _dms(slack) if "temporary access pass for" in dm).split("`")[1]
    assert tap not in jsonl
    assert tap not in out.read_text()


async def _cli(args: list[str], env: dict[str, str]) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    return stdout.decode()


async def test_admins_list_pending_requests_with_links(slack: SlackDriver) -> None:
    await _request(slack)
    reply, _ = await slack.command("pending", user=ADMIN, command="/mfa-admin")
    assert reply.status == 200
    await slack.settle()
    answer = [c for c in slack.fake.calls if c.method == "response_url"][-1].params
    assert "1 request in progress" in answer["text"]
    assert "https://fake.slack.test/archives/C0DESK/p" in json.dumps(answer["blocks"])
    await slack.command("pending", user=STRANGER, command="/mfa-admin")
    await slack.settle()
    answer = [c for c in slack.fake.calls if c.method == "response_url"][-1].params
    assert "for IT admins" in answer["text"]


async def test_a_click_from_another_workspace_is_refused(slack: SlackDriver) -> None:
    card = await _request(slack)
    _, url = await slack.click(card, ActionId.APPROVE, user=ADMIN, team="T0OTHER")
    await slack.settle()
    assert "help-desk channel" in slack.fake.response_posts(url)[-1]["text"]
    assert ActionId.APPROVE in _card(slack).action_ids()


async def test_approve_with_nothing_ticked_is_refused(slack: SlackDriver) -> None:
    card = await _request(slack)
    _, url = await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=[])
    await slack.settle()
    assert "Tick at least one action" in slack.fake.response_posts(url)[-1]["text"]
    assert ActionId.APPROVE in _card(slack).action_ids()


async def test_a_card_slack_refused_to_post_is_posted_later_and_nothing_is_lost(
    slack: SlackDriver,
) -> None:
    slack.fake.fail_next("chat.postMessage", 500, error="internal_error", channel=DESK)
    step = await _to_contact_it(slack)
    await slack.click(step, ActionId.CONTACT_IT)
    await slack.settle()
    reply = await slack.submit(
        slack.opened_view(),
        {FieldId.LOST: "no", FieldId.REMAINING: "none", FieldId.CONTACT: "+1 555 0101"},
    )
    assert reply.json()["response_action"] == "update"
    await slack.settle()
    assert not [m for (c, _), m in slack.fake.messages.items() if c == DESK]
    slack.runtime.tasks.failures = 0  # the failed post was logged; the request waits for a retry
    await slack.runtime.housekeeping_once()
    card = _card(slack)
    assert "Request #1" in card.all_text()
    assert "Your request #1 is with IT" in _dms(slack)[0]


async def test_a_directory_failure_shows_on_the_card_and_the_employee_is_told(
    slack: SlackDriver,
) -> None:
    slack.fake.users["U1"]["profile"].pop("email")  # Slack tells no email: nobody to look up
    card = await _request(slack)
    # Nor can the directory say whether the person holds an admin role: two approvers.
    assert "directory roles could not be read: Slack shows no email" in card.all_text()
    await slack.click(card, ActionId.APPROVE, user=ADMIN)
    await slack.settle()
    await slack.click(_card(slack), ActionId.APPROVE, user=ADMIN2)
    await slack.settle()
    failed = _card(slack).all_text()
    assert ":x: *Failed*" in failed
    assert "Slack shows no email" in failed
    assert any("couldn't finish every change" in dm for dm in _dms(slack))
    events = [event for event, _, _ in await _audit(slack)]
    assert events.count("action.failed") == 3
    assert events[-1] == "request.failed"

    failed_card = _card(slack)
    assert ActionId.RETRY in failed_card.action_ids()
    _, url = await slack.click(failed_card, ActionId.RETRY, user=STRANGER)
    await slack.settle()
    assert "Only IT admins" in slack.fake.response_posts(url)[-1]["text"]
    await slack.click(failed_card, ActionId.RETRY, user=ADMIN)
    await slack.settle()
    events_by = [(event, actor) for event, actor, _ in await _audit(slack)]
    assert ("request.retried", ADMIN) in events_by
    assert [e for e, _ in events_by].count("action.failed") == 6  # tried again, still no email
    assert any("Failed actions tried again by <@UADMIN1>" in note for note in _thread(slack))


async def test_a_click_on_a_card_outside_the_help_desk_channel_is_refused(
    slack: SlackDriver,
) -> None:
    card = await _request(slack)
    elsewhere = Screen(card.blocks, card.text, ADMIN, "C0ELSEWHERE", False, card.ts)
    _, url = await slack.click(elsewhere, ActionId.APPROVE, user=ADMIN)
    await slack.settle()
    assert "help-desk channel" in slack.fake.response_posts(url)[-1]["text"]
    assert ("decision.refused", ADMIN, {"reason": "wrong_place"}) in await _audit(slack)


async def test_a_non_admin_pressing_deny_sees_the_refusal_not_the_form(slack: SlackDriver) -> None:
    card = await _request(slack)
    await slack.click(card, ActionId.DENY, user=STRANGER)
    await slack.settle()
    view = slack.opened_view()
    assert FieldId.DENY_REASON not in json.dumps(view)
    assert "Only IT admins" in json.dumps(view)
    assert ("decision.refused", STRANGER, {"reason": "not_an_admin"}) in await _audit(slack)


async def test_nobody_else_can_cancel_an_employees_request(slack: SlackDriver) -> None:
    await _request(slack)
    dm = slack.dm_screen()
    _, url = await slack.click(dm, ActionId.CANCEL_REQUEST, user=STRANGER)
    await slack.settle()
    assert slack.fake.response_posts(url)[-1]["replace_original"] is False
    assert "Waiting for a decision" in _card(slack).all_text()
    assert ("decision.refused", STRANGER, {"reason": "not_requester"}) in await _audit(slack)


async def test_an_admin_removed_from_the_group_is_refused_at_the_next_click(
    slack: SlackDriver, clock: FixedClock
) -> None:
    card = await _request(slack)
    assert await slack.runtime.deps.helpdesk.is_admin(GROUP_ADMIN)  # type: ignore[union-attr]
    slack.fake.usergroups["S0IT"] = []
    clock.advance(minutes=2)
    _, url = await slack.click(card, ActionId.APPROVE, user=GROUP_ADMIN)
    await slack.settle()
    assert "Only IT admins" in slack.fake.response_posts(url)[-1]["text"]


async def test_a_card_update_slack_refuses_does_not_stop_the_actions(slack: SlackDriver) -> None:
    card = await _request(slack)
    slack.fake.fail_next("chat.update", 500, error="internal_error")
    await slack.click(card, ActionId.APPROVE, user=ADMIN)
    await slack.settle()
    person = await SqlDemoStore(session_factory(slack.runtime.engine)).get_demo_user(
        "ada@example.com"
    )
    assert person is not None
    assert person.methods == ()
    assert "*Done*" in _card(slack).all_text()  # later updates brought the card up to date
    assert any("is done: IT approved it" in dm for dm in _dms(slack))


async def test_two_announcements_of_one_request_post_one_card(slack: SlackDriver) -> None:
    slack.fake.delay_s = 0.2
    step = await _to_contact_it(slack)
    await slack.click(step, ActionId.CONTACT_IT)
    await slack.settle()
    await slack.submit(
        slack.opened_view(),
        {FieldId.LOST: "no", FieldId.REMAINING: "none", FieldId.CONTACT: "+1 555 0101"},
    )
    await asyncio.gather(slack.runtime.housekeeping_once(), slack.runtime.housekeeping_once())
    await slack.settle()
    cards = [
        c
        for c in slack.fake.calls_to("chat.postMessage")
        if c.params["channel"] == DESK and not c.params.get("thread_ts")
    ]
    assert len(cards) == 1
    assert sum("is with IT" in dm for dm in _dms(slack)) == 1


async def test_acks_never_wait_for_a_slow_slack(slack: SlackDriver) -> None:
    step = await _to_contact_it(slack)
    await slack.click(step, ActionId.CONTACT_IT)
    await slack.settle()
    view = slack.opened_view()
    slack.fake.delay_s = 2.5  # every Web API call now takes longer than Slack's ack limit
    reply = await slack.submit(
        view, {FieldId.LOST: "no", FieldId.REMAINING: "none", FieldId.CONTACT: "+1 555 0101"}
    )
    assert reply.status == 200
    assert reply.elapsed_s < 0.5
    reply, _ = await slack.command("lost phone")
    assert reply.status == 200
    assert reply.elapsed_s < 0.5
    slack.fake.delay_s = 0
    await slack.settle()
    slack.fake.delay_s = 0.5
    card = _card(slack)
    reply, _ = await slack.click(card, ActionId.APPROVE, user=ADMIN)
    assert reply.status == 200
    assert reply.elapsed_s < 0.3
    await slack.settle()
    assert "*Done*" in _card(slack).all_text()


async def test_names_from_slack_and_the_deny_reason_are_escaped(slack: SlackDriver) -> None:
    slack.fake.users["U1"]["profile"]["real_name"] = "<!everyone> Eve"
    card = await _request(slack)
    assert "<!everyone>" not in json.dumps(card.blocks)
    await slack.click(card, ActionId.DENY, user=ADMIN)
    await slack.settle()
    await slack.submit(slack.opened_view(), {FieldId.DENY_REASON: "<@U999> says no"}, user=ADMIN)
    await slack.settle()
    denied = next(dm for dm in _dms(slack) if "declined" in dm)
    assert "&lt;@U999&gt; says no" in denied
    assert "<@U999>" not in denied


async def test_a_deny_reason_that_escapes_past_slacks_limit_still_updates_the_card(
    slack: SlackDriver,
) -> None:
    card = await _request(slack)
    await slack.click(card, ActionId.DENY, user=ADMIN)
    await slack.settle()
    reason = "<>&" * 333  # 999 characters typed, 4,329 once escaped
    await slack.submit(slack.opened_view(), {FieldId.DENY_REASON: reason}, user=ADMIN)
    await slack.settle()
    status = next(line for line in _card(slack).all_text().splitlines() if "*Denied*" in line)
    assert len(status) <= 3000
    shown = status.split("UTC>: ", 1)[1]  # after the decision's time
    assert shown.endswith("…")
    assert re.fullmatch(r"(&lt;|&gt;|&amp;)+", shown[:-1])  # cut between entities, never inside


@pytest.fixture
async def second_replica(
    bot_env: dict[str, Any], clock: FixedClock, fake_slack: FakeSlack
) -> AsyncIterator[SlackDriver]:
    """A second bot process on the same database, as behind a load balancer."""
    runtime = await build_runtime(Settings(_env_file=None, **bot_env), clock)  # type: ignore[call-arg]
    try:
        async with serving(runtime, fake_slack) as driver:
            yield driver
    finally:
        await runtime.close()


async def test_two_replicas_approving_at_once_change_the_directory_once(
    slack: SlackDriver, second_replica: SlackDriver
) -> None:
    card = await _request(slack)
    await asyncio.gather(
        *[
            driver.click(card, ActionId.APPROVE, user=user)
            for driver, user in ((slack, ADMIN), (second_replica, ADMIN2)) * 2
        ]
    )
    await asyncio.gather(slack.settle(), second_replica.settle())
    events = [(event, detail) for event, _, detail in await _audit(slack)]
    assert [e for e, _ in events].count("request.approved") == 1
    done = sorted(d["action"] for e, d in events if e == "action.done")
    assert done == ["clear_mfa", "delete_app_passwords", "revoke_sessions"]
    assert sum("is done" in dm for dm in _dms(slack)) == 1


def _updated_views(slack: SlackDriver) -> list[str]:
    return [json.dumps(c.params["view"]) for c in slack.fake.calls_to("views.update")]


async def test_the_form_is_acked_with_the_request_it_stored(slack: SlackDriver) -> None:
    step = await _to_contact_it(slack)
    await slack.click(step, ActionId.CONTACT_IT)
    await slack.settle()
    reply = await slack.submit(
        slack.opened_view(),
        {FieldId.LOST: "no", FieldId.REMAINING: "none", FieldId.CONTACT: "+1 555 0101"},
    )
    # The ack itself says the request is stored: no "Sending…" left to hang if the bot dies.
    assert reply.json()["response_action"] == "update"
    assert "Request #1 is with IT" in json.dumps(reply.json()["view"])
    await slack.settle()
    assert _updated_views(slack) == []  # nothing to correct afterwards
    assert "Request #1" in _card(slack).all_text()


async def test_two_forms_opened_at_once_make_one_request(slack: SlackDriver) -> None:
    step = await _to_contact_it(slack)
    await slack.click(step, ActionId.CONTACT_IT)
    await slack.click(step, ActionId.CONTACT_IT)
    await slack.settle()
    first, second = (
        json.loads(c.params["view"]) if isinstance(c.params["view"], str) else c.params["view"]
        for c in slack.fake.calls_to("views.open")[-2:]
    )
    replies = await asyncio.gather(
        slack.submit(
            first, {FieldId.LOST: "no", FieldId.REMAINING: "none", FieldId.CONTACT: "+1 555 0101"}
        ),
        slack.submit(
            second, {FieldId.LOST: "no", FieldId.REMAINING: "none", FieldId.CONTACT: "+1 555 0101"}
        ),
    )
    assert all(reply.json()["response_action"] == "update" for reply in replies)
    acks = [json.dumps(reply.json()["view"]) for reply in replies]
    assert sum("You already have request #1" in ack for ack in acks) == 1
    assert sum("Request #1 is with IT" in ack for ack in acks) == 1
    await slack.settle()
    cards = [
        c
        for c in slack.fake.calls_to("chat.postMessage")
        if c.params["channel"] == DESK and not c.params.get("thread_ts")
    ]
    assert len(cards) == 1
