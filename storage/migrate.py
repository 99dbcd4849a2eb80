"""Brings the schema to the newest Alembic revision; replicas starting together take turns."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

_HERE = Path(__file__).parent
# An arbitrary constant shared by every replica, so only one of them migrates at a time.
_PG_LOCK_KEY = 0x6D666168


def alembic_config() -> Config:
    """Alembic's configuration pointing at this package's migrations."""
    config = Config(str(_HERE / "alembic.ini"))
    config.set_main_option("script_location", str(_HERE / "migrations"))
    return config


async def migrate(engine: AsyncEngine) -> str | None:
    """Upgrade to head and return the revision now current."""
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_LOCK_KEY})
            await conn.commit()
        try:
            await conn.run_sync(_upgrade)
            await conn.commit()
            return await conn.run_sync(_current)
        finally:
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY})
                await conn.commit()


async def pending_revisions(engine: AsyncEngine) -> bool:
    """True when the database is behind the newest revision."""
    async with engine.connect() as conn:
        current = await conn.run_sync(_current)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return current != head


class SchemaNotCurrentError(Exception):
    """The database is not at the revision this version of the bot needs."""


async def require_current_schema(engine: AsyncEngine) -> None:
    """SchemaNotCurrentError naming both revisions unless the database is at the newest one."""
    async with engine.connect() as conn:
        current = await conn.run_sync(_current)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if current != head:
        raise SchemaNotCurrentError(
            f"the database schema is at revision {current or 'none'}, this version needs "
            f"{head}: run `mfa-helpdesk migrate` as the tables' owner (MIGRATION_DATABASE_URL) "
            "first"
        )


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
