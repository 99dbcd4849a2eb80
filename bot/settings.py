"""Typed settings read from the environment (and a .env file): the contract of DESIGN.md."""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.crypto import SecretBox, StepUpKeyError

DEFAULT_MANAGE_SETTINGS_URL = "https://mysignins.microsoft.com/security-info"
DEFAULT_APP_PASSWORDS_URL = (
    "https://support.microsoft.com/account-billing/"
    "manage-app-passwords-for-two-step-verification-d6dc8c6d-4bf7-4851-ad95-6d07799387e9"
)

CommaList = Annotated[list[str], NoDecode]


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

    database_url: str = "sqlite+aiosqlite:///mfa-helpdesk.db"
    # The tables' owner, for `migrate` only; set, `serve` runs as DATABASE_URL's role and never
    # migrates (docs: README "The audit log").
    migration_database_url: str | None = None

    helpdesk_channel: str | None = None
    it_admin_users: CommaList = Field(default_factory=list)
    it_admin_usergroup: str | None = None
    it_contact: str = "your IT department"
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

    host: str = "0.0.0.0"  # noqa: S104 - a server listens on every interface unless told otherwise
    port: int = Field(default=3000, ge=0, le=65535)
    log_level: str = "INFO"
    migrate_on_start: bool = True

    @field_validator("it_admin_users", "privileged_users", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("request_ttl", "reset_cooldown", mode="before")
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

    def require_for_serve(self) -> None:
        """Raise SettingError for the first setting `serve` cannot run with."""
        if self.slack_bot_token is None:
            raise SettingError(
                "SLACK_BOT_TOKEN", "is not set: the bot token (xoxb-...) is required"
            )
        if not self.socket_mode and not (
            self.slack_signing_secret and self.slack_signing_secret.get_secret_value().strip()
        ):
            raise SettingError(
                "SLACK_SIGNING_SECRET", "is not set: the signing secret is required in HTTP mode"
            )
        self.require_for_provider()
        if self.helpdesk_channel and self.stepup_required:
            self.stepup_box()

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


class SettingError(Exception):
    """A setting is missing or unusable; carries the variable's name for a one-line message."""

    def __init__(self, variable: str, why: str) -> None:
        super().__init__(f"{variable} {why}")
        self.variable = variable
