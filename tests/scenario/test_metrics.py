"""GET /metrics, driven as Prometheus scrapes it after a story played as Slack and Teams play it."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import build_runtime
from bot.crypto import new_key
from bot.settings import SettingError, Settings
from handlers.ids import ActionId, FieldId
from teams.ids import Verb
from tests.conftest import FixedClock, serving
from tests.driver import SIGNING_SECRET, SlackDriver
from tests.fakes.graph import FakeGraph
from tests.fakes.slack import FakeSlack
from tests.processes import until_healthy
from tests.scenario.teams_flows import EMPLOYEE, approve, request
from tests.scenario.test_helpdesk import ADMIN, ADMIN2, DESK, GUID, _card, _request
from tests.scenario.test_stepup import _enroll
from tests.scenario.test_teams_process import ROOT, _free_port
from tests.teams_driver import TeamsDriver

TOKEN = "metrics-scrape-token-7f3a"

Samples = dict[str, list[tuple[dict[str, str], float]]]


@pytest.fixture
def bot_env(bot_env: dict[str, Any], fake_slack: FakeSlack) -> dict[str, Any]:
    """A help desk with step-up, the demo directory, and /metrics behind a token."""
    fake_slack.add_user(ADMIN, "Ines Admin", "ines@example.com")
    fake_slack.add_user(ADMIN2, "Omar Admin", "omar@example.com")
    return {
        **bot_env,
        "helpdesk_channel": DESK,
        "it_admin_users": f"{ADMIN},{ADMIN2}",
        "identity_provider": "demo",
        "stepup_required": True,
        "stepup_key": new_key(),
        "metrics_token": TOKEN,
    }


def _metrics_url(slack: SlackDriver) -> str:
    return slack.url.removesuffix("/slack/events") + "/metrics"


async def _scrape(http: aiohttp.ClientSession, url: str, token: str | None = TOKEN) -> Samples:
    """Scrape as Prometheus does and parse with prometheus_client's own parser."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.get(url, headers=headers) as response:
        assert response.status == 200, await response.text()
        assert response.content_type == "text/plain"
        text = await response.text()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    samples["__text__"] = [({"text": text}, 0.0)]
    return samples


