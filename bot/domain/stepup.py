"""Admin step-up with TOTP: enrollment, verification once per time step, lockout after failures."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import pyotp

from bot.domain.errors import HelpdeskError
from bot.domain.ports import Clock

ISSUER = "MFA Helpdesk"
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


class StepUpOffError(HelpdeskError):
    """Step-up is turned off (STEPUP_REQUIRED=false): there is nothing to enroll."""

    code = "stepup_off"


class NotEnrolledError(HelpdeskError):
    """The admin has no confirmed authenticator yet."""

    code = "stepup_not_enrolled"


class WrongCodeError(HelpdeskError):
    """The code did not match; `locked` says whether this failure locked the admin out."""

    code = "stepup_wrong_code"

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked


class ReplayedCodeError(HelpdeskError):
    """The code's time step was used already (or an older one)."""

    code = "stepup_replayed"


class LockedOutError(HelpdeskError):
    """Too many wrong codes: step-up is locked until `until`."""

    code = "stepup_locked"

    def __init__(self, until: datetime) -> None:
        super().__init__(f"locked until {until:%H:%M} UTC")
        self.until = until


@dataclass(frozen=True)
class Authenticator:
    """An admin's stored step-up state; secrets are sealed (encrypted)."""

    admin_id: str
    sealed_secret: str | None
    sealed_pending: str | None
    last_step: int
    failures: int
    locked_until: datetime | None


class Box(Protocol):
    """Seals and opens secrets (bot.crypto.SecretBox)."""

    def seal(self, plain: str) -> str:
        """Encrypt."""
        ...

    def open(self, sealed: str) -> str:
        """Decrypt; ValueError when it cannot."""
        ...


class AuthenticatorStore(Protocol):
    """Admins' authenticators, changed only by conditional updates."""

    async def get_authenticator(self, admin_id: str) -> Authenticator | None:
        """The admin's row, or None."""
        ...

    async def set_pending(self, admin_id: str, sealed: str, at: datetime) -> None:
        """Store a new secret waiting for its first code (the current one stays active)."""
        ...

    async def confirm_pending(
        self, admin_id: str, sealed_pending: str, step: int, at: datetime
    ) -> bool:
        """Make this pending secret the active one, with `step` as the last one used, unless
        the admin is locked out or another secret is pending by now."""
        ...

    async def use_step(self, admin_id: str, step: int, at: datetime) -> bool:
        """Record `step` as used if it is newer than the last and the admin is not locked out
        at `at`; False means a replay (or a lock that began meanwhile)."""
        ...

    async def record_failure(
        self, admin_id: str, at: datetime, max_failures: int, lock_until: datetime
    ) -> int:
        """Count a wrong code (locking at `max_failures`); the count now."""
        ...


class StepUp:
    """Enrolls admins' authenticators and checks their codes."""

    def __init__(self, store: AuthenticatorStore, box: Box, clock: Clock) -> None:
        self._store = store
        self._box = box
        self._clock = clock

    async def begin_enrollment(self, admin_id: str, label: str) -> tuple[str, str]:
        """A new 160-bit secret, stored sealed until confirmed; (otpauth URI, secret)."""
        secret = pyotp.random_base32()
        await self._store.set_pending(admin_id, self._box.seal(secret), self._clock.now())
        uri = pyotp.TOTP(secret).provisioning_uri(name=label, issuer_name=ISSUER)
        return uri, secret

    async def confirm_enrollment(
        self, admin_id: str, code: str, current_code: str | None = None
    ) -> bool:
        """The first code from the new authenticator makes it the admin's step-up. Replacing an
        authenticator also takes a code from the current one, so a stolen Slack session cannot
        swap in the thief's. True when an authenticator was replaced."""
        row = await self._unlocked(admin_id)
        if row is None or row.sealed_pending is None:
            raise NotEnrolledError("start with /mfa-admin enroll")
        replacing = row.sealed_secret is not None
        if row.sealed_secret is not None:
            old_step = self._matching_step(self._box.open(row.sealed_secret), current_code or "")
            if old_step is None:
                raise await self._failed(admin_id)
            if old_step <= row.last_step or not await self._store.use_step(
                admin_id, old_step, self._clock.now()
            ):
                raise ReplayedCodeError("that code was used already: wait for the next one")
        step = self._matching_step(self._box.open(row.sealed_pending), code)
        if step is None:
            raise await self._failed(admin_id)
        if not await self._store.confirm_pending(
            admin_id, row.sealed_pending, step, self._clock.now()
        ):
            raise NotEnrolledError(
                "the set-up changed meanwhile: start again with /mfa-admin enroll"
            )
        return replacing

    async def is_enrolled(self, admin_id: str) -> bool:
        """True once a secret was confirmed."""
        row = await self._store.get_authenticator(admin_id)
        return row is not None and row.sealed_secret is not None

    async def verify(self, admin_id: str, code: str) -> None:
        """Accept a current code once; raise NotEnrolled, LockedOut, WrongCode or Replayed."""
        row = await self._unlocked(admin_id)
        if row is None or row.sealed_secret is None:
            raise NotEnrolledError("enroll with /mfa-admin enroll first")
        step = self._matching_step(self._box.open(row.sealed_secret), code)
        if step is None:
            raise await self._failed(admin_id)
        if step <= row.last_step or not await self._store.use_step(
            admin_id, step, self._clock.now()
        ):
            raise ReplayedCodeError("that code was used already: wait for the next one")

    async def _unlocked(self, admin_id: str) -> Authenticator | None:
        row = await self._store.get_authenticator(admin_id)
        locked = row.locked_until if row is not None else None
        if locked is not None and locked > self._clock.now():
            raise LockedOutError(locked)
        return row

    async def _failed(self, admin_id: str) -> WrongCodeError:
        now = self._clock.now()
        failures = await self._store.record_failure(admin_id, now, MAX_FAILURES, now + LOCKOUT)
        if failures >= MAX_FAILURES:
            return WrongCodeError("wrong code: step-up is now locked for 15 minutes", locked=True)
        return WrongCodeError(f"wrong code ({MAX_FAILURES - failures} tries left)")

    def _matching_step(self, secret: str, code: str) -> int | None:
        """The time step the code belongs to: the current one or one either side."""
        code = code.strip().replace(" ", "")
        if not (code.isascii() and code.isdigit()):
            return None
        totp = pyotp.TOTP(secret)
        now_step = totp.timecode(self._clock.now())
        for step in (now_step, now_step - 1, now_step + 1):
            if hmac.compare_digest(totp.generate_otp(step), code):
                return step
        return None
