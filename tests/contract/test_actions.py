"""The request repository's contract for the outbox: claims, leases, retries and results."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text

from bot.domain.identity import ResetAction
from bot.domain.repositories import RequestRepository
from bot.domain.requests import ActionRecord, ActionStatus, Status
from storage.engine import create_engine
from tests.contract.conftest import NOW, Stores, created, executing, line

LEASE = timedelta(minutes=5)
RUNNING = frozenset({ActionStatus.RUNNING})


async def test_an_action_is_claimed_once_and_taken_over_only_after_its_lease(
    stores: Stores,
) -> None:
    repo = stores.requests
    request = await executing(stores, ResetAction.DELETE_APP_PASSWORDS)
    [item] = await repo.actions_of(request.id)
    assert await repo.claim_action(item.id, NOW, NOW + LEASE, "p1:run")
    assert not await repo.claim_action(item.id, NOW, NOW + LEASE, "p2:run")  # held
    end = NOW + LEASE
    assert not await repo.claim_action(item.id, end, end + LEASE, "p2:run")  # not yet over
    later = end + timedelta(seconds=1)
    assert await repo.claim_action(item.id, later, later + LEASE, "p2:run")
    taken = await repo.get_action(item.id)
    assert taken is not None
    assert (taken.status, taken.attempts) == (ActionStatus.RUNNING, 2)
    assert not await repo.claim_action(999, NOW, NOW + LEASE, "p1:run")


async def test_a_worker_whose_lease_was_taken_over_cannot_record_a_result(stores: Stores) -> None:
    repo = stores.requests
    request = await executing(stores, ResetAction.DELETE_APP_PASSWORDS)
    [item] = await repo.actions_of(request.id)
    assert await repo.claim_action(item.id, NOW, NOW + LEASE, "slow-worker")
    later = NOW + LEASE + timedelta(seconds=1)
    assert await repo.claim_action(item.id, later, later + LEASE, "new-worker")
    audit = line("action.done", request.id, at=later)
    done = ActionRecord(ActionStatus.DONE)
    assert not await repo.finish_action(item.id, RUNNING, done, audit, "slow-worker")
    assert await repo.finish_action(item.id, RUNNING, done, audit, "new-worker")
    assert [e.event for e in await repo.audit_since(NOW)].count("action.done") == 1


async def test_only_the_lease_holder_renews_it_and_a_renewed_lease_holds(stores: Stores) -> None:
    repo = stores.requests
    request = await executing(stores, ResetAction.DELETE_APP_PASSWORDS)
    [item] = await repo.actions_of(request.id)
    assert await repo.claim_action(item.id, NOW, NOW + LEASE, "p1:run")
    almost = NOW + LEASE - timedelta(seconds=1)
    assert not await repo.renew_action_lease(item.id, "p2:run", almost + LEASE)
    assert await repo.renew_action_lease(item.id, "p1:run", almost + LEASE)
    past_first = NOW + LEASE + timedelta(seconds=1)
    assert not await repo.claim_action(item.id, past_first, past_first + LEASE, "p2:run")
    assert await repo.requests_with_due_actions(past_first) == []
    gone = almost + LEASE + timedelta(seconds=1)
    assert await repo.requests_with_due_actions(gone) == [request.id]
    assert await repo.claim_action(item.id, gone, gone + LEASE, "p2:run")
    assert not await repo.renew_action_lease(item.id, "p1:run", gone + LEASE)


async def test_a_result_is_stored_with_what_the_card_shows(stores: Stores) -> None:
    repo = stores.requests
    request = await executing(stores, ResetAction.CLEAR_MFA, ResetAction.REVOKE_SESSIONS)
    [manual, done] = await repo.actions_of(request.id)
    for item in (manual, done):
        assert await repo.claim_action(item.id, NOW, NOW + LEASE, "p1:run")
    waiting = ActionRecord(
        ActionStatus.MANUAL,
        summary="Clear the methods in the portal",
        manual_steps=("Open the portal", "Clear them"),
        link="https://portal.example/user",
        idp_request_id="req-1",
        directory_object_id="obj-1",
    )
    assert await repo.finish_action(manual.id, RUNNING, waiting, line("action.waiting"), "p1:run")
    result = ActionRecord(ActionStatus.DONE, summary="Revoked", directory_object_id="obj-1")
    assert await repo.finish_action(done.id, RUNNING, result, line("action.done"), "p1:run")
    # A manual step marked done keeps what it showed, and names who did it.
    marked = ActionRecord(ActionStatus.DONE, done_by="UADMIN")
    manual_only = frozenset({ActionStatus.MANUAL})
    assert await repo.finish_action(manual.id, manual_only, marked, line("action.done"))
    assert not await repo.finish_action(manual.id, manual_only, marked, line("action.done"))
    first, second = await repo.actions_of(request.id)
    assert (first.status, first.summary, first.manual_steps, first.link, first.done_by) == (
        ActionStatus.DONE,
        "Clear the methods in the portal",
        ("Open the portal", "Clear them"),
        "https://portal.example/user",
        "UADMIN",
    )
    assert (second.status, second.summary, second.manual_steps, second.link) == (
        ActionStatus.DONE,
        "Revoked",
        (),
        None,
    )
    # A finished action is not due any more, whatever the time.
    assert not await repo.claim_action(second.id, NOW + LEASE * 9, NOW + LEASE * 10, "p2:run")


async def test_an_action_tried_again_later_waits_for_its_time(stores: Stores) -> None:
    repo = stores.requests
    request = await executing(stores, ResetAction.DELETE_APP_PASSWORDS)
    [item] = await repo.actions_of(request.id)
    assert await repo.claim_action(item.id, NOW, NOW + LEASE, "p1:run")
    retry_at = NOW + timedelta(seconds=30)
    audit = line("action.retrying", request.id)
    assert not await repo.retry_action_later(item.id, retry_at, audit, "throttled", "p2:run")
    assert await repo.retry_action_later(item.id, retry_at, audit, "throttled", "p1:run")
    assert not await repo.retry_action_later(item.id, retry_at, audit, "again", "p1:run")
    waiting = await repo.get_action(item.id)
    assert waiting is not None
    assert (waiting.status, waiting.summary, waiting.attempts) == (
        ActionStatus.PENDING,
        "throttled",
        1,
    )
    early = retry_at - timedelta(seconds=1)
    assert await repo.requests_with_due_actions(early) == []
    assert not await repo.claim_action(item.id, early, early + LEASE, "p1:run")
    assert await repo.requests_with_due_actions(retry_at) == [request.id]
    assert await repo.claim_action(item.id, retry_at, retry_at + LEASE, "p1:run")
    events = [e.event for e in await repo.audit_since(NOW)]
    assert events.count("action.retrying") == 1


async def test_only_requests_being_carried_out_have_due_actions(stores: Stores) -> None:
    repo = stores.requests
    carried_out = await executing(stores, ResetAction.CLEAR_MFA, requester="U1")
    approved = await created(stores, "U2")
    audit = line("request.approved", approved.id, actor="UADMIN")
    actions = (ResetAction.CLEAR_MFA,)
    assert await repo.approve(approved.id, actions, audit, at=NOW, first_approver_is=None)
    assert await repo.requests_with_due_actions(NOW) == [carried_out.id]
    [item] = await repo.actions_of(carried_out.id)
    assert await repo.claim_action(item.id, NOW, NOW + LEASE, "p1:run")
    assert await repo.requests_with_due_actions(NOW + LEASE) == []
    assert await repo.requests_with_due_actions(NOW + LEASE * 2) == [carried_out.id]


async def test_failed_actions_are_reopened_with_a_fresh_count(stores: Stores) -> None:
    repo = stores.requests
    request = await executing(stores, ResetAction.CLEAR_MFA, ResetAction.REVOKE_SESSIONS)
    failing, passing = await repo.actions_of(request.id)
    for item, status in ((failing, ActionStatus.FAILED), (passing, ActionStatus.DONE)):
        assert await repo.claim_action(item.id, NOW, NOW + LEASE, "p1:run")
        result = ActionRecord(status, summary=status.value)
        assert await repo.finish_action(item.id, RUNNING, result, line("action"), "p1:run")
    failed = line("request.failed", request.id)
    assert await repo.transition(request.id, frozenset({Status.EXECUTING}), Status.FAILED, failed)
    retried = line("request.retried", request.id, actor="UADMIN")
    assert await repo.transition(request.id, frozenset({Status.FAILED}), Status.EXECUTING, retried)
    assert await repo.reopen_failed_actions(request.id, NOW) == 1
    assert await repo.reopen_failed_actions(request.id, NOW) == 0
    reopened, kept = await repo.actions_of(request.id)
    assert (reopened.status, reopened.attempts) == (ActionStatus.PENDING, 0)
    assert (kept.status, kept.attempts) == (ActionStatus.DONE, 1)
    assert await repo.requests_with_due_actions(NOW) == [request.id]


async def test_each_action_is_told_of_once(stores: Stores) -> None:
    repo = stores.requests
    request = await executing(stores, ResetAction.CLEAR_MFA, ResetAction.REVOKE_SESSIONS)
    first, second = (item.id for item in await repo.actions_of(request.id))
    assert await repo.mark_notified([], NOW) == []
    assert await repo.mark_notified([first], NOW) == [first]
    assert await repo.mark_notified([second, first], NOW) == [second]
    assert await repo.mark_notified([first, second], NOW) == []


async def test_releasing_hands_back_only_the_holder_s_actions_at_once(stores: Stores) -> None:
    repo = stores.requests
    request = await executing(stores, ResetAction.CLEAR_MFA, ResetAction.REVOKE_SESSIONS)
    mine, theirs = await repo.actions_of(request.id)
    assert await repo.claim_action(mine.id, NOW, NOW + LEASE, "p1:run1")
    assert await repo.claim_action(theirs.id, NOW, NOW + LEASE, "p1%:run1")  # a literal prefix
    released = line("action.released", detail={"holder": "p1"})
    assert await repo.release_actions("p1:", released) == 1
    assert await repo.release_actions("p1:", released) == 0
    back, held = await repo.actions_of(request.id)
    assert (back.status, back.attempts) == (ActionStatus.PENDING, 0)
    assert (held.status, held.attempts) == (ActionStatus.RUNNING, 1)
    audit = (await repo.audit_since(NOW))[-1]
    assert (audit.event, audit.request_id, audit.detail) == (
        "action.released",
        request.id,
        {"holder": "p1", "action": "clear_mfa"},
    )
    assert await repo.requests_with_due_actions(NOW) == [request.id]  # at once
    assert await repo.claim_action(back.id, NOW, NOW + LEASE, "p2:run")


async def test_due_actions_are_claimed_oldest_first_and_only_those_due(stores: Stores) -> None:
    repo = stores.requests
    first = await executing(stores, ResetAction.CLEAR_MFA, ResetAction.REVOKE_SESSIONS)
    second = await executing(stores, ResetAction.DELETE_APP_PASSWORDS, requester="U2")
    waiting = await created(stores, "U3")  # approved but not yet being carried out
    audit = line("request.approved", waiting.id, actor="UADMIN")
    actions = (ResetAction.CLEAR_MFA,)
    assert await repo.approve(waiting.id, actions, audit, at=NOW, first_approver_is=None)
    a, b = await repo.actions_of(first.id)
    [c] = await repo.actions_of(second.id)

    [taken] = await repo.claim_due_actions(NOW, NOW + LEASE, "p1:run", 1, request_id=second.id)
    assert (taken.id, taken.status, taken.attempts) == (c.id, ActionStatus.RUNNING, 1)
    claimed = await repo.claim_due_actions(NOW, NOW + LEASE, "p2:run", limit=5)
    assert [(item.id, item.status, item.attempts) for item in claimed] == [
        (a.id, ActionStatus.RUNNING, 1),
        (b.id, ActionStatus.RUNNING, 1),
    ]
    assert await repo.claim_due_actions(NOW, NOW + LEASE, "p3:run", limit=5) == []
    # A lease that ran out is taken over, with the attempt counted.
    later = NOW + LEASE + timedelta(seconds=1)
    over = await repo.claim_due_actions(later, later + LEASE, "p3:run", 1, request_id=first.id)
    assert [(item.id, item.attempts) for item in over] == [(a.id, 2)]
    done = ActionRecord(ActionStatus.DONE)
    assert not await repo.finish_action(a.id, RUNNING, done, line("action.done"), "p2:run")
    assert await repo.finish_action(a.id, RUNNING, done, line("action.done"), "p3:run")


async def test_workers_claiming_at_once_share_the_due_actions_without_overlap(
    stores: Stores,
) -> None:
    actions = (ResetAction.CLEAR_MFA, ResetAction.REVOKE_SESSIONS, ResetAction.DELETE_APP_PASSWORDS)
    for n in range(6):
        await executing(stores, *actions, requester=f"U{n}")
    replicas = [stores, await stores.replica(), await stores.replica()]

    async def worker(name: str, repo: RequestRepository) -> list[int]:
        mine: list[int] = []
        while claimed := await repo.claim_due_actions(NOW, NOW + LEASE, f"{name}:run", 2):
            mine += [item.id for item in claimed]
            await asyncio.sleep(0)
        return mine

    shares = await asyncio.gather(
        *(worker(f"p{n}", replica.requests) for n, replica in enumerate(replicas * 2))
    )
    everything = [action_id for share in shares for action_id in share]
    assert len(everything) == len(set(everything)) == 18
    for action_id in everything:
        item = await stores.requests.get_action(action_id)
        assert item is not None
        assert (item.status, item.attempts) == (ActionStatus.RUNNING, 1)


# Row locks are PostgreSQL's; SQLite and memory claim through the lease (the tests above).
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_on_postgresql_a_claim_skips_a_row_another_transaction_has_locked(
    stores: Stores, backend: tuple[str, str | None]
) -> None:
    _kind, url = backend
    assert url is not None
    request = await executing(stores, ResetAction.CLEAR_MFA, ResetAction.REVOKE_SESSIONS)
    locked, free = await stores.requests.actions_of(request.id)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            # Another worker's claim in the middle of its transaction holds the oldest row.
            await conn.execute(
                text("SELECT id FROM request_actions WHERE id = :id FOR UPDATE"), {"id": locked.id}
            )
            claimed = await asyncio.wait_for(
                stores.requests.claim_due_actions(NOW, NOW + LEASE, "p2:run", 5), 5
            )
            assert [item.id for item in claimed] == [free.id]
    finally:
        await engine.dispose()
    [later] = await stores.requests.claim_due_actions(NOW, NOW + LEASE, "p2:run", 5)
    assert later.id == locked.id
