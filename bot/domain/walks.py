"""Employees' walks through the guide: each start and each click stored before it is shown."""

from __future__ import annotations

import itertools
import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.domain import markup
from bot.domain.guide import Choice, Guide, Move, WalkOutcome, WalkState, advance
from bot.domain.ports import NoMeter
from bot.domain.requests import Answered

if TYPE_CHECKING:
    from bot.domain.ports import Clock, Meter
    from bot.domain.repositories import WalkRepository

log = logging.getLogger(__name__)


class Surface(StrEnum):
    """Where the walk is shown."""

    COMMAND = "command"
    DM = "dm"
    HOME = "home"


@dataclass(frozen=True)
class WalkFacts:
    """What a person's walk tells the help desk: what they tried, what their choices say
    happened (for "What happened"), and the form's questions those choices answered."""

    tried: tuple[str, ...] = ()
    told: str | None = None
    answered: Answered = field(default_factory=Answered)


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

    @classmethod
    def new(
        cls, guide: Guide, team_id: str, user_id: str, topic_id: str, surface: Surface, at: datetime
    ) -> WalkRecord:
        """A walk on the first step of a topic, not stored yet; KeyError for an unknown topic."""
        state = WalkState.start(guide, topic_id)
        return cls(uuid.uuid4().hex, team_id, user_id, surface, state, started_at=at, updated_at=at)


class WalkNotFoundError(Exception):
    """A click on a walk that is not stored (a database restored from before it was started)."""


class WalkNotYoursError(Exception):
    """Someone pressed a button on another person's walk."""


class WalkConflictError(Exception):
    """The walk kept changing under us; the click is dropped rather than applied twice."""


_MAX_CONFLICT_RETRIES = 5
_RECENT_WALKS = 2048
WALK_IDLE_LIMIT = timedelta(days=1)


