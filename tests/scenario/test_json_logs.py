"""LOG_FORMAT=json: one JSON object per line, a correlation id on a request's every line (its
background work too), the help request's number once known, and no secret."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pydantic
import pytest

from bot.crypto import new_key
from bot.logs import build_handler, configure_logging
from bot.settings import Settings
from handlers.ids import ActionId, FieldId
from tests.conftest import FixedClock
from tests.driver import SIGNING_SECRET, SlackDriver
from tests.fakes.slack import FakeSlack
from tests.processes import until_healthy
from tests.scenario.teams_flows import EMPLOYEE, approve, request
from tests.scenario.test_helpdesk import ADMIN, ADMIN2, DESK, _card, _request
from tests.scenario.test_stepup import _enroll
from tests.scenario.test_teams_process import ROOT, _free_port
from tests.teams_driver import TeamsDriver

TOKEN = "xoxb-test-token"


@pytest.fixture
def bot_env(bot_env: dict[str, Any], fake_slack: FakeSlack) -> dict[str, Any]:
    """A help desk whose admins confirm with their authenticator."""
    fake_slack.add_user(ADMIN, "Ines Admin", "ines@example.com")
    fake_slack.add_user(ADMIN2, "Omar Admin", "omar@example.com")
    return {
        **bot_env,
        "helpdesk_channel": DESK,
        "it_admin_users": f"{ADMIN},{ADMIN2}",
        "identity_provider": "demo",
        "stepup_required": True,
        "stepup_key": new_key(),
    }


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """The root logger as it was before the test set it up as `serve` does."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    yield
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def _parsed(lines: list[str]) -> list[dict[str, Any]]:
    """Every line is one JSON object (AssertionError naming the first that is not)."""
    parsed = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
        assert isinstance(record, dict), line
        assert {"time", "level", "logger", "message"} <= set(record), record
        parsed.append(record)
    return parsed


async def test_a_story_logs_json_lines_each_with_its_requests_correlation_id(
    slack: SlackDriver,
    clock: FixedClock,
    restore_logging: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("DEBUG", "json")  # as `serve` does with LOG_FORMAT=json, LOG_LEVEL=DEBUG
    await slack.dm("my phone is gone", event_id="Ev0JSONLOG1")
    await slack.settle()
    totp = await _enroll(slack, clock)
    card = await _request(slack)
    await slack.click(card, ActionId.APPROVE, user=ADMIN)
    await slack.settle()
    modal = slack.opened_view()
    code = totp.at(clock.now())
    reply = await slack.submit(modal, {FieldId.CODE: code}, user=ADMIN)
    assert reply.status == 200
    await slack.settle()
    assert "*Done* by <@UADMIN1>" in _card(slack).all_text()
    logging.getLogger("bot.web").warning("a token in a message: %s", TOKEN)

    err = capsys.readouterr().err
    records = _parsed([line for line in err.splitlines() if line.strip()])
    assert records, "nothing was logged"
    answered = [r for r in records if r["message"].startswith("answered slack")]
    assert len(answered) >= 8
    # Every line of a request's work carries a correlation id: Slack's event id for an event.
    assert all(r.get("correlation_id") for r in answered)
    dm = [r for r in answered if r["correlation_id"] == "Ev0JSONLOG1"]
    assert [r["message"].split(" with ")[0] for r in dm] == ["answered slack event_callback"]
    ids = [r["correlation_id"] for r in answered]
    assert len(set(ids)) == len(ids), "two requests shared a correlation id"
    # The approval's background work (the account holder's notice) logs under the id of the
    # submission that approved, with the request's number.
    notice = next(r for r in records if r["logger"] == "bot.mail")
    assert notice["help_request_id"] == 1
    approving = next(r for r in answered if r["correlation_id"] == notice["correlation_id"])
    assert approving["message"].startswith("answered slack view_submission with 200")
    assert approving["help_request_id"] == 1
    # No secret on any line: the bot token, the TOTP secret, the code, the signing secret.
    masked = next(r for r in records if r["message"].startswith("a token in a message"))
    assert masked["message"] == "a token in a message: [redacted]"
    for secret in (TOKEN, totp.secret, code, SIGNING_SECRET, "otpauth://"):
        assert secret not in err


def test_json_lines_mask_secrets_in_messages_and_tracebacks() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("tests.json_logs")
    logger.propagate = False
    logger.handlers[:] = [build_handler("json", stream)]
    logger.setLevel(logging.INFO)
    try:
        logger.info("enrolled with %s", "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP")
        try:
            raise RuntimeError("sent Authorization: Bearer eyJhbGciOi.secret-part")
        except RuntimeError:
            logger.exception("the call failed")
    finally:
        logger.handlers[:] = []
        logger.propagate = True
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines] == ["enrolled with [redacted]", "the call failed"]
    assert "RuntimeError" in lines[1]["exception"]
    assert "[redacted]" in lines[1]["exception"]
    assert "JBSWY3DPEHPK3PXP" not in stream.getvalue()
    assert "secret-part" not in stream.getvalue()
    assert "correlation_id" not in lines[0]  # no request in hand: no id made up


