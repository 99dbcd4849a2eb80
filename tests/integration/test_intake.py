"""Storing a contact form: one request per form submission, even across replicas."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.errors import AlreadyOpenError, AlreadySubmittedError, NotRequesterError
from bot.domain.guide import WalkState
from bot.domain.helpdesk import Helpdesk, HelpdeskConfig, Submitted
from bot.domain.ports import WorkKind
from bot.domain.requests import AuditEntry, ContactForm, Remaining, Status
from bot.domain.walks import Surface, WalkRecord, Walks
from bot.guide import load_guide
from storage.engine import create_engine, session_factory
from storage.helpdesk import SqlRequestRepository
from storage.migrate import migrate
from storage.walks import SqlWalkRepository
from tests.conftest import FixedClock
from tests.fakes.core import Admins, FlakyDirectory, Notices, People

FORM = ContactForm("lost it", True, Remaining.NONE, None, "+1 555 0100")
GUIDE = load_guide()


@pytest.fixture
async def engines(database_url: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """Two engines on one migrated database: two replicas' connection pools."""
    first, second = create_engine(database_url), create_engine(database_url)
    await migrate(first)
    yield first, second
    await first.dispose()
    await second.dispose()


def _no_cards(work: Coroutine[Any, Any, None], name: str, kind: WorkKind) -> None:
    """The background runner here: posting the cards is not what these tests are about."""
    work.close()


def _replica(engine: AsyncEngine, clock: FixedClock) -> Helpdesk:
    return Helpdesk(
        HelpdeskConfig(channel_id="C0DESK", requests_per_hour=100),
        SqlRequestRepository(session_factory(engine)),
        Walks(GUIDE, SqlWalkRepository(engine), clock),
        FlakyDirectory(),
        Admins(),
        People(),
        Notices(),
        clock,
        background=_no_cards,
    )


async def test_a_second_insert_of_one_form_is_refused_naming_the_first(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    clock = FixedClock()
    service = _replica(engines[0], clock)
    repo = SqlRequestRepository(session_factory(engines[0]))
    first = await service.submit("T0TEAM", "U1", "lost-phone", None, FORM, "VFORM1")
    assert first.new
    # Cancelled, so only the form's key still stands in the way of the same insert again.
    await service.cancel(first.request.id, "U1")
    with pytest.raises(AlreadySubmittedError) as refused:
        await repo.create_request(
            first.request, AuditEntry(clock.now(), "U1", "request.created"), clock.now()
        )
    assert refused.value.request_id == first.request.id
    # Another form of the same person, while one is open, is refused for that reason.
    await service.submit("T0TEAM", "U1", "lost-phone", None, FORM, "VFORM2")
    with pytest.raises(AlreadyOpenError):
        await service.submit("T0TEAM", "U1", "lost-phone", None, FORM, "VFORM3")


async def test_a_form_id_sent_by_someone_else_shows_them_nothing(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    service = _replica(engines[0], FixedClock())
    await service.submit("T0TEAM", "U1", "lost-phone", None, FORM, "VFORM1")
    with pytest.raises(NotRequesterError):
        await service.submit("T0TEAM", "U2", "lost-phone", None, FORM, "VFORM1")


async def test_one_form_sent_to_two_replicas_at_once_is_one_request(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    clock = FixedClock()
    replicas = [_replica(engine, clock) for engine in engines]
    people = [f"U{n}" for n in range(1, 21)]

    async def send(replica: Helpdesk, user: str) -> Submitted:
        return await replica.submit("T0TEAM", user, "lost-phone", None, FORM, f"V-{user}")

    results = await asyncio.gather(
        *[send(replica, user) for user in people for replica in replicas]
    )
    repo = SqlRequestRepository(session_factory(engines[0]))
    for user, (one, other) in zip(
        people, zip(results[::2], results[1::2], strict=True), strict=True
    ):
        assert one.request.id == other.request.id, user
        assert [one.new, other.new].count(True) == 1, user
        intake = await repo.intake_of(user, f"V-{user}", clock.now() - timedelta(hours=1))
        assert (intake.submitted_as, intake.sent_since) == (one.request.id, 1)
    created = [e for e in await repo.audit_since(clock.now()) if e.event == "request.created"]
    assert len(created) == len(people)
    assert len(await repo.requests_in(frozenset({Status.OPEN}))) == len(people)


async def test_the_request_lists_what_the_walk_tried_as_plain_first_lines(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    clock = FixedClock()
    walk = WalkRecord(
        id="a" * 32,
        team_id="T0TEAM",
        user_id="U1",
        surface=Surface.DM,
        state=WalkState(
            topic_id="lost-phone",
            path=("lost-phone-ways",),
            seen=("lost-phone-ways", "no-such-step"),
            choices=("lost-phone-ways:I have no other method",),
        ),
        started_at=clock.now(),
        updated_at=clock.now(),
    )
    assert await SqlWalkRepository(engines[0]).add_walk(walk)
    service = _replica(engines[0], clock)
    mine = await service.submit("T0TEAM", "U1", "lost-phone", walk.id, FORM, "VFORM1")
    assert mine.request.tried == (
        "Two ways back into your account",
        "chose: I have no other method",
    )
    # Another person's walk tells nothing about this request.
    theirs = await service.submit("T0TEAM", "U2", "lost-phone", walk.id, FORM, "VFORM2")
    assert theirs.request.tried == ()