class Walks:
    """Starts walks and applies the employee's clicks, each change stored before it is returned.

    Every surface shows a walk only as this returns it, so whatever a person sees is stored
    already and their next click finds it.
    """

    def __init__(
        self, guide: Guide, walks: WalkRepository, clock: Clock, meter: Meter | None = None
    ) -> None:
        self.guide = guide
        self._walks = walks
        self._clock = clock
        self._meter = meter or NoMeter()
        self._recent: OrderedDict[str, WalkRecord] = OrderedDict()

    async def start(
        self, team_id: str, user_id: str, topic_id: str, surface: Surface
    ) -> WalkRecord:
        """A new walk on the topic's first step, stored; KeyError for a topic the guide lacks."""
        walk = WalkRecord.new(self.guide, team_id, user_id, topic_id, surface, self._clock.now())
        if not await self._walks.add_walk(walk):  # a fresh uuid4 is never taken
            raise WalkConflictError(walk.id)
        self._meter.walk(topic_id, "started")
        return self._remember(walk)

    async def escalate(self, walk_id: str, user_id: str) -> None:
        """Record that the walk ended with a request to IT."""
        for _ in range(_MAX_CONFLICT_RETRIES):
            walk = await self._walks.get_walk(walk_id)
            if walk is None or walk.user_id != user_id:
                return
            escalated = replace(
                walk,
                state=replace(walk.state, outcome=WalkOutcome.ESCALATED),
                updated_at=self._clock.now(),
                version=walk.version + 1,
            )
            if await self._walks.update_walk(escalated, expected_version=walk.version):
                if walk.state.outcome is not WalkOutcome.ESCALATED:
                    self._meter.walk(walk.state.topic_id, WalkOutcome.ESCALATED.value)
                self._remember(escalated)
                return

    async def mine(self, walk_id: str, user_id: str) -> WalkRecord | None:
        """The walk as stored, if it is the person's (None for a walk not stored or another's)."""
        walk = await self._walks.get_walk(walk_id)
        return walk if walk is not None and walk.user_id == user_id else None

    async def facts(self, walk_id: str | None, user_id: str) -> WalkFacts:
        """What the person's walk tells the help desk, from one read of it (nothing for no walk,
        a walk not stored or another's)."""
        return self.facts_of(await self.mine(walk_id, user_id) if walk_id else None)

    def facts_of(self, walk: WalkRecord | None) -> WalkFacts:
        """What a walk read already tells the help desk: what was tried on it, what its choices
        on the way to the step shown say happened, and the form's questions they answered."""
        if walk is None:
            return WalkFacts()
        lines = []
        for step_id in walk.state.seen:
            try:
                text = self.guide.step(walk.state.topic_id, step_id).text
            except KeyError:  # the guide changed since
                continue
            lines.append(markup.first_line(text))
        lines += [f"chose: {choice.split(':', 1)[1]}" for choice in walk.state.choices]
        trail = self._trail(walk)
        said = [choice.tells_it for choice in trail if choice.tells_it]
        answered = Answered()
        for choice in trail:
            if choice.answers is not None:
                answered = answered.then(choice.answers.answered())
        return WalkFacts(tuple(lines), said[-1] if said else None, answered)

    async def tried(self, walk_id: str, user_id: str) -> tuple[str, ...]:
        """What the person tried on their walk before asking IT: each step's first line, in plain
        text, and the choices they made (nothing for a walk not theirs or not stored)."""
        return (await self.facts(walk_id, user_id)).tried

    async def told(self, walk_id: str, user_id: str) -> str | None:
        """What the person's choices on their walk say happened (the last choice on the way to
        the step shown that says), or None (a walk not theirs or not stored, or no such choice)."""
        return (await self.facts(walk_id, user_id)).told

    async def answered(self, walk_id: str, user_id: str) -> Answered:
        """The form's questions that the person's choices on the way to the step shown answered
        (none for a walk not theirs or not stored): the help desk takes them from here, never
        from the form."""
        return (await self.facts(walk_id, user_id)).answered

    def _trail(self, walk: WalkRecord) -> list[Choice]:
        """The choices that led along the walk's path to the step shown, in order: a choice
        undone with Back, or passed by with Next, is not on it."""
        state, trail = walk.state, []
        for here, there in itertools.pairwise(state.path):
            made = [m.partition(":")[2] for m in state.choices if m.partition(":")[0] == here]
            try:
                step = self.guide.step(state.topic_id, here)
            except KeyError:  # the guide changed since
                continue
            last = next((c for c in step.choices if made and c.label == made[-1]), None)
            if last is not None and last.goto == there:
                trail.append(last)
        return trail

    async def press(
        self, walk_id: str, user_id: str, shown_step: str, move: Move, choice: int = 0
    ) -> WalkRecord | None:
        """A button press from a front end: the walk after it, or None when the press is dropped
        (a walk not stored or not theirs, a step the guide lost, a walk that kept changing), with
        why in the log."""
        try:
            return await self.move(walk_id, user_id, shown_step, move, choice)
        except WalkNotFoundError:
            log.info("ignored a click on a walk that is not stored")
        except WalkNotYoursError:
            log.info("ignored a click on another person's walk")
        except KeyError:
            log.info("ignored a click on a step the guide no longer has")
        except WalkConflictError:
            log.warning("dropped a click on a walk that kept changing under it")
        return None

    async def move(
        self, walk_id: str, user_id: str, shown_step: str, move: Move, choice: int = 0
    ) -> WalkRecord:
        """Apply a button press to the walk; a press on a step no longer shown changes nothing.

        Raises WalkNotFoundError for a walk not stored, WalkNotYoursError for another person's,
        WalkConflictError when it kept changing, KeyError for a step the guide no longer has.
        """
        for attempt in range(_MAX_CONFLICT_RETRIES):
            # The walk this process wrote last is usually still the stored one; when it is not
            # (another replica moved it), the conditional update fails and the next try reads.
            walk = self._recent.get(walk_id) if attempt == 0 else None
            if walk is None or walk.state.current != shown_step:
                walk = await self._walks.get_walk(walk_id)
            if walk is None:
                raise WalkNotFoundError(walk_id)
            if walk.user_id != user_id:
                raise WalkNotYoursError(walk_id)
            if walk.state.current != shown_step:
                return walk
            moved = replace(
                walk,
                state=advance(self.guide, walk.state, move, choice=choice),
                updated_at=self._clock.now(),
                version=walk.version + 1,
            )
            if await self._walks.update_walk(moved, expected_version=walk.version):
                ended = moved.state.outcome
                if ended is not walk.state.outcome and ended is not WalkOutcome.IN_PROGRESS:
                    self._meter.walk(moved.state.topic_id, ended.value)
                return self._remember(moved)
        raise WalkConflictError(walk_id)

    async def close_stale_walks(self) -> int:
        """Walks nobody touched for a day end as abandoned; how many."""
        self._recent.clear()  # what is remembered may be one of them
        abandoned = await self._walks.abandon_walks_before(self._clock.now() - WALK_IDLE_LIMIT)
        if abandoned:  # the repository says how many, not of which topics
            self._meter.walk("", WalkOutcome.ABANDONED.value, abandoned)
        return abandoned

    def _remember(self, walk: WalkRecord) -> WalkRecord:
        self._recent[walk.id] = walk
        self._recent.move_to_end(walk.id)
        while len(self._recent) > _RECENT_WALKS:
            self._recent.popitem(last=False)
        return walk
