"""Start-up: the bot learns who it is in Slack before serving, so no request waits on auth.test."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import build_runtime
from bot.cli import main
from bot.settings import SettingError, Settings
from handlers.bot_identity import BotIdentity
from tests.conftest import FixedClock
from tests.driver import SlackDriver
from tests.fakes.slack import BOT_USER_ID, TEAM_ID, FakeSlack


async def test_the_first_command_is_acked_at_once_with_a_slow_auth_test(
    slack: SlackDriver, fake_slack: FakeSlack
) -> None:
    assert len(fake_slack.calls_to("auth.test")) == 1  # asked once, at start-up
    fake_slack.method_delays_s["auth.test"] = 5.0
    reply, screen = await slack.command()
    assert reply.status == 200
    assert screen is not None
    assert reply.elapsed_s < 1.0, reply.elapsed_s
    assert len(fake_slack.calls_to("auth.test")) == 1


async def test_the_bots_own_dm_is_still_ignored(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    identity = slack.runtime.identity.known
    assert identity is not None
    assert (identity.bot_user_id, identity.team_id) == (BOT_USER_ID, TEAM_ID)
    reply = await slack.event(
        {"type": "message", "channel": "D1", "channel_type": "im", "user": BOT_USER_ID,
         "bot_id": "B0BOT", "text": "menu", "ts": "1.1", "team": TEAM_ID}
    )  # fmt: skip
    assert reply.status == 200
    await slack.settle()
    assert fake_slack.calls_to("chat.postMessage") == []


async def test_a_token_slack_refuses_stops_start_up_naming_it(
    bot_env: dict[str, Any], fake_slack: FakeSlack, clock: FixedClock
) -> None:
    fake_slack.fail_next("auth.test", status=200, error="invalid_auth")
    with pytest.raises(SettingError) as refused:
        await build_runtime(Settings(_env_file=None, **bot_env), clock)  # type: ignore[call-arg]
    assert refused.value.variable == "SLACK_BOT_TOKEN"
    assert "invalid_auth" in str(refused.value)


async def test_an_unreachable_slack_is_asked_again_and_the_log_says_so(
    fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    fake_slack.fail_next("auth.test", status=503, error="service_unavailable")
    fake_slack.fail_next("auth.test", status=503, error="service_unavailable")
    client = AsyncWebClient(token="xoxb-test-token", base_url=fake_slack.base_url)
    known = await BotIdentity(client).resolve(first_wait_s=0.01)
    assert known.bot_user_id == BOT_USER_ID
    waits = [r.getMessage() for r in caplog.records if "not answering auth.test" in r.getMessage()]
    assert len(waits) == 2, caplog.text
    assert "Traceback" not in caplog.text
    assert "xoxb-test-token" not in caplog.text


ROOT = Path(__file__).resolve().parents[2]
TEAMS_APP = {
    "TEAMS_APP_ID": "0f3c2f8e-5a7d-4c1b-9b7e-2d4c6a8e1f00",
    "TEAMS_APP_PASSWORD": "s3cret-teams",
    "TEAMS_TENANT_ID": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
}
SLACK_APP = {"SLACK_BOT_TOKEN": "xoxb-s3cret", "SLACK_SIGNING_SECRET": "s3cret-signing"}
ANONYMOUS = {"TEAMS_ANONYMOUS": "true", "TEAMS_HELPDESK_CHANNEL": "19:desk@thread.tacv2"}
ENTRA_APP = {
    "ENTRA_CLIENT_ID": "11111111-2222-4333-8444-555555555555",
    "ENTRA_CLIENT_SECRET": "s3cret-entra",
}


@pytest.fixture
def bare_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`serve` as an operator starts it: only the variables a test sets, and no .env file."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith(("SLACK_", "TEAMS_", "ENTRA_", "OKTA_", "IDENTITY_")) or (
            name.upper() in ("HELPDESK_CHANNEL", "SECURITY_CHANNEL", "STEPUP_REQUIRED")
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/db.sqlite")
    monkeypatch.setenv("STEPUP_REQUIRED", "false")


@pytest.mark.parametrize(
    ("env", "named", "also_named"),
    [
        pytest.param(
            {**ANONYMOUS, "IDENTITY_PROVIDER": "entra", "ENTRA_TENANT_ID": "x", **ENTRA_APP},
            "TEAMS_ANONYMOUS",
            "IDENTITY_PROVIDER=entra",
            id="anonymous-with-entra",
        ),
        pytest.param(
            {
                **ANONYMOUS,
                "IDENTITY_PROVIDER": "okta",
                "OKTA_ORG_URL": "https://example.okta.com",
                "OKTA_API_TOKEN": "s3cret-okta",
            },
            "TEAMS_ANONYMOUS",
            "IDENTITY_PROVIDER=okta",
            id="anonymous-with-okta",
        ),
        pytest.param(
            {**ANONYMOUS, **SLACK_APP, "HELPDESK_CHANNEL": "C0DESK"},
            "TEAMS_ANONYMOUS",
            "SLACK_BOT_TOKEN",
            id="anonymous-with-slack",
        ),
        pytest.param(
            {**SLACK_APP, **TEAMS_APP, "TEAMS_HELPDESK_CHANNEL": "19:desk@thread.tacv2"},
            "HELPDESK_CHANNEL",
            "TEAMS_HELPDESK_CHANNEL",
            id="both-without-slack-desk",
        ),
        pytest.param(
            {**SLACK_APP, **TEAMS_APP, "HELPDESK_CHANNEL": "C0DESK"},
            "TEAMS_HELPDESK_CHANNEL",
            "serves Slack and Teams",
            id="both-without-teams-desk",
        ),
        pytest.param(
            {
                **TEAMS_APP,
                **ENTRA_APP,
                "IDENTITY_PROVIDER": "entra",
                "ENTRA_TENANT_ID": "99999999-8888-4777-8666-555555555555",
            },
            "TEAMS_TENANT_ID",
            "ENTRA_TENANT_ID",
            id="two-tenants",
        ),
    ],
)
@pytest.mark.usefixtures("bare_environment")
def test_serve_refuses_settings_that_contradict_each_other_naming_them(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    named: str,
    also_named: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"mfa-helpdesk: {named} "), error
    assert also_named in error
    assert "Traceback" not in error
    assert "s3cret" not in error


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({**ANONYMOUS, "IDENTITY_PROVIDER": "demo"}, id="anonymous-demo"),
        pytest.param({**ANONYMOUS, "IDENTITY_PROVIDER": "manual"}, id="anonymous-manual"),
        pytest.param({**SLACK_APP, **TEAMS_APP}, id="both-guide-only"),
        pytest.param(
            {
                **SLACK_APP,
                **TEAMS_APP,
                "HELPDESK_CHANNEL": "C0DESK",
                "TEAMS_HELPDESK_CHANNEL": "19:desk@thread.tacv2",
            },
            id="both-desks",
        ),
        pytest.param(
            {
                **TEAMS_APP,
                **ENTRA_APP,
                "IDENTITY_PROVIDER": "entra",
                "ENTRA_TENANT_ID": TEAMS_APP["TEAMS_TENANT_ID"].upper(),
            },
            id="one-tenant",
        ),
        pytest.param(
            {
                **TEAMS_APP,
                **ENTRA_APP,
                "IDENTITY_PROVIDER": "entra",
                "ENTRA_TENANT_ID": "contoso.onmicrosoft.com",
            },
            id="tenant-by-name",
        ),
    ],
)
@pytest.mark.usefixtures("bare_environment")
def test_settings_that_agree_pass_the_start_up_checks(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    Settings().require_for_serve()


@pytest.mark.usefixtures("bare_environment")
def test_the_playgrounds_settings_still_start() -> None:
    settings = Settings(_env_file=ROOT / "teams-playground" / "playground.env")  # type: ignore[call-arg]
    settings.require_for_serve()
    assert settings.teams_anonymous_mode
    assert settings.listen_host == "127.0.0.1"
