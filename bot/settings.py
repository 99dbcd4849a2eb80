"""Typed settings read from the environment (and a .env file): the contract of DESIGN.md."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.crypto import SecretBox, StepUpKeyError
from bot.domain.hours import HoursError, OfficeHours

DEFAULT_MANAGE_SETTINGS_URL = "https://mysignins.microsoft.com/security-info"
DEFAULT_TEAMS_OPENID_METADATA_URL = (
    "https://login.botframework.com/v1/.well-known/openidconfiguration"
)
DEFAULT_TEAMS_LOGIN_URL = "https://login.microsoftonline.com"
DEFAULT_APP_PASSWORDS_URL = (
    "https://support.microsoft.com/account-billing/"
    "manage-app-passwords-for-two-step-verification-d6dc8c6d-4bf7-4851-ad95-6d07799387e9"
)

CommaList = Annotated[list[str], NoDecode]
# What the bot asks for when installed through OAuth (the bot scopes of manifest.yml).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "im:history",
    "im:write",
    "users:read",
    "users:read.email",
    "usergroups:read",
    "files:write",
)
OAUTH_SETTINGS = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class IdentityProviderName(StrEnum):
    """Which directory the help desk's actions are carried out against."""

    MANUAL = "manual"
    ENTRA = "entra"
    OKTA = "okta"
    DEMO = "demo"


