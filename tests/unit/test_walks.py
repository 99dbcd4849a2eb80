"""Walks: every start and click is stored before it is returned, so what is shown is stored."""

from __future__ import annotations

import pytest

from bot.domain.guide import Move, WalkOutcome
from bot.domain.requests import Answered, Remaining
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


async def _lost_phone_walk(walks: Walks, *moves: tuple[Move, int]) -> WalkRecord:
    walk = await walks.start("T", "U1", "lost-phone", Surface.DM)
    for move, choice in moves:
        walk = await walks.move(walk.id, "U1", walk.state.current, move, choice)
    return walk


async def test_a_choice_answers_the_forms_questions_for_its_walker_only() -> None:
    walks = Walks(GUIDE, MemoryWalkRepository(), FixedClock())
    walk = await _lost_phone_walk(walks, (Move.CHOICE, 1))  # lost or stolen, no other method
    assert await walks.answered(walk.id, "U1") == Answered(True, Remaining.NONE)
    assert await walks.answered(walk.id, "U2") == Answered()
    assert await walks.answered("0" * 32, "U1") == Answered()
    new_number = await _lost_phone_walk(walks, (Move.CHOICE, 2))
    assert await walks.answered(new_number.id, "U1") == Answered(False, Remaining.NONE)


async def test_a_choice_undone_with_back_neither_answers_nor_tells() -> None:
    walks = Walks(GUIDE, MemoryWalkRepository(), FixedClock())
    walk = await _lost_phone_walk(walks, (Move.CHOICE, 1), (Move.BACK, 0))
    assert await walks.answered(walk.id, "U1") == Answered()
    assert await walks.told(walk.id, "U1") is None
    # Another device, then That didn't work: the same step as the stolen phone's, no answer.
    walk = await _lost_phone_walk(walks, (Move.CHOICE, 1), (Move.BACK, 0), (Move.CHOICE, 0))
    walk = await walks.move(walk.id, "U1", walk.state.current, Move.NEXT)
    assert walk.state.current == "lost-phone-clear"
    assert await walks.answered(walk.id, "U1") == Answered()
    # Chosen again after Back: the later choice is the one that counts.
    walk = await _lost_phone_walk(walks, (Move.CHOICE, 1), (Move.BACK, 0), (Move.CHOICE, 2))
    assert await walks.answered(walk.id, "U1") == Answered(False, Remaining.NONE)
    assert (await walks.told(walk.id, "U1") or "").startswith("I got a new phone number")


async def test_the_answers_of_a_walk_that_ended_with_contact_it_stay() -> None:
    walks = Walks(GUIDE, MemoryWalkRepository(), FixedClock())
    walk = await _lost_phone_walk(walks, (Move.CHOICE, 1), (Move.CONTACT_IT, 0))
    assert walk.state.outcome is WalkOutcome.ESCALATED
    assert await walks.answered(walk.id, "U1") == Answered(True, Remaining.NONE)
