"""The walk repository's and the event ledger's contract: versions, abandonment, once-only."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from bot.domain.guide import WalkOutcome, WalkState
from bot.domain.walks import Surface, WalkRecord
from tests.contract.conftest import NOW, Stores


def _walk(walk_id: str = "a" * 32, user: str = "U7") -> WalkRecord:
    state = WalkState("lost-phone", ("lost-phone-check",), ("lost-phone-check",))
    return WalkRecord(walk_id, "T0TEAM", user, Surface.DM, state, NOW, NOW)


def _moved(
    walk: WalkRecord, step: str, outcome: WalkOutcome = WalkOutcome.IN_PROGRESS
) -> WalkRecord:
    state = replace(
        walk.state,
        path=(*walk.state.path, step),
        seen=(*walk.state.seen, step),
        outcome=outcome,
        choices=(*walk.state.choices, "choice"),
    )
    return replace(
        walk, state=state, updated_at=NOW + timedelta(minutes=1), version=walk.version + 1
    )


async def test_a_walk_round_trips_with_its_times_in_utc(stores: Stores) -> None:
    walk = _walk()
    assert await stores.walks.add_walk(walk)
    stored = await stores.walks.get_walk(walk.id)
    assert stored == walk
    assert stored is not None
    assert stored.started_at.utcoffset() == timedelta(0)
    assert await stores.walks.get_walk("b" * 32) is None


async def test_a_walk_is_added_once(stores: Stores) -> None:
    walk = _walk()
    assert await stores.walks.add_walk(walk)
    assert not await stores.walks.add_walk(replace(walk, user_id="U8"))
    assert await stores.walks.get_walk(walk.id) == walk


async def test_an_update_from_a_stale_version_is_refused(stores: Stores) -> None:
    walk = _walk()
    await stores.walks.add_walk(walk)
    moved = _moved(walk, "lost-phone-next")
    assert await stores.walks.update_walk(moved, expected_version=1)
    assert not await stores.walks.update_walk(_moved(walk, "elsewhere"), expected_version=1)
    assert not await stores.walks.update_walk(_moved(_walk("c" * 32), "x"), expected_version=1)
    assert await stores.walks.get_walk(walk.id) == moved


async def test_clicks_at_once_from_one_version_land_once_each_told(stores: Stores) -> None:
    walks = [_walk(f"{n:032d}", f"U{n}") for n in range(5)]
    assert all(await asyncio.gather(*(stores.walks.add_walk(w) for w in walks)))
    other = await stores.replica()
    changes = [
        (repo, _moved(walk, step, outcome), expected)
        for walk in walks
        for repo, step, outcome, expected in (
            (stores.walks, "one", WalkOutcome.WORKED, 1),
            (other.walks, "two", WalkOutcome.ESCALATED, 1),
            (stores.walks, "stale", WalkOutcome.WORKED, 7),
        )
    ]
    landed = await asyncio.gather(*(repo.update_walk(w, v) for repo, w, v in changes))
    for index, walk in enumerate(walks):
        first, second, stale = landed[3 * index : 3 * index + 3]
        assert [first, second].count(True) == 1
        assert not stale
        winner = changes[3 * index + (0 if first else 1)][1]
        assert await stores.walks.get_walk(walk.id) == winner


async def test_walks_left_alone_past_the_cutoff_end_abandoned(stores: Stores) -> None:
    left = _walk("l" * 32, "U7")
    ended = _walk("e" * 32, "U8")
    fresh = replace(_walk("f" * 32, "U9"), updated_at=NOW + timedelta(hours=2))
    for walk in (left, ended, fresh):
        await stores.walks.add_walk(walk)
    worked = replace(_moved(ended, "done", WalkOutcome.WORKED), updated_at=NOW)
    assert await stores.walks.update_walk(worked, expected_version=1)
    assert await stores.walks.abandon_walks_before(NOW) == 0  # untouched since exactly then
    assert await stores.walks.abandon_walks_before(NOW + timedelta(hours=1)) == 1
    assert await stores.walks.abandon_walks_before(NOW + timedelta(hours=1)) == 0
    abandoned = await stores.walks.get_walk(left.id)
    assert abandoned is not None
    assert (abandoned.state.outcome, abandoned.version) == (WalkOutcome.ABANDONED, 2)
    assert abandoned.updated_at == NOW
    assert await stores.walks.get_walk(ended.id) == worked
    assert await stores.walks.get_walk(fresh.id) == fresh


async def test_each_event_id_is_claimed_once_and_old_ones_are_forgotten(stores: Stores) -> None:
    ledger = stores.events
    other = (await stores.replica()).events
    claims = await asyncio.gather(
        *(repo.claim_event("Ev1", NOW) for repo in (ledger, other, ledger, other, ledger))
    )
    assert sorted(claims) == [False, False, False, False, True]
    assert await ledger.claim_event("Ev2", NOW + timedelta(days=2))
    assert await ledger.forget_events_before(NOW) == 0  # seen exactly then: kept
    assert await ledger.forget_events_before(NOW + timedelta(days=1)) == 1
    assert await ledger.claim_event("Ev1", NOW + timedelta(days=2))
    assert not await ledger.claim_event("Ev2", NOW)
