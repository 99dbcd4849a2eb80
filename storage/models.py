"""The database tables, declared once for the repositories and for Alembic."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Widths of the chat platforms' ids (migration 0007): a person or a workspace (Slack's U…/T…
# ids, an Entra object ID or tenant ID: 36 characters), a channel or conversation (a Teams
# conversation id, with ";messageid=…" for a thread, runs past 70), a message or an event (a
# Teams activity id).
PERSON_ID = 64
CHANNEL_ID = 256
MESSAGE_ID = 128
# Where a front end told the employee of a request (migration 0008): a channel and a message.
EMPLOYEE_MESSAGE = CHANNEL_ID + MESSAGE_ID + 16

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints predictably."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: dict[Any, Any] = {datetime: UtcDateTime, dict[str, Any]: JSON}


class Walk(Base):
    """An employee's walk through one topic of the guide."""

    __tablename__ = "walks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(PERSON_ID))
    user_id: Mapped[str] = mapped_column(String(PERSON_ID))
    topic_id: Mapped[str] = mapped_column(String(64))
    surface: Mapped[str] = mapped_column(String(16))
    path: Mapped[list[str]] = mapped_column(JSON)
    seen: Mapped[list[str]] = mapped_column(JSON)
    choices: Mapped[list[str]] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_walks_user_started", "user_id", "started_at"),
        Index("ix_walks_started_at", "started_at"),  # the figures' periods (migration 0011)
    )


class ProcessedEvent(Base):
    """An Events API delivery already handled, so that Slack's retries are not answered twice."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(MESSAGE_ID), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class HelpRequestRow(Base):
    """Request #id to the help desk."""

    __tablename__ = "help_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(PERSON_ID))
    requester_id: Mapped[str] = mapped_column(String(PERSON_ID))
    requester_name: Mapped[str] = mapped_column(String(200), default="")
    requester_email: Mapped[str] = mapped_column(String(320), default="")
    topic_id: Mapped[str] = mapped_column(String(64))
    walk_id: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(2000))
    lost_or_stolen: Mapped[bool]
    remaining: Mapped[str] = mapped_column(String(32))
    correlation_id: Mapped[str | None] = mapped_column(String(64))
    contact: Mapped[str] = mapped_column(String(1000))
    details: Mapped[str] = mapped_column(String(4000), default="")
    proposed: Mapped[list[str]] = mapped_column(JSON)
    tried: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    channel_id: Mapped[str | None] = mapped_column(String(CHANNEL_ID))
    message_ts: Mapped[str | None] = mapped_column(String(MESSAGE_ID))
    announce_started_at: Mapped[datetime | None]
    # Who holds the posting of the card (a replica's lease holder and its run): only they renew
    # the claim, post and store the card.
    announce_owner: Mapped[str | None] = mapped_column(String(40))
    decided_by: Mapped[str | None] = mapped_column(String(PERSON_ID))
    decided_at: Mapped[datetime | None]
    deny_reason: Mapped[str | None] = mapped_column(String(2000))
    privileged: Mapped[bool] = mapped_column(default=False)
    first_approver: Mapped[str | None] = mapped_column(String(PERSON_ID))
    first_actions: Mapped[list[str] | None] = mapped_column(JSON)
    suspicious: Mapped[bool] = mapped_column(default=False)
    recent_reset_at: Mapped[datetime | None]
    manager_id: Mapped[str | None] = mapped_column(String(PERSON_ID))
    manager_answer: Mapped[str | None] = mapped_column(String(8))
    privileged_reason: Mapped[str | None] = mapped_column(String(300))
    # The front end's id of the form submission (Slack's view id): a replayed form is one request.
    submission_key: Mapped[str | None] = mapped_column(String(64))
    # The front end it came from (bot.domain.platform.Platform); rows older than Teams are Slack's.
    platform: Mapped[str] = mapped_column(String(16), server_default="slack")
    # Where the employee was told of it (the front end's reference; see bot.domain.requests).
    employee_message: Mapped[str | None] = mapped_column(String(EMPLOYEE_MESSAGE))
    # "This wasn't me" on this request, and the person's earlier request so reported (if any).
    reported_not_me_at: Mapped[datetime | None]
    reported_before: Mapped[int | None]
    # The admin who claimed the security alert about this request.
    alert_claimed_by: Mapped[str | None] = mapped_column(String(PERSON_ID))
    # The admin calling the employee back ("I'm on it"), and since when.
    callback_by: Mapped[str | None] = mapped_column(String(PERSON_ID))
    callback_at: Mapped[datetime | None]

    __table_args__ = (
        # One request in progress per employee, enforced by the database across replicas.
        Index(
            "uq_help_requests_active_requester",
            "requester_id",
            unique=True,
            sqlite_where=text("status IN ('open', 'approved', 'executing')"),
            postgresql_where=text("status IN ('open', 'approved', 'executing')"),
        ),
        Index("uq_help_requests_submission_key", "submission_key", unique=True),
        Index("ix_help_requests_requester_created", "requester_id", "created_at"),
        Index("ix_help_requests_created_at", "created_at"),
    )


