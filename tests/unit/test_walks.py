"""Walks: every start and click is stored before it is returned, so what is shown is stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from bot.domain.guide import Move, Outcome
from bot.domain.walks import (
    Surface,
    WalkConflictError,
    WalkNotFoundError,
    WalkNotYoursError,
    WalkRecord,
    Walks,
)
from bot.guide import load_guide
from tests.conftest import FixedClock

GUIDE = load_guide()


class DictWalks:
    """The walk repository's contract on a dict (conditional on the version, as in SQL)."""

    def __init__(self) -> None:
        self.rows: dict[str, WalkRecord] = {}
        self.refuse_updates = False

    async def get_walk(self, walk_id: str) -> WalkRecord | None:
        return self.rows.get(walk_id)

    async def add_walk(self, walk: WalkRecord) -> bool:
        return self.rows.setdefault(walk.id, walk) is walk

    async def update_walk(self, walk: WalkRecord, expected_version: int) -> bool:
        stored = self.rows.get(walk.id)
        if self.refuse_updates or stored is None or stored.version != expected_version:
            return False
        self.rows[walk.id] = walk
        return True

    async def abandon_walks_before(self, cutoff: datetime) -> int:
        return 0


async def test_a_started_walk_is_stored_before_it_is_returned() -> None:
    rows = DictWalks()
    walk = await Walks(GUIDE, rows, FixedClock()).start("T", "U1", "lost-phone", Surface.DM)
    assert rows.rows[walk.id] == walk
    assert walk.state.current == GUIDE.topic("lost-phone").first_step.id


async def test_a_topic_the_guide_lacks_starts_nothing() -> None:
    rows = DictWalks()
    with pytest.raises(KeyError):
        await Walks(GUIDE, rows, FixedClock()).start("T", "U1", "no-such-topic", Surface.DM)
    assert rows.rows == {}


async def test_a_click_is_stored_before_the_moved_walk_is_returned() -> None:
    rows = DictWalks()
    walks = Walks(GUIDE, rows, FixedClock())
    walk = await walks.start("T", "U1", "why", Surface.COMMAND)
    moved = await walks.move(walk.id, "U1", walk.state.current, Move.WORKED)
    assert moved.state.outcome is Outcome.WORKED
    assert rows.rows[walk.id] == moved
    assert moved.version == 2


async def test_a_click_on_a_step_no_longer_shown_changes_nothing() -> None:
    rows = DictWalks()
    walks = Walks(GUIDE, rows, FixedClock())
    walk = await walks.start("T", "U1", "not-receiving", Surface.DM)
    await walks.move(walk.id, "U1", "not-receiving-check", Move.NEXT)
    again = await walks.move(walk.id, "U1", "not-receiving-check", Move.NEXT)
    assert again.state.path == ("not-receiving-check", "not-receiving-other-option")
    assert again.version == 2


async def test_a_walk_not_stored_or_not_yours_is_not_moved() -> None:
    rows = DictWalks()
    walks = Walks(GUIDE, rows, FixedClock())
    walk = await walks.start("T", "U1", "why", Surface.DM)
    with pytest.raises(WalkNotFoundError):
        await walks.move("0" * 32, "U1", walk.state.current, Move.NEXT)
    with pytest.raises(WalkNotYoursError):
        await walks.move(walk.id, "U2", walk.state.current, Move.WORKED)
    assert rows.rows[walk.id] == walk


async def test_a_stale_copy_is_read_again_and_a_walk_that_keeps_changing_is_dropped() -> None:
    rows = DictWalks()
    walks = Walks(GUIDE, rows, FixedClock())
    walk = await walks.start("T", "U1", "not-receiving", Surface.DM)
    # Another replica moved it on: the remembered copy is stale, and the click is on the new step.
    on = replace(walk.state, path=(*walk.state.path, "not-receiving-other-option"))
    rows.rows[walk.id] = replace(walk, state=on, version=2)
    moved = await walks.move(walk.id, "U1", "not-receiving-other-option", Move.NEXT)
    assert moved.state.current == "not-receiving-clear"
    rows.refuse_updates = True
    with pytest.raises(WalkConflictError):
        await walks.move(walk.id, "U1", "not-receiving-clear", Move.BACK)
