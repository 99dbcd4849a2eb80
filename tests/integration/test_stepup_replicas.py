"""Step-up's lockout holds against a parallel burst of wrong codes sent to two bot processes."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pyotp
import pytest

from bot.crypto import SecretBox, new_key
from bot.domain.requests import AuditEntry, ContactForm, HelpRequest, Remaining, Status
from handlers.blocks.helpdesk import build_stepup_modal
from handlers.ids import FieldId
from handlers.payloads import StepUpMeta
from storage.engine import create_engine, session_factory
from storage.helpdesk import SqlRequestRepository
from storage.migrate import migrate
from storage.stepup import SqlAuthenticatorStore
from tests.conftest import _postgres_database
from tests.driver import SIGNING_SECRET, SlackDriver
from tests.fakes.slack import TEAM_ID, FakeSlack
from tests.integration.test_cli import _free_port
from tests.processes import until_healthy

DESK, SECURITY, ADMIN = "C0DESK", "C0SECURITY", "UADMIN1"
BURST = 50
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """A PostgreSQL database of this test's own (the replicas share it)."""
    for url in _postgres_database():
        if url is None:
            pytest.skip("PostgreSQL is not reachable (set TEST_POSTGRES_URL)")
        yield url


async def _replica(env: dict[str, str], port: int) -> asyncio.subprocess.Process:
    """`python -m bot serve` on `port`, once it answers /healthz."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        "--no-migrate",
        env={**env, "PORT": str(port)},
        cwd=env["HOME"],
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )

    async def stderr() -> str:
        return (await process.stderr.read()).decode()  # type: ignore[union-attr]

    try:
        await until_healthy(f"http://127.0.0.1:{port}", process, stderr)
    except AssertionError:
        process.kill()
        raise
    return process


async def _stop(process: asyncio.subprocess.Process) -> str:
    if process.returncode is None:
        process.terminate()
    _, err = await asyncio.wait_for(process.communicate(), 20)
    return err.decode()


def _wrong_code(totp: pyotp.TOTP) -> str:
    """A code that matches no time step near now (the bot accepts one step either side)."""
    now = time.time()
    near = {totp.at(now + 30 * k) for k in range(-4, 5)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in near)


@dataclass
class Replicas:
    """Two bot processes on one database, the fake Slack they talk to, and what they share."""

    fake: FakeSlack
    urls: list[str]  # each replica's /slack/events
    totp: pyotp.TOTP  # the admin's authenticator
    request_id: int  # an open request


@pytest.fixture
async def replicas(fresh_postgres: str, tmp_path: Path) -> AsyncIterator[Replicas]:
    """Two bot processes on one database and one fake Slack; an enrolled admin, an open request."""
    fake = FakeSlack()
    await fake.start()
    fake.add_user(ADMIN, "Ines Admin", "ines@example.com")
    key = new_key()
    engine = create_engine(fresh_postgres)
    await migrate(engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    secret = pyotp.random_base32()
    store, box = SqlAuthenticatorStore(sessions), SecretBox(key)
    sealed = box.seal(secret)
    await store.set_pending(ADMIN, sealed, now)  # enrolled, as the sandbox seeds its admins
    await store.confirm_pending(ADMIN, sealed, 0, now)
    form = ContactForm("lost my phone", True, Remaining.NONE, None, "+1 555 0101")
    request = await SqlRequestRepository(sessions).create_request(
        HelpRequest(
            id=0,
            team_id=TEAM_ID,
            requester_id="U1",
            topic_id="lost-phone",
            walk_id=None,
            form=form,
            proposed=(),
            tried=(),
            status=Status.OPEN,
            created_at=now,
            expires_at=now + timedelta(hours=1),
            updated_at=now,
            channel_id=DESK,
            message_ts="1.000001",
        ),
        AuditEntry(now, "U1", "request.created"),
    )
    await engine.dispose()
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(REPO),
        "HOME": str(tmp_path),
        "HOST": "127.0.0.1",
        "DATABASE_URL": fresh_postgres,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.base_url,
        "HELPDESK_CHANNEL": DESK,
        "SECURITY_CHANNEL": SECURITY,
        "IT_ADMIN_USERS": ADMIN,
        "IDENTITY_PROVIDER": "demo",
        "STEPUP_REQUIRED": "true",
        "STEPUP_KEY": key,
    }
    ports = [_free_port(), _free_port()]
    processes = await asyncio.gather(*(_replica(env, port) for port in ports))
    try:
        urls = [f"http://127.0.0.1:{port}/slack/events" for port in ports]
        yield Replicas(fake, urls, pyotp.TOTP(secret), request.id)
    finally:
        logs = [await _stop(p) for p in processes]
        await fake.stop()
    assert all("Traceback" not in log for log in logs), logs
    assert secret not in "".join(logs)
    assert fake.violations == [], fake.violations


async def test_fifty_parallel_wrong_codes_on_two_replicas_evaluate_at_most_five(
    replicas: Replicas, fresh_postgres: str
) -> None:
    fake, totp, request_id = replicas.fake, replicas.totp, replicas.request_id
    meta = StepUpMeta(kind="approve", request_id=request_id, actions=["clear_mfa"], channel_id=DESK)
    modal = build_stepup_modal(meta, f"Approve request #{request_id}.").to_dict()
    wrong = _wrong_code(totp)
    async with aiohttp.ClientSession() as http:
        # The driver signs and posts; its runtime (for settle) is in-process only, unused here.
        drivers = [SlackDriver(url, fake, None, http) for url in replicas.urls]  # type: ignore[arg-type]
        replies = await asyncio.gather(
            *(drivers[i % 2].submit(modal, {FieldId.CODE: wrong}, user=ADMIN) for i in range(BURST))
        )
        assert all(r.status == 200 for r in replies), [r for r in replies if r.status != 200]
        said = [r.json()["errors"][FieldId.CODE] for r in replies]
        evaluated = [s for s in said if "not right" in s]
        refused = [s for s in said if s.startswith("Too many attempts without a success")]
        during = await drivers[0].submit(modal, {FieldId.CODE: totp.now()}, user=ADMIN)

    engine = create_engine(fresh_postgres)
    try:
        audit = await SqlRequestRepository(session_factory(engine)).audit_since(
            datetime(2000, 1, 1, tzinfo=UTC)
        )
    finally:
        await engine.dispose()
    reasons = [(e.detail or {}).get("reason") for e in audit if e.event == "decision.refused"]
    locks = [e.event for e in audit].count("stepup.locked")
    alerts = [
        c.params.get("text", "")
        for c in fake.calls_to("chat.postMessage")
        if c.params.get("channel") == SECURITY
    ]
    seen = (
        f"{BURST} parallel wrong codes: {len(evaluated)} evaluated, {len(refused)} answered"
        f" locked; audit: {reasons.count('stepup_wrong_code')} stepup_wrong_code,"
        f" {locks} stepup.locked; {len(alerts)} security alert(s)"
    )
    assert len(evaluated) <= 5, seen
    assert len(evaluated) + len(refused) == BURST, said
    assert reasons.count("stepup_wrong_code") <= 5, seen
    assert reasons.count("stepup_locked") == len(refused) + 1, seen
    assert locks == 1, seen
    assert len(alerts) == 1, seen
    assert "locked for 15 minutes" in alerts[0]
    assert during.json()["errors"][FieldId.CODE].startswith("Too many attempts without a success")
