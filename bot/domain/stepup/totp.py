"""TOTP step-up rules: enrollment, verification once per time step, lockout after failures."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import pyotp

from bot.domain.errors import HelpdeskError
from bot.domain.ports import Clock, Meter, NoMeter

ISSUER = "MFA Helpdesk"
MAX_FAILURES = 5  # attempts without a success; each is counted before its code is compared
LOCKOUT = timedelta(minutes=15)
CHANGED_MEANWHILE = "the set-up changed meanwhile: start again with /mfa-admin enroll"


class StepUpOffError(HelpdeskError):
    """Step-up is turned off (STEPUP_REQUIRED=false): there is nothing to enroll."""

    code = "stepup_off"


class NotEnrolledError(HelpdeskError):
    """The admin has no confirmed authenticator yet."""

    code = "stepup_not_enrolled"


class WrongCodeError(HelpdeskError):
    """The code was counted as an attempt and refused; `locked` says whether this attempt used
    the last one (step-up is locked now)."""

    code = "stepup_wrong_code"

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked


class ReplayedCodeError(WrongCodeError):
    """The code's time step was used already (or an older one): not a wrong guess, but it was
    counted as an attempt all the same, so replays cannot go on without limit."""

    code = "stepup_replayed"


class LockedOutError(HelpdeskError):
    """Too many attempts without a success: step-up is locked until `until`."""

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
    """Admins' authenticators, changed only by conditional updates.

    Every code is counted as an attempt before it is compared (`count_attempt`), so parallel
    requests, on any number of replicas, cannot compare more codes than the budget allows.
    """

    async def get_authenticator(self, admin_id: str) -> Authenticator | None:
        """The admin's row, or None."""
        ...

    async def set_pending(self, admin_id: str, sealed: str, at: datetime) -> None:
        """Store a new secret waiting for its first code (the current one stays active)."""
        ...

    async def count_attempt(
        self, admin_id: str, at: datetime, max_attempts: int, lock_until: datetime
    ) -> Authenticator | None:
        """Count one attempt at a code, before it is compared, in one conditional update; the row
        as counted (`failures` is this attempt's number), or None (nothing counted) when the
        admin has no row or is locked out at `at`. A lock that has ended starts a fresh count;
        the attempt that brings the count to `max_attempts` locks until `lock_until` at once.
        Never creates a row."""
        ...

    async def confirm_pending(
        self, admin_id: str, sealed_pending: str, step: int, at: datetime, *, own_lock: bool = False
    ) -> bool:
        """Make this pending secret the active one, with `step` as the last one used, unless
        another secret is pending by now. Like `use_step`, a success clears the count."""
        ...

    async def use_step(
        self, admin_id: str, step: int, at: datetime, *, own_lock: bool = False
    ) -> bool:
        """Record `step` as used if it is newer than the last (False: a replay). A success clears
        the count, and the lock when it has ended at `at` or when `own_lock` (the counted attempt
        set it); a lock that other attempts set meanwhile stays."""
        ...


