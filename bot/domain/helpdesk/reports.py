"""Reports of an attack and the alerts they raise: "this wasn't me" on a request, Report it for a
sign-in prompt the person didn't start, and an IT admin's claim of the alert."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.domain.errors import (
    AlreadyOpenError,
    AlreadySubmittedError,
    NotAnAdminError,
    NotRequesterError,
)
from bot.domain.guide import WalkOutcome
from bot.domain.helpdesk.announce import Announcer
from bot.domain.helpdesk.config import REQUEST_WINDOW, SYSTEM
from bot.domain.helpdesk.core import Core, provider_ids
from bot.domain.identity import IdentityError
from bot.domain.notices import (
    AlertClaim,
    NotMeAnswer,
    NotMeReported,
    PromptAnswer,
    PromptReported,
    Revocation,
    RevokeOutcome,
)
from bot.domain.platform import Platform, platform_of
from bot.domain.ports import WorkKind
from bot.domain.requests import (
    PROMPT_TOPIC,
    AuditEntry,
    Change,
    ContactForm,
    HelpRequest,
    Intake,
    Status,
    propose_actions,
)
from bot.domain.walks import WalkRecord, Walks
from bot.domain.workspace import within

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PromptReport:
    """Report it, pressed on the last step of the walk about a prompt the person didn't start."""

    team_id: str
    user_id: str
    walk_id: str
    platform: Platform = Platform.SLACK


# What the request filed by Report it says IT was told (no form is shown: the person is asked
# nothing while someone may be signing in as them).
_PROMPT_DESCRIPTION = (
    "Got a sign-in prompt they didn't start, and reported it from the guide. Someone may know "
    "their password."
)
_PROMPT_CONTACT = "Not asked: call them back on a number you already know."


