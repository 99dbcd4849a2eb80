"""The Teams settings as `serve` reads them: a missing or bad one is named, and nothing starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import Settings

APP_ID = "0f3c2f8e-5a7d-4c1b-9b7e-2d4c6a8e1f00"
TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


@pytest.fixture(autouse=True)
def bare(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # away from any .env
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "HELPDESK_CHANNEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/db.sqlite")


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"TEAMS_APP_ID": APP_ID, "TEAMS_TENANT_ID": TENANT}, "TEAMS_APP_PASSWORD"),
        ({"TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": "s3cret"}, "TEAMS_TENANT_ID"),
        ({"TEAMS_APP_ID": "my-bot"}, "TEAMS_APP_ID"),
        ({"TEAMS_ANONYMOUS": "true", "TEAMS_IT_ADMINS": "U012ABC"}, "TEAMS_IT_ADMINS"),
        (
            {"TEAMS_ANONYMOUS": "true", "TEAMS_HELPDESK_CHANNEL": "19:a@thread.tacv2;messageid=1"},
            "TEAMS_HELPDESK_CHANNEL",
        ),
        (
            {"TEAMS_ANONYMOUS": "true", "TEAMS_SECURITY_CHANNEL": "19:s@thread.tacv2;messageid=1"},
            "TEAMS_SECURITY_CHANNEL",
        ),
        ({"TEAMS_ANONYMOUS": "true", "TEAMS_IT_ADMIN_GROUP": APP_ID}, "ENTRA_TENANT_ID"),
        (
            {
                "TEAMS_ANONYMOUS": "true",
                "TEAMS_APP_ID": APP_ID,
                "TEAMS_APP_PASSWORD": "s3cret",
                "TEAMS_TENANT_ID": TENANT,
            },
            "TEAMS_ANONYMOUS",
        ),
    ],
)
def test_serve_names_the_teams_setting_it_cannot_run_with(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    named: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve"]) == 2
    error = capsys.readouterr().err
    assert named in error
    assert "s3cret" not in error


def test_teams_alone_is_enough_to_serve_and_the_anonymous_mode_listens_on_loopback() -> None:
    teams = Settings(
        _env_file=None,  # type: ignore[call-arg]
        teams_app_id=APP_ID,
        teams_app_password="s3cret",  # type: ignore[arg-type]
        teams_tenant_id=TENANT,
    )
    teams.require_for_serve()
    assert teams.serves_teams
    assert not teams.serves_slack
    assert teams.listen_host == "0.0.0.0"  # noqa: S104 - the default HOST, compared
    anonymous = Settings(_env_file=None, teams_anonymous=True)  # type: ignore[call-arg]
    anonymous.require_for_serve()
    assert anonymous.teams_anonymous_mode
    assert anonymous.listen_host == "127.0.0.1"
    assert not Settings(_env_file=None).serves_teams  # type: ignore[call-arg]