class Settings(BaseSettings):
    """Everything an operator can set; names match the environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: AnyHttpUrl = AnyHttpUrl("https://slack.com/api/")
    # Slack OAuth: all three set, the app installs into many workspaces (README "Installing into
    # several workspaces"); the bot tokens are then kept in the database, sealed with
    # INSTALLATION_KEY.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_state_secret: SecretStr | None = None
    installation_key: SecretStr | None = None
    # The workspaces (T...) and Enterprise Grid organisations (E...) the app may be installed in.
    slack_allowed_workspaces: CommaList = Field(default_factory=list)
    slack_install_scopes: CommaList = Field(default_factory=lambda: list(BOT_SCOPES))

    # Microsoft Teams (docs: README "Creating the Teams app").
    teams_app_id: str | None = None
    teams_app_password: SecretStr | None = None
    teams_tenant_id: str | None = None
    teams_helpdesk_channel: str | None = None
    # Where Teams' security alerts go too; unset: the help-desk channel alone has them.
    teams_security_channel: str | None = None
    teams_it_admins: CommaList = Field(default_factory=list)
    teams_it_admin_group: str | None = None
    teams_openid_metadata_url: AnyHttpUrl = AnyHttpUrl(DEFAULT_TEAMS_OPENID_METADATA_URL)
    teams_login_url: AnyHttpUrl = AnyHttpUrl(DEFAULT_TEAMS_LOGIN_URL)
    # No app ID and no token checks, for the Agents Playground on this machine only.
    teams_anonymous: bool = False

    database_url: str = "sqlite+aiosqlite:///mfa-helpdesk.db"
    # The tables' owner, for `migrate` only; set, `serve` runs as DATABASE_URL's role and never
    # migrates (docs: README "The audit log").
    migration_database_url: str | None = None
    # PostgreSQL connections per process: kept, and opened beyond them during a burst (docs:
    # deploy.md "PostgreSQL connections"). SQLite always uses one.
    database_pool_size: int = Field(default=20, ge=1)
    database_max_overflow: int = Field(default=10, ge=0)

    helpdesk_channel: str | None = None
    it_admin_users: CommaList = Field(default_factory=list)
    it_admin_usergroup: str | None = None
    # Unset, the sentences that name it say "your IT department" instead (bot/wording.py).
    it_contact: str | None = None
    # When IT usually answers, free text ("Mon-Fri 8:00-18:00 CET"), told after a request is sent.
    helpdesk_hours: str | None = None
    privileged_users: CommaList = Field(default_factory=list)
    privileged_usergroup: str | None = None
    security_channel: str | None = None
    reset_cooldown: timedelta = timedelta(hours=24)
    manager_attestation: bool = False
    manager_profile_field: str | None = None

    identity_provider: IdentityProviderName = IdentityProviderName.MANUAL
    entra_tenant_id: str | None = None
    entra_client_id: str | None = None
    entra_client_secret: SecretStr | None = None
    entra_login_url: AnyHttpUrl = AnyHttpUrl("https://login.microsoftonline.com")
    entra_graph_url: AnyHttpUrl = AnyHttpUrl("https://graph.microsoft.com/v1.0")
    entra_clear_passkeys: bool = False
    okta_org_url: AnyHttpUrl | None = None
    okta_api_token: SecretStr | None = None

    stepup_key: SecretStr | None = None
    stepup_required: bool = True

    request_ttl: timedelta = timedelta(hours=24)
    requests_per_hour: int = Field(default=3, ge=1, le=100)
    tap_lifetime_minutes: int = Field(default=60, ge=10, le=43200)
    demo_directory_file: Path | None = None

    guide_file: Path | None = None
    manage_settings_url: AnyHttpUrl = AnyHttpUrl(DEFAULT_MANAGE_SETTINGS_URL)
    app_passwords_url: AnyHttpUrl = AnyHttpUrl(DEFAULT_APP_PASSWORDS_URL)

    smtp_url: SecretStr | None = None  # it may carry the relay's password
    mail_from: str | None = None

    action_lease: timedelta = timedelta(seconds=60)
    shutdown_timeout: timedelta = timedelta(seconds=10)
    # Seconds between posts in a Slack help-desk or security channel, across all replicas
    # (Slack allows about one a second); 0 spaces nothing.
    helpdesk_post_interval: float = Field(default=1.0, ge=0, le=60)
    # The same in a Teams help-desk or security channel (the Bot Connector allows about 60
    # messages in 30 seconds per conversation).
    teams_post_interval: float = Field(default=0.5, ge=0, le=60)

    # The bot's address as the internet reaches it (https), for the guide's pictures in Slack.
    public_url: AnyHttpUrl | None = None

    host: str = "0.0.0.0"  # noqa: S104 - a server listens on every interface unless told otherwise
    port: int = Field(default=3000, ge=0, le=65535)
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Unset: no /metrics; set: /metrics answers a request bearing it (README "Metrics").
    metrics_token: SecretStr | None = None
    # Set: /metrics is served on this port of HOST alone, not on PORT.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    migrate_on_start: bool = True

    @field_validator(
        "it_admin_users",
        "privileged_users",
        "teams_it_admins",
        "slack_install_scopes",
        "slack_allowed_workspaces",
        mode="before",
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator(
        "request_ttl", "reset_cooldown", "action_lease", "shutdown_timeout", mode="before"
    )
    @classmethod
    def _duration(cls, value: object) -> object:
        if isinstance(value, str):
            match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", value.lower())
            if match:
                unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
                return timedelta(seconds=int(match.group(1)) * unit)
        return value

    @field_validator("request_ttl")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value < timedelta(minutes=1):
            raise ValueError("must be at least one minute, e.g. 24h")
        return value

    @field_validator("action_lease")
    @classmethod
    def _lease_length(cls, value: timedelta) -> timedelta:
        if not timedelta(seconds=3) <= value <= timedelta(hours=1):
            raise ValueError("must be between 3s and 1h, e.g. 60s")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip():
            smtp_target(value)  # raises ValueError naming what is wrong, never the URL itself
        return value

    @field_validator("teams_app_id", "teams_tenant_id", "teams_it_admin_group")
    @classmethod
    def _guid(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not _GUID.fullmatch(value.strip()):
            raise ValueError("must be an ID like 00000000-0000-0000-0000-000000000000")
        return value.strip().lower()

    @field_validator("teams_it_admins")
    @classmethod
    def _guids(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _GUID.fullmatch(item):
                raise ValueError(
                    f"{item!r} is not an Entra object ID (00000000-0000-0000-0000-000000000000)"
                )
        return [item.lower() for item in value]

    @field_validator("teams_helpdesk_channel", "teams_security_channel")
    @classmethod
    def _channel_conversation(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        channel = value.strip()
        if ";" in channel or any(char.isspace() for char in channel):
            raise ValueError(
                "must be a channel's conversation ID like 19:...@thread.tacv2 "
                "(without ;messageid=...)"
            )
        return channel

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("database_url", "migration_database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith(("postgres://", "postgresql://")):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        return value

    @property
    def owner_database_url(self) -> str:
        """The URL `migrate` connects with: the tables' owner."""
        return self.migration_database_url or self.database_url

    @property
    def migrates_at_start(self) -> bool:
        """`serve` migrates unless told not to, or unless it runs as a separate runtime role."""
        return self.migrate_on_start and not self.migration_database_url

    @property
    def socket_mode(self) -> bool:
        """Socket Mode when an app-level token is set, HTTP otherwise."""
        return self.slack_app_token is not None

    @property
    def serves_slack(self) -> bool:
        """True when Slack's settings are present (a bot token, an app-level token, or any of
        the OAuth settings)."""
        return (
            self.slack_bot_token is not None
            or self.slack_app_token is not None
            or self.installs_through_oauth
            or any(self._oauth_values())
        )

    def _oauth_values(self) -> tuple[str, str, str]:
        """SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET, blank when unset."""
        secret, state = self.slack_client_secret, self.slack_state_secret
        return (
            (self.slack_client_id or "").strip(),
            secret.get_secret_value().strip() if secret else "",
            state.get_secret_value().strip() if state else "",
        )

    @property
    def installs_through_oauth(self) -> bool:
        """True when the OAuth trio is set: many workspaces, each installed through Slack OAuth."""
        return all(self._oauth_values())

    @property
    def teams_anonymous_mode(self) -> bool:
        """Teams without an app ID, for the Agents Playground: no token checks, loopback only."""
        return self.teams_anonymous and self.teams_app_id is None

    @property
    def serves_teams(self) -> bool:
        """True when /api/messages is served: TEAMS_APP_ID set, or the anonymous mode."""
        return self.teams_app_id is not None or self.teams_anonymous_mode

    @property
    def has_helpdesk(self) -> bool:
        """True when a front end served has a help-desk channel: Contact IT becomes a form."""
        return (
            bool(self.helpdesk_channel)
            or self.installs_through_oauth  # each workspace sets its own (/mfa-admin setup)
            or (self.serves_teams and bool(self.teams_helpdesk_channel))
        )

    @property
    def listen_host(self) -> str:
        """HOST, except in Teams' anonymous mode, which listens on 127.0.0.1 only."""
        return "127.0.0.1" if self.teams_anonymous_mode else self.host

    def require_for_serve(self) -> None:
        """Raise SettingError for the first setting `serve` cannot run with."""
        if not self.serves_slack and not self.serves_teams:
            raise SettingError(
                "SLACK_BOT_TOKEN",
                "is not set: the bot token (xoxb-...) is required, or TEAMS_APP_ID for Teams",
            )
        if self.serves_slack:
            self.require_for_slack()
        if self.serves_teams or self.teams_anonymous:
            self.require_for_teams()
        if self.serves_slack and self.serves_teams:
            self.require_both_desks()
        self.require_for_provider()
        if self.has_helpdesk and self.stepup_required:
            self.stepup_box()
        self.require_for_mail()
        if self.metrics_port is not None and self.metrics_port == self.port:
            raise SettingError(
                "METRICS_PORT", f"is PORT ({self.port}): give the metrics a port of their own"
            )

    def require_for_teams(self) -> None:
        """Raise SettingError for the first Teams setting that is missing or contradicts another."""
        if self.teams_anonymous and self.teams_app_id is not None:
            raise SettingError(
                "TEAMS_ANONYMOUS",
                "cannot be used with TEAMS_APP_ID: the anonymous mode is for local testing only",
            )
        if self.teams_anonymous_mode:
            self.require_for_anonymous()
        if self.teams_app_id is not None:
            if self.teams_app_password is None or not self.teams_app_password.get_secret_value():
                raise SettingError(
                    "TEAMS_APP_PASSWORD", "is not set: TEAMS_APP_ID needs the app's client secret"
                )
            if self.teams_tenant_id is None:
                raise SettingError(
                    "TEAMS_TENANT_ID", "is not set: the Teams app is single-tenant, name its tenant"
                )
        self.require_one_tenant()
        if self.teams_it_admin_group is not None:
            for name in ("entra_tenant_id", "entra_client_id", "entra_client_secret"):
                if not getattr(self, name):
                    raise SettingError(
                        name.upper(),
                        "is not set: TEAMS_IT_ADMIN_GROUP is read through Microsoft Graph "
                        "with the ENTRA_* app registration",
                    )

    def require_one_tenant(self) -> None:
        """Raise SettingError when TEAMS_TENANT_ID and ENTRA_TENANT_ID name two tenants."""
        entra_tenant = (self.entra_tenant_id or "").strip().lower()
        # ENTRA_TENANT_ID may be a domain name; only two IDs can be told apart here.
        if not self.teams_tenant_id or not _GUID.fullmatch(entra_tenant):
            return
        if entra_tenant != self.teams_tenant_id:
            raise SettingError(
                "TEAMS_TENANT_ID",
                f"({self.teams_tenant_id}) and ENTRA_TENANT_ID ({entra_tenant}) name "
                "different tenants: the Teams app and the Graph app must be in one tenant",
            )

    def require_for_anonymous(self) -> None:
        """Raise SettingError unless the anonymous mode (no token checked) runs with nothing
        real behind it: the demo or manual provider, and no Slack."""
        if self.identity_provider not in (IdentityProviderName.DEMO, IdentityProviderName.MANUAL):
            raise SettingError(
                "TEAMS_ANONYMOUS",
                f"cannot be used with IDENTITY_PROVIDER={self.identity_provider.value}: "
                "the anonymous mode checks no token; use IDENTITY_PROVIDER=demo or manual",
            )
        if self.serves_slack:
            raise SettingError(
                "TEAMS_ANONYMOUS",
                "cannot be used with SLACK_BOT_TOKEN: the anonymous mode is for local testing "
                "of Teams alone",
            )

    def require_both_desks(self) -> None:
        """Raise SettingError when a process serving Slack and Teams has a help-desk channel
        on one of them only (its requests from the other would have nowhere to go)."""
        if not self.has_helpdesk:
            return  # neither: Contact IT shows IT_CONTACT on both
        if not self.helpdesk_channel and not self.installs_through_oauth:
            raise SettingError(
                "HELPDESK_CHANNEL",
                "is not set: TEAMS_HELPDESK_CHANNEL is, and this process serves Slack and Teams; "
                "set both (or neither)",
            )
        if not self.teams_helpdesk_channel:
            slack = "Slack OAuth is" if self.installs_through_oauth else "HELPDESK_CHANNEL is"
            raise SettingError(
                "TEAMS_HELPDESK_CHANNEL",
                f"is not set: {slack}, and this process serves Slack and Teams; "
                "set both (or neither)",
            )

    def require_for_slack(self) -> None:
        """Raise SettingError for the first Slack setting `serve` cannot run with."""
        values = self._oauth_values()
        if any(values):
            self.require_for_oauth(values)
        elif self.slack_bot_token is None:
            raise SettingError(
                "SLACK_BOT_TOKEN", "is not set: the bot token (xoxb-...) is required"
            )
        if not self.socket_mode and not (
            self.slack_signing_secret and self.slack_signing_secret.get_secret_value().strip()
        ):
            raise SettingError(
                "SLACK_SIGNING_SECRET", "is not set: the signing secret is required in HTTP mode"
            )

    def require_for_oauth(self, values: tuple[str, str, str]) -> None:
        """Raise SettingError for the first OAuth setting missing, or one that contradicts it."""
        for name, value in zip(OAUTH_SETTINGS, values, strict=True):
            if not value:
                present = ", ".join(n for n, v in zip(OAUTH_SETTINGS, values, strict=True) if v)
                raise SettingError(
                    name, f"is not set: {present} is, and Slack OAuth needs all three"
                )
        if self.slack_app_token is not None:
            raise SettingError(
                "SLACK_APP_TOKEN",
                "cannot be used with SLACK_CLIENT_ID: OAuth installs are served over HTTP",
            )
        if self.slack_bot_token is not None:
            raise SettingError(
                "SLACK_BOT_TOKEN",
                "cannot be used with SLACK_CLIENT_ID: each workspace's token comes from its "
                "installation; unset one of them",
            )
        per_workspace: dict[str, object] = {
            "HELPDESK_CHANNEL": self.helpdesk_channel,
            "IT_ADMIN_USERS": self.it_admin_users,
            "IT_ADMIN_USERGROUP": self.it_admin_usergroup,
            "SECURITY_CHANNEL": self.security_channel,
        }
        for name, given in per_workspace.items():
            if given:
                raise SettingError(
                    name,
                    "cannot be used with SLACK_CLIENT_ID: each workspace sets its own help-desk "
                    "channel and admins with /mfa-admin setup; unset it",
                )
        if not self.slack_allowed_workspaces:
            raise SettingError(
                "SLACK_ALLOWED_WORKSPACES",
                "is not set: name the workspaces (T...) or Enterprise Grid organisations (E...) "
                "the app may be installed into; an install from any other is refused",
            )
        self.installation_box()

    def installation_box(self) -> SecretBox:
        """The box sealing the workspaces' tokens, from INSTALLATION_KEY (SettingError when
        unusable)."""
        key = self.installation_key.get_secret_value().strip() if self.installation_key else ""
        if not key:
            raise SettingError(
                "INSTALLATION_KEY",
                "is not set: the workspaces' tokens are kept encrypted with it; make a key with "
                "`mfa-helpdesk keygen`",
            )
        try:
            return SecretBox(key, "INSTALLATION_KEY")
        except StepUpKeyError as exc:
            raise SettingError("INSTALLATION_KEY", f"is not usable: {exc}") from exc

    def require_for_mail(self) -> None:
        """Raise SettingError when the email notice is configured but cannot be sent."""
        if self.smtp_url is not None and not self.mail_from:
            raise SettingError("MAIL_FROM", "is not set: SMTP_URL needs the sender's address")
        if self.mail_from is not None and "@" not in self.mail_from:
            raise SettingError(
                "MAIL_FROM", "must be an email address, e.g. it-helpdesk@example.com"
            )

    def office_hours(self) -> OfficeHours | None:
        """HELPDESK_HOURS read as days, hours and a zone for the figures' office-hours waits;
        None when unset or unreadable (it stays free text for the employee: a warning at start)."""
        if not self.helpdesk_hours:
            return None
        try:
            return OfficeHours.parse(self.helpdesk_hours)
        except HoursError:
            return None

    def stepup_box(self) -> SecretBox:
        """The box sealing admins' TOTP secrets, from STEPUP_KEY (SettingError when unusable)."""
        if self.stepup_key is None or not self.stepup_key.get_secret_value().strip():
            raise SettingError(
                "STEPUP_KEY",
                "is not set: admins confirm decisions with their authenticator "
                "(STEPUP_REQUIRED=true); make a key with `mfa-helpdesk keygen`",
            )
        try:
            return SecretBox(self.stepup_key.get_secret_value())
        except StepUpKeyError as exc:
            raise SettingError("STEPUP_KEY", f"is not usable: {exc}") from exc

    def require_for_provider(self) -> None:
        """Raise SettingError for the first setting the identity provider cannot run without."""
        if self.identity_provider is IdentityProviderName.ENTRA:
            for name in ("entra_tenant_id", "entra_client_id", "entra_client_secret"):
                if not getattr(self, name):
                    raise SettingError(
                        name.upper(),
                        "is not set: IDENTITY_PROVIDER=entra needs the app's "
                        "tenant, client ID and client secret",
                    )
        if self.identity_provider is IdentityProviderName.OKTA:
            if self.okta_org_url is None:
                raise SettingError("OKTA_ORG_URL", "is not set: IDENTITY_PROVIDER=okta needs it")
            if self.okta_api_token is None:
                raise SettingError("OKTA_API_TOKEN", "is not set: IDENTITY_PROVIDER=okta needs it")


