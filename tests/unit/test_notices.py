"""The core's typed notices rendered as the Slack texts the help desk and security read."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.domain.identity import ResetAction
from bot.domain.notices import (
    AuthenticatorEnrolled,
    HelpdeskAlert,
    ManagerSaidNo,
    NotMeAnswer,
    NotMeReported,
    PrivilegedReset,
    ResetEmailFailed,
    Revocation,
    RevokeOutcome,
    StepUpLocked,
)
from bot.domain.requests import ContactForm, HelpRequest, Remaining, Status
from handlers.blocks.notices import build_alert_text, build_not_me_reply
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
    assert build_not_me_reply(NotMeAnswer(None)) == (
        ":rotating_light: You reported this already; IT security has been told."
    )
    assert build_not_me_reply(NotMeAnswer(RevokeOutcome(Revocation.REVOKED))) == (
        ":rotating_light: Thank you. IT security has been alerted. "
        "The account's sign-in sessions were revoked again."
    )
    assert build_not_me_reply(NotMeAnswer(FAILED)) == (
        ":rotating_light: Thank you. IT security has been alerted. "
        "Revoking the sign-in sessions again failed: throttled (429)"
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
