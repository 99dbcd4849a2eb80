"""The identity-provider protocol: find a person, and one call per help-desk action."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class ResetAction(StrEnum):
    """What an admin can approve."""

    CLEAR_MFA = "clear_mfa"
    DELETE_APP_PASSWORDS = "delete_app_passwords"
    REVOKE_SESSIONS = "revoke_sessions"
    ISSUE_TAP = "issue_tap"

    @property
    def label(self) -> str:
        """How the help desk and the employee read it."""
        return _LABELS[self]


_LABELS = {
    ResetAction.CLEAR_MFA: "Clear MFA settings (register again at next sign-in)",
    ResetAction.DELETE_APP_PASSWORDS: "Delete app passwords",
    ResetAction.REVOKE_SESSIONS: "Revoke remembered devices and sign-in sessions",
    ResetAction.ISSUE_TAP: "Issue a temporary access pass",
}


class ActionOutcome(StrEnum):
    """What became of one action at the identity provider."""

    DONE = "done"
    MANUAL = "manual"


@dataclass(frozen=True)
class DirectoryUser:
    """A person as the identity provider knows them."""

    id: str
    email: str
    display_name: str = ""


@dataclass(frozen=True)
class ActionResult:
    """What an action did, in words an admin can read.

    `manual_steps` are set when a person must act (outcome MANUAL); `secret_for_user` carries a
    temporary access pass for the employee's DM only: it is never stored, logged or audited.
    `provider_request_id` is the provider's id of the action's last call (Graph's request-id,
    Okta's X-Okta-Request-Id) and `client_request_id` the id we sent with its calls, so that the
    provider's own logs can be matched to the audit line.
    """

    outcome: ActionOutcome
    summary: str
    manual_steps: tuple[str, ...] = ()
    link: str | None = None
    secret_for_user: str | None = field(default=None, repr=False)
    provider_request_id: str | None = None
    client_request_id: str | None = None


class IdentityError(Exception):
    """An action failed; the message says why in words an admin can act on (never a secret).

    The provider's ids of the failed call are set by the adapter when it knows them.
    """

    provider_request_id: str | None = None
    client_request_id: str | None = None


class UserNotFoundError(IdentityError):
    """No account, or more than one, matches the employee's email: never guess."""


class TemporaryIdentityError(IdentityError):
    """A failure worth retrying later (throttling, a 5xx, a timeout); `retry_after` is the
    wait the provider asked for, in seconds, when it said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def no_email(object_id: str | None) -> str:
    """Why a person without an email cannot be looked up, naming the chat that showed none (a
    lookup given an object ID comes from Teams)."""
    return f"{'Teams' if object_id else 'Slack'} shows no email for this person"


class IdentityProvider(Protocol):
    """One directory: Microsoft Entra ID, Okta, the embedded demo, or a human (manual)."""

    name: str
    # False when there is no directory to ask about admin roles (manual): privilege then rests
    # on the operator's lists alone.
    checks_admin_roles: bool
    # False when sessions are revoked by a person in the admin portal (manual): "this wasn't
    # me" then asks for it instead of calling revoke_sessions again.
    revokes_sessions: bool

    async def find_user(self, email: str, object_id: str | None = None) -> DirectoryUser:
        """The one account for this email; UserNotFoundError when none or several match.

        `object_id` is the person's Entra object ID when a front end vouches for it (Teams): a
        directory that knows such ids (Entra) looks the person up by it instead of the email;
        the others ignore it."""
        ...

    async def admin_roles(self, user: DirectoryUser) -> tuple[str, ...]:
        """The names of the admin roles the person holds (empty: none); IdentityError (or
        TemporaryIdentityError) when the directory cannot tell."""
        ...

    async def clear_mfa(self, user: DirectoryUser) -> ActionResult:
        """Remove the person's MFA methods so that they register again at the next sign-in."""
        ...

    async def delete_app_passwords(self, user: DirectoryUser) -> ActionResult:
        """Delete every app password the person created."""
        ...

    async def revoke_sessions(self, user: DirectoryUser) -> ActionResult:
        """Sign the person out everywhere and forget remembered devices where the API allows."""
        ...

    async def issue_temporary_access_pass(
        self, user: DirectoryUser, lifetime_minutes: int
    ) -> ActionResult:
        """Create a one-time pass; the pass itself travels only in `secret_for_user`."""
        ...


async def run_action(
    provider: IdentityProvider, action: ResetAction, user: DirectoryUser, tap_lifetime_minutes: int
) -> ActionResult:
    """Carry out one action through the provider's matching call."""
    if action is ResetAction.CLEAR_MFA:
        return await provider.clear_mfa(user)
    if action is ResetAction.DELETE_APP_PASSWORDS:
        return await provider.delete_app_passwords(user)
    if action is ResetAction.REVOKE_SESSIONS:
        return await provider.revoke_sessions(user)
    return await provider.issue_temporary_access_pass(user, tap_lifetime_minutes)
