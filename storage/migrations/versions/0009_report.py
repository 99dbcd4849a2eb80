"""Reports of an attack: "this wasn't me" dated on its request, the earlier report a later
request names, and the admin who claimed the security alert.

Additive: three nullable columns, added in place (no copy of the table, which would lose the
audit log's triggers on SQLite; see 0006).

Revision ID: 0009_report
Revises: 0008_stale
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0009_report"
down_revision = "0008_stale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("help_requests", recreate="never") as batch:
        batch.add_column(sa.Column("reported_not_me_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("reported_before", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("alert_claimed_by", sa.String(64), nullable=True))
    # Requests reported before this revision were marked suspicious only: the ones the
    # employee reported (not a manager's no) are known from the audit log.
    op.execute(
        "UPDATE help_requests SET reported_not_me_at = ("
        "SELECT MIN(audit_log.at) FROM audit_log WHERE audit_log.request_id = help_requests.id "
        "AND audit_log.event = 'request.reported_not_me') WHERE suspicious"
    )


def downgrade() -> None:
    with op.batch_alter_table("help_requests", recreate="never") as batch:
        batch.drop_column("alert_claimed_by")
        batch.drop_column("reported_before")
        batch.drop_column("reported_not_me_at")
