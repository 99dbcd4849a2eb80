"""The help desk's policy on in-memory doubles and a fixed clock: who decides, two approvers,
reported and expired requests, the cooldown flag, backoff, lease take-over, step-up."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pyotp
import pytest

from bot.crypto import SecretBox, new_key
from bot.domain.errors import (
    AlreadyDecidedError,
    IncompleteFormError,
    NoReasonError,
    NotAnAdminError,
    NothingSelectedError,
    NotRequesterError,
    OwnRequestError,
    RequestExpiredError,
    SameApproverError,
    SuspiciousError,
    WrongPlaceError,
)
from bot.domain.guide import Move, WalkOutcome
from bot.domain.helpdesk import (
    ACTION_LEASE,
    Approve,
    Deny,
    Helpdesk,
    HelpdeskConfig,
    Place,
    Retry,
)
from bot.domain.identity import ResetAction, TemporaryIdentityError
from bot.domain.notices import Notice, PromptReported, StepUpLocked
from bot.domain.requests import ActionStatus, AuditEntry, ContactForm, Remaining, Status
from bot.domain.stepup import (
    LockedOutError,
    NotEnrolledError,
    ReplayedCodeError,
    StepUp,
    WrongCodeError,
)
from bot.domain.walks import Surface, Walks
from bot.guide import load_guide
from storage.memory import (
    MemoryAuthenticatorStore,
    MemoryRequestRepository,
    MemoryWalkRepository,
)
from tests.conftest import FixedClock
from tests.fakes.core import FlakyDirectory, Later, Notices, People

DESK = Place("T0TEAM", "C0DESK")
FORM = ContactForm("lost it", False, Remaining.NONE, None, "+1 555 0100")
GUIDE = load_guide()


@dataclass
class Roster:
    """Two IT admins; UVIP is privileged without being one."""

    admins: frozenset[str] = frozenset({"UA1", "UA2"})
    privileged: frozenset[str] = frozenset({"UVIP"})

    async def is_admin(self, user_id: str) -> bool:
        return user_id in self.admins

    async def is_privileged(self, user_id: str) -> bool:
        return user_id in self.privileged | self.admins

    async def privilege_reasons(self, user_id: str) -> tuple[str, ...]:
        return ("listed",) if await self.is_privileged(user_id) else ()


@dataclass
class Alerts(Notices):
    """Notices that also keep the help desk's alerts."""

    alerts: list[Notice] = field(default_factory=list)

    async def tell(self, notice: Notice) -> None:
        await super().tell(notice)
        self.alerts.append(notice)


@dataclass
class Desk:
    service: Helpdesk
    repo: MemoryRequestRepository
    clock: FixedClock
    directory: FlakyDirectory
    later: Later
    notices: Alerts
    walks: MemoryWalkRepository


def _desk(stepup: bool = False) -> Iterator[Desk]:
    clock, repo, later = FixedClock(), MemoryRequestRepository(), Later()
    walks = MemoryWalkRepository()
    directory, notices = FlakyDirectory(), Alerts()
    box = StepUp(MemoryAuthenticatorStore(), SecretBox(new_key()), clock) if stepup else None
    service = Helpdesk(
        HelpdeskConfig(channel_id="C0DESK", ttl=timedelta(hours=1)),
        repo,
        Walks(GUIDE, walks, clock),
        directory,
        Roster(),
        People(),
        notices,
        clock,
        box,
        background=later,
    )
    yield Desk(service, repo, clock, directory, later, notices, walks)
    later.drop()


@pytest.fixture
def desk() -> Iterator[Desk]:
    yield from _desk()


@pytest.fixture
def guarded() -> Iterator[Desk]:
    """A help desk whose decisions are confirmed with the admin's authenticator code."""
    yield from _desk(stepup=True)


async def _request(desk: Desk, user: str = "U1") -> int:
    request = (await desk.service.submit("T0TEAM", user, "lost-phone", None, FORM)).request
    await desk.later.run()  # its card
    return request.id


async def _refusals(desk: Desk) -> list[str]:
    audit = await desk.repo.audit_since(desk.clock.now() - timedelta(days=1))
    return [str((e.detail or {})["reason"]) for e in audit if e.event == "decision.refused"]


