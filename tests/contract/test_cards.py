"""The request repository's contract for posting a request's card: claims, leases, the card."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.domain.platform import Platform
from bot.domain.requests import Card, Status
from tests.contract.conftest import NOW, Stores, created, line, new_request

LEASE = timedelta(seconds=30)


async def test_a_card_claim_is_renewed_by_its_owner_only_and_released_by_holder(
    stores: Stores,
) -> None:
    repo = stores.requests
    mine = "p1:run1"
    request = await created(stores, owner=mine)
    assert request.announce_owner == mine
    now = NOW
    assert not await repo.claim_announcement(request.id, now, now - LEASE, "other:run")
    assert await repo.claim_announcement(request.id, now, now - LEASE, mine)  # already mine
    now += timedelta(seconds=25)
    assert await repo.renew_announcement(request.id, mine, now)
    assert not await repo.renew_announcement(request.id, "other:run", now)
    now += timedelta(seconds=25)  # 50 s after the claim, 25 s after its renewal: still held
    assert not await repo.claim_announcement(request.id, now, now - LEASE, "other:run")
    assert await repo.release_announcements("other") == 0
    assert await repo.release_announcements("p1:") == 1
    assert await repo.claim_announcement(request.id, now, now - LEASE, "other:run")
    assert not await repo.renew_announcement(request.id, mine, now)  # no longer mine
    assert not await repo.record_card(request.id, mine, Card("C0DESK", "1.0"), "", "")
    assert await repo.record_card(request.id, "other:run", Card("C0DESK", "1.1"), "", "")
    assert not await repo.renew_announcement(request.id, "other:run", now)  # posted
    assert await repo.release_announcements("other") == 0
    stored = await repo.get_request(request.id)
    assert stored is not None
    assert stored.message_ts == "1.1"


async def test_a_claim_nobody_renewed_is_taken_over_once_stale(stores: Stores) -> None:
    repo = stores.requests
    request = await created(stores, owner="dead:run")
    claimed_at = NOW
    # Stale means claimed before `stale`: a claim exactly as old as the lease still holds.
    assert not await repo.claim_announcement(request.id, NOW + LEASE, claimed_at, "p2:run")
    later = NOW + LEASE + timedelta(seconds=1)
    assert await repo.claim_announcement(request.id, later, later - LEASE, "p2:run")
    assert not await repo.claim_announcement(request.id, later, later - LEASE, "dead:run")
    stored = await repo.get_request(request.id)
    assert stored is not None
    assert stored.announce_owner == "p2:run"
    # Unclaimed (a request stored without a claim): the first to ask takes it.
    free = await created(stores, "U2")
    assert await repo.claim_announcement(free.id, NOW, NOW - LEASE, "p3:run")


async def test_a_card_is_stored_once_with_the_profile_read_for_it(stores: Stores) -> None:
    repo = stores.requests
    request = await created(stores, owner="p1:run")
    card = Card("C0DESK", "1700000000.000100")
    assert await repo.record_card(request.id, "p1:run", card, "Ada L.", "ada@corp.example")
    assert not await repo.record_card(request.id, "p1:run", Card("C0DESK", "2.0"), "X", "x@y")
    stored = await repo.get_request(request.id)
    assert stored is not None
    assert (stored.channel_id, stored.message_ts) == ("C0DESK", "1700000000.000100")
    assert (stored.requester_name, stored.requester_email) == ("Ada L.", "ada@corp.example")
    assert stored.updated_at == request.updated_at  # a fact, not a change of state
    # A posted card is never claimed again, stale or not.
    later = NOW + timedelta(days=1)
    assert not await repo.claim_announcement(request.id, later, later, "p2:run")
    assert await repo.release_announcements("p1:") == 0


async def test_cards_still_to_post_are_the_open_requests_without_one(stores: Stores) -> None:
    repo = stores.requests
    posted = await created(stores, "U1", owner="p1:a")
    unposted = await created(stores, "U2", owner="p1:b")
    assert await repo.record_card(posted.id, "p1:a", Card("C0DESK", "1.0"), "", "")
    waiting = [r for r in await repo.requests_in(frozenset({Status.OPEN})) if r.message_ts is None]
    assert [r.id for r in waiting] == [unposted.id]


async def test_where_the_employee_was_told_is_stored_with_the_request(stores: Stores) -> None:
    repo = stores.requests
    request = await created(stores, owner="p1:run")
    assert request.employee_message is None
    where = '["D0ADA", "1700000000.000200"]'
    await repo.record_employee_message(request.id, where)
    stored = await repo.get_request(request.id)
    assert stored is not None
    assert stored.employee_message == where
    assert stored.updated_at == request.updated_at  # a fact, not a change of state
    (listed,) = await repo.requests_in(frozenset({Status.OPEN}))
    assert listed.employee_message == where


async def test_cards_to_post_are_a_platform_s_open_requests_without_one_in_number_order(
    stores: Stores,
) -> None:
    repo = stores.requests
    first = await created(stores, "U1")
    posted = await created(stores, "U2", owner="p1:a")
    cancelled = await created(stores, "U3")
    teams = await stores.requests.create_request(
        replace(new_request("e5f6a7b8-0000-4000-8000-00000000e001"), platform=Platform.TEAMS),
        line("request.created"),
    )
    last = await created(stores, "U4")
    assert await repo.record_card(posted.id, "p1:a", Card("C0DESK", "1.0"), "", "")
    moved = line("request.cancelled", cancelled.id)
    assert await repo.transition(cancelled.id, frozenset({Status.OPEN}), Status.CANCELLED, moved)
    assert [r.id for r in await repo.cards_to_post(Platform.SLACK)] == [first.id, last.id]
    assert [r.id for r in await repo.cards_to_post(Platform.TEAMS)] == [teams.id]
