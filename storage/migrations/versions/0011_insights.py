"""The help desk's figures: indexes for walks and requests by when they started and audit lines by
event and time, and the admins' Home board of each workspace.

Revision ID: 0011_insights
Revises: 0010_admin
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

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
    op.create_table(
        "insight_boards",
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("this_week", sa.JSON(), nullable=True),
        sa.Column("week_before", sa.JSON(), nullable=True),
        sa.Column("pictures", sa.JSON(), nullable=False),
        sa.Column("drawn_at", UtcDateTime(), nullable=True),
        sa.Column("drawing_until", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("team_id", name="pk_insight_boards"),
    )


def downgrade() -> None:
    op.drop_table("insight_boards")
    for name, table, _columns in _INDEXES:
        op.drop_index(name, table_name=table)
