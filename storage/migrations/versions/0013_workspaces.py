"""Many Slack workspaces through OAuth: slack_sdk's installation, bot and OAuth state tables, and
each workspace's help-desk settings.

The three Slack tables come from slack_sdk's own builders, so they are what its SQLAlchemy stores
read and write; only the token columns are wider (they hold Fernet ciphertext). New tables only:
nothing existing changes.

Revision ID: 0013_workspaces
Revises: 0012_posting
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime, slack_tables

revision = "0013_workspaces"
down_revision = "0012_posting"
branch_labels = None
depends_on = None

_SLACK = ("slack_installations", "slack_bots", "slack_oauth_states")


def upgrade() -> None:
    bind = op.get_bind()
    for table in slack_tables(sa.MetaData()):
        table.create(bind)
    op.create_table(
        "workspace_settings",
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("helpdesk_channel", sa.String(256), nullable=False),
        sa.Column("admin_users", sa.JSON(), nullable=False),
        sa.Column("admin_usergroup", sa.String(64), nullable=True),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("enterprise_id", sa.String(64), nullable=True),
        sa.Column("org_wide", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("workspace", name="pk_workspace_settings"),
    )


def downgrade() -> None:
    op.drop_table("workspace_settings")
    for name in _SLACK:
        op.drop_table(name)
