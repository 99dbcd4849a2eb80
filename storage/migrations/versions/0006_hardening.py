"""Hardening: why a request is privileged, one request per form submission, who holds a card's
posting, the audit log's hash chain (and, on PostgreSQL, no TRUNCATE of it), and the identity
provider's ids on each action and whether its account holder was told of it.

Lines written before this revision keep no hash: `mfa-helpdesk audit verify` counts them and
checks the chain from the first line written after it. Hashing them here would need an UPDATE
of the append-only table, and would vouch for lines nobody can vouch for.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("help_requests") as batch:
        batch.add_column(sa.Column("privileged_reason", sa.String(300), nullable=True))
        batch.add_column(sa.Column("submission_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("announce_owner", sa.String(40), nullable=True))
    op.create_index(
        "uq_help_requests_submission_key", "help_requests", ["submission_key"], unique=True
    )
    op.create_index(
        "ix_help_requests_requester_created", "help_requests", ["requester_id", "created_at"]
    )
    with op.batch_alter_table("request_actions") as batch:
        batch.add_column(sa.Column("idp_request_id", sa.String(200), nullable=True))
        batch.add_column(sa.Column("directory_object_id", sa.String(200), nullable=True))
        batch.add_column(sa.Column("notified_at", UtcDateTime(), nullable=True))
    # Actions done before this revision were told of already (a retry must not tell them again).
    op.execute("UPDATE request_actions SET notified_at = updated_at WHERE status = 'done'")
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("row_hash", sa.String(64), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        # Row triggers do not see TRUNCATE: a statement trigger refuses it (0002's function).
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute(_APPEND)


# One round trip per line (storage/audit.py). Appends from every replica take turns under an
# advisory lock held to the end of the caller's transaction; each statement of a volatile
# function reads with a fresh snapshot, so the SELECT sees the line the previous holder
# committed. The id is drawn under the lock, so the chain runs in id order. Same hash as
# storage.audit.link_hash: SHA-256 over previous hash, newline, id, newline, canonical content.
_APPEND = """
CREATE FUNCTION audit_log_append(
    p_at timestamptz, p_actor_id varchar, p_event varchar, p_request_id integer,
    p_detail json, p_payload text
) RETURNS void AS $$
DECLARE
    last_hash varchar;
    new_id integer;
BEGIN
    PERFORM pg_advisory_xact_lock(7883102965549263220);  -- "mfhaudit"
    SELECT row_hash INTO last_hash FROM audit_log ORDER BY id DESC LIMIT 1;
    new_id := nextval(pg_get_serial_sequence('audit_log', 'id'));
    INSERT INTO audit_log (id, at, actor_id, event, request_id, detail, prev_hash, row_hash)
    VALUES (
        new_id, p_at, p_actor_id, p_event, p_request_id, p_detail, last_hash,
        encode(sha256(convert_to(
            coalesce(last_hash, '') || chr(10) || new_id::text || chr(10) || p_payload, 'UTF8'
        )), 'hex')
    );
END;
$$ LANGUAGE plpgsql VOLATILE
"""


def downgrade() -> None:
    # Columns are dropped in place (SQLite 3.35+ has DROP COLUMN): copying a table, as batch mode
    # does by default on SQLite, would lose the audit log's triggers and trip the foreign keys
    # of a help_requests table that has actions.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION IF EXISTS audit_log_append(timestamptz, varchar, varchar, integer, "
            "json, text)"
        )
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    with op.batch_alter_table("audit_log", recreate="never") as batch:
        batch.drop_column("row_hash")
        batch.drop_column("prev_hash")
    with op.batch_alter_table("request_actions", recreate="never") as batch:
        batch.drop_column("notified_at")
        batch.drop_column("directory_object_id")
        batch.drop_column("idp_request_id")
    op.drop_index("ix_help_requests_requester_created", table_name="help_requests")
    op.drop_index("uq_help_requests_submission_key", table_name="help_requests")
    with op.batch_alter_table("help_requests", recreate="never") as batch:
        batch.drop_column("announce_owner")
        batch.drop_column("submission_key")
        batch.drop_column("privileged_reason")
