"""The grants of a runtime role that does not own the tables (PostgreSQL): no TRUNCATE, no ALTER,
and only INSERT and SELECT on the audit log."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import Base

AUDIT = "audit_log"
# What the bot does to each table; a table not named here gets the default.
PRIVILEGES = {
    AUDIT: "SELECT, INSERT",
    "processed_events": "SELECT, INSERT, DELETE",  # old deliveries are forgotten
    "alembic_version": "SELECT",  # `serve` checks the schema is current
    "slack_oauth_states": "SELECT, INSERT, DELETE",  # a state is used once
    # an uninstalled workspace's tokens are deleted
    "slack_installations": "SELECT, INSERT, UPDATE, DELETE",
    "slack_bots": "SELECT, INSERT, UPDATE, DELETE",
}
DEFAULT = "SELECT, INSERT, UPDATE"


async def grant_runtime_role(engine: AsyncEngine, role: str) -> list[str]:
    """Grant `role` what serving needs and nothing more (run as the tables' owner); the
    statements run. Earlier grants on the bot's tables are revoked first, so running it again
    after an upgrade leaves exactly this."""
    quote = engine.dialect.identifier_preparer.quote
    grantee = quote(role)
    statements: list[str] = []
    async with engine.begin() as conn:
        schema = str(await conn.scalar(text("SELECT current_schema()")))
        statements.append(f"GRANT USAGE ON SCHEMA {quote(schema)} TO {grantee}")
        tables = [
            (t.name, [c.name for c in t.primary_key if c.autoincrement is True])
            for t in (Base.metadata.sorted_tables)
        ]
        for name, serial in [*tables, ("alembic_version", [])]:
            statements.append(f"REVOKE ALL ON {quote(name)} FROM {grantee}")
            statements.append(
                f"GRANT {PRIVILEGES.get(name, DEFAULT)} ON {quote(name)} TO {grantee}"
            )
            for column in serial:
                sequence = await conn.scalar(
                    text("SELECT pg_get_serial_sequence(:table, :column)"),
                    {"table": name, "column": column},
                )
                if sequence:  # nextval only: USAGE, not UPDATE (which would allow setval)
                    statements.append(f"GRANT USAGE ON SEQUENCE {sequence} TO {grantee}")
        # The chain's append (migration 0006); PUBLIC may run it by default, unless revoked.
        statements.append(
            "GRANT EXECUTE ON FUNCTION audit_log_append(timestamptz, varchar, varchar, integer, "
            f"json, text) TO {grantee}"
        )
        for statement in statements:
            await conn.execute(text(statement))
    return statements