class StepUp:
    """Enrolls admins' authenticators and checks their codes."""

    def __init__(
        self, store: AuthenticatorStore, box: Box, clock: Clock, meter: Meter | None = None
    ) -> None:
        self._store = store
        self._box = box
        self._clock = clock
        self._meter = meter or NoMeter()

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
        swap in the thief's; both codes are one attempt, from the same budget as approvals.
        True when an authenticator was replaced."""
        row = await self._store.get_authenticator(admin_id)
        if row is None or row.sealed_pending is None:
            raise NotEnrolledError("start with /mfa-admin enroll")
        row = await self._count(admin_id, row)
        if row.sealed_pending is None:  # confirmed meanwhile by another request
            raise NotEnrolledError(CHANGED_MEANWHILE)
        sealed_pending, own_lock = row.sealed_pending, row.failures >= MAX_FAILURES
        old_step = None
        if row.sealed_secret is not None:
            old_step = self._matching_step(self._box.open(row.sealed_secret), current_code or "")
            if old_step is None:
                raise _wrong(row)
        step = self._matching_step(self._box.open(sealed_pending), code)
        if step is None:
            raise _wrong(row)
        now = self._clock.now()
        if old_step is not None and (
            old_step <= row.last_step
            or not await self._store.use_step(admin_id, old_step, now, own_lock=own_lock)
        ):
            raise _replayed(row)
        if not await self._store.confirm_pending(
            admin_id, sealed_pending, step, now, own_lock=own_lock
        ):
            raise NotEnrolledError(CHANGED_MEANWHILE)
        return old_step is not None

    async def is_enrolled(self, admin_id: str) -> bool:
        """True once a secret was confirmed."""
        row = await self._store.get_authenticator(admin_id)
        return row is not None and row.sealed_secret is not None

    async def verify(self, admin_id: str, code: str) -> None:
        """Accept a current code once; raise NotEnrolled, LockedOut, WrongCode or Replayed
        (each refusal counted for the metrics)."""
        try:
            await self._verify(admin_id, code)
        except WrongCodeError as wrong:
            self._meter.stepup_failed(locked=wrong.locked)
            raise
        except LockedOutError:
            self._meter.stepup_locked_out()
            raise

    async def _verify(self, admin_id: str, code: str) -> None:
        """Accept a current code once; raise NotEnrolled, LockedOut, WrongCode or Replayed.

        The attempt is counted before the code is compared: an admin locked out, or out of
        attempts because of requests still in flight, gets LockedOut without a comparison.
        """
        row = await self._store.get_authenticator(admin_id)
        if row is None or row.sealed_secret is None:
            raise NotEnrolledError("enroll with /mfa-admin enroll first")
        row = await self._count(admin_id, row)
        if row.sealed_secret is None:  # as read above; no path takes an active secret away
            raise NotEnrolledError("enroll with /mfa-admin enroll first")
        step = self._matching_step(self._box.open(row.sealed_secret), code)
        if step is None:
            raise _wrong(row)
        own_lock = row.failures >= MAX_FAILURES
        if step <= row.last_step or not await self._store.use_step(
            admin_id, step, self._clock.now(), own_lock=own_lock
        ):
            raise _replayed(row)

    async def _count(self, admin_id: str, row: Authenticator) -> Authenticator:
        """Count this attempt; LockedOutError when none is left (NotEnrolled without a row)."""
        now = self._clock.now()
        if row.locked_until is not None and row.locked_until > now:
            raise LockedOutError(row.locked_until)  # known from the read: spare the write
        for _ in range(3):
            counted = await self._store.count_attempt(admin_id, now, MAX_FAILURES, now + LOCKOUT)
            if counted is not None:
                return counted
            now_row = await self._store.get_authenticator(admin_id)
            if now_row is None:
                raise NotEnrolledError("enroll with /mfa-admin enroll first")
            if now_row.locked_until is not None and now_row.locked_until > now:
                raise LockedOutError(now_row.locked_until)
            # The lock was lifted between the two statements (its own attempt succeeded): again.
        raise LockedOutError(now + LOCKOUT)

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


def _wrong(counted: Authenticator) -> WrongCodeError:
    """The refusal of a wrong code, for the attempt counted as `counted.failures`."""
    if counted.failures >= MAX_FAILURES:
        return WrongCodeError("wrong code: step-up is now locked for 15 minutes", locked=True)
    return WrongCodeError(f"wrong code ({MAX_FAILURES - counted.failures} tries left)")


def _replayed(counted: Authenticator) -> ReplayedCodeError:
    """The refusal of a used code, for the attempt counted as `counted.failures`."""
    if counted.failures >= MAX_FAILURES:
        return ReplayedCodeError(
            "that code was used already, and step-up is now locked for 15 minutes", locked=True
        )
    return ReplayedCodeError("that code was used already: wait for the next one")
