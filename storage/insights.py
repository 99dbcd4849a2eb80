"""Counting a period's walks, requests and audit lines for the help desk's figures: a few GROUP BY
statements over indexed columns, and one row per request for the waits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, cast, func, insert, or_, select, update
from sqlalchemy import String as SqlString
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.domain.guide import WalkOutcome
from bot.domain.insights import (
    DECISIONS,
    NOT_ME,
    PROVIDER_EVENTS,
    Board,
    Counted,
    Headline,
    Period,
    RequestTimes,
)
from bot.domain.requests import Status
from storage.models import ActionRow, AuditRow, HelpRequestRow, InsightBoardRow, Walk

_DONE = f"request.{Status.DONE.value}"
_BOARDS: Table = InsightBoardRow.__table__  # type: ignore[assignment]
# A statement of any columns (the counts are read by position).
type Rows = Select[*tuple[Any, ...]]


class SqlInsights:
    """The figures' counts, read from the database in one connection."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def count(self, period: Period, team_id: str | None = None) -> Counted:
        async with self._engine.connect() as conn:
            walks = await _pairs(conn, _walks(period, team_id))
            abandoned = await _pairs(conn, _abandoned_steps(conn, period, team_id))
            by_day = await _pairs(conn, _walks_by_day(conn, period, team_id))
            requests = await _request_times(conn, period, team_id)
            approved = await conn.execute(_approved_actions(period, team_id))
            decisions = await _pairs(conn, _decisions(period, team_id))
            events = await conn.execute(_events(period, team_id))
        return Counted(
            walks=walks,
            abandoned_at=abandoned,
            walks_by_day=by_day,
            requests=requests,
            approved_actions={str(action): int(count) for action, count in approved},
            decisions=decisions,
            events={str(event): int(count) for event, count in events},
        )


async def _pairs(conn: AsyncConnection, statement: Rows) -> dict[tuple[str, str], int]:
    rows = await conn.execute(statement)
    return {(str(first or ""), str(second or "")): int(count) for first, second, count in rows}


def _walks_in(period: Period, team_id: str | None) -> list[ColumnElement[bool]]:
    conditions = [Walk.started_at >= period.since, Walk.started_at < period.until]
    if team_id is not None:
        conditions.append(Walk.team_id == team_id)
    return conditions


def _requests_in(period: Period, team_id: str | None) -> list[ColumnElement[bool]]:
    conditions = [
        HelpRequestRow.created_at >= period.since,
        HelpRequestRow.created_at < period.until,
    ]
    if team_id is not None:
        conditions.append(HelpRequestRow.team_id == team_id)
    return conditions


def _walks(period: Period, team_id: str | None) -> Rows:
    return (
        select(Walk.topic_id, Walk.outcome, func.count())
        .where(*_walks_in(period, team_id))
        .group_by(Walk.topic_id, Walk.outcome)
    )


def _abandoned_steps(conn: AsyncConnection, period: Period, team_id: str | None) -> Rows:
    """Walks abandoned, by topic and the step they were left on (the path's last step)."""
    if conn.dialect.name == "postgresql":
        last_step: ColumnElement[Any] = Walk.path.op("->>")(-1)
    else:  # SQLite's JSON path for an array's last element
        last_step = func.json_extract(Walk.path, "$[#-1]")
    step = cast(last_step, SqlString).label("step")
    return (
        select(Walk.topic_id, step, func.count())
        .where(*_walks_in(period, team_id), Walk.outcome == WalkOutcome.ABANDONED.value)
        .group_by(Walk.topic_id, step)
    )


def _walks_by_day(conn: AsyncConnection, period: Period, team_id: str | None) -> Rows:
    """Walks by the UTC day they started on and their outcome."""
    if conn.dialect.name == "postgresql":
        day: ColumnElement[Any] = func.to_char(func.timezone("UTC", Walk.started_at), "YYYY-MM-DD")
    else:  # stored as ISO text in UTC
        day = func.substr(Walk.started_at, 1, 10)
    labelled = day.label("day")
    return (
        select(labelled, Walk.outcome, func.count())
        .where(*_walks_in(period, team_id))
        .group_by(labelled, Walk.outcome)
    )


