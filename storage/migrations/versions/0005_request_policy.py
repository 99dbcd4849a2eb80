"""The reset policy on requests: privileged targets, a first approval, suspicion, recent resets,
the manager's attestation.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("help_requests") as batch:
        batch.add_column(
            sa.Column("privileged", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("first_approver", sa.String(32), nullable=True))
        batch.add_column(sa.Column("first_actions", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("suspicious", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("recent_reset_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("manager_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("manager_answer", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("help_requests") as batch:
        for column in (
            "manager_answer",
            "manager_id",
            "recent_reset_at",
            "suspicious",
            "first_actions",
            "first_approver",
            "privileged",
        ):
            batch.drop_column(column)
