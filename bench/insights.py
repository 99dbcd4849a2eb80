"""`python -m bench.insights`: how long the help desk's figures take on a generated year of a
50,000-person company, on PostgreSQL (or the DATABASE_URL given).

The year: every employee walks the guide about three times (150,000 walks in three workspaces, an
eighth of them escalated and a tenth abandoned), 18,000 requests with their decisions, actions
and audit lines. Prints the time of the figures for a week, a month and the year, for the whole
company and for one workspace (the best of five runs each, after one to warm the cache).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.run import _drop_postgres, _postgres_database
from bot.domain.hours import OfficeHours
from bot.domain.insights import Period, figures
from storage.engine import create_engine
from storage.insights import SqlInsights
from storage.migrate import migrate
from storage.models import ActionRow, AuditRow, HelpRequestRow, Walk

YEAR_START = datetime(2025, 12, 1, tzinfo=UTC)
TEAMS = ("T0NORTH", "T0SOUTH", "T0WEST")
TOPICS = ("lost-phone", "new-phone", "no-code", "app-notifications", "wrong-code", "travel")
EMPLOYEES = 50_000
WALKS = 150_000
REQUESTS = 18_000
CHUNK = 5_000
ADMINS = tuple(f"UADMIN{n:02d}" for n in range(12))


def _moment(rng: random.Random) -> datetime:
    return YEAR_START + timedelta(seconds=rng.randrange(365 * 24 * 3600))


def _walk_rows(rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for _ in range(WALKS):
        at = _moment(rng)
        roll = rng.random()
        outcome = (
            "worked"
            if roll < 0.7
            else "escalated"
            if roll < 0.82
            else "abandoned"
            if roll < 0.92
            else "in_progress"
        )
        path = ["start", *rng.sample(["check", "scan-qr", "sms", "call", "app"], rng.randint(0, 3))]
        rows.append(
            {
                "id": uuid.uuid4().hex,
                "team_id": rng.choice(TEAMS),
                "user_id": f"U{rng.randrange(EMPLOYEES):08d}",
                "topic_id": rng.choice(TOPICS),
                "surface": "dm",
                "path": path,
                "seen": path,
                "choices": [],
                "outcome": outcome,
                "started_at": at,
                "updated_at": at + timedelta(minutes=3),
                "version": 1,
            }
        )
    return rows


def _request_rows(rng: random.Random) -> tuple[list[dict[str, Any]], ...]:
    requests, actions, audit = [], [], []
    for number in range(1, REQUESTS + 1):
        created = _moment(rng)
        roll = rng.random()
        status = "done" if roll < 0.78 else "denied" if roll < 0.88 else "expired"
        decided = created + timedelta(minutes=rng.expovariate(1 / 90))
        requests.append(
            {
                "id": number,
                "team_id": rng.choice(TEAMS),
                "requester_id": f"U{number:08d}",
                "topic_id": rng.choice(TOPICS),
                "description": "lost my phone",
                "lost_or_stolen": True,
                "remaining": "none",
                "contact": "+1 555 0100",
                "proposed": ["clear_mfa", "revoke_sessions"],
                "tried": [],
                "status": status,
                "created_at": created,
                "expires_at": created + timedelta(days=1),
                "updated_at": decided,
            }
        )
        audit.append(_audit(created, f"U{number:08d}", "request.created", number))
        audit.append(_audit(created, "system", "request.not_privileged", number))
        admin = rng.choice(ADMINS)
        if status == "done":
            audit.append(_audit(decided, admin, "request.approved", number))
            audit.append(_audit(decided, "system", "request.executing", number))
            for position, action in enumerate(("clear_mfa", "revoke_sessions")):
                actions.append(
                    {
                        "request_id": number,
                        "position": position,
                        "action": action,
                        "status": "done",
                        "attempts": 1,
                        "updated_at": decided,
                    }
                )
                audit.append(_audit(decided, "system", "action.done", number))
            audit.append(_audit(decided + timedelta(seconds=5), "system", "request.done", number))
        elif status == "denied":
            audit.append(_audit(decided, admin, "request.denied", number))
        else:
            audit.append(_audit(created + timedelta(days=1), "system", "request.expired", number))
    return requests, actions, audit


def _audit(at: datetime, actor: str, event: str, request_id: int) -> dict[str, Any]:
    return {"at": at, "actor_id": actor, "event": event, "request_id": request_id, "detail": {}}


async def _fill(engine: AsyncEngine) -> dict[str, int]:
    rng = random.Random(20261203)
    walks = _walk_rows(rng)
    requests, actions, audit = _request_rows(rng)
    async with engine.begin() as conn:
        for table, rows in ((Walk, walks), (HelpRequestRow, requests)):
            for start in range(0, len(rows), CHUNK):
                await conn.execute(insert(table), rows[start : start + CHUNK])
        for table, rows in ((ActionRow, actions), (AuditRow, audit)):
            for start in range(0, len(rows), CHUNK):
                await conn.execute(insert(table), rows[start : start + CHUNK])
        if engine.dialect.name == "postgresql":
            await conn.execute(text("SELECT setval('help_requests_id_seq', :n)"), {"n": REQUESTS})
    if engine.dialect.name == "postgresql":  # fresh statistics, as autovacuum would keep them
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    return {"walks": len(walks), "requests": len(requests), "audit": len(audit)}


async def _time(engine: AsyncEngine, period: Period, team: str | None) -> tuple[float, int]:
    source = SqlInsights(engine)
    hours = OfficeHours.parse("Mon-Fri 8:00-18:00 Europe/Berlin")
    best = float("inf")
    walks = 0
    for _ in range(6):  # the first warms the cache and is not counted below
        start = time.perf_counter()
        found = figures(await source.count(period, team), period, hours)
        best = min(best, time.perf_counter() - start)
        walks = found.walks
    return best, walks


async def measure(url: str) -> None:
    """Fill the database at `url` with a year and print the figures' times."""
    engine = create_engine(url)
    try:
        await migrate(engine)
        started = time.perf_counter()
        sizes = await _fill(engine)
        print(
            f"generated {sizes['walks']:,} walks, {sizes['requests']:,} requests, "
            f"{sizes['audit']:,} audit lines in {time.perf_counter() - started:.1f} s"
        )
        end = YEAR_START + timedelta(days=365)
        periods = {
            "week": Period(end - timedelta(days=7), end),
            "month": Period(end - timedelta(days=30), end),
            "year": Period(YEAR_START, end),
        }
        print(f"{'period':<7} {'scope':<10} {'walks':>8} {'figures (ms)':>13}")
        for name, period in periods.items():
            for scope in (None, TEAMS[0]):
                seconds, walks = await _time(engine, period, scope)
                print(f"{name:<7} {scope or 'company':<10} {walks:>8,} {seconds * 1000:>13.1f}")
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty database to fill (default: a new one)")
    given = parser.parse_args().database_url
    url = given or _postgres_database()
    if url is None:
        raise SystemExit("no PostgreSQL on 127.0.0.1:5432: give --database-url")
    try:
        asyncio.run(measure(url))
    finally:
        if given is None:
            _drop_postgres(url)


if __name__ == "__main__":
    main()
