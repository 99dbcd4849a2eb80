"""The core's alerts and answers as Slack text: mentions, emoji and escaped free text."""

from __future__ import annotations

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
from handlers.blocks.text import escape_mrkdwn


def build_alert_text(alert: HelpdeskAlert) -> str:
    """The help-desk channel's (and security's) line for an alert."""
    match alert:
        case NotMeReported(request=request, revoked=revoked):
            return (
                f":rotating_light: <@{request.requester_id}> says they did NOT ask for request "
                f"#{request.id}. Treat the account as compromised. {build_revocation(revoked)}"
            )
        case ManagerSaidNo(request=request):
            return (
                f":rotating_light: The manager of <@{request.requester_id}> says they did NOT ask "
                f"IT for request #{request.id}. It can no longer be approved."
            )
        case StepUpLocked(actor=actor):
            return (
                f"Step-up for <@{actor}> is locked for 15 minutes after five attempts without "
                "a success."
            )
        case AuthenticatorEnrolled(actor=actor, replaced=replaced):
            what = "replaced their authenticator" if replaced else "set up an authenticator"
            return f":closed_lock_with_key: <@{actor}> {what} for approvals."
        case PrivilegedReset():
            return _privileged_reset(alert)
        case ResetEmailFailed(request=request, why=why):
            return (
                f":warning: The email telling <@{request.requester_id}> about the changes of "
                f"request #{request.id} could not be sent ({escape_mrkdwn(why)}). "
                "Tell them another way, not in Slack alone."
            )
    raise TypeError(f"no Slack text for {type(alert).__name__}")


def _privileged_reset(alert: PrivilegedReset) -> str:
    request = alert.request
    reason = request.privileged_reason
    why = f" ({escape_mrkdwn(reason)})" if reason else ""
    labels = "; ".join(action.label for action in alert.actions)
    outcome = "carried out" if alert.complete else "partly carried out (it failed after)"
    return (
        f":rotating_light: Request #{request.id} for <@{request.requester_id}>, a "
        f"privileged account{why}, was {outcome}: {labels}."
    )


def build_revocation(revoked: RevokeOutcome) -> str:
    """What became of signing the person out again, in one sentence."""
    if revoked.revocation is Revocation.BY_HAND:
        return "Sign-in sessions must be revoked by hand (manual provider)."
    if revoked.revocation is Revocation.FAILED:
        return f"Revoking the sign-in sessions again failed: {revoked.error}"
    return "The account's sign-in sessions were revoked again."


def build_not_me_reply(answer: NotMeAnswer) -> str:
    """What the employee who reported "this wasn't me" reads."""
    if answer.revoked is None:
        return ":rotating_light: You reported this already; IT security has been told."
    return (
        f":rotating_light: Thank you. IT security has been alerted. "
        f"{build_revocation(answer.revoked)}"
    )
