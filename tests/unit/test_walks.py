"""Walks: every start and click is stored before it is returned, so what is shown is stored."""

from __future__ import annotations

import pytest

from bot.domain.guide import Move, WalkOutcome
from bot.domain.walks import (
    Surface,
    WalkConflictError,
    WalkNotFoundError,
    WalkNotYoursError,
    WalkRecord,
    Walks,
)
from bot.guide import load_guide
from storage.memory import MemoryWalkRepository
from tests.conftest import FixedClock

GUIDE = load_guide()


class Busy(MemoryWalkRepository):
    """A walk that some other replica changes before every update of ours."""

    async def update_walk(self, walk: WalkRecord, expected_version: int) -> bool:
        return False


async def test_a_started_walk_is_stored_before_it_is_returned() -> None:
    rows = MemoryWalkRepository()
    walk = await Walks(GUIDE, rows, FixedClock()).start("T", "U1", "lost-phone", Surface.DM)
    assert await rows.get_walk(walk.id) == walk
    assert walk.state.current == GUIDE.topic("lost-phone").first_step.id


async def test_a_topic_the_guide_lacks_starts_nothing() -> None:
    rows = MemoryWalkRepository()
    with pytest.raises(KeyError):
        await Walks(GUIDE, rows, FixedClock()).start("T", "U1", "no-such-topic", Surface.DM)
    assert await rows.walks_of("U1") == []


async def test_a_click_is_stored_before_the_moved_walk_is_returned() -> None:
    rows = MemoryWalkRepository()
    walks = Walks(GUIDE, rows, FixedClock())
    walk = await walks.start("T", "U1", "why", Surface.COMMAND)
    moved = await walks.move(walk.id, "U1", walk.state.current, Move.WORKED)
    assert moved.state.outcome is WalkOutcome.WORKED
    assert await rows.get_walk(walk.id) == moved
    assert moved.version == 2


async def test_a_click_on_a_step_no_longer_shown_changes_nothing() -> None:
    rows = MemoryWalkRepository()
    walks = Walks(GUIDE, rows, FixedClock())
    walk = await walks.start("T", "U1", "not-receiving", Surface.DM)
    await walks.move(walk.id, "U1", "not-receiving-check", Move.NEXT)
    again = await walks.move(walk.id, "U1", "not-receiving-check", Move.NEXT)
    assert again.state.path == ("not-receiving-check", "not-receiving-other-option")
    assert again.version == 2


async def test_a_walk_not_stored_or_not_yours_is_not_moved() -> None:
    rows = MemoryWalkRepository()
    walks = Walks(GUIDE, rows, FixedClock())
    walk = await walks.start("T", "U1", "why", Surface.DM)
    with pytest.raises(WalkNotFoundError):
        await walks.move("0" * 32, "U1", walk.state.current, Move.NEXT)
    with pytest.raises(WalkNotYoursError):
        await walks.move(walk.id, "U2", walk.state.current, Move.WORKED)
    assert await rows.get_walk(walk.id) == walk


async def test_a_stale_copy_is_read_again_and_a_walk_that_keeps_changing_is_dropped() -> None:
    rows = MemoryWalkRepository()
    first, second = Walks(GUIDE, rows, FixedClock()), Walks(GUIDE, rows, FixedClock())
    walk = await first.start("T", "U1", "not-receiving", Surface.DM)
    await second.move(walk.id, "U1", "not-receiving-check", Move.NEXT)  # another replica
    moved = await first.move(walk.id, "U1", "not-receiving-other-option", Move.NEXT)
    assert moved.state.current == "not-receiving-clear"
    busy = Busy()
    walks = Walks(GUIDE, busy, FixedClock())
    walk = await walks.start("T", "U1", "why", Surface.DM)
    with pytest.raises(WalkConflictError):
        await walks.move(walk.id, "U1", walk.state.current, Move.WORKED)
