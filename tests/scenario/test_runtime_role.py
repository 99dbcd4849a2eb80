"""The bot serving as a PostgreSQL role that does not own its tables: it works, and it cannot
change, remove or empty the audit log, nor switch off its triggers."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from handlers.ids import ActionId
from tests.conftest import POSTGRES_ADMIN_URL
from tests.driver import SlackDriver
from tests.fakes.slack import FakeSlack
from tests.integration.test_cli import fake_slack_in_a_thread
from tests.scenario.test_helpdesk import ADMIN, DESK, _audit, _card, _request

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@dataclass(frozen=True)
class Database:
    """A database of its own, migrated by its owner, and a login role that only uses it."""

    owner_url: str
    runtime_url: str
    role: str


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "HOME": str(cwd),
        **env,
    }
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bot", *args],
        env=full,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
async def separate_roles(postgres_url: str | None, tmp_path: Path) -> AsyncIterator[Database]:
    """A new database and a new login role (roles are cluster-wide: a unique name per run,
    dropped afterwards)."""
    if postgres_url is None:
        pytest.skip("needs PostgreSQL: roles and grants")
    suffix = uuid.uuid4().hex[:10]
    name, role = f"mfa_roles_{suffix}", f"mfa_runtime_{suffix}"
    admin = await asyncpg.connect(_dsn(POSTGRES_ADMIN_URL), timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.execute(f'CREATE ROLE "{role}" LOGIN')
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
        owner_url = f"{base}/{name}"
        runtime_url = f"postgresql+asyncpg://{role}@{base.rsplit('@', 1)[1]}/{name}"
        yield Database(owner_url, runtime_url, role)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()


@pytest.fixture
def database_url(separate_roles: Database, tmp_path: Path) -> str:
    """The bot's DATABASE_URL: the runtime role, in a database its owner migrated and granted."""
    env = {
        "DATABASE_URL": separate_roles.runtime_url,
        "MIGRATION_DATABASE_URL": separate_roles.owner_url,
    }
    migrated = _cli(["migrate"], env, tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    granted = _cli(["grant-runtime-role", separate_roles.role], env, tmp_path)
    assert granted.returncode == 0, granted.stderr
    assert f"GRANT SELECT, INSERT ON audit_log TO {separate_roles.role};" in granted.stdout
    return separate_roles.runtime_url


@pytest.fixture
def bot_env(
    bot_env: dict[str, Any], fake_slack: FakeSlack, separate_roles: Database
) -> dict[str, Any]:
    """A help desk on the demo directory, serving as the runtime role."""
    fake_slack.add_user(ADMIN, "Ines Admin", "ines@example.com")
    return {
        **bot_env,
        "helpdesk_channel": DESK,
        "it_admin_users": ADMIN,
        "identity_provider": "demo",
        "migration_database_url": separate_roles.owner_url,
    }


async def test_the_runtime_role_serves_but_cannot_empty_or_rewrite_the_audit_log(
    slack: SlackDriver, separate_roles: Database, tmp_path: Path
) -> None:
    card = await _request(slack)
    await slack.click(card, ActionId.APPROVE, user=ADMIN)
    await slack.settle()
    assert "*Done* by <@UADMIN1>" in _card(slack).all_text()
    events = [event for event, _, _ in await _audit(slack)]
    assert events[:4] == [
        "request.created",
        "request.not_privileged",
        "request.approved",
        "request.executing",
    ]
    assert events[-2:] == ["request.done", "notice.skipped"]

    runtime = await asyncpg.connect(_dsn(separate_roles.runtime_url), timeout=5)
    try:
        assert await runtime.fetchval("SELECT current_user") == separate_roles.role
        refused = {}
        for sql in (
            "UPDATE audit_log SET detail = '{}'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
            "ALTER TABLE audit_log DISABLE TRIGGER USER",
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
            "DROP TRIGGER audit_log_no_truncate ON audit_log",
            "SELECT setval(pg_get_serial_sequence('audit_log', 'id'), 1)",
        ):
            with pytest.raises(asyncpg.PostgresError) as error:
                await runtime.execute(sql)
            refused[sql.split(" audit_log")[0]] = type(error.value).__name__
        assert set(refused.values()) == {"InsufficientPrivilegeError"}, refused
        assert await runtime.fetchval("SELECT count(*) FROM audit_log") == len(events)
    finally:
        await runtime.close()

    env = {"DATABASE_URL": separate_roles.runtime_url}
    verified = _cli(["audit", "verify"], env, tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"audit log intact: {len(events)} row(s) chained" in verified.stdout


async def test_serve_with_a_separate_migration_role_refuses_a_stale_schema(
    separate_roles: Database, tmp_path: Path
) -> None:
    with fake_slack_in_a_thread() as fake:  # start-up asks Slack who the bot is first
        env = {
            "DATABASE_URL": separate_roles.runtime_url,
            "MIGRATION_DATABASE_URL": separate_roles.owner_url,
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": fake.base_url,
            "PORT": "0",
        }
        result = _cli(["serve"], env, tmp_path)
    assert result.returncode == 2
    assert "schema is at revision none, this version needs" in result.stderr
    assert "run `mfa-helpdesk migrate`" in result.stderr
    assert "Traceback" not in result.stderr
    owner = await asyncpg.connect(_dsn(separate_roles.owner_url), timeout=5)
    try:  # serving did not migrate with either role
        assert await owner.fetchval("SELECT to_regclass('public.audit_log')") is None
    finally:
        await owner.close()
