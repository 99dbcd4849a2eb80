"""The stores under contract: each test runs on the in-memory, SQLite and PostgreSQL ones."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.contacts import ContactBook
from bot.domain.identity import ResetAction
from bot.domain.repositories import EventLedger, RequestRepository, WalkRepository
from bot.domain.requests import AuditEntry, ContactForm, HelpRequest, Remaining, Status
from bot.domain.stepup import AuthenticatorStore
from bot.identity.demo import DemoStore
from storage.contacts import SqlContactBook
from storage.demo import SqlDemoStore
from storage.engine import create_engine, session_factory
from storage.events import SqlEventLedger
from storage.helpdesk import SqlRequestRepository
from storage.memory import (
    MemoryAuthenticatorStore,
    MemoryContactBook,
    MemoryDemoStore,
    MemoryEventLedger,
    MemoryRequestRepository,
    MemoryWalkRepository,
)
from storage.migrate import migrate
from storage.models import Base
from storage.stepup import SqlAuthenticatorStore
from storage.walks import SqlWalkRepository
from tests.conftest import POSTGRES_ADMIN_URL

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
FORM = ContactForm("lost it", True, Remaining.NONE, None, "+1 555 0100")


@dataclass
class Stores:
    """One back end's implementation of every storage port."""

    kind: str
    requests: RequestRepository
    walks: WalkRepository
    events: EventLedger
    authenticators: AuthenticatorStore
    demo: DemoStore
    contacts: ContactBook
    # The same data as another replica sees it (its own connections; in memory, the same).
    replica: Callable[[], Awaitable[Stores]]


def _memory() -> Stores:
    async def same() -> Stores:
        return stores

    stores = Stores(
        "memory",
        MemoryRequestRepository(),
        MemoryWalkRepository(),
        MemoryEventLedger(),
        MemoryAuthenticatorStore(),
        MemoryDemoStore(),
        MemoryContactBook(),
        same,
    )
    return stores


def _sql(kind: str, url: str, engines: list[AsyncEngine]) -> Stores:
    engine = create_engine(url)
    engines.append(engine)
    sessions = session_factory(engine)

    async def replica() -> Stores:
        return _sql(kind, url, engines)

    return Stores(
        kind,
        SqlRequestRepository(sessions),
        SqlWalkRepository(engine),
        SqlEventLedger(engine),
        SqlAuthenticatorStore(sessions),
        SqlDemoStore(sessions),
        SqlContactBook(sessions),
        replica,
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, copied for each test (migrating each time costs more)."""
    path = tmp_path_factory.mktemp("contract") / "template.db"

    async def build() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await migrate(engine)
        await engine.dispose()

    asyncio.run(build())
    return path


async def _emptied_postgres(url: str) -> None:
    """The shared test database, migrated and emptied (as tests/conftest.py empties it)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            exists = await conn.scalar(text("SELECT to_regclass('public.walks') IS NOT NULL"))
            if exists:
                # The audit log refuses TRUNCATE (migration 0006); as superuser, the test skips
                # the triggers for this one transaction.
                tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
                await conn.execute(text("SET LOCAL session_replication_role = replica"))
                await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await migrate(engine)
    finally:
        await engine.dispose()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> tuple[str, str | None]:
    """The back end's name and its database's URL (None in memory)."""
    if request.param == "memory":
        return "memory", None
    if request.param == "sqlite":
        shutil.copy(sqlite_template, tmp_path / "bot.db")
        return "sqlite", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    # Asked for here, not as an argument, so that the other back ends run without a server;
    # under REQUIRE_POSTGRES=1 the fixture fails rather than answering None.
    postgres_url: str | None = request.getfixturevalue("postgres_url")
    if postgres_url is None:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}; set TEST_POSTGRES_URL")
    return "postgres", postgres_url


@pytest.fixture
async def stores(backend: tuple[str, str | None]) -> AsyncIterator[Stores]:
    """Every port on one back end, empty."""
    kind, url = backend
    if url is None:
        yield _memory()
        return
    if kind == "postgres":
        await _emptied_postgres(url)
    engines: list[AsyncEngine] = []
    try:
        yield _sql(kind, url, engines)
    finally:
        for engine in engines:
            await engine.dispose()


def line(
    event: str,
    request_id: int | None = None,
    *,
    actor: str = "system",
    at: datetime = NOW,
    detail: dict[str, object] | None = None,
) -> AuditEntry:
    """An audit line."""
    return AuditEntry(at, actor, event, request_id, detail)


def new_request(
    requester: str = "U1",
    *,
    key: str | None = None,
    at: datetime = NOW,
    ttl: timedelta = timedelta(hours=24),
) -> HelpRequest:
    """A request as the core hands it to create_request (its id is assigned there)."""
    return HelpRequest(
        id=0,
        team_id="T0TEAM",
        requester_id=requester,
        topic_id="lost-phone",
        walk_id=None,
        form=FORM,
        proposed=(ResetAction.CLEAR_MFA, ResetAction.REVOKE_SESSIONS),
        tried=("lost-phone-check",),
        status=Status.OPEN,
        created_at=at,
        expires_at=at + ttl,
        updated_at=at,
        requester_name="Ada Lovelace",
        requester_email="ada@example.com",
        submission_key=key,
    )


async def created(
    stores: Stores,
    requester: str = "U1",
    *,
    key: str | None = None,
    at: datetime = NOW,
    ttl: timedelta = timedelta(hours=24),
    owner: str | None = None,
) -> HelpRequest:
    """A new open request stored (its card's posting claimed by `owner`, when given)."""
    request = new_request(requester, key=key, at=at, ttl=ttl)
    if owner is not None:
        request = replace(request, announce_owner=owner)
    return await stores.requests.create_request(
        request, line("request.created", actor=requester, at=at), at if owner else None
    )


async def executing(stores: Stores, *actions: ResetAction, requester: str = "U1") -> HelpRequest:
    """A request approved with `actions` and being carried out."""
    request = await created(stores, requester)
    approved = line("request.approved", request.id, actor="UADMIN")
    assert await stores.requests.approve(
        request.id, actions, approved, at=NOW, first_approver_is=None
    )
    moved = line("request.executing", request.id)
    assert await stores.requests.transition(
        request.id, frozenset({Status.APPROVED}), Status.EXECUTING, moved
    )
    stored = await stores.requests.get_request(request.id)
    assert stored is not None
    return stored