class ActionRow(Base):
    """One approved action of a request: the outbox the worker carries out."""

    __tablename__ = "request_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    summary: Mapped[str] = mapped_column(String(2000), default="")
    manual_steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    link: Mapped[str | None] = mapped_column(String(1000))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(40))
    next_attempt_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(PERSON_ID))
    updated_at: Mapped[datetime]
    idp_request_id: Mapped[str | None] = mapped_column(String(200))
    directory_object_id: Mapped[str | None] = mapped_column(String(200))
    # When the account holder's notice of this action was sent for: each is told of once.
    notified_at: Mapped[datetime | None]


class AuditRow(Base):
    """One line of the append-only audit log."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[str] = mapped_column(String(PERSON_ID))
    event: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[int | None] = mapped_column(Integer, index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_log_event_at", "event", "at"),)


class DemoUserRow(Base):
    """A person in the embedded demo directory: their sign-in methods, app passwords, sessions."""

    __tablename__ = "demo_directory"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    methods: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    app_passwords: Mapped[int] = mapped_column(Integer)
    sessions: Mapped[int] = mapped_column(Integer)
    remembered_devices: Mapped[int] = mapped_column(Integer)
    tap_hash: Mapped[str | None] = mapped_column(String(128))
    tap_expires_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class AuthenticatorRow(Base):
    """An IT admin's step-up authenticator; the secrets are Fernet ciphertext."""

    __tablename__ = "admin_authenticators"

    admin_id: Mapped[str] = mapped_column(String(PERSON_ID), primary_key=True)
    sealed_secret: Mapped[str | None] = mapped_column(String(500))
    sealed_pending: Mapped[str | None] = mapped_column(String(500))
    last_step: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class ContactRow(Base):
    """Where a person or a channel is reached proactively on a platform (bot.domain.contacts)."""

    __tablename__ = "contacts"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(CHANNEL_ID), primary_key=True)
    address: Mapped[dict[str, Any]] = mapped_column(JSON)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    updated_at: Mapped[datetime | None]


class InsightBoardRow(Base):
    """The admins' Home board of a workspace: its headline figures and the pictures' file ids,
    drawn by one replica at a time (migration 0011)."""

    __tablename__ = "insight_boards"

    team_id: Mapped[str] = mapped_column(String(PERSON_ID), primary_key=True)
    this_week: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    week_before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    pictures: Mapped[list[str]] = mapped_column(JSON, default=list)
    drawn_at: Mapped[datetime | None]
    drawing_until: Mapped[datetime | None]


class ChannelTurnRow(Base):
    """A chat channel's posting turn, shared by the replicas (migration 0012): the earliest
    time of its next post, and who posts its waiting cards until when."""

    __tablename__ = "channel_turns"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(CHANNEL_ID), primary_key=True)
    not_before: Mapped[datetime]
    holder: Mapped[str | None] = mapped_column(String(80))
    held_until: Mapped[datetime | None]


class WorkspaceSettingsRow(Base):
    """One Slack workspace's help desk when the app is installed through OAuth (`/mfa-admin
    setup`): its help-desk channel and who decides there."""

    __tablename__ = "workspace_settings"

    # the team id (an org-wide install's workspaces each have their own settings)
    workspace: Mapped[str] = mapped_column(String(PERSON_ID), primary_key=True)
    helpdesk_channel: Mapped[str] = mapped_column(String(CHANNEL_ID))
    admin_users: Mapped[list[str]] = mapped_column(JSON)
    admin_usergroup: Mapped[str | None] = mapped_column(String(PERSON_ID))
    updated_by: Mapped[str] = mapped_column(String(PERSON_ID))
    updated_at: Mapped[datetime]
    enterprise_id: Mapped[str | None] = mapped_column(String(PERSON_ID))
    org_wide: Mapped[bool] = mapped_column(default=False)


# slack_sdk's installation and OAuth state tables (migration 0013), as its own builders make
# them; the token columns are wider, for Fernet's ciphertext of a rotating token.
INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
OAUTH_STATES_TABLE = "slack_oauth_states"
SEALED_TOKEN = 1000
TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")


def slack_tables(metadata: MetaData) -> tuple[Table, Table, Table]:
    """slack_sdk's installations, bots and OAuth state tables in `metadata`."""
    installations = SQLAlchemyInstallationStore.build_installations_table(
        metadata, INSTALLATIONS_TABLE
    )
    bots = SQLAlchemyInstallationStore.build_bots_table(metadata, BOTS_TABLE)
    for table in (installations, bots):
        for name in TOKEN_COLUMNS:
            if name in table.c:
                table.c[name].type = String(SEALED_TOKEN)
    states = SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, OAUTH_STATES_TABLE)
    return installations, bots, states


slack_tables(Base.metadata)
