"""The `demo` provider: an embedded directory in the bot's own database whose changes are real."""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.domain.identity import (
    ActionOutcome,
    ActionResult,
    DirectoryUser,
    UserNotFoundError,
    no_email,
)
from bot.domain.ports import Clock
from bot.wording import plural

_TAP_ALPHABET = string.ascii_letters + string.digits + "!#$%&*+-=?@"
TAP_LENGTH = 12


@dataclass(frozen=True)
class DemoUser:
    """A person in the demo directory."""

    email: str
    display_name: str
    methods: tuple[dict[str, str], ...] = ()
    app_passwords: int = 0
    sessions: int = 0
    remembered_devices: int = 0
    tap_hash: str | None = field(default=None, repr=False)
    tap_expires_at: datetime | None = None
    admin_roles: tuple[str, ...] = ()


def new_demo_user(email: str, display_name: str = "") -> DemoUser:
    """Someone unknown to the directory, created with a typical set of sign-in methods."""
    return DemoUser(
        email=email,
        display_name=display_name or email.split("@", 1)[0],
        methods=(
            {"type": "microsoftAuthenticator", "detail": "Microsoft Authenticator on a phone"},
            {"type": "phone", "detail": "Mobile phone (text and call)"},
            {"type": "softwareOath", "detail": "Authenticator app code"},
        ),
        app_passwords=2,
        sessions=3,
        remembered_devices=1,
    )


class DemoStore(Protocol):
    """Where the demo directory lives (the bot's database)."""

    async def get_demo_user(self, email: str) -> DemoUser | None:
        """The person with this email, or None."""
        ...

    async def save_demo_user(self, user: DemoUser, at: datetime) -> None:
        """Create or replace the person."""
        ...


class DemoProvider:
    """Acts on the embedded directory exactly as a real one would be acted on."""

    name = "demo"
    checks_admin_roles = True
    revokes_sessions = True

    def __init__(self, store: DemoStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def find_user(self, email: str, object_id: str | None = None) -> DirectoryUser:
        """The person by email, created on the fly when the directory does not know them yet."""
        if not email:
            raise UserNotFoundError(no_email(object_id))
        user = await self._store.get_demo_user(email.lower())
        if user is None:
            user = new_demo_user(email.lower())
            await self._store.save_demo_user(user, self._clock.now())
        return DirectoryUser(id=user.email, email=user.email, display_name=user.display_name)

    async def admin_roles(self, user: DirectoryUser) -> tuple[str, ...]:
        """The admin roles the demo directory gives the person."""
        return (await self._load(user)).admin_roles

    async def clear_mfa(self, user: DirectoryUser) -> ActionResult:
        """Remove every MFA method; the password is not a method here and stays."""
        person = await self._load(user)
        removed = [m.get("detail") or m.get("type", "method") for m in person.methods]
        await self._save(replace(person, methods=()))
        if not removed:
            return _done("No MFA methods were registered; nothing to remove.")
        return _done(
            f"Removed {plural(len(removed), 'sign-in method')}: {', '.join(removed)}. "
            "They register again at the next sign-in."
        )

    async def delete_app_passwords(self, user: DirectoryUser) -> ActionResult:
        """Delete all app passwords."""
        person = await self._load(user)
        await self._save(replace(person, app_passwords=0))
        return _done(f"Deleted {plural(person.app_passwords, 'app password')}.")

    async def revoke_sessions(self, user: DirectoryUser) -> ActionResult:
        """End every sign-in session and forget remembered devices."""
        person = await self._load(user)
        await self._save(replace(person, sessions=0, remembered_devices=0))
        return _done(
            f"Revoked {plural(person.sessions, 'sign-in session')} and forgot "
            f"{plural(person.remembered_devices, 'remembered device')}."
        )

    async def issue_temporary_access_pass(
        self, user: DirectoryUser, lifetime_minutes: int
    ) -> ActionResult:
        """A one-time pass; only its hash and expiry are kept, the pass goes to the person."""
        person = await self._load(user)
        tap = "".join(secrets.choice(_TAP_ALPHABET) for _ in range(TAP_LENGTH))
        expires = self._clock.now() + timedelta(minutes=lifetime_minutes)
        await self._save(
            replace(
                person,
                tap_hash=hashlib.sha256(tap.encode()).hexdigest(),
                tap_expires_at=expires,
            )
        )
        return ActionResult(
            outcome=ActionOutcome.DONE,
            summary=(
                f"Temporary access pass issued: one use, valid {lifetime_minutes} minutes. "
                "It was sent to the person only."
            ),
            secret_for_user=tap,
        )

    async def _load(self, user: DirectoryUser) -> DemoUser:
        person = await self._store.get_demo_user(user.email)
        if person is None:
            raise UserNotFoundError(f"{user.email} is no longer in the demo directory")
        return person

    async def _save(self, person: DemoUser) -> None:
        await self._store.save_demo_user(person, self._clock.now())


def _done(summary: str) -> ActionResult:
    return ActionResult(outcome=ActionOutcome.DONE, summary=summary)


def demo_users_from(data: Any) -> list[DemoUser]:
    """People from a loaded YAML/JSON list: email, name, methods, app_passwords, sessions,
    admin_roles."""
    if not isinstance(data, list):
        raise ValueError("the demo directory file must be a list of people")
    people = []
    for index, item in enumerate(data):
        if not isinstance(item, dict) or not item.get("email"):
            raise ValueError(f"[{index}]: each person needs an email")
        base = new_demo_user(str(item["email"]).lower(), str(item.get("name", "")))
        methods = item.get("methods")
        roles = item.get("admin_roles") or []
        if not isinstance(roles, list):
            raise ValueError(f"[{index}]: admin_roles must be a list of role names")
        people.append(
            replace(
                base,
                methods=base.methods
                if methods is None
                else tuple({"type": str(m), "detail": str(m)} for m in methods),
                app_passwords=int(item.get("app_passwords", base.app_passwords)),
                sessions=int(item.get("sessions", base.sessions)),
                remembered_devices=int(item.get("remembered_devices", base.remembered_devices)),
                admin_roles=tuple(str(role) for role in roles),
            )
        )
    return people
