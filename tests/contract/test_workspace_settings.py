"""Each workspace's settings, the same on the in-memory double and on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.workspace import WorkspaceSettings, WorkspaceSettingsStore
from storage.engine import create_engine, session_factory
from storage.installations import SqlWorkspaceSettings
from storage.memory import MemoryHelpDesks
from storage.migrate import migrate

AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


async def _contract(store: WorkspaceSettingsStore) -> None:
    assert await store.settings_of("TONE") is None
    first = WorkspaceSettings("TONE", "C1", ("UA",), None, "UOWNER", AT)
    await store.save_settings(first)
    assert await store.settings_of("TONE") == first
    org = WorkspaceSettings(
        "TGRID", "C2", (), "S0IT", "UOWNER2", AT, enterprise_id="EORG", org_wide=True
    )
    await store.save_settings(org)
    again = WorkspaceSettings("TONE", "C9", ("UA", "UB"), "S1", "UOTHER", AT + timedelta(hours=1))
    await store.save_settings(again)
    assert await store.settings_of("TONE") == again
    assert await store.settings_of("TGRID") == org


async def test_the_in_memory_double() -> None:
    await _contract(MemoryHelpDesks())


async def test_the_database(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        await _contract(SqlWorkspaceSettings(session_factory(engine)))
    finally:
        await engine.dispose()