async def test_a_form_missing_a_required_answer_is_never_stored(desk: Desk) -> None:
    unanswered = ContactForm("lost it", None, None, None, "+1 555 0100")
    with pytest.raises(IncompleteFormError) as caught:
        await desk.service.submit("T0TEAM", "U1", "lost-phone", None, unanswered)
    assert set(caught.value.problems) == {"lost_or_stolen", "remaining"}
    assert await desk.repo.active_request_of("U1") is None
    assert desk.later.waiting == []
    # The app-password topic asks neither question: the same form is stored, claiming nothing.
    stored = (await desk.service.submit("T0TEAM", "U1", "app-passwords", None, unanswered)).request
    assert (stored.form.lost_or_stolen, stored.form.remaining) == (None, None)


@pytest.mark.parametrize(
    ("actor", "place", "refusal"),
    [
        ("USTRANGER", DESK, NotAnAdminError),
        ("UA1", Place("T0OTHER", "C0DESK"), WrongPlaceError),
        ("UA1", Place("T0TEAM", "C0ELSEWHERE"), WrongPlaceError),
        ("UA1", Place("T0TEAM", ""), WrongPlaceError),
    ],
)
async def test_only_an_admin_on_the_card_decides(
    desk: Desk, actor: str, place: Place, refusal: type[Exception]
) -> None:
    request_id = await _request(desk)
    for choice in (Approve(request_id, (ResetAction.CLEAR_MFA,)), Deny(request_id, "no")):
        with pytest.raises(refusal):
            await desk.service.decide(choice, actor, place)
    assert (await desk.service.get(request_id)).status is Status.OPEN
    assert len(await _refusals(desk)) == 2
    assert desk.later.waiting == []


async def test_nobody_decides_on_their_own_request(desk: Desk) -> None:
    request_id = await _request(desk, "UA1")
    with pytest.raises(OwnRequestError):
        await desk.service.decide(Approve(request_id, (ResetAction.CLEAR_MFA,)), "UA1", DESK)
    assert await _refusals(desk) == [OwnRequestError.code]


async def test_nothing_ticked_is_refused_before_the_code_is_asked_and_at_the_decision(
    desk: Desk,
) -> None:
    request_id = await _request(desk)
    with pytest.raises(NothingSelectedError):
        await desk.service.precheck(Approve(request_id, ()), "UA1", DESK)
    with pytest.raises(NothingSelectedError):
        await desk.service.decide(Approve(request_id, ()), "UA1", DESK)
    assert (await desk.service.get(request_id)).status is Status.OPEN


async def test_a_denial_without_a_reason_is_refused_and_audited(desk: Desk) -> None:
    request_id = await _request(desk)
    for blank in ("", "   \n"):
        with pytest.raises(NoReasonError):
            await desk.service.decide(Deny(request_id, blank), "UA1", DESK)
    assert (await desk.service.get(request_id)).status is Status.OPEN
    refused = [
        e for e in await desk.repo.audit_since(desk.clock.now()) if e.event == "decision.refused"
    ]
    assert [e.detail for e in refused] == [{"reason": "no_reason"}] * 2
    await desk.service.decide(Deny(request_id, "not via the help desk"), "UA1", DESK)
    assert (await desk.service.get(request_id)).status is Status.DENIED


async def test_an_approval_is_recorded_then_its_follow_up_runs_the_actions(desk: Desk) -> None:
    request_id = await _request(desk)
    approved = await desk.service.decide(Approve(request_id, (ResetAction.CLEAR_MFA,)), "UA1", DESK)
    assert (approved.status, approved.decided_by) == (Status.APPROVED, "UA1")
    assert desk.directory.calls == []  # nothing runs before the follow-up
    await desk.later.run()
    assert desk.directory.calls == ["clear_mfa", "revoke_sessions"]  # revocation added
    assert (await desk.service.get(request_id)).status is Status.DONE
    with pytest.raises(AlreadyDecidedError):
        await desk.service.decide(Deny(request_id, "too late"), "UA2", DESK)


