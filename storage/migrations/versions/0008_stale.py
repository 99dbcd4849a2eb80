"""Where the employee was told of their request, so that the message can be updated in place
once the request can no longer be cancelled (its Cancel button taken away).

A nullable column: requests stored before keep their messages as they are.

Revision ID: 0008_stale
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_stale"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place on SQLite too (ALTER TABLE ADD COLUMN): a copy of the table would lose the audit
    # log's triggers and trip the actions' foreign keys (see 0006 and 0007).
    op.add_column("help_requests", sa.Column("employee_message", sa.String(400), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("help_requests", recreate="never") as batch:
        batch.drop_column("employee_message")