def _value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the series of `name` whose labels include `labels` (0 when none)."""
    return sum(
        value
        for found, value in samples.get(name, [])
        if all(found.get(key) == wanted for key, wanted in labels.items())
    )


async def test_a_story_moves_the_series_and_names_nobody(
    slack: SlackDriver, clock: FixedClock
) -> None:
    url = _metrics_url(slack)
    before = await _scrape(slack.http, url)
    assert _value(before, "mfa_helpdesk_walks_total") == 0
    assert _value(before, "mfa_helpdesk_help_requests", state="open") == 0

    # A walk that worked, then a walk that ends with a request to IT.
    _, menu = await slack.command()
    assert menu is not None
    step = await slack.click_and_see(menu, f"{ActionId.TOPIC}lost-phone")
    await slack.click_and_see(step, ActionId.WORKED)
    totp = await _enroll(slack, clock)  # one wrong code at enrollment: not a step-up refusal
    card = await _request(slack)
    middle = await _scrape(slack.http, url)
    assert _value(middle, "mfa_helpdesk_help_requests", state="open") == 1
    assert _value(middle, "mfa_helpdesk_actions_total") == 0

    # The admin approves: one wrong code, then the right one; the demo directory acts.
    await slack.click(card, ActionId.APPROVE, user=ADMIN)
    await slack.settle()
    modal = slack.opened_view()
    wrong = "000000" if totp.at(clock.now()) != "000000" else "111111"
    refused = await slack.submit(modal, {FieldId.CODE: wrong}, user=ADMIN)
    assert FieldId.CODE in refused.json()["errors"]
    right = await slack.submit(modal, {FieldId.CODE: totp.at(clock.now())}, user=ADMIN)
    assert right.status == 200
    await slack.settle()
    assert "*Done* by <@UADMIN1>" in _card(slack).all_text()

    after = await _scrape(slack.http, url)
    walks = "mfa_helpdesk_walks_total"
    assert _value(after, walks, topic="lost-phone", outcome="started") == 2
    assert _value(after, walks, topic="lost-phone", outcome="worked") == 1
    assert _value(after, walks, topic="lost-phone", outcome="escalated") == 1
    assert _value(after, "mfa_helpdesk_help_requests", state="open") == 0
    assert _value(after, "mfa_helpdesk_help_requests", state="done") == 1
    actions = "mfa_helpdesk_actions_total"
    for action in ("clear_mfa", "delete_app_passwords", "revoke_sessions"):
        assert _value(after, actions, provider="demo", action=action, outcome="done") == 1
    assert _value(after, actions, outcome="temporary_error") == 0
    seconds = "mfa_helpdesk_identity_provider_seconds_count"
    assert _value(after, seconds, provider="demo", call="find_user") >= 1
    assert _value(after, seconds, provider="demo", call="clear_mfa") == 1
    assert _value(after, "mfa_helpdesk_identity_provider_errors_total") == 0
    assert _value(after, "mfa_helpdesk_stepup_failures_total") == 1
    assert _value(after, "mfa_helpdesk_stepup_lockouts_total") == 0

    requests = "mfa_helpdesk_http_requests_total"
    assert _value(after, requests, front_end="slack", kind="command", outcome="200") >= 2
    clicks = _value(after, requests, front_end="slack", kind="block_actions", outcome="200")
    assert clicks > _value(before, requests, front_end="slack", kind="block_actions")
    assert _value(after, requests, front_end="slack", kind="view_submission") >= 4
    counted = _value(after, requests, front_end="slack")
    assert _value(after, "mfa_helpdesk_ack_seconds_count", front_end="slack") == counted
    assert _value(after, "mfa_helpdesk_ack_seconds_bucket", front_end="slack", le="+Inf") == counted

    # Background work drained, the pool's one SQLite connection (or PostgreSQL's twenty) known.
    assert {labels["lane"] for labels, _ in after["mfa_helpdesk_background_pending"]} == {
        "interactive",
        "bulk",
        "notice",
    }
    assert _value(after, "mfa_helpdesk_background_pending") == 0
    assert _value(after, "mfa_helpdesk_db_pool_size") >= 1
    assert _value(after, "mfa_helpdesk_db_pool_checked_out") >= 0

    text = after["__text__"][0][0]["text"]
    for personal in ("U1", ADMIN, "ada@example.com", "Ada", "Ines", GUID, "555 0101", totp.secret):
        assert personal not in text


async def test_a_wrong_code_five_times_counts_a_lockout_and_the_refusals_after_it(
    slack: SlackDriver, clock: FixedClock
) -> None:
    totp = await _enroll(slack, clock)
    card = await _request(slack)
    await slack.click(card, ActionId.APPROVE, user=ADMIN)
    await slack.settle()
    modal = slack.opened_view()
    wrong = "000000" if totp.at(clock.now()) != "000000" else "111111"
    for _ in range(5):
        await slack.submit(modal, {FieldId.CODE: wrong}, user=ADMIN)
    locked = await slack.submit(modal, {FieldId.CODE: totp.at(clock.now())}, user=ADMIN)
    assert "locked" in locked.json()["errors"][FieldId.CODE]
    await slack.settle()
    samples = await _scrape(slack.http, _metrics_url(slack))
    assert _value(samples, "mfa_helpdesk_stepup_failures_total") == 5
    assert _value(samples, "mfa_helpdesk_stepup_lockouts_total") == 1
    assert _value(samples, "mfa_helpdesk_stepup_locked_refusals_total") == 1


async def test_metrics_refuse_a_missing_or_wrong_token(slack: SlackDriver) -> None:
    url = _metrics_url(slack)
    for headers in (
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": TOKEN},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": "Bearer métrique"},
    ):
        async with slack.http.get(url, headers=headers) as response:
            assert response.status == 401, headers
            assert response.headers["WWW-Authenticate"] == "Bearer"
            assert "mfa_helpdesk" not in await response.text()
    await _scrape(slack.http, url)


@pytest.mark.parametrize("token", [None, "", "  "])
async def test_without_a_metrics_token_there_is_no_metrics_endpoint(
    bot_env: dict[str, Any], clock: FixedClock, fake_slack: FakeSlack, token: str | None
) -> None:
    env = {**bot_env, "metrics_token": token}
    runtime = await build_runtime(Settings(_env_file=None, **env), clock)  # type: ignore[call-arg]
    try:
        async with serving(runtime, fake_slack) as slack:
            _, menu = await slack.command()
            assert menu is not None
            for headers in ({}, {"Authorization": f"Bearer {TOKEN}"}, {"Authorization": "Bearer "}):
                async with slack.http.get(_metrics_url(slack), headers=headers) as response:
                    assert response.status == 404
                    assert "mfa_helpdesk" not in await response.text()
    finally:
        await runtime.close()


async def test_two_apps_in_one_process_count_apart(
    bot_env: dict[str, Any], clock: FixedClock, fake_slack: FakeSlack
) -> None:
    first = await build_runtime(Settings(_env_file=None, **bot_env), clock)  # type: ignore[call-arg]
    second = await build_runtime(Settings(_env_file=None, **bot_env), clock)  # type: ignore[call-arg]
    try:
        async with serving(first, fake_slack) as one, serving(second, fake_slack) as two:
            await one.command()
            await one.command()
            await two.command()
            kind = {"front_end": "slack", "kind": "command"}
            counts = [
                _value(
                    await _scrape(d.http, _metrics_url(d)),
                    "mfa_helpdesk_http_requests_total",
                    **kind,
                )
                for d in (one, two)
            ]
            assert counts == [2, 1]
    finally:
        await first.close()
        await second.close()


async def test_a_graph_that_throttles_counts_temporary_errors_then_the_action_done(
    bot_env: dict[str, Any], clock: FixedClock, fake_slack: FakeSlack, graph: FakeGraph
) -> None:
    env = {
        **bot_env,
        "stepup_required": False,
        "identity_provider": "entra",
        "entra_tenant_id": graph.tenant,
        "entra_client_id": "app-1",
        "entra_client_secret": graph.secret,
        "entra_login_url": graph.origin,
        "entra_graph_url": f"{graph.origin}/v1.0",
    }
    runtime = await build_runtime(Settings(_env_file=None, **env), clock)  # type: ignore[call-arg]
    try:
        async with serving(runtime, fake_slack) as slack:
            card = await _request(slack)
            graph.fail("POST", "revokeSignInSessions", 503, times=2)
            await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=["revoke_sessions"])
            await slack.settle()
            assert runtime.deps.helpdesk is not None
            for wait in (2, 4):
                clock.advance(seconds=wait)
                await runtime.deps.helpdesk.work_due()
            await slack.settle()
            assert "*Done*" in _card(slack).all_text()
            samples = await _scrape(slack.http, _metrics_url(slack))
    finally:
        await runtime.close()
    actions = "mfa_helpdesk_actions_total"
    revoke = {"provider": "entra", "action": "revoke_sessions"}
    assert _value(samples, actions, outcome="temporary_error", **revoke) == 2
    assert _value(samples, actions, outcome="done", **revoke) == 1
    errors = "mfa_helpdesk_identity_provider_errors_total"
    assert _value(samples, errors, provider="entra", call="revoke_sessions", error="temporary") == 2
    assert _value(samples, errors, error="refused") == 0
    seconds = "mfa_helpdesk_identity_provider_seconds_count"
    assert _value(samples, seconds, provider="entra", call="revoke_sessions") == 3
    assert _value(samples, "mfa_helpdesk_help_requests", state="done") == 1
    assert "ada@example.com" not in samples["__text__"][0][0]["text"]


@pytest.fixture
def teams_env(teams_env: dict[str, Any]) -> dict[str, Any]:
    """Teams alone, /metrics behind a token."""
    return {**teams_env, "metrics_token": TOKEN}


async def test_teams_activities_and_an_approval_move_the_series(installed: TeamsDriver) -> None:
    teams = installed
    url = teams.url.removesuffix("/api/messages") + "/metrics"
    card = await request(teams)
    invoked = await approve(teams, card)
    assert invoked.status == 200
    assert "Done" in teams.current(card).all_text()
    assert Verb.APPROVE not in teams.current(card).verbs()

    samples = await _scrape(teams.http, url)
    requests = "mfa_helpdesk_http_requests_total"
    assert _value(samples, requests, front_end="teams", kind="message", outcome="202") >= 1
    assert _value(samples, requests, front_end="teams", kind="invoke", outcome="200") >= 4
    assert _value(samples, requests, front_end="teams", kind="installationUpdate") >= 1
    assert _value(samples, requests, front_end="slack") == 0
    counted = _value(samples, requests, front_end="teams")
    assert _value(samples, "mfa_helpdesk_ack_seconds_count", front_end="teams") == counted
    walks = "mfa_helpdesk_walks_total"
    assert _value(samples, walks, topic="lost-phone", outcome="started") == 1
    assert _value(samples, walks, topic="lost-phone", outcome="escalated") == 1
    assert _value(samples, "mfa_helpdesk_help_requests", state="done") == 1
    assert _value(samples, "mfa_helpdesk_actions_total", provider="demo", outcome="done") == 3

    # A request Teams would refuse (no token) is counted, under no kind read from its body.
    refused = await teams.post(teams.message("help", EMPLOYEE), authorization=None)
    assert refused.status == 401
    again = await _scrape(teams.http, url)
    assert _value(again, requests, front_end="teams", kind="unread", outcome="401") == 1
    text = again["__text__"][0][0]["text"]
    for personal in ("Ada", "ada@example.com", "8c2f3a6e", GUID):
        assert personal not in text


def test_a_metrics_port_that_is_port_is_refused(bot_env: dict[str, Any]) -> None:
    settings = Settings(_env_file=None, **{**bot_env, "port": 3000, "metrics_port": 3000})  # type: ignore[call-arg]
    with pytest.raises(SettingError, match="METRICS_PORT is PORT"):
        settings.require_for_serve()
    Settings(_env_file=None, **{**bot_env, "metrics_port": 9100}).require_for_serve()  # type: ignore[call-arg]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("token", [None, TOKEN])
@pytest.mark.timeout(90)
async def test_serve_with_a_metrics_port_serves_metrics_there_alone(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path, token: str | None
) -> None:
    port, metrics_port = _free_port(), _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": ROOT,
        "HOME": str(tmp_path),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "METRICS_PORT": str(metrics_port),
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.base_url,
        **({"METRICS_TOKEN": token} if token else {}),
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
            reply, menu = await slack.command()
            assert reply.status == 200
            assert menu is not None
            bearer = {"Authorization": f"Bearer {TOKEN}"}
            async with http.get(f"{origin}/metrics", headers=bearer) as on_port:
                assert on_port.status == 404  # never on PORT once METRICS_PORT is set
            metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
            if token:
                async with http.get(metrics_url) as refused:
                    assert refused.status == 401
            samples = await _scrape(http, metrics_url, token)
            async with http.get(f"http://127.0.0.1:{metrics_port}/healthz") as other:
                assert other.status == 404  # the metrics listener serves nothing else
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()
    requests = "mfa_helpdesk_http_requests_total"
    assert _value(samples, requests, front_end="slack", kind="command", outcome="200") == 1
    assert "Traceback" not in log.read_text(), log.read_text()


def _move(source: Path, target: Path) -> None:
    """Put `source` in `target`'s place (an empty database made meanwhile is dropped)."""
    target.unlink(missing_ok=True)
    source.rename(target)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_database_that_fails_leaves_the_other_series_served(
    slack: SlackDriver, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    await _request(slack)
    url = _metrics_url(slack)
    assert _value(await _scrape(slack.http, url), "mfa_helpdesk_help_requests", state="open") == 1
    # The database file goes away: the next connection finds no tables.
    path = Path(database_url.removeprefix("sqlite+aiosqlite:///"))
    await slack.runtime.engine.dispose()
    moved = path.with_suffix(".away")
    _move(path, moved)
    try:
        failed = await _scrape(slack.http, url)
    finally:
        await slack.runtime.engine.dispose()
        _move(moved, path)
    assert _value(failed, "mfa_helpdesk_help_requests_read_failures_total") == 1
    assert _value(failed, "mfa_helpdesk_help_requests", state="open") == 1  # as last read
    assert _value(failed, "mfa_helpdesk_http_requests_total", front_end="slack") > 0
    assert "could not count requests by state" in caplog.text
    again = await _scrape(slack.http, url)
    assert _value(again, "mfa_helpdesk_help_requests_read_failures_total") == 1
    assert _value(again, "mfa_helpdesk_help_requests", state="open") == 1
