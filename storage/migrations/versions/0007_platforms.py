"""Several chat front ends: which platform each request came from, ids wide enough for Teams,
and the contacts each front end reaches proactively.

Every request stored before is Slack's (the column's default). The id columns widen on
PostgreSQL only: SQLite does not enforce a VARCHAR's length, and widening there would copy the
tables (batch mode), which loses the audit log's triggers.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# (table, column, nullable, width before, width now). A person or workspace: an Entra object or
# tenant ID is 36 characters; a channel: a Teams conversation id; a message or an event: a Teams
# activity id.
_WIDENED = (
    ("processed_events", "event_id", False, 64, 128),
    ("walks", "team_id", False, 32, 64),
    ("walks", "user_id", False, 32, 64),
    ("help_requests", "team_id", False, 32, 64),
    ("help_requests", "requester_id", False, 32, 64),
    ("help_requests", "channel_id", True, 32, 256),
    ("help_requests", "message_ts", True, 32, 128),
    ("help_requests", "decided_by", True, 32, 64),
    ("help_requests", "first_approver", True, 32, 64),
    ("help_requests", "manager_id", True, 32, 64),
    ("request_actions", "done_by", True, 32, 64),
    ("audit_log", "actor_id", False, 32, 64),
    ("admin_authenticators", "admin_id", False, 32, 64),
)


def upgrade() -> None:
    with op.batch_alter_table("help_requests") as batch:
        batch.add_column(
            sa.Column("platform", sa.String(16), nullable=False, server_default="slack")
        )
    op.create_table(
        "contacts",
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(256), nullable=False),
        sa.Column("address", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("platform", "kind", "key", name="pk_contacts"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # A longer VARCHAR is a change of the catalog only: no table is rewritten, no index
        # rebuilt, and no row trigger (the audit log's append-only ones) fires.
        for table, column, nullable, before, now in _WIDENED:
            op.alter_column(
                table,
                column,
                type_=sa.String(now),
                existing_type=sa.String(before),
                existing_nullable=nullable,
            )


def downgrade() -> None:
    # Narrowing fails (and, PostgreSQL's DDL being transactional, changes nothing) while a Teams
    # id is stored: such rows cannot be kept by a version that does not know Teams.
    if op.get_bind().dialect.name == "postgresql":
        for table, column, nullable, before, now in _WIDENED:
            op.alter_column(
                table,
                column,
                type_=sa.String(before),
                existing_type=sa.String(now),
                existing_nullable=nullable,
            )
    op.drop_table("contacts")
    # In place (SQLite 3.35+ has DROP COLUMN): a copy of the table would trip the foreign keys
    # of a help_requests table that has actions (see 0006).
    with op.batch_alter_table("help_requests", recreate="never") as batch:
        batch.drop_column("platform")
