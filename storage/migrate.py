"""Brings the schema to the newest Alembic revision; replicas starting together take turns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.errors import StorageUnavailableError

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


async def _current_and_head(engine: AsyncEngine) -> tuple[str | None, str | None]:
    """The database's revision and the newest one this code has."""
    async with engine.connect() as conn:
        current = await conn.run_sync(_current)
    return current, ScriptDirectory.from_config(alembic_config()).get_current_head()


async def pending_revisions(engine: AsyncEngine) -> bool:
    """True when the database is behind the newest revision."""
    current, head = await _current_and_head(engine)
    return current != head


class SchemaNotCurrentError(Exception):
    """The database is not at the revision this version of the bot needs."""


async def require_current_schema(engine: AsyncEngine) -> None:
    """SchemaNotCurrentError naming both revisions unless the database is at the newest one."""
    current, head = await _current_and_head(engine)
    if current != head:
        raise SchemaNotCurrentError(
            f"the database schema is at revision {current or 'none'}, this version needs "
            f"{head}: run `mfa-helpdesk migrate` as the tables' owner (MIGRATION_DATABASE_URL) "
            "first"
        )


@dataclass(frozen=True, slots=True)
class Revisions:
    """This code's migrations, read once: the head, and every revision it knows."""

    head: str | None
    known: frozenset[str]

    @classmethod
    def of_this_code(cls) -> Revisions:
        """Read the migrations folder (a few milliseconds: done at start, not per check)."""
        script = ScriptDirectory.from_config(alembic_config())
        return cls(
            script.get_current_head(), frozenset(r.revision for r in script.walk_revisions())
        )


@dataclass(frozen=True, slots=True)
class SchemaCheck:
    """What one readiness check found."""

    reachable: bool
    problem: str | None = None  # None: the schema is usable by this code


async def check_schema(engine: AsyncEngine, revisions: Revisions) -> SchemaCheck:
    """One query: can the database be reached, and is its schema the one this code needs?

    A revision this code does not know is newer (a replica of the next version migrated): the
    schema is usable, since migrations only add. Behind, or no schema at all, is not.
    """
    try:
        async with engine.connect() as conn:
            try:
                current = await conn.scalar(text("SELECT version_num FROM alembic_version"))
            except Exception as error:
                if conn.invalidated:  # the connection went down under the query
                    raise StorageUnavailableError(str(error)) from error
                return SchemaCheck(True, "the database has no schema: run `mfa-helpdesk migrate`")
    except StorageUnavailableError as error:
        return SchemaCheck(False, f"the database cannot be reached ({error})")
    if current is None:
        return SchemaCheck(True, "the database has no schema: run `mfa-helpdesk migrate`")
    if current != revisions.head and current in revisions.known:
        return SchemaCheck(
            True, f"the schema is at {current}, this version needs {revisions.head}: migrate"
        )
    return SchemaCheck(True)


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
