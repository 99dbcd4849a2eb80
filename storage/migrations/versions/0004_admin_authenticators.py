"""IT admins' step-up authenticators (TOTP secrets sealed with Fernet).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_authenticators",
        sa.Column("admin_id", sa.String(32), nullable=False),
        sa.Column("sealed_secret", sa.String(500), nullable=True),
        sa.Column("sealed_pending", sa.String(500), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("admin_id", name=op.f("pk_admin_authenticators")),
    )


def downgrade() -> None:
    op.drop_table("admin_authenticators")