async def test_a_privileged_account_needs_two_admins_and_runs_what_both_approved(
    desk: Desk,
) -> None:
    request_id = await _request(desk, "UVIP")
    both = (ResetAction.CLEAR_MFA, ResetAction.DELETE_APP_PASSWORDS)
    first = await desk.service.decide(Approve(request_id, both), "UA1", DESK)
    assert (first.status, first.first_approver) == (Status.OPEN, "UA1")
    with pytest.raises(SameApproverError):
        await desk.service.decide(Approve(request_id, both), "UA1", DESK)
    await desk.service.decide(
        Approve(request_id, (ResetAction.CLEAR_MFA, ResetAction.ISSUE_TAP)), "UA2", DESK
    )
    await desk.later.run()
    assert desk.directory.calls == ["clear_mfa", "revoke_sessions"]  # the TAP: only one approved
    assert (await desk.service.get(request_id)).status is Status.DONE


async def test_a_reported_request_is_neither_approved_nor_retried(desk: Desk) -> None:
    request_id = await _request(desk)
    answer = await desk.service.report_not_me(request_id, "U1")
    assert answer.revoked is not None
    assert desk.directory.calls == ["revoke_sessions"]  # signed out again at once
    with pytest.raises(SuspiciousError):
        await desk.service.decide(Approve(request_id, (ResetAction.CLEAR_MFA,)), "UA1", DESK)
    assert (await desk.service.report_not_me(request_id, "U1")).revoked is None  # once


async def test_after_a_report_a_pass_needs_two_admins_and_other_actions_one(desk: Desk) -> None:
    reported = await _request(desk)
    await desk.service.report_not_me(reported, "U1")
    await desk.service.cancel(reported, "U1")
    later = await _request(desk)
    assert (await desk.service.get(later)).reported_before == reported
    tap = (ResetAction.DELETE_APP_PASSWORDS, ResetAction.ISSUE_TAP)
    first = await desk.service.decide(Approve(later, tap), "UA1", DESK)
    assert (first.status, first.first_approver) == (Status.OPEN, "UA1")
    with pytest.raises(SameApproverError):
        await desk.service.decide(Approve(later, tap), "UA1", DESK)
    # The second admin unticks the pass: only what both approved runs, and no pass.
    second = await desk.service.decide(
        Approve(later, (ResetAction.DELETE_APP_PASSWORDS,)), "UA2", DESK
    )
    assert second.status is Status.APPROVED
    await desk.later.run()
    assert desk.directory.calls[-1:] == ["delete_app_passwords"]
    assert "issue_tap" not in desk.directory.calls
    # Without a pass, one admin is enough.
    third = await _request(desk)
    done = await desk.service.decide(
        Approve(third, (ResetAction.DELETE_APP_PASSWORDS,)), "UA1", DESK
    )
    assert done.status is Status.APPROVED


async def test_a_prompt_reported_twice_files_one_request_and_alerts_once(desk: Desk) -> None:
    walks = Walks(GUIDE, desk.walks, desk.clock)
    walk = await walks.start("T0TEAM", "U1", "unexpected-prompt", Surface.DM)
    with pytest.raises(NotRequesterError):  # its first step offers no Report it
        await desk.service.report_prompt("T0TEAM", "U1", walk.id)
    walk = await walks.move(walk.id, "U1", walk.state.current, Move.NEXT)
    with pytest.raises(NotRequesterError):  # nor is it anyone else's to report
        await desk.service.report_prompt("T0TEAM", "U2", walk.id)
    answer = await desk.service.report_prompt("T0TEAM", "U1", walk.id)
    assert (answer.filed, answer.again) == (True, False)
    again = await desk.service.report_prompt("T0TEAM", "U1", walk.id)
    assert (again.request_id, again.filed, again.again) == (answer.request_id, False, True)
    request = await desk.service.get(answer.request_id)
    assert request.proposed == (ResetAction.REVOKE_SESSIONS,)
    assert (request.form.lost_or_stolen, request.form.remaining) == (None, None)
    alerts = [n for n in desk.notices.alerts if isinstance(n, PromptReported)]
    assert len(alerts) == 1
    await desk.later.run()
    assert (await desk.walks.get_walk(walk.id)).state.outcome is WalkOutcome.ESCALATED  # type: ignore[union-attr]


