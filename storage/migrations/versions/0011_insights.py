"""Indexes for the help desk's figures: walks and requests by when they started, audit lines by
event and time.

Revision ID: 0011_insights
Revises: 0010_admin
"""

from __future__ import annotations

from alembic import op

revision = "0011_insights"
down_revision = "0010_admin"
branch_labels = None
depends_on = None

_INDEXES = (
    ("ix_walks_started_at", "walks", ["started_at"]),
    ("ix_help_requests_created_at", "help_requests", ["created_at"]),
    ("ix_audit_log_event_at", "audit_log", ["event", "at"]),
)


def upgrade() -> None:
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in _INDEXES:
        op.drop_index(name, table_name=table)