@dataclass(frozen=True)
class SmtpTarget:
    """Where SMTP_URL says to hand mail over, and how."""

    host: str
    port: int
    implicit_tls: bool  # smtps://: TLS from the first byte
    starttls: bool  # smtp://: upgrade with STARTTLS, required unless ?starttls=off
    username: str | None
    password: SecretStr | None


def smtp_target(url: SecretStr) -> SmtpTarget:
    """SMTP_URL read: smtp://[user:pass@]host[:587][?starttls=off] or smtps://[user:pass@]host[:465].

    ValueError says what is wrong without repeating the URL (it may hold a password).
    """
    parts = urlsplit(url.get_secret_value().strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("names no host, e.g. smtp://mail.example.com:587")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("has a port that is not a number") from None
    flags = {key.lower(): values[-1].lower() for key, values in parse_qs(parts.query).items()}
    unknown = set(flags) - {"starttls"}
    if unknown:
        raise ValueError(f"has an unknown option {sorted(unknown)[0]!r} (only starttls=off)")
    starttls = parts.scheme == "smtp" and flags.get("starttls", "on") not in ("off", "false", "0")
    password = unquote(parts.password) if parts.password is not None else None
    if parts.scheme == "smtp" and not starttls and password:
        raise ValueError("with starttls=off would send its password in clear: use TLS")
    return SmtpTarget(
        host=parts.hostname,
        port=port or (465 if parts.scheme == "smtps" else 587),
        implicit_tls=parts.scheme == "smtps",
        starttls=starttls,
        username=unquote(parts.username) if parts.username else None,
        password=SecretStr(password) if password else None,
    )


class SettingError(Exception):
    """A setting is missing or unusable; carries the variable's name for a one-line message."""

    def __init__(self, variable: str, why: str) -> None:
        super().__init__(f"{variable} {why}")
        self.variable = variable