async def test_only_an_admin_claims_an_alert_and_the_first_keeps_it(desk: Desk) -> None:
    request_id = await _request(desk)
    with pytest.raises(NotAnAdminError):
        await desk.service.claim_alert(request_id, "U1")
    first = await desk.service.claim_alert(request_id, "UA1")
    second = await desk.service.claim_alert(request_id, "UA2")
    assert (first.taken, first.claimed_by) == (True, "UA1")
    assert (second.taken, second.claimed_by) == (False, "UA1")
    assert "not_an_admin" in await _refusals(desk)


async def test_a_request_past_its_time_is_expired_by_the_click(desk: Desk) -> None:
    request_id = await _request(desk)
    desk.clock.advance(hours=1)
    with pytest.raises(RequestExpiredError):
        await desk.service.precheck(Deny(request_id), "UA1", DESK)
    assert (await desk.service.get(request_id)).status is Status.EXPIRED
    assert await desk.service.expire_due() == []  # expired once


async def test_a_form_from_a_walk_marks_the_walk_escalated_once_its_follow_up_runs(
    desk: Desk,
) -> None:
    guide = Walks(GUIDE, desk.walks, desk.clock)
    walk = await guide.start("T0TEAM", "U1", "lost-phone", Surface.DM)
    sent = await desk.service.submit("T0TEAM", "U1", "lost-phone", walk.id, FORM, "V1")
    assert sent.new
    assert (await desk.walks.get_walk(walk.id)) == walk  # nothing changes before the follow-up
    await desk.later.run()
    escalated = await desk.walks.get_walk(walk.id)
    assert escalated is not None
    assert escalated.state.outcome is WalkOutcome.ESCALATED
    again = await desk.service.submit("T0TEAM", "U1", "lost-phone", walk.id, FORM, "V1")
    assert (again.new, again.request.id) == (False, sent.request.id)
    assert desk.later.waiting == []  # a form sent again schedules nothing again


async def test_a_reset_within_the_cooldown_is_flagged_on_the_next_request(desk: Desk) -> None:
    first = await _request(desk)
    await desk.service.decide(Approve(first, (ResetAction.DELETE_APP_PASSWORDS,)), "UA1", DESK)
    await desk.later.run()
    desk.clock.advance(hours=2)
    second = await desk.service.get(await _request(desk))
    assert second.recent_reset_at is not None


async def test_a_throttled_action_backs_off_and_a_failed_request_is_retried(desk: Desk) -> None:
    desk.directory.errors = [TemporaryIdentityError("503")] * 5
    request_id = await _request(desk)
    await desk.service.decide(Approve(request_id, (ResetAction.DELETE_APP_PASSWORDS,)), "UA1", DESK)
    await desk.later.run()
    for wait_s in (2, 4, 8, 16):
        desk.clock.advance(seconds=wait_s - 1)
        assert await desk.service.work_due() == []  # not before its backoff
        desk.clock.advance(seconds=1)
        assert await desk.service.work_due() == [request_id]
    assert (await desk.service.get(request_id)).status is Status.FAILED
    await desk.service.decide(Retry(request_id), "UA2", DESK)
    await desk.later.run()
    assert (await desk.service.get(request_id)).status is Status.DONE


async def test_an_approval_whose_replica_died_before_running_it_is_resumed(desk: Desk) -> None:
    request_id = await _request(desk)
    await desk.service.decide(Approve(request_id, (ResetAction.DELETE_APP_PASSWORDS,)), "UA1", DESK)
    desk.later.drop()  # the replica that approved died before carrying it out
    assert await desk.service.resume_unfinished() == [request_id]  # another one resumes it
    assert desk.directory.calls == ["delete_app_passwords"]
    [item] = await desk.repo.actions_of(request_id)
    assert item.status is ActionStatus.DONE


