"""Carrying out approved actions reliably: retries with backoff, leases, resume, and Retry."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.errors import NotAnAdminError
from bot.domain.helpdesk import (
    ACTION_LEASE,
    MAX_ATTEMPTS,
    Approve,
    Helpdesk,
    HelpdeskConfig,
    Place,
    Retry,
)
from bot.domain.identity import IdentityError, ResetAction, TemporaryIdentityError
from bot.domain.requests import ActionItem, ActionStatus, ContactForm, Remaining, Status
from bot.domain.walks import Walks
from bot.guide import load_guide
from storage.engine import create_engine, session_factory
from storage.helpdesk import SqlRequestRepository
from storage.migrate import migrate
from storage.walks import SqlWalkRepository
from tests.conftest import FixedClock
from tests.fakes.core import ADMIN, Admins, FlakyDirectory, Later, Notices, People


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    built = create_engine(database_url)
    await migrate(built)
    yield built
    await built.dispose()


@dataclass
class Desk:
    service: Helpdesk
    directory: FlakyDirectory
    clock: FixedClock
    repo: SqlRequestRepository
    later: Later


@pytest.fixture
def desk(engine: AsyncEngine) -> Iterator[Desk]:
    sessions = session_factory(engine)
    clock = FixedClock()
    directory = FlakyDirectory()
    repo = SqlRequestRepository(sessions)
    later = Later()
    service = Helpdesk(
        HelpdeskConfig(channel_id="C0DESK"),
        repo,
        Walks(load_guide(), SqlWalkRepository(engine), clock),
        directory,
        Admins(),
        People(),
        Notices(),
        clock,
        background=later,
    )
    yield Desk(service, directory, clock, repo, later)
    later.drop()


PLACE = Place("T0TEAM", "C0DESK")


async def _approved(desk: Desk, actions: tuple[ResetAction, ...]) -> int:
    form = ContactForm("lost it", True, Remaining.NONE, None, "+1 555 0100")
    request = (await desk.service.submit("T0TEAM", "U1", "lost-phone", None, form)).request
    await desk.later.run()  # its card
    await desk.service.decide(Approve(request.id, actions), ADMIN, PLACE)
    return request.id  # its execution waits in desk.later


async def _statuses(desk: Desk, request_id: int) -> list[ActionStatus]:
    return [item.status for item in await desk.repo.actions_of(request_id)]


async def test_a_throttled_call_waits_for_retry_after_then_runs_once(desk: Desk) -> None:
    desk.directory.errors = [TemporaryIdentityError("throttled (429)", retry_after=30)]
    request_id = await _approved(desk, (ResetAction.DELETE_APP_PASSWORDS,))
    await desk.later.run()  # the approval's follow-up: the card, then the execution
    assert await _statuses(desk, request_id) == [ActionStatus.PENDING]
    assert await desk.service.work_due() == []  # not due before Retry-After
    desk.clock.advance(seconds=29)
    await desk.service.work_due()
    assert desk.directory.calls == ["delete_app_passwords"]
    desk.clock.advance(seconds=2)
    assert await desk.service.work_due() == [request_id]
    assert desk.directory.calls == ["delete_app_passwords"] * 2
    request = await desk.service.get(request_id)
    assert request.status is Status.DONE
    assert await desk.service.work_due() == []  # nothing runs twice


async def test_two_server_errors_then_success_back_off_exponentially(desk: Desk) -> None:
    desk.directory.errors = [TemporaryIdentityError("503"), TemporaryIdentityError("503")]
    request_id = await _approved(desk, (ResetAction.REVOKE_SESSIONS,))
    await desk.later.run()  # the approval's follow-up: the card, then the execution
    desk.clock.advance(seconds=2)
    await desk.service.work_due()  # second try, fails: next wait is 4 s
    desk.clock.advance(seconds=3)
    await desk.service.work_due()
    assert len(desk.directory.calls) == 2
    desk.clock.advance(seconds=1)
    await desk.service.work_due()
    assert desk.directory.calls == ["revoke_sessions"] * 3
    assert (await desk.service.get(request_id)).status is Status.DONE


async def test_it_gives_up_after_the_last_attempt_and_retry_starts_afresh(desk: Desk) -> None:
    desk.directory.errors = [TemporaryIdentityError("500")] * MAX_ATTEMPTS
    request_id = await _approved(desk, (ResetAction.DELETE_APP_PASSWORDS,))
    await desk.later.run()  # the approval's follow-up: the card, then the execution
    for _ in range(MAX_ATTEMPTS):
        desk.clock.advance(minutes=10)
        await desk.service.work_due()
    assert len(desk.directory.calls) == MAX_ATTEMPTS
    request = await desk.service.get(request_id)
    assert request.status is Status.FAILED
    [item] = await desk.repo.actions_of(request_id)
    assert "gave up after 5 attempts" in item.summary
    with pytest.raises(NotAnAdminError):
        await desk.service.decide(Retry(request_id), "USTRANGER", PLACE)
    await desk.service.decide(Retry(request_id), ADMIN, PLACE)  # the directory has recovered
    await desk.later.run()
    assert (await desk.service.get(request_id)).status is Status.DONE
    assert len(desk.directory.calls) == MAX_ATTEMPTS + 1


async def test_a_permanent_error_fails_at_once(desk: Desk) -> None:
    desk.directory.errors = [
        IdentityError("missing permission UserAuthenticationMethod.ReadWrite.All")
    ]
    request_id = await _approved(desk, (ResetAction.CLEAR_MFA, ResetAction.REVOKE_SESSIONS))
    await desk.later.run()  # the approval's follow-up: the card, then the execution
    assert await _statuses(desk, request_id) == [ActionStatus.FAILED, ActionStatus.DONE]
    assert (await desk.service.get(request_id)).status is Status.FAILED


async def test_an_action_held_by_a_dead_worker_is_taken_over_once_its_lease_ends(
    desk: Desk,
) -> None:
    request_id = await _approved(desk, (ResetAction.DELETE_APP_PASSWORDS,))
    audit = await desk.repo.audit_since(desk.clock.now() - timedelta(days=1))
    assert audit[-1].event == "request.approved"
    # A worker claims the action and dies before finishing it.
    from bot.domain.requests import AuditEntry

    await desk.repo.transition(
        request_id,
        frozenset({Status.APPROVED}),
        Status.EXECUTING,
        AuditEntry(desk.clock.now(), "system", "request.executing", request_id),
    )
    [item] = await desk.repo.actions_of(request_id)
    now = desk.clock.now()
    assert await desk.repo.claim_action(item.id, now, now + ACTION_LEASE)
    assert not await desk.repo.claim_action(item.id, now, now + ACTION_LEASE)  # held
    desk.clock.advance(seconds=ACTION_LEASE.total_seconds() - 60)
    assert await desk.service.work_due() == []
    assert desk.directory.calls == []
    desk.clock.advance(minutes=2)
    assert await desk.service.work_due() == [request_id]
    assert desk.directory.calls == ["delete_app_passwords"]
    assert (await desk.service.get(request_id)).status is Status.DONE
    assert await desk.service.work_due() == []


async def test_an_action_whose_workers_keep_dying_is_given_up(desk: Desk) -> None:
    from bot.domain.requests import AuditEntry

    request_id = await _approved(desk, (ResetAction.DELETE_APP_PASSWORDS,))
    await desk.repo.transition(
        request_id,
        frozenset({Status.APPROVED}),
        Status.EXECUTING,
        AuditEntry(desk.clock.now(), "system", "request.executing", request_id),
    )
    [item] = await desk.repo.actions_of(request_id)
    for n in range(MAX_ATTEMPTS):
        now = desk.clock.now()
        assert await desk.repo.claim_action(item.id, now, now + ACTION_LEASE, f"dead-{n}")
        desk.clock.advance(seconds=ACTION_LEASE.total_seconds() + 60)
    await desk.service.work_due()
    assert desk.directory.calls == []
    [failed] = await desk.repo.actions_of(request_id)
    assert failed.status is ActionStatus.FAILED
    assert "never finished" in failed.summary


async def test_a_reported_request_is_neither_approved_nor_retried(desk: Desk) -> None:
    from bot.domain.errors import SuspiciousError

    form = ContactForm("lost it", True, Remaining.NONE, None, "+1 555 0100")
    request = (await desk.service.submit("T0TEAM", "U1", "lost-phone", None, form)).request
    await desk.later.run()  # its card
    await desk.service.report_not_me(request.id, "U1")
    with pytest.raises(SuspiciousError):
        await desk.service.decide(Approve(request.id, (ResetAction.CLEAR_MFA,)), ADMIN, PLACE)
    assert (await desk.service.get(request.id)).status is Status.OPEN


async def _executing(desk: Desk, actions: tuple[ResetAction, ...]) -> tuple[int, list[ActionItem]]:
    from bot.domain.requests import AuditEntry

    request_id = await _approved(desk, actions)
    await desk.repo.transition(
        request_id,
        frozenset({Status.APPROVED}),
        Status.EXECUTING,
        AuditEntry(desk.clock.now(), "system", "request.executing", request_id),
    )
    return request_id, await desk.repo.actions_of(request_id)


async def test_a_renewed_lease_is_not_taken_over_and_only_its_owner_renews_it(desk: Desk) -> None:
    request_id, [item] = await _executing(desk, (ResetAction.DELETE_APP_PASSWORDS,))
    now = desk.clock.now()
    assert await desk.repo.claim_action(item.id, now, now + ACTION_LEASE, "p1:run")
    desk.clock.advance(seconds=ACTION_LEASE.total_seconds() - 1)
    assert not await desk.repo.renew_action_lease(
        item.id, "p2:run", desk.clock.now() + ACTION_LEASE
    )
    assert await desk.repo.renew_action_lease(item.id, "p1:run", desk.clock.now() + ACTION_LEASE)
    desk.clock.advance(seconds=ACTION_LEASE.total_seconds() - 1)  # past the first lease
    assert await desk.service.work_due() == []
    assert desk.directory.calls == []
    desk.clock.advance(seconds=2)  # no renewal since: its worker is gone
    assert await desk.service.work_due() == [request_id]
    assert desk.directory.calls == ["delete_app_passwords"]


async def test_releasing_hands_back_only_this_process_s_actions_at_once(desk: Desk) -> None:
    request_id, [mine, theirs] = await _executing(
        desk, (ResetAction.CLEAR_MFA, ResetAction.REVOKE_SESSIONS)
    )
    now = desk.clock.now()
    holder = desk.service.lease_holder
    assert await desk.repo.claim_action(mine.id, now, now + ACTION_LEASE, f"{holder}:run1")
    assert await desk.repo.claim_action(theirs.id, now, now + ACTION_LEASE, "other%:run1")
    assert await desk.service.release_leases() == 1
    released, held = await desk.repo.actions_of(request_id)
    assert (released.status, released.attempts) == (ActionStatus.PENDING, 0)
    assert (held.status, held.attempts) == (ActionStatus.RUNNING, 1)
    audit = await desk.repo.audit_since(now - timedelta(days=1))
    assert (audit[-1].event, audit[-1].request_id, audit[-1].detail) == (
        "action.released",
        request_id,
        {"holder": holder, "action": "clear_mfa"},
    )
    assert await desk.service.work_due() == [request_id]  # at once, not after the lease
    assert desk.directory.calls == ["clear_mfa"]


async def test_a_new_request_s_card_is_claimed_under_this_process_s_lease_holder(
    desk: Desk,
) -> None:
    # How claims are taken over, renewed and released: tests/contract/test_cards.py.
    form = ContactForm("lost it", True, Remaining.NONE, None, "+1 555 0100")
    request = (await desk.service.submit("T0TEAM", "U1", "lost-phone", None, form)).request
    mine = request.announce_owner
    assert mine is not None
    assert mine.startswith(f"{desk.service.lease_holder}:")
    assert await desk.repo.release_announcements("other") == 0
    assert await desk.repo.release_announcements(f"{desk.service.lease_holder}:") == 1


@pytest.mark.parametrize("channel", ["", "C0ELSEWHERE"])
async def test_a_decision_from_no_channel_or_another_is_refused(desk: Desk, channel: str) -> None:
    from bot.domain.errors import WrongPlaceError

    form = ContactForm("lost it", True, Remaining.NONE, None, "+1 555 0100")
    request = (await desk.service.submit("T0TEAM", "U1", "lost-phone", None, form)).request
    await desk.later.run()  # its card
    elsewhere = Place("T0TEAM", channel)
    with pytest.raises(WrongPlaceError):
        await desk.service.precheck(Approve(request.id, (ResetAction.CLEAR_MFA,)), ADMIN, elsewhere)
    with pytest.raises(WrongPlaceError):
        await desk.service.decide(Approve(request.id, (ResetAction.CLEAR_MFA,)), ADMIN, elsewhere)
    assert desk.later.waiting == []  # nothing follows a refusal
    assert (await desk.service.get(request.id)).status is Status.OPEN
    audit = await desk.repo.audit_since(desk.clock.now() - timedelta(days=1))
    refusals = [entry.detail for entry in audit if entry.event == "decision.refused"]
    assert refusals == [{"reason": WrongPlaceError.code}] * 2
