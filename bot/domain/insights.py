"""The help desk's figures for a period: what the guide resolved, what reached IT, how fast, and
who decided, computed from what storage counted."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.domain.guide import WalkOutcome
from bot.domain.hours import OfficeHours
from bot.domain.requests import Status

if TYPE_CHECKING:
    from bot.domain.ports import Clock

# The audit events that are a decision on a request, and those of the identity provider's trouble.
APPROVALS = ("request.approved", "request.first_approval")
DENIAL = "request.denied"
NOT_ME = "request.reported_not_me"
DECISIONS = (*APPROVALS, DENIAL)
PROVIDER_EVENTS = ("action.done", "action.failed", "action.retry_scheduled", "request.retried")
ENDED = (WalkOutcome.WORKED, WalkOutcome.ESCALATED, WalkOutcome.ABANDONED)


@dataclass(frozen=True)
class Period:
    """From `since` (included) to `until` (excluded)."""

    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        if self.until <= self.since:
            raise ValueError("a period ends after it starts")

    def before(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.since - (self.until - self.since), self.since)


@dataclass(frozen=True)
class RequestTimes:
    """One request's moments: submitted, first decided, done (None while it has not been)."""

    request_id: int
    status: Status
    created_at: datetime
    first_decision_at: datetime | None
    done_at: datetime | None
    proposed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Counted:
    """What storage counted in a period (of one workspace, or all)."""

    walks: dict[tuple[str, str], int]  # (topic, outcome) -> walks started in the period
    abandoned_at: dict[tuple[str, str], int]  # (topic, step) -> walks abandoned on that step
    walks_by_day: dict[tuple[str, str], int]  # (yyyy-mm-dd, outcome) -> walks
    requests: list[RequestTimes]
    approved_actions: dict[str, int]  # action -> times approved
    decisions: dict[tuple[str, str], int]  # (admin, event) -> decisions made in the period
    events: dict[str, int]  # audit event -> how many in the period (reports, the provider's)


class InsightSource(Protocol):
    """Counts the stored walks, requests and audit lines of a period."""

    async def count(self, period: Period, team_id: str | None = None) -> Counted:
        """What happened in `period`, in one workspace when `team_id` is given."""


@dataclass(frozen=True)
class Spread:
    """How long something took: how many, the median and the 90th percentile."""

    count: int
    median: timedelta | None
    p90: timedelta | None

    @classmethod
    def of(cls, durations: list[timedelta]) -> Spread:
        if not durations:
            return cls(0, None, None)
        ordered = sorted(durations)
        middle = len(ordered) // 2
        median = (
            ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        )
        return cls(len(ordered), median, nearest_rank(ordered, 0.9))


def nearest_rank(ordered: list[timedelta], share: float) -> timedelta:
    """The smallest value at least `share` of the values are no greater than."""
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


@dataclass(frozen=True)
class Waits:
    """Time from submission to the first decision and to done, wall-clock and in office hours."""

    to_decision: Spread
    to_done: Spread
    to_decision_office: Spread | None  # None without readable HELPDESK_HOURS
    to_done_office: Spread | None
    decided_to_done: Spread  # after the decision: the carrying out (and manual steps)
    waiting: int  # requests still without a decision at the period's end
    longest_wait: timedelta | None  # the oldest of those, so far


@dataclass(frozen=True)
class Figures:
    """Everything an IT manager asks of a period."""

    period: Period
    walks_by_topic: dict[str, dict[str, int]]
    walks_by_outcome: dict[str, int]
    deflection: float | None  # share of ended walks that ended with "it worked"
    abandoned_most: tuple[str, str, int] | None  # topic, step, walks
    walks_by_day: dict[str, dict[str, int]]
    requests_by_state: dict[str, int]
    proposed: dict[str, int]
    approved: dict[str, int]
    waits: Waits
    approvals_by_admin: dict[str, int]
    denials: int
    not_me: int
    provider: dict[str, int] = field(default_factory=dict)

    @property
    def walks(self) -> int:
        return sum(self.walks_by_outcome.values())

    @property
    def requests(self) -> int:
        return sum(self.requests_by_state.values())


