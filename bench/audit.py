"""What one audit line costs: `record_audit` alone, and a request's creation (insert + audit line).

Run: `python -m bench.audit [DATABASE_URL ...]` (default: a temporary SQLite file); each URL's
database is migrated and gets new rows. Prints the median and p95 per call, sequential and with
eight writers at once (replicas share the chain, so their audit lines take turns).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

from bot.domain.identity import Action
from bot.domain.requests import AuditEntry, ContactForm, HelpRequest, Remaining, Status
from storage.engine import create_engine, session_factory
from storage.helpdesk import SqlRequestRepository
from storage.migrate import migrate

CALLS = 400
WRITERS = 8


def _request(requester: str, now: datetime) -> HelpRequest:
    return HelpRequest(
        id=0,
        team_id="T1",
        requester_id=requester,
        topic_id="lost-phone",
        walk_id=None,
        form=ContactForm("bench", True, Remaining.NONE, None, "desk", ""),
        proposed=(Action.CLEAR_MFA,),
        tried=(),
        status=Status.OPEN,
        created_at=now,
        expires_at=now + timedelta(hours=1),
        updated_at=now,
    )


def _summary(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[int(len(ms) * 0.95) - 1]
    return f"  {name:<34} median {statistics.median(ms):6.3f} ms   p95 {p95:6.3f} ms"


async def _bench(url: str) -> None:
    engine = create_engine(url)
    await migrate(engine)
    repo = SqlRequestRepository(session_factory(engine))
    now = datetime.now(UTC)
    detail = {"action": "clear_mfa", "provider": "bench", "summary": "x" * 80}
    print(f"{engine.dialect.name}:")
    for _ in range(20):  # warm the pool and the statement caches
        await repo.record_audit(AuditEntry(now, "UBENCH", "bench.warm", None, detail))

    async def timed_audit() -> float:
        started = time.perf_counter()
        await repo.record_audit(AuditEntry(now, "UBENCH", "bench.audit", 1, detail))
        return time.perf_counter() - started

    async def timed_request() -> float:
        started = time.perf_counter()
        audit = AuditEntry(now, "UBENCH", "request.created", None, detail)
        await repo.create_request(_request("U" + uuid.uuid4().hex[:12], now), audit)
        return time.perf_counter() - started

    print(_summary("record_audit, one writer", [await timed_audit() for _ in range(CALLS)]))
    print(_summary("create_request, one writer", [await timed_request() for _ in range(CALLS)]))

    async def writer(calls: int) -> list[float]:
        return [await timed_audit() for _ in range(calls)]

    started = time.perf_counter()
    results = await asyncio.gather(*(writer(CALLS // WRITERS) for _ in range(WRITERS)))
    wall = time.perf_counter() - started
    flat = [s for one in results for s in one]
    print(_summary(f"record_audit, {WRITERS} writers", flat))
    print(f"  {'':<34} {len(flat) / wall:7.0f} lines/s")
    await engine.dispose()


async def main(urls: list[str]) -> None:
    """Benchmark each database in turn."""
    with tempfile.TemporaryDirectory() as folder:
        for url in urls or [f"sqlite+aiosqlite:///{folder}/bench.db"]:
            await _bench(url)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
