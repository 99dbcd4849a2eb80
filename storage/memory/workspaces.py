"""Each workspace's help-desk settings in a dict: the double of SqlWorkspaceSettings."""

from __future__ import annotations

from bot.domain.workspace import WorkspaceSettings


class MemoryHelpDesks:
    """Workspaces' settings by workspace; also the core's HelpDesks."""

    def __init__(self) -> None:
        self.settings: dict[str, WorkspaceSettings] = {}

    async def settings_of(self, workspace: str) -> WorkspaceSettings | None:
        """The workspace's settings, or None before its first setup."""
        return self.settings.get(workspace)

    async def save_settings(self, settings: WorkspaceSettings) -> None:
        """Store the workspace's settings, replacing earlier ones."""
        self.settings[settings.workspace] = settings

    async def save(self, settings: WorkspaceSettings) -> None:
        """HelpDesks.save: the same as save_settings."""
        await self.save_settings(settings)

    async def desk_of(self, team_id: str) -> str:
        """The workspace's help-desk channel; "" before its setup."""
        found = self.settings.get(team_id)
        return found.helpdesk_channel if found is not None else ""
