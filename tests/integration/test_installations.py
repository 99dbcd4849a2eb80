"""Slack OAuth's storage: tokens sealed at rest and opened on find, the key rotated by the CLI,
migration 0013 up and down, and the settings `serve` refuses by name."""

from __future__ import annotations

import asyncio
import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.crypto import SecretBox, new_key
from bot.domain.workspace import WorkspaceSettings, within
from storage.engine import create_engine, session_factory
from storage.installations import (
    SealedInstallationStore,
    SignedStateStore,
    SqlWorkspaceSettings,
    WorkspaceAuthenticators,
)
from storage.migrate import migrate
from storage.stepup import SqlAuthenticatorStore
from tests.conftest import FixedClock
from tests.integration.test_cli import _free_port, _get_when_up, fake_slack_in_a_thread
from tests.integration.test_storage import _at

OLD = new_key()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    built = create_engine(database_url)
    await migrate(built)
    yield built
    await built.dispose()


def _installation(team: str, token: str, *, org: str | None = None) -> Installation:
    return Installation(
        app_id="A0APP",
        enterprise_id=org,
        team_id=None if org else team,
        bot_token=token,
        bot_id=f"B{team}",
        bot_user_id=f"U{team}",
        bot_scopes="chat:write",
        user_id="UOWNER",
        is_enterprise_install=org is not None,
    )


async def _sealed_tokens(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT bot_token FROM slack_bots UNION ALL SELECT bot_token FROM "
                "slack_installations"
            )
        )
        return [row[0] for row in rows]


async def test_tokens_are_sealed_at_rest_and_found_by_workspace(engine: AsyncEngine) -> None:
    store = SealedInstallationStore("1111.2222", engine, SecretBox(OLD))
    await store.async_save(_installation("TONE", "xoxb-one"))
    await store.async_save(_installation("TGRID", "xoxb-grid", org="EORG"))

    stored = await _sealed_tokens(engine)
    assert len(stored) == 4
    assert not any("xoxb" in token for token in stored)
    assert await store.bot_token_of("TONE") == "xoxb-one"
    assert await store.bot_token_of("EORG") == "xoxb-grid"  # org-wide: the organisation's
    assert await store.bot_token_of("TOTHER") is None
    found = await store.async_find_installation(enterprise_id=None, team_id="TONE")
    assert found is not None
    assert found.bot_token == "xoxb-one"
    # Another key opens nothing: a token is never handed out undecrypted.
    stranger = SealedInstallationStore("1111.2222", engine, SecretBox(new_key()))
    assert await stranger.bot_token_of("TONE") is None


async def test_an_oauth_state_is_used_once_and_only_before_it_expires(
    engine: AsyncEngine,
) -> None:
    clock = FixedClock()
    states = SignedStateStore(engine, "secret", clock)
    other_deployment = SignedStateStore(engine, "another secret", clock)
    state = await states.async_issue()
    assert not await other_deployment.async_consume(state)
    assert await asyncio.gather(states.async_consume(state), states.async_consume(state)) in (
        [True, False],
        [False, True],
    )
    late = await states.async_issue()
    clock.advance(minutes=10)
    assert not await states.async_consume(late)


async def test_workspace_settings_are_kept_per_workspace(engine: AsyncEngine) -> None:
    store = SqlWorkspaceSettings(session_factory(engine))
    at = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    first = WorkspaceSettings("TONE", "C1", ("UA",), None, "UOWNER", at)
    await store.save_settings(first)
    await store.save_settings(WorkspaceSettings("TTWO", "C2", (), "S0IT", "UOWNER2", at))
    await store.save_settings(WorkspaceSettings("TONE", "C9", ("UA", "UB"), None, "UOWNER", at))
    one, two = await store.settings_of("TONE"), await store.settings_of("TTWO")
    assert one is not None
    assert two is not None
    assert (one.helpdesk_channel, one.admin_users) == ("C9", ("UA", "UB"))
    assert (two.helpdesk_channel, two.admin_usergroup) == ("C2", "S0IT")
    assert await store.settings_of("TTHREE") is None


async def test_rotate_installation_key_reseals_every_token(
    engine: AsyncEngine, database_url: str
) -> None:
    await SealedInstallationStore("1111.2222", engine, SecretBox(OLD)).async_save(
        _installation("TONE", "xoxb-one")
    )
    before = await _sealed_tokens(engine)
    newer = new_key()
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": database_url,
        "INSTALLATION_KEY": f"{newer},{OLD}",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "rotate-installation-key",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "2 installation row(s)" in out.decode()
    assert "xoxb-one" not in out.decode() + err.decode()
    after = await _sealed_tokens(engine)
    assert set(after).isdisjoint(before)
    only_new = SealedInstallationStore("1111.2222", engine, SecretBox(newer))
    assert await only_new.bot_token_of("TONE") == "xoxb-one"


async def test_0013_adds_the_workspace_tables_and_its_downgrade_drops_them(
    engine: AsyncEngine,
) -> None:
    added = {"slack_installations", "slack_bots", "slack_oauth_states", "workspace_settings"}
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_at("0012_posting"))
        assert not added & await _tables(engine)
        async with engine.begin() as conn:
            await conn.run_sync(_at("head"))
        assert added <= await _tables(engine)
        store = SealedInstallationStore("1111.2222", engine, SecretBox(OLD))
        await store.async_save(_installation("TONE", "xoxb-one"))
        assert await store.bot_token_of("TONE") == "xoxb-one"
        async with engine.begin() as conn:
            await conn.run_sync(_at("0012_posting"))
        assert not added & await _tables(engine)
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(_at("head"))


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