def test_log_format_is_text_unless_json_is_asked_for() -> None:
    assert Settings(_env_file=None).log_format == "text"  # type: ignore[call-arg]
    assert Settings(_env_file=None, log_format=" JSON ").log_format == "json"  # type: ignore[call-arg]
    with pytest.raises(pydantic.ValidationError):
        Settings(_env_file=None, log_format="xml")  # type: ignore[call-arg]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.timeout(90)
async def test_serve_with_log_format_json_writes_json_lines_and_serves_metrics(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    port = _free_port()
    metrics_token = "scrape-me-9d1c"
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": ROOT,
        "HOME": str(tmp_path),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.base_url,
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "DEBUG",
        "METRICS_TOKEN": metrics_token,
    }
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", env=env, cwd=str(tmp_path), stdout=out, stderr=out
        )
    origin = f"http://127.0.0.1:{port}"

    async def describe() -> str:
        return log.read_text()

    try:
        await until_healthy(origin, process, describe)
        async with aiohttp.ClientSession() as http:
            slack = SlackDriver(f"{origin}/slack/events", fake_slack, None, http)  # type: ignore[arg-type]
            reply = await slack.dm("help", event_id="Ev0SERVEJSON")
            assert reply.status == 200
            headers = {"Authorization": f"Bearer {metrics_token}"}
            async with http.get(f"{origin}/metrics", headers=headers) as scraped:
                assert scraped.status == 200
                text = await scraped.text()
            assert 'kind="event_callback",outcome="200"} 1.0' in text
            async with http.get(f"{origin}/metrics") as refused:
                assert refused.status == 401
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()
    written = log.read_text()
    records = _parsed([line for line in written.splitlines() if line.strip()])
    assert any(r["message"].startswith("database schema at revision") for r in records)
    event = [r for r in records if r.get("correlation_id") == "Ev0SERVEJSON"]
    assert [r["message"].split(" with ")[0] for r in event] == ["answered slack event_callback"]
    for secret in (TOKEN, SIGNING_SECRET, metrics_token):
        assert secret not in written


async def test_teams_lines_carry_the_activity_id_and_the_approvals_request(
    installed: TeamsDriver, restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    teams = installed
    configure_logging("DEBUG", "json")
    said = teams.message("help", EMPLOYEE)
    assert (await teams.post(said)).status in (200, 201, 202)
    card = await request(teams)
    await approve(teams, card)
    assert "Done" in teams.current(card).all_text()

    records = _parsed([line for line in capsys.readouterr().err.splitlines() if line.strip()])
    answered = [r for r in records if r["message"].startswith("answered teams")]
    assert [
        r["message"].split(" with ")[0] for r in answered if r["correlation_id"] == said["id"]
    ] == ["answered teams message"]
    notice = next(r for r in records if r["logger"] == "bot.mail")
    assert notice["help_request_id"] == 1
    approving = next(r for r in answered if r["correlation_id"] == notice["correlation_id"])
    assert approving["message"].startswith("answered teams invoke with 200")
    assert approving["help_request_id"] == 1
    for person in ("ada@example.com", "Ada Lovelace"):
        assert not any(person in r["message"] for r in records)
