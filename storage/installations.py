"""Slack OAuth in the bot's database: installations with their tokens sealed, one-time signed
OAuth states, each workspace's help-desk settings, and admins' step-up enrollments kept apart
per workspace."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import (
    AsyncSQLAlchemyInstallationStore,
    SQLAlchemyInstallationStore,
)
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import and_, delete, desc, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.crypto import SecretBox
from bot.domain.ports import Clock
from bot.domain.stepup.totp import Authenticator, AuthenticatorStore
from bot.domain.workspace import WorkspaceSettings, current_workspace
from storage.models import (
    BOTS_TABLE,
    INSTALLATIONS_TABLE,
    OAUTH_STATES_TABLE,
    TOKEN_COLUMNS,
    WorkspaceSettingsRow,
)

log = logging.getLogger(__name__)

STATE_LIFETIME = timedelta(minutes=10)
# xoxb-, xoxp-, xoxe.xoxb-...; Fernet's ciphertext starts "gAAAA"
SLACK_TOKEN_PREFIX = "xox"  # noqa: S105 - a prefix, not a secret


class SealedInstallationStore(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's installation store whose tokens (bot, user, refresh) are Fernet ciphertext in
    the database, sealed on save and opened on find."""

    def __init__(self, client_id: str, engine: AsyncEngine, box: SecretBox) -> None:
        super().__init__(
            client_id,
            engine,
            bots_table_name=BOTS_TABLE,
            installations_table_name=INSTALLATIONS_TABLE,
            logger=log,
        )
        self._box = box

    async def async_save(self, installation: Installation) -> None:
        """Store the installation (and its bot) with its tokens sealed."""
        await super().async_save(self._sealed(installation))

    async def async_save_bot(self, bot: Bot) -> None:
        """Store the bot with its tokens sealed."""
        await super().async_save_bot(self._sealed(bot))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The newest bot of the workspace, its tokens opened."""
        found = await super().async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return self._opened(found)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The newest installation of the workspace, its tokens opened."""
        found = await super().async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return self._opened(found)

    async def bot_of(self, workspace: str) -> Bot | None:
        """The newest bot installed in `workspace` (a team id, or an organisation's for an
        org-wide install), its tokens opened; None when the app is not installed there."""
        c = self.bots.c
        query = (
            select(self.bots)
            .where(
                c.client_id == self.client_id,
                c.bot_token.is_not(None),
                or_(
                    and_(c.team_id == workspace, c.is_enterprise_install.is_(False)),
                    and_(c.enterprise_id == workspace, c.is_enterprise_install.is_(True)),
                ),
            )
            .order_by(desc(c.installed_at))
            .limit(1)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        if row is None:
            return None
        return self._opened(SQLAlchemyInstallationStore.build_bot_entity(row))

    async def bot_token_of(self, workspace: str) -> str | None:
        """The newest bot token installed in `workspace`, opened; None when there is none."""
        bot = await self.bot_of(workspace)
        return bot.bot_token if bot is not None else None

    def _sealed[T: (Installation, Bot)](self, found: T) -> T:
        """A copy of `found` whose tokens are sealed (those sealed already are kept)."""
        sealed = copy.copy(found)
        for name in TOKEN_COLUMNS:
            value = getattr(sealed, name, None)
            if value and not self._opens(value):
                setattr(sealed, name, self._box.seal(value))
        return sealed

    def _opened[T: (Installation, Bot)](self, found: T | None) -> T | None:
        """`found` with its tokens opened; None (logged) when no INSTALLATION_KEY opens them."""
        if found is None:
            return None
        for name in TOKEN_COLUMNS:
            value = getattr(found, name, None)
            # slack_sdk's find_installation may copy in the newest bot's token, which our
            # find_bot opened already: a Slack token as such is not ciphertext to open.
            if not value or value.startswith(SLACK_TOKEN_PREFIX):
                continue
            try:
                setattr(found, name, self._box.open(value))
            except ValueError:
                log.error(
                    "a stored Slack token of workspace %s opens with no INSTALLATION_KEY; "
                    "keep the old key in the list until `mfa-helpdesk rotate-installation-key` ran",
                    found.team_id or found.enterprise_id,
                )
                return None
        return found

    def _opens(self, value: str) -> bool:
        try:
            self._box.open(value)
        except ValueError:
            return False
        return True


async def reseal_tokens(engine: AsyncEngine, box: SecretBox) -> int:
    """Seal every stored Slack token under INSTALLATION_KEY's first key (rotation); how many
    rows changed. Each row is rewritten only if its tokens are still those read (another
    process sealing them meanwhile is not overwritten). ValueError when a key is missing."""
    store = SealedInstallationStore("", engine, box)
    changed = 0
    async with engine.begin() as conn:
        for table in (store.installations, store.bots):
            columns = [table.c[name] for name in TOKEN_COLUMNS if name in table.c]
            rows = (await conn.execute(select(table.c.id, *columns))).mappings().all()
            for row in rows:
                values = {
                    c.name: box.reseal(row[c.name]) for c in columns if row[c.name] is not None
                }
                if not values:
                    continue
                same = [c == row[c.name] for c in columns if row[c.name] is not None]
                result = await conn.execute(
                    update(table).where(table.c.id == row["id"], *same).values(**values)
                )
                changed += result.rowcount
    return changed


class SignedStateStore(AsyncSQLAlchemyOAuthStateStore):
    """OAuth states that are random, kept in the database (shared by the replicas), used once,
    expire after ten minutes, and carry an HMAC keyed by SLACK_STATE_SECRET: a state this
    deployment did not issue, one used already or one too old is refused."""

    def __init__(
        self,
        engine: AsyncEngine,
        secret: str,
        clock: Clock,
        lifetime: timedelta = STATE_LIFETIME,
    ) -> None:
        super().__init__(
            int(lifetime.total_seconds()), engine, logger=log, table_name=OAUTH_STATES_TABLE
        )
        self._key = secret.encode()
        self._clock = clock
        self._lifetime = lifetime

    def _sign(self, nonce: str) -> str:
        return hmac.new(self._key, nonce.encode(), hashlib.sha256).hexdigest()

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A new state: a random nonce (stored with its expiry) and its signature."""
        nonce = secrets.token_urlsafe(24)
        now = _naive(self._clock.now())
        table = self.oauth_states
        async with self.engine.begin() as conn:
            await conn.execute(delete(table).where(table.c.expire_at <= now))
            await conn.execute(table.insert(), {"state": nonce, "expire_at": now + self._lifetime})
        return f"{nonce}.{self._sign(nonce)}"

    async def async_consume(self, state: str) -> bool:
        """True once for a state this deployment issued that has not expired; the row is
        deleted by the same statement that checks it, so two replicas never both accept it."""
        nonce, _, signature = (state or "").partition(".")
        if not nonce or not hmac.compare_digest(signature.encode(), self._sign(nonce).encode()):
            log.warning("refused an OAuth state this deployment did not sign")
            return False
        table = self.oauth_states
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(table).where(
                    table.c.state == nonce, table.c.expire_at > _naive(self._clock.now())
                )
            )
        if result.rowcount != 1:
            log.warning("refused an OAuth state used already or expired")
            return False
        return True


def _naive(at: datetime) -> datetime:
    """UTC without its zone, as slack_sdk's tables store time."""
    return at.astimezone(UTC).replace(tzinfo=None)


class SqlWorkspaceSettings:
    """Each workspace's help-desk channel and admins (`/mfa-admin setup`)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def settings_of(self, workspace: str) -> WorkspaceSettings | None:
        """The workspace's settings, or None before its first setup."""
        async with self._sessions() as session:
            row = await session.get(WorkspaceSettingsRow, workspace)
        if row is None:
            return None
        return WorkspaceSettings(
            workspace=row.workspace,
            helpdesk_channel=row.helpdesk_channel,
            admin_users=tuple(row.admin_users),
            admin_usergroup=row.admin_usergroup,
            updated_by=row.updated_by,
            updated_at=row.updated_at,
            enterprise_id=row.enterprise_id,
            org_wide=row.org_wide,
        )

    async def save_settings(self, settings: WorkspaceSettings) -> None:
        """Store the workspace's settings, replacing earlier ones."""
        async with self._sessions.begin() as session:
            row = await session.get(WorkspaceSettingsRow, settings.workspace)
            if row is None:
                row = WorkspaceSettingsRow(workspace=settings.workspace)
                session.add(row)
            row.helpdesk_channel = settings.helpdesk_channel
            row.admin_users = list(settings.admin_users)
            row.admin_usergroup = settings.admin_usergroup
            row.updated_by = settings.updated_by
            row.updated_at = settings.updated_at
            row.enterprise_id = settings.enterprise_id
            row.org_wide = settings.org_wide


class WorkspaceAuthenticators:
    """Admins' step-up authenticators, one per admin and workspace: the same person admin in two
    workspaces (an Enterprise Grid member) enrolls in each, and a lockout in one is not the
    other's. Rows are kept under "<workspace>:<admin>" in the one table."""

    def __init__(self, store: AuthenticatorStore) -> None:
        self._store = store

    @staticmethod
    def _key(admin_id: str) -> str:
        workspace = current_workspace()
        return f"{workspace}:{admin_id}" if workspace else admin_id

    async def get_authenticator(self, admin_id: str) -> Authenticator | None:
        """The admin's row in the workspace in hand, or None."""
        found = await self._store.get_authenticator(self._key(admin_id))
        return None if found is None else dataclasses.replace(found, admin_id=admin_id)

    async def set_pending(self, admin_id: str, sealed: str, at: datetime) -> None:
        """A new secret waiting for its first code, in the workspace in hand."""
        await self._store.set_pending(self._key(admin_id), sealed, at)

    async def count_attempt(
        self, admin_id: str, at: datetime, max_attempts: int, lock_until: datetime
    ) -> Authenticator | None:
        """One attempt counted in the workspace in hand (see AuthenticatorStore)."""
        found = await self._store.count_attempt(self._key(admin_id), at, max_attempts, lock_until)
        return None if found is None else dataclasses.replace(found, admin_id=admin_id)

    async def confirm_pending(
        self, admin_id: str, sealed_pending: str, step: int, at: datetime, *, own_lock: bool = False
    ) -> bool:
        """The pending secret made active in the workspace in hand (see AuthenticatorStore)."""
        return await self._store.confirm_pending(
            self._key(admin_id), sealed_pending, step, at, own_lock=own_lock
        )

    async def use_step(
        self, admin_id: str, step: int, at: datetime, *, own_lock: bool = False
    ) -> bool:
        """`step` recorded as used in the workspace in hand (see AuthenticatorStore)."""
        return await self._store.use_step(self._key(admin_id), step, at, own_lock=own_lock)
