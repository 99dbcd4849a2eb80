"""A month of the help desk's history for the sandbox, so that the admins' Home has pictures to
show before anyone has tried anything: walks of every topic and outcome, and requests approved,
denied, expired and reported, written through the repositories the bot writes with."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.guide import Guide, WalkOutcome, WalkState
from bot.domain.identity import ResetAction
from bot.domain.requests import AuditEntry, ContactForm, HelpRequest, Remaining, Status
from bot.domain.walks import Surface, WalkRecord
from storage.engine import session_factory
from storage.helpdesk import SqlRequestRepository
from storage.walks import SqlWalkRepository

DAYS = 30
SYSTEM = "system"
# Each day's walks end as these do, most of them by getting back in.
OUTCOMES = (
    (WalkOutcome.WORKED, 0.68),
    (WalkOutcome.ESCALATED, 0.14),
    (WalkOutcome.ABANDONED, 0.13),
    (WalkOutcome.IN_PROGRESS, 0.05),
)


async def seed_history(
    engine: AsyncEngine, guide: Guide, team_id: str, admins: list[str], now: datetime
) -> tuple[int, int]:
    """Write the month before `now`; how many walks and requests."""
    rng = random.Random(2026)  # noqa: S311 - made-up history, the same month every time
    walks = SqlWalkRepository(engine)
    requests = SqlRequestRepository(session_factory(engine))
    topics = [topic for topic in guide.topics if not topic.informational]
    start = (now - timedelta(days=DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
    walked = filed = 0
    for day in range(DAYS):
        morning = start + timedelta(days=day, hours=8)
        weekend = morning.weekday() >= 5
        for _ in range(rng.randint(2, 5) if weekend else rng.randint(10, 22)):
            at = morning + timedelta(minutes=rng.randrange(10 * 60))
            topic = rng.choice(topics)
            outcome = rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
            steps = tuple(step.id for step in topic.steps[: rng.randint(1, len(topic.steps))])
            state = WalkState(topic.id, steps, seen=steps, outcome=outcome)
            person = f"U0HIST{rng.randrange(400):03d}"
            await walks.add_walk(
                WalkRecord(uuid.uuid4().hex, team_id, person, Surface.DM, state, at, at)
            )
            walked += 1
            if outcome is WalkOutcome.ESCALATED and not weekend and rng.random() < 0.7:
                await _request(requests, rng, team_id, topic.id, person, admins, at)
                filed += 1
    return walked, filed


async def _request(
    repo: SqlRequestRepository,
    rng: random.Random,
    team_id: str,
    topic_id: str,
    person: str,
    admins: list[str],
    at: datetime,
) -> None:
    """A request filed at `at`, then decided the way help desks do: mostly approved and done
    within hours, some denied, a few left to expire."""
    proposed = (ResetAction.CLEAR_MFA, ResetAction.REVOKE_SESSIONS)
    form = ContactForm("I can't sign in", rng.random() < 0.5, Remaining.NONE, None, "+1 555 0100")
    request = await repo.create_request(
        HelpRequest(
            id=0,
            team_id=team_id,
            requester_id=person,
            topic_id=topic_id,
            walk_id=None,
            form=form,
            proposed=proposed,
            tried=(),
            status=Status.OPEN,
            created_at=at,
            expires_at=at + timedelta(days=1),
            updated_at=at,
            requester_name="A colleague",
            requester_email=f"{person.lower()}@example.com",
        ),
        AuditEntry(at, person, "request.created"),
    )
    admin = rng.choice(admins)
    decided = at + timedelta(minutes=min(rng.lognormvariate(3.6, 0.9), 20 * 60))
    roll = rng.random()
    if roll < 0.08:
        audit = AuditEntry(at + timedelta(days=1), SYSTEM, "request.expired", request.id)
        await repo.transition(request.id, frozenset({Status.OPEN}), Status.EXPIRED, audit)
        return
    if roll < 0.2:
        reason = "Please call the help desk so that we can check it is you."
        audit = AuditEntry(decided, admin, "request.denied", request.id)
        await repo.deny(request.id, admin, decided, reason, audit)
        return
    approved = AuditEntry(decided, admin, "request.approved", request.id)
    await repo.approve(request.id, proposed, approved, at=decided, first_approver_is=None)
    steps = ((Status.APPROVED, Status.EXECUTING, 0.1), (Status.EXECUTING, Status.DONE, 0.5))
    for before, after, minutes in steps:
        moved = AuditEntry(
            decided + timedelta(minutes=minutes), SYSTEM, f"request.{after}", request.id
        )
        await repo.transition(request.id, frozenset({before}), after, moved)