def _serve(settings: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "HOME": str(tmp_path),
        **settings,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


TRIO = {
    "SLACK_CLIENT_ID": "1111.2222",
    "SLACK_CLIENT_SECRET": "client-secret",
    "SLACK_STATE_SECRET": "state-secret",
    "SLACK_ALLOWED_WORKSPACES": "T0ONE,E0ORG",
}


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"SLACK_CLIENT_ID": "1111.2222"}, "SLACK_CLIENT_SECRET is not set"),
        (
            {"SLACK_CLIENT_ID": "1", "SLACK_CLIENT_SECRET": "s"},
            "SLACK_STATE_SECRET is not set",
        ),
        ({"SLACK_STATE_SECRET": "s"}, "SLACK_CLIENT_ID is not set"),
        (TRIO, "INSTALLATION_KEY is not set"),
        ({**TRIO, "INSTALLATION_KEY": "nope"}, "INSTALLATION_KEY is not usable"),
        ({**TRIO, "SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_BOT_TOKEN cannot be used"),
        (
            {**TRIO, "INSTALLATION_KEY": new_key(), "SLACK_ALLOWED_WORKSPACES": " "},
            "SLACK_ALLOWED_WORKSPACES is not set",
        ),
        ({**TRIO, "SLACK_APP_TOKEN": "xapp-1"}, "SLACK_APP_TOKEN cannot be used"),
        (
            {**TRIO, "INSTALLATION_KEY": new_key(), "HELPDESK_CHANNEL": "C1"},
            "HELPDESK_CHANNEL cannot be used",
        ),
        (
            {**TRIO, "INSTALLATION_KEY": new_key(), "IT_ADMIN_USERS": "U1"},
            "IT_ADMIN_USERS cannot be used",
        ),
    ],
)
def test_serve_names_the_oauth_setting_missing_or_in_the_way(
    settings: dict[str, str], named: str, tmp_path: Path
) -> None:
    result = _serve({"SLACK_SIGNING_SECRET": "s", **settings}, tmp_path)
    assert result.returncode == 2
    assert named in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


async def test_an_admin_enrolls_in_each_workspace_apart(engine: AsyncEngine) -> None:
    store = WorkspaceAuthenticators(SqlAuthenticatorStore(session_factory(engine)))
    at = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    with within("TONE"):
        await store.set_pending("UADMIN", "sealed-one", at)
        assert await store.confirm_pending("UADMIN", "sealed-one", 1, at)
        one = await store.get_authenticator("UADMIN")
    with within("TTWO"):
        assert await store.get_authenticator("UADMIN") is None
        # A lockout counted in one workspace is not the other's.
        assert await store.count_attempt("UADMIN", at, 1, at) is None
    assert one is not None
    assert (one.admin_id, one.sealed_secret) == ("UADMIN", "sealed-one")
    async with engine.connect() as conn:
        keys = (await conn.execute(text("SELECT admin_id FROM admin_authenticators"))).scalars()
        assert list(keys) == ["TONE:UADMIN"]


def test_serve_with_the_oauth_settings_asks_slack_nothing_and_offers_the_install(
    tmp_path: Path,
) -> None:
    port = _free_port()
    started = time.monotonic()
    key = new_key()
    with fake_slack_in_a_thread() as fake:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            env={
                "PATH": os.environ["PATH"],
                "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
                "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
                "HOME": str(tmp_path),
                **TRIO,
                "INSTALLATION_KEY": key,
                "STEPUP_KEY": new_key(),
                "SLACK_SIGNING_SECRET": "s",
                "HOST": "127.0.0.1",
                "PORT": str(port),
                "SLACK_API_URL": fake.base_url,
            },
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _get_when_up(f"http://127.0.0.1:{port}/readyz", process, started)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/slack/install")
            answer = connection.getresponse()
            connection.close()
            assert answer.status == 302
            assert answer.headers["Location"].startswith("https://slack.com/oauth/v2/authorize?")
            assert fake.calls == []  # no token to check: nothing is asked of Slack at start
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert key not in stderr
    assert "client-secret" not in stderr


async def test_an_installation_found_by_its_installer_gets_the_newest_bot_token(
    engine: AsyncEngine,
) -> None:
    store = SealedInstallationStore("1111.2222", engine, SecretBox(OLD))
    await store.async_save(_installation("TONE", "xoxb-first"))
    newer = _installation("TONE", "xoxb-second")
    newer.installed_at += 60
    newer.user_id = "UOTHER"
    await store.async_save(newer)
    # slack_sdk merges the newest bot's token into the installer's own installation.
    found = await store.async_find_installation(
        enterprise_id=None, team_id="TONE", user_id="UOWNER"
    )
    assert found is not None
    assert found.bot_token == "xoxb-second"


def test_oauth_beside_teams_needs_the_teams_desk_only() -> None:
    from bot.settings import SettingError, Settings

    oauth = {
        "slack_client_id": "1111.2222",
        "slack_client_secret": "client-secret",
        "slack_state_secret": "state-secret",
        "slack_allowed_workspaces": "T0ONE",
        "installation_key": new_key(),
        "slack_signing_secret": "s",
        "stepup_key": new_key(),
        "teams_app_id": "0f3c2f8e-5a7d-4c1b-9b7e-2d4c6a8e1f00",
        "teams_app_password": "s3cret",
        "teams_tenant_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    }
    with pytest.raises(SettingError) as caught:
        Settings(_env_file=None, **oauth).require_for_serve()  # type: ignore[call-arg]
    assert caught.value.variable == "TEAMS_HELPDESK_CHANNEL"
    assert "Slack OAuth is" in str(caught.value)
    both = Settings(_env_file=None, teams_helpdesk_channel="19:d@thread.tacv2", **oauth)  # type: ignore[call-arg]
    both.require_for_serve()
    assert both.has_helpdesk