async def test_an_action_held_by_a_dead_worker_is_taken_over_after_its_lease(desk: Desk) -> None:
    request_id = await _request(desk)
    await desk.service.decide(Approve(request_id, (ResetAction.DELETE_APP_PASSWORDS,)), "UA1", DESK)
    desk.later.drop()
    audit = AuditEntry(desk.clock.now(), "system", "request.executing", request_id)
    assert await desk.repo.transition(
        request_id, frozenset({Status.APPROVED}), Status.EXECUTING, audit
    )
    [item] = await desk.repo.actions_of(request_id)
    now = desk.clock.now()
    assert await desk.repo.claim_action(item.id, now, now + ACTION_LEASE, "dead:run")
    desk.clock.advance(seconds=ACTION_LEASE.total_seconds() - 1)
    assert await desk.service.work_due() == []  # still held
    desk.clock.advance(seconds=2)
    assert await desk.service.work_due() == [request_id]
    assert desk.directory.calls == ["delete_app_passwords"]
    assert (await desk.service.get(request_id)).status is Status.DONE


def _code(secret: str, desk: Desk) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(desk.clock.now()))


async def _enrolled(desk: Desk, admin: str) -> str:
    _, secret = await desk.service.begin_enrollment(admin)
    await desk.service.confirm_enrollment(admin, _code(secret, desk))
    desk.clock.advance(seconds=30)  # the enrollment's code is used
    return secret


async def test_step_up_asks_an_enrolled_admin_for_a_fresh_code(guarded: Desk) -> None:
    request_id = await _request(guarded)
    choice = Approve(request_id, (ResetAction.CLEAR_MFA,))
    with pytest.raises(NotEnrolledError):
        await guarded.service.precheck(choice, "UA1", DESK)
    secret = await _enrolled(guarded, "UA1")
    await guarded.service.precheck(choice, "UA1", DESK)
    code = _code(secret, guarded)
    with pytest.raises(WrongCodeError):
        await guarded.service.decide(choice, "UA1", DESK, "000000" if code != "000000" else "1")
    await guarded.service.decide(choice, "UA1", DESK, code)
    assert (await guarded.service.get(request_id)).status is Status.APPROVED


async def test_a_replayed_code_is_refused(guarded: Desk) -> None:
    first, second = await _request(guarded, "U1"), await _request(guarded, "U2")
    secret = await _enrolled(guarded, "UA1")
    code = _code(secret, guarded)
    await guarded.service.decide(Approve(first, (ResetAction.CLEAR_MFA,)), "UA1", DESK, code)
    with pytest.raises(ReplayedCodeError):
        await guarded.service.decide(Approve(second, (ResetAction.CLEAR_MFA,)), "UA1", DESK, code)
    assert (await guarded.service.get(second)).status is Status.OPEN


async def test_five_wrong_codes_lock_step_up_and_alert_security(guarded: Desk) -> None:
    request_id = await _request(guarded)
    await _enrolled(guarded, "UA1")
    choice = Approve(request_id, (ResetAction.CLEAR_MFA,))
    for _ in range(5):
        with pytest.raises(WrongCodeError):
            await guarded.service.decide(choice, "UA1", DESK, "not-a-code")
    assert [a for a in guarded.notices.alerts if isinstance(a, StepUpLocked)] == [
        StepUpLocked("UA1")
    ]
    with pytest.raises(LockedOutError):
        await guarded.service.decide(choice, "UA1", DESK, "123456")
    assert (await guarded.service.get(request_id)).status is Status.OPEN


async def test_the_card_is_for_an_admin_in_the_help_desk_channel_whatever_its_state(
    desk: Desk,
) -> None:
    own = await _request(desk, "UA1")
    request_id = await _request(desk)
    await desk.service.decide(Deny(request_id, "not you"), "UA2", DESK)
    assert (await desk.service.card_of(request_id, "UA1", DESK)).status is Status.DENIED
    assert (await desk.service.card_of(own, "UA1", DESK)).requester_id == "UA1"
    for actor, place, refusal in (
        ("USTRANGER", DESK, NotAnAdminError),
        ("UA1", Place("T0TEAM", "C0ELSEWHERE"), WrongPlaceError),
        ("UA1", Place("T0OTHER", "C0DESK"), WrongPlaceError),
    ):
        with pytest.raises(refusal):
            await desk.service.card_of(request_id, actor, place)
    assert await _refusals(desk) == ["not_an_admin", "wrong_place", "wrong_place"]
