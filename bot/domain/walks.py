"""Employees' walks through the guide: start, move, record, with conditional updates."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.domain.guide import Guide, Move, Outcome, WalkState, advance

if TYPE_CHECKING:
    from bot.domain.ports import Clock, WalkRepository


class Surface(StrEnum):
    """Where the walk is shown."""

    COMMAND = "command"
    DM = "dm"
    HOME = "home"


@dataclass(frozen=True)
class WalkRecord:
    """A stored walk: who, where, and its state."""

    id: str
    team_id: str
    user_id: str
    surface: Surface
    state: WalkState
    started_at: datetime
    updated_at: datetime
    version: int = 1


class WalkNotYoursError(Exception):
    """Someone pressed a button on another person's walk."""


class WalkConflictError(Exception):
    """The walk kept changing under us; the click is dropped rather than applied twice."""


_MAX_CONFLICT_RETRIES = 5
_RECENT_WALKS = 2048
WALK_IDLE_LIMIT = timedelta(days=1)


class GuideService:
    """Starts walks and applies the employee's moves, recording each one."""

    def __init__(self, guide: Guide, walks: WalkRepository, clock: Clock) -> None:
        self.guide = guide
        self._walks = walks
        self._clock = clock
        self._recent: OrderedDict[str, WalkRecord] = OrderedDict()

    @staticmethod
    def new_walk_id() -> str:
        """A fresh walk id; made before the walk is stored so a reply can carry it at once."""
        return uuid.uuid4().hex

    def open_walk(
        self, walk_id: str, team_id: str, user_id: str, topic_id: str, surface: Surface
    ) -> WalkRecord:
        """A new walk on the topic's first step, not yet stored (the reply need not wait)."""
        now = self._clock.now()
        return WalkRecord(
            id=walk_id,
            team_id=team_id,
            user_id=user_id,
            surface=surface,
            state=WalkState.start(self.guide, topic_id),
            started_at=now,
            updated_at=now,
        )

    async def record(self, walk: WalkRecord) -> None:
        """Store a walk made by `open_walk`; a click that stored it first wins."""
        if await self._walks.add_walk(walk):
            self._remember(walk)

    async def escalate(self, walk_id: str, user_id: str) -> None:
        """Record that the walk ended with a request to IT."""
        for _ in range(_MAX_CONFLICT_RETRIES):
            walk = await self._walks.get_walk(walk_id)
            if walk is None or walk.user_id != user_id:
                return
            escalated = replace(
                walk,
                state=replace(walk.state, outcome=Outcome.ESCALATED),
                updated_at=self._clock.now(),
                version=walk.version + 1,
            )
            if await self._walks.update_walk(escalated, expected_version=walk.version):
                self._remember(escalated)
                return

    async def move(
        self,
        walk_id: str,
        team_id: str,
        user_id: str,
        topic_id: str,
        shown_step: str,
        move: Move,
        choice: int = 0,
        surface: Surface = Surface.COMMAND,
    ) -> WalkRecord:
        """Apply a button press to the walk; a press on a step no longer shown changes nothing."""
        for attempt in range(_MAX_CONFLICT_RETRIES):
            # The walk this process wrote last is usually still the stored one; when it is not
            # (another replica moved it), the conditional update fails and the next try reads.
            walk = self._recent.get(walk_id) if attempt == 0 else None
            if walk is None or walk.state.current != shown_step:
                walk = await self._walks.get_walk(walk_id)
            if walk is None:
                # The reply that carried this walk was sent before its row was written, or the
                # database was reset: continue from the step on screen rather than lose the click.
                self.guide.step(topic_id, shown_step)
                state = WalkState(topic_id=topic_id, path=(shown_step,), seen=(shown_step,))
                now = self._clock.now()
                walk = WalkRecord(walk_id, team_id, user_id, surface, state, now, now, version=0)
            elif walk.user_id != user_id:
                raise WalkNotYoursError(walk_id)
            if walk.state.current != shown_step:
                return walk
            moved = replace(
                walk,
                state=advance(self.guide, walk.state, move, choice=choice),
                updated_at=self._clock.now(),
                version=walk.version + 1,
            )
            if walk.version == 0:
                moved = replace(moved, version=1)
                if await self._walks.add_walk(moved):
                    return self._remember(moved)
                continue
            if await self._walks.update_walk(moved, expected_version=walk.version):
                return self._remember(moved)
        raise WalkConflictError(walk_id)

    async def close_stale_walks(self) -> int:
        """Walks nobody touched for a day end as abandoned; how many."""
        self._recent.clear()  # what is remembered may be one of them
        return await self._walks.abandon_walks_before(self._clock.now() - WALK_IDLE_LIMIT)

    def _remember(self, walk: WalkRecord) -> WalkRecord:
        self._recent[walk.id] = walk
        self._recent.move_to_end(walk.id)
        while len(self._recent) > _RECENT_WALKS:
            self._recent.popitem(last=False)
        return walk
