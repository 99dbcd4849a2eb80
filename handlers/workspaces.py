"""Slack across several workspaces (OAuth installs): each workspace's client, settings and the
core's ports answered by the front end of the workspace in question."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.frontends import FrontEnd
from bot.domain.notices import AuthenticatorEnrolled, Notice, StepUpLocked
from bot.domain.ports import Clock
from bot.domain.requests import ActionItem, Card, HelpRequest
from bot.domain.workspace import (
    WorkspaceSettings,
    WorkspaceSettingsStore,
    current_workspace,
    is_allowed,
    workspace_key,
)
from handlers.reply import Replier

log = logging.getLogger(__name__)


# Settings and tokens are read again after this long: another replica's `/mfa-admin setup` or a
# reinstall reaches this one within it.
FRESH = timedelta(seconds=30)

BuildFrontEnd = Callable[[AsyncWebClient, Replier, WorkspaceSettings | None], FrontEnd]


class Installations(Protocol):
    """Where the workspaces' bot tokens are kept (the installation store)."""

    async def bot_token_of(self, workspace: str) -> str | None:
        """The newest bot token installed in `workspace` (a team, or an organisation for an
        org-wide install); None when the app is not installed there."""
        ...


class NotInstalledError(Exception):
    """The app is not installed in the workspace (or its token cannot be opened)."""


class NotSetUpError(Exception):
    """The workspace has no help-desk channel yet: an admin there runs `/mfa-admin setup`."""


@dataclass
class _Known:
    front_end: FrontEnd
    read_at: datetime


class Workspaces:
    """Each workspace's bot token (from the installation store), settings and Slack ports, read
    with a short cache."""

    def __init__(
        self,
        installations: Installations,
        settings: WorkspaceSettingsStore,
        base: AsyncWebClient,
        retry_handlers: list[AsyncRetryHandler],
        build: BuildFrontEnd,
        clock: Clock,
        allowed: frozenset[str],
    ) -> None:
        self._installations = installations
        self._settings = settings
        self._base = base
        self._retry_handlers = retry_handlers
        self._build = build
        self._clock = clock
        self._known: dict[str, _Known] = {}
        self._allowed = allowed  # SLACK_ALLOWED_WORKSPACES

    async def _client(self, workspace: str, settings: WorkspaceSettings | None) -> AsyncWebClient:
        """A Web API client with the workspace's bot token (its organisation's when installed
        org-wide); NotInstalledError without one."""
        enterprise = settings.enterprise_id if settings is not None else None
        if not is_allowed(self._allowed, workspace, enterprise):
            raise NotInstalledError(f"workspace {workspace} is not in SLACK_ALLOWED_WORKSPACES")
        installed = workspace_key(
            workspace, enterprise, org_wide=settings is not None and settings.org_wide
        )
        token = await self._installations.bot_token_of(installed or workspace)
        if token is None:
            raise NotInstalledError(f"the app is not installed in workspace {workspace}")
        base = self._base
        return AsyncWebClient(
            token=token,
            base_url=base.base_url,
            session=base.session,
            timeout=base.timeout,
            retry_handlers=list(self._retry_handlers),
            team_id=workspace,
        )

    async def front_end_of(self, workspace: str) -> FrontEnd:
        """The workspace's Slack ports (cached for FRESH)."""
        now = self._clock.now()
        known = self._known.get(workspace)
        if known is not None and now - known.read_at < FRESH:
            return known.front_end
        settings = await self._settings.settings_of(workspace)
        client = await self._client(workspace, settings)
        front_end = self._build(client, Replier(client, self._retry_handlers), settings)
        self._known[workspace] = _Known(front_end, now)
        return front_end

    async def settings_of(self, workspace: str) -> WorkspaceSettings | None:
        """The workspace's settings as stored now."""
        return await self._settings.settings_of(workspace)

    async def save(self, settings: WorkspaceSettings) -> None:
        """Store the workspace's settings; this replica uses them at once."""
        await self._settings.save_settings(settings)
        self._known.pop(settings.workspace, None)

    async def desk_of(self, team_id: str) -> str:
        """The workspace's help-desk channel; "" before its setup."""
        settings = await self._settings.settings_of(team_id)
        return settings.helpdesk_channel if settings is not None else ""


