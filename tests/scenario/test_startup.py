"""Start-up: the bot learns who it is in Slack before serving, so no request waits on auth.test."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import build_runtime
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