def figures(counted: Counted, period: Period, hours: OfficeHours | None) -> Figures:
    """The period's figures from what storage counted."""
    by_topic: dict[str, dict[str, int]] = {}
    by_outcome: Counter[str] = Counter()
    for (topic, outcome), count in counted.walks.items():
        by_topic.setdefault(topic, {})[outcome] = count
        by_outcome[outcome] += count
    ended = sum(by_outcome[outcome.value] for outcome in ENDED)
    by_day: dict[str, dict[str, int]] = {}
    for (day, outcome), count in sorted(counted.walks_by_day.items()):
        by_day.setdefault(day, {})[outcome] = count
    approvals: Counter[str] = Counter()
    denials = 0
    for (admin, event), count in counted.decisions.items():
        if event in APPROVALS:
            approvals[admin] += count
        elif event == DENIAL:
            denials += count
    proposed: Counter[str] = Counter()
    states: Counter[str] = Counter()
    for request in counted.requests:
        proposed.update(request.proposed)
        states[request.status.value] += 1
    return Figures(
        period=period,
        walks_by_topic=by_topic,
        walks_by_outcome=dict(by_outcome),
        deflection=by_outcome[WalkOutcome.WORKED.value] / ended if ended else None,
        abandoned_most=_most_abandoned(counted.abandoned_at),
        walks_by_day=by_day,
        requests_by_state=dict(states),
        proposed=dict(proposed),
        approved=dict(counted.approved_actions),
        waits=waits(counted.requests, period.until, hours),
        approvals_by_admin=dict(approvals.most_common()),
        denials=denials,
        not_me=counted.events.get(NOT_ME, 0),
        provider={event: counted.events.get(event, 0) for event in PROVIDER_EVENTS},
    )


def waits(requests: list[RequestTimes], now: datetime, hours: OfficeHours | None) -> Waits:
    """How long the requests waited; those still open count towards `waiting` only."""
    to_decision = [r for r in requests if r.first_decision_at is not None]
    to_done = [r for r in requests if r.done_at is not None]
    undecided = [r for r in requests if r.first_decision_at is None and r.status is Status.OPEN]

    def wall(pairs: list[tuple[datetime, datetime]]) -> Spread:
        return Spread.of([end - start for start, end in pairs])

    def office(pairs: list[tuple[datetime, datetime]]) -> Spread | None:
        return None if hours is None else Spread.of([hours.between(s, e) for s, e in pairs])

    decided = [(r.created_at, r.first_decision_at) for r in to_decision if r.first_decision_at]
    done = [(r.created_at, r.done_at) for r in to_done if r.done_at]
    carried = [
        (r.first_decision_at, r.done_at) for r in to_done if r.first_decision_at and r.done_at
    ]
    longest = max((now - r.created_at for r in undecided), default=None)
    return Waits(
        wall(decided),
        wall(done),
        office(decided),
        office(done),
        wall(carried),
        len(undecided),
        longest,
    )


def _most_abandoned(abandoned: dict[tuple[str, str], int]) -> tuple[str, str, int] | None:
    if not abandoned:
        return None
    (topic, step), count = max(abandoned.items(), key=lambda item: (item[1], item[0]))
    return topic, step, count


class PeriodError(ValueError):
    """A period asked for that cannot be read."""


PERIOD_WORDS = {"today": 1, "week": 7, "month": 30, "quarter": 91, "year": 365}
PERIOD_HELP = (
    "a period is `week` (the default), `today`, `month`, `quarter`, `year`, a number of days "
    "like `14d`, a day like `2026-11-30`, or two days like `2026-11-01..2026-11-30`"
)


def parse_period(text: str, now: datetime) -> Period:
    """The period an admin asked for, ending now unless it names its days (UTC)."""
    word = text.strip().lower() or "week"
    if word in PERIOD_WORDS:
        return Period(now - timedelta(days=PERIOD_WORDS[word]), now)
    if word.endswith("d") and word[:-1].isdigit() and 1 <= int(word[:-1]) <= 3660:
        return Period(now - timedelta(days=int(word[:-1])), now)
    first, _dots, last = word.partition("..")
    try:
        since = _day(first)
        until = _day(last or first) + timedelta(days=1)
        return Period(since, min(until, max(now, since + timedelta(days=1))))
    except ValueError as exc:
        raise PeriodError(f"`{text.strip()}` is not a period: {PERIOD_HELP}") from exc


def _day(text: str) -> datetime:
    day = datetime.strptime(text.strip(), "%Y-%m-%d")
    return day.replace(tzinfo=UTC)


