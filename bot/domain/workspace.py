"""Which workspace a piece of work belongs to, when one deployment serves several (Slack OAuth).

The front end names it for the request it serves; the core names it again for each request it
works on in the background (a request's `team_id`). Everything per workspace (its bot token, its
help-desk channel, its admins) is looked up under this key. With one workspace nobody sets it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

_CURRENT: ContextVar[str | None] = ContextVar("workspace", default=None)


def workspace_key(
    team_id: str | None, enterprise_id: str | None, *, org_wide: bool = False
) -> str | None:
    """The one rule for which workspace a key names: the team where there is one, the Enterprise
    Grid organisation for an org-wide install's token (or an event of the organisation as a
    whole). Settings, requests and audit lines are kept per team; tokens under this key."""
    if org_wide or not team_id:
        return enterprise_id or team_id or None
    return team_id


def is_allowed(allowed: frozenset[str], team_id: str | None, enterprise_id: str | None) -> bool:
    """True when the operator's list names the team or its Enterprise Grid organisation."""
    return bool((team_id and team_id in allowed) or (enterprise_id and enterprise_id in allowed))


def current_workspace() -> str | None:
    """The workspace of the work in hand, or None (one workspace, or none named)."""
    return _CURRENT.get()


@contextlib.contextmanager
def within(workspace: str | None) -> Iterator[None]:
    """Run the block as work of `workspace` (unchanged when it is None or empty)."""
    if not workspace:
        yield
        return
    token = _CURRENT.set(workspace)
    try:
        yield
    finally:
        _CURRENT.reset(token)


@contextlib.contextmanager
def scope() -> Iterator[None]:
    """One incoming request's work: no workspace of an earlier request on the same connection
    carries over, and what the request names ends with it."""
    token = _CURRENT.set(None)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def enter(workspace: str | None) -> None:
    """Name `workspace` for the rest of this task's work (a request's own task only)."""
    if workspace:
        _CURRENT.set(workspace)


@dataclass(frozen=True)
class WorkspaceSettings:
    """One workspace's help desk: where requests go and who decides on them."""

    workspace: str
    helpdesk_channel: str
    admin_users: tuple[str, ...]
    admin_usergroup: str | None
    updated_by: str
    updated_at: datetime
    # Installed org-wide in an Enterprise Grid organisation: its token is the organisation's.
    enterprise_id: str | None = None
    org_wide: bool = False


class WorkspaceSettingsStore(Protocol):
    """Keeps each workspace's settings."""

    async def settings_of(self, workspace: str) -> WorkspaceSettings | None:
        """The workspace's settings, or None before its first setup."""
        ...

    async def save_settings(self, settings: WorkspaceSettings) -> None:
        """Store the workspace's settings, replacing earlier ones."""
        ...