async def _request_times(
    conn: AsyncConnection, period: Period, team_id: str | None
) -> list[RequestTimes]:
    """Each request of the period with its first decision and its end, from the audit log."""
    in_period = _requests_in(period, team_id)
    ids = select(HelpRequestRow.id).where(*in_period).scalar_subquery()
    decided = (
        select(AuditRow.request_id, func.min(AuditRow.at).label("at"))
        .where(AuditRow.request_id.in_(ids), AuditRow.event.in_(DECISIONS))
        .group_by(AuditRow.request_id)
        .subquery()
    )
    done = (
        select(AuditRow.request_id, func.max(AuditRow.at).label("at"))
        .where(AuditRow.request_id.in_(ids), AuditRow.event == _DONE)
        .group_by(AuditRow.request_id)
        .subquery()
    )
    statement = (
        select(
            HelpRequestRow.id,
            HelpRequestRow.status,
            HelpRequestRow.created_at,
            decided.c.at,
            done.c.at,
            HelpRequestRow.proposed,
        )
        .outerjoin(decided, decided.c.request_id == HelpRequestRow.id)
        .outerjoin(done, done.c.request_id == HelpRequestRow.id)
        .where(*in_period)
        .order_by(HelpRequestRow.id)
    )
    rows = await conn.execute(statement)
    return [
        RequestTimes(request_id, Status(status), created, decided_at, done_at, tuple(proposed))
        for request_id, status, created, decided_at, done_at, proposed in rows
    ]


def _approved_actions(period: Period, team_id: str | None) -> Rows:
    return (
        select(ActionRow.action, func.count())
        .join(HelpRequestRow, HelpRequestRow.id == ActionRow.request_id)
        .where(*_requests_in(period, team_id))
        .group_by(ActionRow.action)
    )


def _audit_in(period: Period, team_id: str | None, events: tuple[str, ...]) -> Rows:
    statement = select(AuditRow.actor_id, AuditRow.event, func.count()).where(
        AuditRow.at >= period.since, AuditRow.at < period.until, AuditRow.event.in_(events)
    )
    if team_id is not None:
        statement = statement.join(
            HelpRequestRow,
            and_(HelpRequestRow.id == AuditRow.request_id, HelpRequestRow.team_id == team_id),
        )
    return statement


def _decisions(period: Period, team_id: str | None) -> Rows:
    return _audit_in(period, team_id, DECISIONS).group_by(AuditRow.actor_id, AuditRow.event)


def _events(period: Period, team_id: str | None) -> Rows:
    counted = _audit_in(period, team_id, (NOT_ME, *PROVIDER_EVENTS))
    return counted.with_only_columns(AuditRow.event, func.count()).group_by(AuditRow.event)


class SqlBoards:
    """The admins' Home boards, one row per workspace; the drawing is claimed conditionally."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get_board(self, team_id: str) -> Board | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(_BOARDS).where(_BOARDS.c.team_id == team_id))
            ).one_or_none()
        if row is None or row.drawn_at is None or row.this_week is None:
            return None
        return Board(
            team_id,
            Headline.from_json(row.this_week),
            Headline.from_json(row.week_before or {}),
            tuple(row.pictures),
            row.drawn_at,
        )

    async def claim_board(self, team_id: str, now: datetime, until: datetime) -> bool:
        table = _BOARDS
        async with self._engine.begin() as conn:
            taken = await conn.execute(
                update(table)
                .where(
                    table.c.team_id == team_id,
                    or_(table.c.drawing_until.is_(None), table.c.drawing_until < now),
                )
                .values(drawing_until=until)
            )
            if taken.rowcount:
                return True
        try:  # the workspace's first board: the row is made by whoever inserts it first
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(table).values(team_id=team_id, pictures=[], drawing_until=until)
                )
        except IntegrityError:
            return False
        return True

    async def put_board(self, board: Board) -> tuple[str, ...]:
        table = _BOARDS
        async with self._engine.begin() as conn:
            old = await conn.scalar(
                select(table.c.pictures).where(table.c.team_id == board.team_id).with_for_update()
            )
            await conn.execute(
                update(table)
                .where(table.c.team_id == board.team_id)
                .values(
                    this_week=board.this.to_json(),
                    week_before=board.before.to_json(),
                    pictures=list(board.pictures),
                    drawn_at=board.drawn_at,
                    drawing_until=None,
                )
            )
        return tuple(old or ())
