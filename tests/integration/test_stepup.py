"""Admin step-up on SQLite and PostgreSQL: enrollment, once-only codes, lockout, key rotation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.crypto import SecretBox, new_key
from bot.domain.stepup import (
    LockedOutError,
    NotEnrolledError,
    ReplayedCodeError,
    StepUp,
    WrongCodeError,
)
from storage.engine import create_engine, session_factory
from storage.migrate import migrate
from storage.stepup import SqlAuthenticatorStore
from tests.conftest import FixedClock

KEY = new_key()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    built = create_engine(database_url)
    await migrate(built)
    yield built
    await built.dispose()


def _code(secret: str, clock: FixedClock, steps: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(clock.now()) + steps)


async def _enrolled(stepup: StepUp, clock: FixedClock, admin: str = "UADMIN") -> str:
    uri, secret = await stepup.begin_enrollment(admin, "ines@example.com")
    parsed = pyotp.parse_uri(uri)
    assert parsed.secret == secret
    assert len(secret) == 32
    await stepup.confirm_enrollment(admin, _code(secret, clock))
    clock.advance(seconds=30)
    return secret


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def stepup(engine: AsyncEngine, clock: FixedClock) -> StepUp:
    return StepUp(SqlAuthenticatorStore(session_factory(engine)), SecretBox(KEY), clock)


async def test_enrollment_counts_only_after_a_correct_code(
    stepup: StepUp, clock: FixedClock
) -> None:
    _, secret = await stepup.begin_enrollment("UADMIN", "ines")
    assert not await stepup.is_enrolled("UADMIN")
    with pytest.raises(WrongCodeError):
        await stepup.confirm_enrollment(
            "UADMIN", "000000" if _code(secret, clock) != "000000" else "111111"
        )
    assert not await stepup.is_enrolled("UADMIN")
    await stepup.confirm_enrollment("UADMIN", _code(secret, clock))
    assert await stepup.is_enrolled("UADMIN")
    with pytest.raises(NotEnrolledError):
        await stepup.verify("UOTHER", "123456")


async def test_a_code_is_accepted_once_and_never_an_older_one(
    stepup: StepUp, clock: FixedClock
) -> None:
    secret = await _enrolled(stepup, clock)
    code = _code(secret, clock)
    await stepup.verify("UADMIN", code)
    with pytest.raises(ReplayedCodeError):
        await stepup.verify("UADMIN", code)
    with pytest.raises(ReplayedCodeError):
        await stepup.verify("UADMIN", _code(secret, clock, -1))  # one step old, but not newer
    clock.advance(seconds=30)
    await stepup.verify("UADMIN", _code(secret, clock, +1))  # the next step is fine (drift)


async def test_a_code_two_steps_old_is_refused(stepup: StepUp, clock: FixedClock) -> None:
    secret = await _enrolled(stepup, clock)
    clock.advance(seconds=90)
    with pytest.raises(WrongCodeError):
        await stepup.verify("UADMIN", _code(secret, clock, -2))


async def test_two_replicas_with_the_same_code_accept_it_once(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    box = SecretBox(KEY)
    first = StepUp(SqlAuthenticatorStore(session_factory(engine)), box, clock)
    second = StepUp(SqlAuthenticatorStore(session_factory(engine)), box, clock)
    secret = await _enrolled(first, clock)
    code = _code(secret, clock)
    results = await asyncio.gather(
        first.verify("UADMIN", code), second.verify("UADMIN", code), return_exceptions=True
    )
    assert sum(r is None for r in results) == 1
    assert sum(isinstance(r, ReplayedCodeError) for r in results) == 1


async def test_five_wrong_codes_lock_for_fifteen_minutes(stepup: StepUp, clock: FixedClock) -> None:
    secret = await _enrolled(stepup, clock)
    wrong = "999999" if _code(secret, clock) != "999999" else "888888"
    for attempt in range(1, 6):
        with pytest.raises(WrongCodeError) as failed:
            await stepup.verify("UADMIN", wrong)
        assert failed.value.locked == (attempt == 5)
    with pytest.raises(LockedOutError):
        await stepup.verify("UADMIN", _code(secret, clock))  # even a right code
    clock.advance(minutes=14)
    with pytest.raises(LockedOutError):
        await stepup.verify("UADMIN", _code(secret, clock))
    clock.advance(minutes=2)
    await stepup.verify("UADMIN", _code(secret, clock))


async def test_success_resets_the_failure_count(stepup: StepUp, clock: FixedClock) -> None:
    secret = await _enrolled(stepup, clock)
    for _ in range(4):
        with pytest.raises(WrongCodeError):
            await stepup.verify(
                "UADMIN", "000001" if _code(secret, clock) != "000001" else "000002"
            )
    await stepup.verify("UADMIN", _code(secret, clock))
    clock.advance(seconds=30)
    with pytest.raises(WrongCodeError) as failed:
        await stepup.verify("UADMIN", "000001" if _code(secret, clock) != "000001" else "000002")
    assert not failed.value.locked


async def test_the_column_holds_no_plain_secret_and_a_wrong_key_fails_closed(
    engine: AsyncEngine, stepup: StepUp, clock: FixedClock
) -> None:
    secret = await _enrolled(stepup, clock)
    async with engine.connect() as conn:
        raw = (await conn.execute(text("SELECT sealed_secret FROM admin_authenticators"))).scalar()
    assert raw is not None
    assert secret not in raw
    assert raw.startswith("gAAAAA")
    other = StepUp(SqlAuthenticatorStore(session_factory(engine)), SecretBox(new_key()), clock)
    with pytest.raises(ValueError, match="no STEPUP_KEY opens"):
        await other.verify("UADMIN", _code(secret, clock))


async def test_re_enrolling_replaces_the_secret_only_once_confirmed(
    stepup: StepUp, clock: FixedClock
) -> None:
    old = await _enrolled(stepup, clock)
    _, new = await stepup.begin_enrollment("UADMIN", "ines")
    await stepup.verify("UADMIN", _code(old, clock))  # the old one still works
    clock.advance(seconds=30)
    with pytest.raises(WrongCodeError):  # the current authenticator must agree
        await stepup.confirm_enrollment("UADMIN", _code(new, clock), current_code=None)
    assert await stepup.confirm_enrollment("UADMIN", _code(new, clock), _code(old, clock))
    clock.advance(seconds=30)
    with pytest.raises(WrongCodeError):
        await stepup.verify(
            "UADMIN", _code(old, clock) if _code(old, clock) != _code(new, clock) else "x"
        )
    await stepup.verify("UADMIN", _code(new, clock))


async def test_rotate_key_re_encrypts_and_old_secrets_still_verify(
    engine: AsyncEngine, stepup: StepUp, clock: FixedClock, database_url: str, tmp_path: object
) -> None:
    import os
    import sys

    secret = await _enrolled(stepup, clock)
    async with engine.connect() as conn:
        before = (
            await conn.execute(text("SELECT sealed_secret FROM admin_authenticators"))
        ).scalar()
    newer = new_key()
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": database_url, "STEPUP_KEY": f"{newer},{KEY}"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "rotate-key",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "1 admin(s)" in out.decode()
    async with engine.connect() as conn:
        after = (
            await conn.execute(text("SELECT sealed_secret FROM admin_authenticators"))
        ).scalar()
    assert after != before
    only_new = StepUp(SqlAuthenticatorStore(session_factory(engine)), SecretBox(newer), clock)
    await only_new.verify("UADMIN", _code(secret, clock))
    assert secret not in out.decode() + err.decode()


def _wrong(secret: str, clock: FixedClock) -> str:
    """A code that matches none of the steps the bot accepts now."""
    near = {_code(secret, clock, k) for k in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222") if c not in near)


async def test_parallel_wrong_codes_on_two_replicas_compare_at_most_five(
    engine: AsyncEngine, database_url: str, clock: FixedClock
) -> None:
    second_engine = create_engine(database_url)  # another replica: its own connections
    try:
        box = SecretBox(KEY)
        replicas = [
            StepUp(SqlAuthenticatorStore(session_factory(e)), box, clock)
            for e in (engine, second_engine)
        ]
        secret = await _enrolled(replicas[0], clock)
        wrong = _wrong(secret, clock)
        results = await asyncio.gather(
            *(replicas[i % 2].verify("UADMIN", wrong) for i in range(40)), return_exceptions=True
        )
    finally:
        await second_engine.dispose()
    compared = [r for r in results if isinstance(r, WrongCodeError)]
    locked_out = [r for r in results if isinstance(r, LockedOutError)]
    assert len(compared) == 5, f"{len(compared)} compared, {len(locked_out)} locked out"
    assert len(locked_out) == 35
    assert sum(r.locked for r in compared) == 1  # one lock, so one alert
    assert {str(r) for r in compared if not r.locked} == {
        f"wrong code ({n} tries left)" for n in (1, 2, 3, 4)
    }
    with pytest.raises(LockedOutError):
        await replicas[0].verify("UADMIN", _code(secret, clock))


async def test_an_ended_lock_starts_a_fresh_count(stepup: StepUp, clock: FixedClock) -> None:
    secret = await _enrolled(stepup, clock)
    for _ in range(5):
        with pytest.raises(WrongCodeError):
            await stepup.verify("UADMIN", _wrong(secret, clock))
    clock.advance(minutes=15)
    for left in (4, 3, 2, 1):
        with pytest.raises(WrongCodeError, match=f"{left} tries left"):
            await stepup.verify("UADMIN", _wrong(secret, clock))
    with pytest.raises(WrongCodeError) as failed:
        await stepup.verify("UADMIN", _wrong(secret, clock))
    assert failed.value.locked


async def test_a_right_code_as_the_last_attempt_counts_and_leaves_no_lock(
    stepup: StepUp, clock: FixedClock
) -> None:
    secret = await _enrolled(stepup, clock)
    for _ in range(4):
        with pytest.raises(WrongCodeError):
            await stepup.verify("UADMIN", _wrong(secret, clock))
    await stepup.verify("UADMIN", _code(secret, clock))
    clock.advance(seconds=30)
    with pytest.raises(WrongCodeError, match="4 tries left"):
        await stepup.verify("UADMIN", _wrong(secret, clock))


async def test_replays_use_attempts_so_they_are_bounded_too(
    stepup: StepUp, clock: FixedClock
) -> None:
    secret = await _enrolled(stepup, clock)
    code = _code(secret, clock)
    await stepup.verify("UADMIN", code)
    for attempt in range(1, 6):
        with pytest.raises(ReplayedCodeError) as replayed:
            await stepup.verify("UADMIN", code)
        assert replayed.value.locked == (attempt == 5)
    clock.advance(seconds=30)
    with pytest.raises(LockedOutError):
        await stepup.verify("UADMIN", _code(secret, clock))


async def test_enrollment_and_approvals_share_one_budget(stepup: StepUp, clock: FixedClock) -> None:
    old = await _enrolled(stepup, clock)
    _, new = await stepup.begin_enrollment("UADMIN", "ines")
    for _ in range(3):
        with pytest.raises(WrongCodeError):
            await stepup.verify("UADMIN", _wrong(old, clock))
    with pytest.raises(WrongCodeError):
        await stepup.confirm_enrollment("UADMIN", _code(new, clock), _wrong(old, clock))
    with pytest.raises(WrongCodeError) as failed:
        await stepup.confirm_enrollment("UADMIN", _wrong(new, clock), _code(old, clock))
    assert failed.value.locked
    with pytest.raises(LockedOutError):
        await stepup.confirm_enrollment("UADMIN", _code(new, clock), _code(old, clock))
    with pytest.raises(LockedOutError):
        await stepup.verify("UADMIN", _code(old, clock))


async def test_an_admin_without_an_authenticator_is_not_counted_and_gets_no_row(
    engine: AsyncEngine, stepup: StepUp, clock: FixedClock
) -> None:
    store = SqlAuthenticatorStore(session_factory(engine))
    until = clock.now() + timedelta(minutes=15)
    assert await store.count_attempt("UNOBODY", clock.now(), 5, until) is None
    for _ in range(6):
        with pytest.raises(NotEnrolledError):
            await stepup.verify("UNOBODY", "123456")
        with pytest.raises(NotEnrolledError):
            await stepup.confirm_enrollment("UNOBODY", "123456")
    assert await store.get_authenticator("UNOBODY") is None
    await stepup.begin_enrollment("UPENDING", "omar")  # set up, not yet confirmed
    for _ in range(6):
        with pytest.raises(NotEnrolledError):
            await stepup.verify("UPENDING", "123456")
    row = await store.get_authenticator("UPENDING")
    assert row is not None
    assert row.failures == 0
