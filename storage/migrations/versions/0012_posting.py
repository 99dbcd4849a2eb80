"""Posting turns per chat channel: when its next post may go, and who posts its cards.

A new table, nothing else changed.

Revision ID: 0012_posting
Revises: 0011_insights
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import CHANNEL_ID, UtcDateTime

revision = "0012_posting"
down_revision = "0011_insights"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_turns",
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("channel_id", sa.String(CHANNEL_ID), nullable=False),
        sa.Column("not_before", UtcDateTime(), nullable=False),
        sa.Column("holder", sa.String(80), nullable=True),
        sa.Column("held_until", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("platform", "channel_id", name=op.f("pk_channel_turns")),
    )


def downgrade() -> None:
    op.drop_table("channel_turns")
