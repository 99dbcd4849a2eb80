"""The request repository's contract: numbering, uniqueness, intake and conditional decisions."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain.errors import AlreadyOpenError, AlreadySubmittedError
from bot.domain.identity import ResetAction
from bot.domain.requests import Intake, Status
from tests.contract.conftest import LATER, NOW, Stores, created, line, new_request

OPEN = frozenset({Status.OPEN})
BOTH = (ResetAction.CLEAR_MFA, ResetAction.REVOKE_SESSIONS)


async def test_a_new_request_is_numbered_stored_and_audited(stores: Stores) -> None:
    repo = stores.requests
    first = await created(stores, "U1")
    second = await created(stores, "U2")
    assert (first.id, second.id) == (1, 2)
    assert await repo.get_request(first.id) == first
    assert await repo.get_request(99) is None
    assert first.form == new_request().form
    assert (first.proposed, first.tried) == (BOTH, ("lost-phone-check",))
    assert first.created_at == NOW
    assert first.created_at.utcoffset() == timedelta(0)
    assert await repo.active_request_of("U2") == second
    assert await repo.requests_in(OPEN) == [first, second]
    [audit, _] = await repo.audit_since(NOW)
    assert (audit.event, audit.actor_id, audit.request_id) == ("request.created", "U1", first.id)


async def test_a_form_submission_makes_one_request(stores: Stores) -> None:
    first = await created(stores, "U1", key="VFORM1")
    cancelled = line("request.cancelled", first.id, actor="U1")
    assert await stores.requests.transition(first.id, OPEN, Status.CANCELLED, cancelled)
    # Only the form's key still stands in the way of the same insert again.
    with pytest.raises(AlreadySubmittedError) as refused:
        await created(stores, "U1", key="VFORM1")
    assert refused.value.request_id == first.id
    assert len(await stores.requests.audit_since(NOW)) == 2


async def test_one_request_in_progress_per_requester(stores: Stores) -> None:
    first = await created(stores, "U1", key="VFORM1")
    with pytest.raises(AlreadyOpenError) as refused:
        await created(stores, "U1", key="VFORM2")
    assert refused.value.request_id == first.id
    assert (await created(stores, "U2")).requester_id == "U2"  # someone else's is no obstacle
    denied = line("request.denied", first.id, actor="UADMIN")
    assert await stores.requests.deny(first.id, "UADMIN", NOW, "no", denied)
    assert (await created(stores, "U1", key="VFORM2")).requester_id == "U1"


async def test_two_replicas_storing_one_form_at_once_store_it_once(stores: Stores) -> None:
    other = await stores.replica()
    request = new_request("U1", key="VFORM1")
    outcomes = await asyncio.gather(
        *(
            repo.create_request(request, line("request.created", actor="U1"))
            for repo in (stores.requests, other.requests) * 3
        ),
        return_exceptions=True,
    )
    [stored] = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert all(isinstance(o, AlreadySubmittedError) for o in refused), refused
    assert {o.request_id for o in refused if isinstance(o, AlreadySubmittedError)} == {stored.id}


async def test_intake_tells_the_replay_the_open_request_the_count_and_the_last_reset(
    stores: Stores,
) -> None:
    repo = stores.requests
    assert await repo.intake_of("U1", "VFORM1", NOW) == Intake(None, None, 0, None)
    old = await created(stores, "U1", key="VOLD", at=NOW - timedelta(hours=2))
    for new in (Status.APPROVED, Status.EXECUTING, Status.DONE):
        done = line(f"request.{new.value}", old.id, at=NOW - timedelta(hours=1))
        assert await repo.transition(old.id, frozenset(Status), new, done)
    current = await created(stores, "U1", key="VFORM1", at=NOW)
    await created(stores, "U2", key="VOTHER", at=NOW)
    intake = await repo.intake_of("U1", "VFORM1", NOW - timedelta(minutes=30))
    assert intake.submitted_as == current.id
    assert intake.open_request == current.id
    assert intake.sent_since == 1  # the old one was sent before the window
    assert intake.last_reset == NOW - timedelta(hours=1)
    assert (await repo.intake_of("U1", None, NOW - timedelta(hours=3))).sent_since == 2
    other = (await repo.intake_of("U1", "VOTHER", NOW)).submitted_as
    assert other not in (None, current.id)  # the form's request, whoever sent it


async def test_a_transition_happens_only_from_the_expected_states_and_once(stores: Stores) -> None:
    repo = stores.requests
    request = await created(stores)
    cancelled = line("request.cancelled", request.id, actor="U1", at=LATER)
    assert await repo.transition(request.id, OPEN, Status.CANCELLED, cancelled)
    assert not await repo.transition(request.id, OPEN, Status.EXPIRED, line("request.expired"))
    assert not await repo.transition(99, OPEN, Status.EXPIRED, line("request.expired"))
    stored = await repo.get_request(request.id)
    assert stored is not None
    assert (stored.status, stored.updated_at) == (Status.CANCELLED, LATER)
    assert [e.event for e in await repo.audit_since(NOW)] == [
        "request.created",
        "request.cancelled",
    ]
    assert await repo.active_request_of("U1") is None


async def test_a_reported_request_is_not_moved_where_that_is_asked(stores: Stores) -> None:
    repo = stores.requests
    request = await created(stores)
    assert await repo.mark_suspicious(request.id, line("request.reported_not_me", request.id))
    retried = line("request.retried", request.id, actor="UADMIN")
    assert not await repo.transition(
        request.id, OPEN, Status.EXECUTING, retried, not_suspicious=True
    )
    assert await repo.transition(request.id, OPEN, Status.CANCELLED, line("request.cancelled"))


async def test_an_approval_writes_the_actions_and_the_decision_once(stores: Stores) -> None:
    repo = stores.requests
    request = await created(stores)
    approved = line("request.approved", request.id, actor="UADMIN", at=LATER, detail={"n": 2})
    assert await repo.approve(request.id, BOTH, approved, at=LATER, first_approver_is=None)
    assert not await repo.approve(request.id, BOTH, approved, at=LATER, first_approver_is=None)
    stored = await repo.get_request(request.id)
    assert stored is not None
    assert (stored.status, stored.decided_by, stored.decided_at) == (
        Status.APPROVED,
        "UADMIN",
        LATER,
    )
    actions = await repo.actions_of(request.id)
    assert [(a.action, a.status.value, a.attempts) for a in actions] == [
        (ResetAction.CLEAR_MFA, "pending", 0),
        (ResetAction.REVOKE_SESSIONS, "pending", 0),
    ]
    assert await repo.get_action(actions[1].id) == actions[1]
    assert await repo.get_action(999) is None
    events = [(e.event, e.detail) for e in await repo.audit_since(NOW)]
    assert events == [("request.created", None), ("request.approved", {"n": 2})]


async def test_an_expired_or_reported_request_is_not_approved(stores: Stores) -> None:
    repo = stores.requests
    request = await created(stores, "U1", ttl=timedelta(hours=1))
    approved = line("request.approved", request.id, actor="UADMIN")
    expiry = NOW + timedelta(hours=1)
    assert not await repo.approve(request.id, BOTH, approved, at=expiry, first_approver_is=None)
    reported = await created(stores, "U2")
    assert await repo.mark_suspicious(reported.id, line("request.reported_not_me", reported.id))
    assert not await repo.approve(reported.id, BOTH, approved, at=NOW, first_approver_is=None)
    assert await repo.actions_of(request.id) == []
    assert await repo.actions_of(reported.id) == []
    later = expiry - timedelta(seconds=1)
    assert await repo.approve(request.id, BOTH, approved, at=later, first_approver_is=None)


async def test_the_second_approval_needs_the_first_approver_it_read(stores: Stores) -> None:
    repo = stores.requests
    request = await created(stores)
    first = line("request.first_approval", request.id, actor="UADMIN1", at=LATER)
    assert await repo.record_first_approval(request.id, BOTH, first, LATER)
    stored = await repo.get_request(request.id)
    assert stored is not None
    assert (stored.first_approver, stored.first_actions, stored.status) == (
        "UADMIN1",
        BOTH,
        Status.OPEN,
    )
    assert stored.updated_at == LATER
    second = line("request.approved", request.id, actor="UADMIN2")
    # Read before the first approval (None), or naming someone else: refused.
    assert not await repo.approve(request.id, BOTH, second, at=LATER, first_approver_is=None)
    assert not await repo.approve(request.id, BOTH, second, at=LATER, first_approver_is="UX")
    assert await repo.approve(request.id, BOTH, second, at=LATER, first_approver_is="UADMIN1")
    assert [a.action for a in await repo.actions_of(request.id)] == list(BOTH)


async def test_the_first_approval_is_recorded_once_and_not_when_expired_or_reported(
    stores: Stores,
) -> None:
    repo = stores.requests
    request = await created(stores, "U1", ttl=timedelta(hours=1))
    first = line("request.first_approval", request.id, actor="UADMIN1")
    assert not await repo.record_first_approval(request.id, BOTH, first, NOW + timedelta(hours=1))
    assert await repo.record_first_approval(request.id, BOTH, first, NOW)
    again = line("request.first_approval", request.id, actor="UADMIN2")
    assert not await repo.record_first_approval(request.id, (ResetAction.CLEAR_MFA,), again, NOW)
    stored = await repo.get_request(request.id)
    assert stored is not None
    assert (stored.first_approver, stored.first_actions) == ("UADMIN1", BOTH)
    reported = await created(stores, "U2")
    assert await repo.mark_suspicious(reported.id, line("request.reported_not_me", reported.id))
    assert not await repo.record_first_approval(reported.id, BOTH, first, NOW)
    events = [e.event for e in await repo.audit_since(NOW)]
    assert events.count("request.first_approval") == 1


async def test_a_denial_stores_who_when_and_why_once(stores: Stores) -> None:
    repo = stores.requests
    request = await created(stores)
    denied = line("request.denied", request.id, actor="UADMIN", at=LATER)
    assert await repo.deny(request.id, "UADMIN", LATER, "call IT first", denied)
    assert not await repo.deny(request.id, "UOTHER", LATER, "again", denied)
    stored = await repo.get_request(request.id)
    assert stored is not None
    assert (stored.status, stored.decided_by, stored.decided_at, stored.deny_reason) == (
        Status.DENIED,
        "UADMIN",
        LATER,
        "call IT first",
    )
    assert stored.updated_at == LATER
    assert [e.event for e in await repo.audit_since(NOW)].count("request.denied") == 1


async def test_a_report_is_recorded_once(stores: Stores) -> None:
    repo = stores.requests
    request = await created(stores)
    reported = line("request.reported_not_me", request.id, actor="U1", at=LATER)
    assert await repo.mark_suspicious(request.id, reported)
    assert not await repo.mark_suspicious(request.id, reported)
    stored = await repo.get_request(request.id)
    assert stored is not None
    assert (stored.suspicious, stored.updated_at) == (True, LATER)
    assert [e.event for e in await repo.audit_since(NOW)].count("request.reported_not_me") == 1


async def test_only_the_asked_manager_answers_and_only_once(stores: Stores) -> None:
    repo = stores.requests
    request = await created(stores)
    answer = line("manager.answered", request.id, actor="UBOSS")
    assert not await repo.record_manager_answer(request.id, "yes", answer)  # nobody was asked
    await repo.record_manager(request.id, "UBOSS")
    stranger = line("manager.answered", request.id, actor="USTRANGER")
    assert not await repo.record_manager_answer(request.id, "no", stranger)
    assert await repo.record_manager_answer(request.id, "no", answer)
    assert not await repo.record_manager_answer(request.id, "yes", answer)
    stored = await repo.get_request(request.id)
    assert stored is not None
    assert (stored.manager_id, stored.manager_answer, stored.suspicious) == ("UBOSS", "no", True)
    calm = await created(stores, "U2")
    await repo.record_manager(calm.id, "UBOSS")
    assert await repo.record_manager_answer(calm.id, "yes", line("m", calm.id, actor="UBOSS"))
    stored = await repo.get_request(calm.id)
    assert stored is not None
    assert (stored.manager_answer, stored.suspicious) == ("yes", False)


async def test_the_privilege_verdict_is_stored_with_its_audit_line(stores: Stores) -> None:
    repo = stores.requests
    request = await created(stores)
    verdict = line("request.privileged", request.id, detail={"reason": "listed"})
    await repo.record_privilege(request.id, True, "listed in PRIVILEGED_USERS", verdict)
    stored = await repo.get_request(request.id)
    assert stored is not None
    assert (stored.privileged, stored.privileged_reason) == (True, "listed in PRIVILEGED_USERS")
    last = (await repo.audit_since(NOW))[-1]
    assert (last.event, last.request_id, last.detail) == (
        "request.privileged",
        request.id,
        {"reason": "listed"},
    )


async def test_the_audit_log_reads_back_in_order_from_a_time_on(stores: Stores) -> None:
    repo = stores.requests
    detail = {"actions": ["clear_mfa"], "n": 1, "ok": True, "text": "Ünïcode ✓"}
    await repo.record_audit(line("a", at=NOW - timedelta(seconds=1)))
    await repo.record_audit(line("b", 7, actor="UADMIN", detail=detail))
    await repo.record_audit(line("c", detail={}))
    entries = await repo.audit_since(NOW)
    assert [(e.event, e.request_id, e.actor_id, e.detail) for e in entries] == [
        ("b", 7, "UADMIN", detail),
        ("c", None, "system", None),
    ]
    assert entries[0].at == NOW


async def test_a_later_request_learns_of_the_last_one_reported_as_not_theirs(
    stores: Stores,
) -> None:
    repo = stores.requests
    first = await created(stores, "U1", key="VFIRST")
    other = await created(stores, "U2", key="VOTHER")
    assert (await repo.intake_of("U1", None, NOW)).reported_not_me is None
    # A manager's no flags a request too, but it is no report of the employee's own.
    await repo.record_manager(other.id, "UMGR")
    said_no = line("manager.no", other.id, actor="UMGR")
    assert await repo.record_manager_answer(other.id, "no", said_no)
    reported = line("request.reported_not_me", first.id, actor="U1", at=LATER)
    assert await repo.mark_suspicious(first.id, reported)
    stored = await repo.get_request(first.id)
    assert stored is not None
    assert stored.reported_not_me_at == LATER
    assert (await repo.intake_of("U1", None, NOW)).reported_not_me == first.id
    assert (await repo.intake_of("U2", None, NOW)).reported_not_me is None
    assert await repo.transition(first.id, OPEN, Status.CANCELLED, line("request.cancelled"))
    later = await repo.create_request(
        replace(new_request("U1", key="VLATER"), reported_before=first.id),
        line("request.created", actor="U1"),
    )
    assert (await repo.get_request(later.id)) == later
    assert later.reported_before == first.id


async def test_a_security_alert_is_claimed_once(stores: Stores) -> None:
    repo = stores.requests
    request = await created(stores)
    assert await repo.claim_alert(request.id, line("alert.claimed", request.id, actor="UADMIN"))
    assert not await repo.claim_alert(request.id, line("alert.claimed", request.id, actor="UA2"))
    assert not await repo.claim_alert(99, line("alert.claimed", 99, actor="UA2"))
    stored = await repo.get_request(request.id)
    assert stored is not None
    assert stored.alert_claimed_by == "UADMIN"
    claims = [(e.event, e.actor_id) for e in await repo.audit_since(NOW)][1:]
    assert claims == [("alert.claimed", "UADMIN")]


async def test_one_admin_at_a_time_calls_the_employee_back(stores: Stores) -> None:
    repo = stores.requests
    request = await created(stores)
    assert request.callback_by is None
    first = line("request.callback", request.id, actor="UADMIN", at=LATER)
    assert await repo.claim_callback(request.id, first)
    second = line("request.callback", request.id, actor="UOTHER", at=LATER)
    assert not await repo.claim_callback(request.id, second)
    stored = await repo.get_request(request.id)
    assert stored is not None
    assert (stored.callback_by, stored.callback_at, stored.updated_at) == ("UADMIN", LATER, LATER)
    events = [(e.event, e.actor_id) for e in await repo.audit_since(NOW)]
    assert events.count(("request.callback", "UADMIN")) == 1
    assert ("request.callback", "UOTHER") not in events
