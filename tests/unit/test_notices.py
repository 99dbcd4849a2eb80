"""The core's typed notices rendered as the Slack texts the help desk and security read."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot import wording
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
    ActionItem,
    ActionStatus,
    Change,
    ContactForm,
    HelpRequest,
    Remaining,
    Status,
)
from handlers.blocks.helpdesk import build_employee_notice, build_secret_notice, build_thread_note
from handlers.blocks.notices import (
    build_alert,
    build_alert_text,
    build_claim_refusal,
    build_claimed_alert,
    build_not_me_reply,
    build_prompt_reply,
)
from handlers.ids import ActionId
from teams.cards.notices import build_alert as build_teams_alert

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)
REQUEST = HelpRequest(
    id=7,
    team_id="T0TEAM",
    requester_id="U1",
    topic_id="lost-phone",
    walk_id=None,
    form=ContactForm("lost it", True, Remaining.NONE, None, "+1 555 0100"),
    proposed=(ResetAction.CLEAR_MFA,),
    tried=(),
    status=Status.EXECUTING,
    created_at=NOW,
    expires_at=NOW,
    updated_at=NOW,
    privileged=True,
    privileged_reason="an IT admin <@U9> & co",
)
FAILED = RevokeOutcome(Revocation.FAILED, "throttled (429)")


@pytest.mark.parametrize(
    ("alert", "text", "for_security"),
    [
        (
            NotMeReported(REQUEST, RevokeOutcome(Revocation.REVOKED)),
            ":rotating_light: <@U1> says they did NOT ask for request #7. Treat the account as "
            "compromised. The account's sign-in sessions were revoked again.",
            True,
        ),
        (
            NotMeReported(REQUEST, RevokeOutcome(Revocation.BY_HAND)),
            ":rotating_light: <@U1> says they did NOT ask for request #7. Treat the account as "
            "compromised. Sign-in sessions must be revoked by hand (manual provider).",
            True,
        ),
        (
            NotMeReported(REQUEST, FAILED),
            ":rotating_light: <@U1> says they did NOT ask for request #7. Treat the account as "
            "compromised. Revoking the sign-in sessions again failed: throttled (429)",
            True,
        ),
        (
            PromptReported(replace(REQUEST, topic_id="unexpected-prompt"), filed=True),
            ":rotating_light: <@U1> got a sign-in prompt they didn't start: someone may know "
            "their password. Request #7 proposes revoking their sign-in sessions; reset their "
            "password in the admin portal. Call them back on a number you already know.",
            True,
        ),
        (
            PromptReported(REQUEST, filed=False),
            ":rotating_light: <@U1> got a sign-in prompt they didn't start: someone may know "
            "their password. Their request #7 is still in progress: decide on it with this in "
            "mind, and reset their password in the admin portal.",
            True,
        ),
        (
            ManagerSaidNo(REQUEST),
            ":rotating_light: The manager of <@U1> says they did NOT ask IT for request #7. "
            "It can no longer be approved.",
            True,
        ),
        (
            StepUpLocked("UADMIN"),
            "Step-up for <@UADMIN> is locked for 15 minutes after five attempts without a success.",
            True,
        ),
        (
            AuthenticatorEnrolled("UADMIN", replaced=False),
            ":closed_lock_with_key: <@UADMIN> set up an authenticator for approvals.",
            False,
        ),
        (
            AuthenticatorEnrolled("UADMIN", replaced=True),
            ":closed_lock_with_key: <@UADMIN> replaced their authenticator for approvals.",
            True,
        ),
        (
            PrivilegedReset(
                REQUEST, (ResetAction.CLEAR_MFA, ResetAction.REVOKE_SESSIONS), complete=True
            ),
            ":rotating_light: Request #7 for <@U1>, a privileged account (an IT admin &lt;@U9&gt; "
            "&amp; co), was carried out: Clear MFA settings (register again at next sign-in); "
            "Revoke remembered devices and sign-in sessions.",
            True,
        ),
        (
            PrivilegedReset(REQUEST, (ResetAction.DELETE_APP_PASSWORDS,), complete=False),
            ":rotating_light: Request #7 for <@U1>, a privileged account (an IT admin &lt;@U9&gt; "
            "&amp; co), was partly carried out (it failed after): Delete app passwords.",
            True,
        ),
        (
            ResetEmailFailed(REQUEST, "550 <a***@example.com> rejected"),
            ":warning: The email telling <@U1> about the changes of request #7 could not be sent "
            "(550 &lt;a***@example.com&gt; rejected). Tell them another way, not in Slack alone.",
            False,
        ),
    ],
)
def test_each_alert_reads_as_before(alert: HelpdeskAlert, text: str, for_security: bool) -> None:
    assert build_alert_text(alert) == text
    assert alert.for_security is for_security


def test_a_privileged_reset_without_a_reason_names_none() -> None:
    request = replace(REQUEST, privileged_reason=None)
    text = build_alert_text(PrivilegedReset(request, (ResetAction.ISSUE_TAP,), complete=True))
    assert text == (
        ":rotating_light: Request #7 for <@U1>, a privileged account, was carried out: "
        "Issue a temporary access pass."
    )


def test_the_employee_who_reported_reads_what_was_done() -> None:
    url = "https://mysignins.microsoft.com/security-info"
    assert build_not_me_reply(NotMeAnswer(None, 7, url)) == (
        ":rotating_light: You reported request #7 already, thank you: IT security has it and "
        "nothing more is needed from you.\nIf you haven't yet, change your password now: open "
        f"<{url}|your security info> and choose Password."
    )
    assert build_not_me_reply(NotMeAnswer(RevokeOutcome(Revocation.REVOKED), 7, url)) == (
        ":rotating_light: Thank you. IT security has been alerted about request #7. "
        "The account's sign-in sessions were revoked again.\n"
        f"*Change your password now*: open <{url}|your security info> and choose Password.\n"
        "Someone from the IT help desk will contact you about it. IT will never ask you for "
        "your password or your verification codes."
    )
    assert "Revoking the sign-in sessions again failed: throttled (429)" in build_not_me_reply(
        NotMeAnswer(FAILED)
    )
    # Without a link, the sentence still reads.
    assert "change your password now from a device you trust." in build_not_me_reply(
        NotMeAnswer(None)
    )


def test_the_employee_who_reported_a_prompt_reads_what_to_do_now() -> None:
    url = "https://mysignins.microsoft.com/security-info"
    filed = build_prompt_reply(PromptAnswer(12, filed=True, again=False, password_url=url)).text
    assert "IT security and the help desk have been alerted" in filed
    assert "once an admin approves request #12" in filed
    assert f"*Change your password now*: open <{url}|your security info>" in filed
    assert "Someone from the IT help desk will contact you" in filed
    beside = build_prompt_reply(PromptAnswer(3, filed=False, again=False, password_url=url)).text
    assert "with your request #3, which is still in progress" in beside
    again = build_prompt_reply(PromptAnswer(12, filed=False, again=True, password_url=url)).text
    assert "You reported this already, thank you: IT security has it as request #12" in again
    assert "Thank you. IT security and the help desk" not in again


def test_an_alert_about_a_request_has_a_claim_button_and_others_none() -> None:
    claimable = build_alert(NotMeReported(REQUEST, FAILED))
    assert not isinstance(claimable, str)
    buttons = [e for b in claimable.blocks for e in getattr(b, "elements", None) or []]
    assert [(e.action_id, e.value) for e in buttons] == [(ActionId.CLAIM_ALERT, "7")]
    assert claimable.text == build_alert_text(NotMeReported(REQUEST, FAILED))
    assert build_alert(StepUpLocked("UADMIN")) == build_alert_text(StepUpLocked("UADMIN"))


def test_a_claimed_alert_says_who_has_it() -> None:
    reported = replace(REQUEST, reported_not_me_at=NOW, alert_claimed_by="UADMIN")
    claim = AlertClaim(reported, "UADMIN", taken=True)
    assert build_claimed_alert(claim).text == (
        ":rotating_light: <@U1> says they did NOT ask for request #7. "
        ":raising_hand: <@UADMIN> is on it."
    )
    prompt = AlertClaim(replace(REQUEST, topic_id="unexpected-prompt"), "UADMIN", taken=False)
    assert "got a sign-in prompt they didn't start (request #7)" in build_claimed_alert(prompt).text
    assert build_claim_refusal(prompt) == (
        "<@UADMIN> has this one already. Thank you for checking."
    )


def test_a_providers_error_is_shown_as_sent_never_as_markup() -> None:
    hostile = RevokeOutcome(
        Revocation.FAILED, "<!channel> *urgent* [reset here](https://evil.test)"
    )
    slack = build_alert_text(NotMeReported(REQUEST, hostile))
    assert "<!channel>" not in slack
    assert "&lt;!channel&gt;" in slack
    body = json.dumps(build_teams_alert(NotMeReported(REQUEST, hostile))["body"])
    assert "[reset here](https://evil.test)" not in body
    assert "\\\\[reset here\\\\]" in body


@pytest.mark.parametrize(
    ("zone", "said"),
    [
        ("America/New_York", "at 04:00 America/New_York time on Wednesday 2 December (09:00 UTC)"),
        ("Asia/Tokyo", "at 18:00 Asia/Tokyo time on Wednesday 2 December (09:00 UTC)"),
        (
            "Pacific/Kiritimati",
            "at 23:00 Pacific/Kiritimati time on Wednesday 2 December (09:00 UTC)",
        ),
        ("UTC", "at 09:00 UTC on Wednesday 2 December"),
        (None, "at 09:00 UTC on Wednesday 2 December"),
        ("Not/AZone", "at 09:00 UTC on Wednesday 2 December"),  # a zone Slack gave and we lack
    ],
)
def test_a_pass_expiry_is_written_in_the_persons_zone_with_utc_beside_it(
    zone: str | None, said: str
) -> None:
    assert wording.pass_expiry(NOW, zone) == said


def test_a_pass_notice_says_when_it_expires() -> None:
    text = build_secret_notice(REQUEST, "TAP-1", wording.pass_expiry(NOW)).text
    assert text == "Your temporary access pass"
    shown = build_secret_notice(REQUEST, "TAP-1", wording.pass_expiry(NOW)).blocks[0].text.text
    assert "expires at 09:00 UTC on Wednesday 2 December" in shown


def test_how_to_reach_it_reads_whole_with_and_without_the_setting() -> None:
    assert wording.reach_it("+1 555 0100") == "contact IT (+1 555 0100)"
    assert wording.reach_it(None) == "contact your IT department"


def test_an_approval_is_told_to_the_employee_once_with_its_result_or_as_underway() -> None:
    items = [ActionItem(1, 7, ResetAction.CLEAR_MFA, ActionStatus.DONE, "Cleared 2 methods")]
    assert build_employee_notice(REQUEST, Change.APPROVED, items, None) is None
    underway = build_employee_notice(REQUEST, Change.UNDERWAY, items, None)
    assert underway is not None
    assert "IT approved your request #7 and is making these changes" in underway.text
    assert "I'll message you again" in underway.blocks[0].text.text


@pytest.mark.parametrize(
    "change", [Change.ACTION_WAITING, Change.ACTION_RETRYING, Change.UNDERWAY, Change.ACTION_DONE]
)
def test_an_actions_own_progress_writes_no_thread_line(change: Change) -> None:
    items = [ActionItem(1, 7, ResetAction.CLEAR_MFA, ActionStatus.DONE, "Cleared 2 methods")]
    assert build_thread_note(REQUEST, change, None, items) is None


def test_a_failure_while_a_manual_step_waits_is_a_thread_line() -> None:
    items = [
        ActionItem(1, 7, ResetAction.DELETE_APP_PASSWORDS, ActionStatus.MANUAL, "by hand"),
        ActionItem(2, 7, ResetAction.REVOKE_SESSIONS, ActionStatus.FAILED, "403"),
    ]
    note = build_thread_note(REQUEST, Change.ACTION_FAILED, None, items)
    assert note is not None
    assert "It can be retried now" in note
    alone = [replace(items[1])]
    assert build_thread_note(REQUEST, Change.ACTION_FAILED, None, alone) is None
