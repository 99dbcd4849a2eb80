"""Leases and retry times on request actions, so a worker can take over a dead one's work.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("request_actions") as batch:
        batch.add_column(sa.Column("lease_until", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("lease_owner", sa.String(40), nullable=True))
        batch.add_column(sa.Column("next_attempt_at", UtcDateTime(), nullable=True))
    op.create_index("ix_request_actions_status", "request_actions", ["status"])


def downgrade() -> None:
    op.drop_index("ix_request_actions_status", table_name="request_actions")
    with op.batch_alter_table("request_actions") as batch:
        batch.drop_column("next_attempt_at")
        batch.drop_column("lease_owner")
        batch.drop_column("lease_until")
