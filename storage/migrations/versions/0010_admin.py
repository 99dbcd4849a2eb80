"""The admin calling the employee back ("I'm on it"): who, and since when.

Two nullable columns, added in place on SQLite and PostgreSQL (no table copy, so the audit
log's triggers and the foreign keys of the actions stay as they are).

Revision ID: 0010_admin
Revises: 0009_report
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0010_admin"
down_revision = "0009_report"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("help_requests", sa.Column("callback_by", sa.String(64), nullable=True))
    op.add_column("help_requests", sa.Column("callback_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    # In place (SQLite 3.35+ has DROP COLUMN), as in 0007.
    with op.batch_alter_table("help_requests", recreate="never") as batch:
        batch.drop_column("callback_at")
        batch.drop_column("callback_by")