class WorkspaceFrontEnd:
    """The core's Notifier, AdminRoster and PeopleDirectory over every workspace installed: a
    call about a request goes to the request's workspace, a call about a person to the
    workspace of the work in hand. No workspace known fails closed: nobody is an admin,
    everybody is privileged, nothing is sent."""

    def __init__(self, workspaces: Workspaces) -> None:
        self._workspaces = workspaces

    async def _current(self) -> FrontEnd | None:
        workspace = current_workspace()
        if workspace is None:
            return None
        try:
            return await self._workspaces.front_end_of(workspace)
        except NotInstalledError:
            log.warning("no installation for workspace %s", workspace)
            return None

    async def _of(self, request: HelpRequest) -> FrontEnd:
        return await self._workspaces.front_end_of(request.team_id)

    # -- AdminRoster -------------------------------------------------------------------------

    async def is_admin(self, user_id: str) -> bool:
        """An admin of the workspace in hand (its setup's people and user group)."""
        front_end = await self._current()
        return front_end is not None and await front_end.admins.is_admin(user_id)

    async def is_privileged(self, user_id: str) -> bool:
        """Privileged in the workspace in hand; True when none is known (fail closed)."""
        front_end = await self._current()
        return front_end is None or await front_end.admins.is_privileged(user_id)

    async def privilege_reasons(self, user_id: str) -> tuple[str, ...]:
        """The workspace's reasons; not knowing the workspace is one."""
        front_end = await self._current()
        if front_end is None:
            return ("the workspace's lists cannot be read (no installation)",)
        return await front_end.admins.privilege_reasons(user_id)

    # -- PeopleDirectory ---------------------------------------------------------------------

    async def profile(self, user_id: str) -> tuple[str, str]:
        """The person's profile in the workspace in hand."""
        front_end = await self._current()
        return ("", "") if front_end is None else await front_end.people.profile(user_id)

    async def manager_of(self, user_id: str) -> str | None:
        """The person's manager in the workspace in hand."""
        front_end = await self._current()
        return None if front_end is None else await front_end.people.manager_of(user_id)

    # -- Notifier ----------------------------------------------------------------------------

    async def post_request(self, request: HelpRequest, actions: list[ActionItem]) -> Card:
        """The card in the help-desk channel of the request's workspace (NotSetUpError before
        its setup: housekeeping posts it once there is one)."""
        settings = await self._workspaces.settings_of(request.team_id)
        if settings is None or not settings.helpdesk_channel:
            raise NotSetUpError(
                f"workspace {request.team_id} has no help-desk channel: `/mfa-admin setup`"
            )
        return await (await self._of(request)).notifier.post_request(request, actions)

    async def tell(self, notice: Notice) -> str | None:
        """A notice through its request's workspace, or the workspace in hand (an admin's)."""
        if isinstance(notice, StepUpLocked | AuthenticatorEnrolled):
            front_end = await self._current()
        else:
            front_end = await self._of(notice.request)
        if front_end is None:
            log.warning("%s dropped: its workspace is not known", type(notice).__name__)
            return None
        return await front_end.notifier.tell(notice)

    async def deliver_secret(self, request: HelpRequest, text: str, expires_at: datetime) -> None:
        """The secret, to the employee, in the request's workspace."""
        await (await self._of(request)).notifier.deliver_secret(request, text, expires_at)

    async def ask_manager(self, request: HelpRequest, manager_id: str) -> None:
        """The manager's question in the request's workspace."""
        await (await self._of(request)).notifier.ask_manager(request, manager_id)