class Reports:
    """What an employee reports and the alert each raises, until an admin claims it."""

    def __init__(self, core: Core, walks: Walks, announcer: Announcer) -> None:
        self._core = core
        self._walks = walks
        self._announcer = announcer

    async def report_not_me(self, request_id: int, user_id: str) -> NotMeAnswer:
        """The employee says they never asked: flag the request, alert the help desk (and
        security), and sign them out again where the provider can."""
        core = self._core
        request = await core.get(request_id)
        if request.requester_id != user_id:
            raise await core.refused(user_id, request.id, NotRequesterError("not yours"))
        audit = AuditEntry(core.clock.now(), user_id, "request.reported_not_me", request.id)
        password_url = core.config.password_url
        if not await core.requests.mark_suspicious(request.id, audit):
            return NotMeAnswer(None, request.id, password_url)
        revoked = await self._revoke_again(request)
        await core.notify(request.id, Change.REPORTED, user_id)
        await core.notifier.tell(NotMeReported(request, revoked))
        return NotMeAnswer(revoked, request.id, password_url)

    async def report_prompt(self, sent: PromptReport) -> PromptAnswer:
        """The employee got a sign-in prompt they didn't start: security and the help desk are
        alerted at once, and a request proposing to revoke their sessions is filed (IT resets
        the password by hand). A second press of the same walk's button files nothing more; with
        another request of theirs in progress, the alert names that one and nothing is filed.
        Not held to `requests_per_hour`: a report of an attack is never turned away."""
        core = self._core
        walk = await self._reporting_walk(sent)
        now = core.clock.now()
        key = f"prompt:{walk.id}"
        intake = await core.requests.intake_of(sent.user_id, key, now - REQUEST_WINDOW)
        if intake.submitted_as is not None:
            return self._prompt_answer(intake.submitted_as, again=True)
        if intake.open_request is not None:
            return await self._prompt_beside(await core.get(intake.open_request), walk)
        # What they chose on the way ("I approved it by mistake") is on the card.
        tried = self._walks.facts_of(walk).tried
        request = self._prompt_request(sent, intake, key, tried)
        audit = AuditEntry(
            now, sent.user_id, "request.created", detail={"topic": PROMPT_TOPIC, "reported": True}
        )
        try:
            stored = await core.requests.create_request(request, audit, announcing_at=now)
        except AlreadySubmittedError as replay:  # the same press, stored by another replica
            return self._prompt_answer(replay.request_id, again=True)
        except AlreadyOpenError as other:
            return await self._prompt_beside(await core.get(other.request_id), walk)
        core.later(self._announcer.announce_new(stored), "confirm-request", WorkKind.FOLLOW_UP)
        core.later(
            self._walks.escalate(sent.walk_id, sent.user_id), "walk-escalated", WorkKind.CARD
        )
        await core.notifier.tell(PromptReported(stored, filed=True))
        return self._prompt_answer(stored.id, filed=True)

    async def _reporting_walk(self, sent: PromptReport) -> WalkRecord:
        """The person's walk, on a step that offers Report it; NotRequesterError (audited)
        for any other: a report is theirs, from where the guide offers it."""
        walk = await self._walks.mine(sent.walk_id, sent.user_id)
        if walk is None or not self._offers_report(walk):
            refusal = NotRequesterError("no walk of theirs offers Report it")
            raise await self._core.refused(sent.user_id, None, refusal)
        return walk

    def _offers_report(self, walk: WalkRecord) -> bool:
        try:
            return self._walks.guide.step(walk.state.topic_id, walk.state.current).report_prompt
        except KeyError:  # the guide changed since the step was shown
            return False

    async def _prompt_beside(self, other: HelpRequest, walk: WalkRecord) -> PromptAnswer:
        """A prompt reported while `other`, a request of theirs, is in progress: the one filed
        by an earlier report is that report; another is named in the alert (audited), once per
        walk."""
        if other.topic_id == PROMPT_TOPIC or walk.state.outcome is WalkOutcome.ESCALATED:
            return self._prompt_answer(other.id, again=True)
        core = self._core
        audit = AuditEntry(core.clock.now(), walk.user_id, "request.prompt_reported", other.id)
        await core.requests.record_audit(audit)
        await self._walks.escalate(walk.id, walk.user_id)
        await core.notifier.tell(PromptReported(other, filed=False))
        return self._prompt_answer(other.id)

    def _prompt_answer(
        self, request_id: int, *, filed: bool = False, again: bool = False
    ) -> PromptAnswer:
        return PromptAnswer(request_id, filed, again, self._core.config.password_url)

    def _prompt_request(
        self, sent: PromptReport, intake: Intake, key: str, tried: tuple[str, ...]
    ) -> HelpRequest:
        """The request a report files: no form was shown, so it asks and claims nothing."""
        config, now = self._core.config, self._core.clock.now()
        form = ContactForm(_PROMPT_DESCRIPTION, None, None, None, contact=_PROMPT_CONTACT)
        return HelpRequest(
            id=0,
            team_id=sent.team_id,
            requester_id=sent.user_id,
            topic_id=PROMPT_TOPIC,
            walk_id=sent.walk_id,
            form=form,
            proposed=propose_actions(PROMPT_TOPIC, None),
            tried=tried,
            status=Status.OPEN,
            created_at=now,
            expires_at=now + config.ttl,
            updated_at=now,
            privileged=True,  # not assessed yet (announce_new does it)
            privileged_reason=None,
            reported_before=intake.reported_not_me,
            submission_key=key,
            announce_owner=self._core.run_owner(),
            platform=sent.platform,
        )

    async def _revoke_again(self, request: HelpRequest) -> RevokeOutcome:
        core = self._core
        if not core.provider.revokes_sessions:
            return RevokeOutcome(Revocation.BY_HAND)
        try:
            user = await core.find_person(request)
            result = await core.provider.revoke_sessions(user)
        except IdentityError as exc:
            log.warning("revoking sessions again for request #%s failed: %s", request.id, exc)
            return RevokeOutcome(Revocation.FAILED, str(exc))
        await core.requests.record_audit(
            AuditEntry(
                core.clock.now(),
                SYSTEM,
                "action.done",
                request.id,
                {
                    "action": "revoke_sessions",
                    "why": "reported_not_me",
                    "directory_object_id": user.id,
                    **provider_ids(result.provider_request_id, result.client_request_id),
                },
            )
        )
        return RevokeOutcome(Revocation.REVOKED)

    async def claim_alert(self, request_id: int, actor: str) -> AlertClaim:
        """`actor` takes the alert about the request (audited), or learns who has it already;
        NotAnAdminError (audited) unless they are an IT admin of the request's platform."""
        core = self._core
        request = await core.get(request_id)
        same_platform = platform_of(actor) is request.platform
        with within(request.team_id):  # the admins of the request's own workspace
            admin = same_platform and await core.admins.is_admin(actor)
        if not admin:
            raise await core.refused(actor, request.id, NotAnAdminError("admins only"))
        audit = AuditEntry(core.clock.now(), actor, "alert.claimed", request.id)
        taken = await core.requests.claim_alert(request.id, audit)
        claimed = await core.get(request.id)
        return AlertClaim(claimed, claimed.alert_claimed_by or actor, taken)