# How long the admins' Home shows the same pictures before they are drawn again.
REFRESH_AFTER = timedelta(minutes=15)
# How long one replica may take to draw and upload them before another may try.
REFRESH_LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class Headline:
    """The few numbers the admins' Home shows of a period."""

    walks: int
    deflection: float | None
    requests: int
    waiting: int
    to_decision: timedelta | None  # medians
    to_done: timedelta | None
    denials: int
    not_me: int

    @classmethod
    def of(cls, found: Figures) -> Headline:
        return cls(
            found.walks,
            found.deflection,
            found.requests,
            found.waits.waiting,
            found.waits.to_decision.median,
            found.waits.to_done.median,
            found.denials,
            found.not_me,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            name: value.total_seconds() if isinstance(value, timedelta) else value
            for name, value in vars(self).items()
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Headline:
        def seconds(name: str) -> timedelta | None:
            value = data.get(name)
            return None if value is None else timedelta(seconds=float(value))

        return cls(
            int(data.get("walks", 0)),
            data.get("deflection"),
            int(data.get("requests", 0)),
            int(data.get("waiting", 0)),
            seconds("to_decision"),
            seconds("to_done"),
            int(data.get("denials", 0)),
            int(data.get("not_me", 0)),
        )


@dataclass(frozen=True)
class Board:
    """What the admins' Home shows of a workspace: this week against the week before, and the
    pictures as the front end stored them (its file ids), drawn at `drawn_at`."""

    team_id: str
    this: Headline
    before: Headline
    pictures: tuple[str, ...]
    drawn_at: datetime

    def stale(self, now: datetime) -> bool:
        return now - self.drawn_at >= REFRESH_AFTER


class BoardStore(Protocol):
    """Keeps each workspace's board, shared by the replicas."""

    async def get_board(self, team_id: str) -> Board | None:
        """The workspace's board, or None before the first is drawn."""

    async def claim_board(self, team_id: str, now: datetime, until: datetime) -> bool:
        """Take the drawing of the workspace's board until `until`, unless another replica
        holds it (conditional: one draws at a time)."""

    async def put_board(self, board: Board) -> tuple[str, ...]:
        """Store the board and free its claim; the pictures of the one it replaces."""


# The front end's drawing: the two periods' figures in, the ids of the pictures it stored out.
type Draw = Callable[[Figures, Figures], Awaitable[tuple[str, ...]]]


class Insights:
    """The figures of a period, for the admins' views and the report."""

    def __init__(
        self,
        source: InsightSource,
        clock: Clock,
        hours: OfficeHours | None,
        boards: BoardStore | None = None,
    ) -> None:
        self._source = source
        self._clock = clock
        self._boards = boards
        self.hours = hours

    async def board(self, team_id: str) -> tuple[Board | None, bool]:
        """The workspace's board as last drawn, and whether it is due to be drawn again."""
        if self._boards is None:
            return None, False
        board = await self._boards.get_board(team_id)
        return board, board is None or board.stale(self._clock.now())

    async def redraw(self, team_id: str, draw: Draw) -> tuple[Board, tuple[str, ...]] | None:
        """Draw the workspace's board again (unless another replica is drawing it): the new
        board and the pictures it replaced, for the front end to delete."""
        if self._boards is None:
            return None
        now = self._clock.now()
        if not await self._boards.claim_board(team_id, now, now + REFRESH_LEASE):
            return None
        this, before = await self.compared(self.this_week(), team_id)
        pictures = await draw(this, before)
        board = Board(team_id, Headline.of(this), Headline.of(before), pictures, now)
        return board, await self._boards.put_board(board)

    async def of(self, period: Period, team_id: str | None = None) -> Figures:
        """The figures of `period`, in one workspace when `team_id` is given."""
        return figures(await self._source.count(period, team_id), period, self.hours)

    async def compared(self, period: Period, team_id: str | None = None) -> tuple[Figures, Figures]:
        """The figures of `period` and of the period of the same length before it."""
        return await self.of(period, team_id), await self.of(period.before(), team_id)

    def this_week(self) -> Period:
        """The seven days up to now."""
        now = self._clock.now()
        return Period(now - timedelta(days=7), now)

    def asked(self, text: str) -> Period:
        """The period an admin typed (PeriodError when it cannot be read)."""
        return parse_period(text, self._clock.now())
