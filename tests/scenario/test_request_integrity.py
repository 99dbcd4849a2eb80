"""Forged, stale and retried requests, and Slack's rate limits."""

from __future__ import annotations

import json
import logging
import time

import pytest

from handlers.ids import ActionId
from tests.driver import SlackDriver


async def test_a_forged_signature_gets_401_no_reply_and_no_body_in_the_log(
    slack: SlackDriver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    reply, _ = await _command_signed_with(slack, "wrong-secret", text="secret-body-marker")
    assert reply.status == 401
    assert json.loads(reply.body) == {"error": "invalid request"}
    await slack.settle()
    assert [c.method for c in slack.fake.calls] == ["auth.test"]  # at start-up only
    assert "secret-body-marker" not in caplog.text
    assert "bad or stale signature" in caplog.text


async def test_a_timestamp_older_than_five_minutes_gets_401(slack: SlackDriver) -> None:
    reply = await slack.post(
        "command=%2Fmfa-help&text=",
        "application/x-www-form-urlencoded",
        timestamp=int(time.time()) - 301,
    )
    assert reply.status == 401
    await slack.settle()
    assert [c.method for c in slack.fake.calls] == ["auth.test"]  # at start-up only


async def test_missing_or_garbage_signature_headers_get_401(slack: SlackDriver) -> None:
    async with slack.http.post(slack.url, data=b"command=%2Fmfa-help") as response:
        assert response.status == 401
    async with slack.http.post(
        slack.url,
        data=b"x",
        headers={"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"},
    ) as response:
        assert response.status == 401


async def test_a_retried_event_gets_2xx_and_no_second_reply(slack: SlackDriver) -> None:
    first = await slack.dm("hello", event_id="Ev0RETRY")
    await slack.settle()
    retry = await slack.dm("hello", event_id="Ev0RETRY")
    retry_with_header = await slack.event(
        {
            "type": "message",
            "channel": "D1",
            "channel_type": "im",
            "user": "U1",
            "text": "hello",
            "ts": "2.0",
        },
        event_id="Ev0RETRY",
        retry_num=1,
    )
    await slack.settle()
    assert first.status == retry.status == retry_with_header.status == 200
    assert len(slack.fake.calls_to("chat.postMessage")) == 1


async def test_a_429_from_slack_is_retried_and_the_reply_still_arrives(slack: SlackDriver) -> None:
    slack.fake.fail_next("chat.postMessage", 429, retry_after=1)
    await slack.dm("help")
    await slack.settle()
    posts = slack.fake.calls_to("chat.postMessage")
    assert len(posts) == 2  # the rate-limited attempt, then the retry after Retry-After
    assert slack.dm_screen().action_ids()


async def test_a_429_on_the_response_url_is_retried(slack: SlackDriver) -> None:
    _, menu = await slack.command()
    assert menu is not None
    slack.fake.fail_next("response_url", 429, retry_after=1)
    step = await slack.click_and_see(menu, f"{ActionId.TOPIC}why")
    assert "Why two-step verification?" in step.all_text()
    attempts = [call.params for call in slack.fake.calls_to("response_url")]
    assert len(attempts) == 2  # the rate-limited post, then the same post after Retry-After
    assert attempts[0] == attempts[1]


async def test_a_dropped_connection_to_the_response_url_is_retried(slack: SlackDriver) -> None:
    _, menu = await slack.command()
    assert menu is not None
    slack.fake.drop_next("response_url")
    step = await slack.click_and_see(menu, f"{ActionId.TOPIC}why")
    assert "Why two-step verification?" in step.all_text()
    assert len(slack.fake.calls_to("response_url")) == 2


async def test_a_response_url_that_fails_is_not_posted_to_blindly_again(
    slack: SlackDriver, caplog: pytest.LogCaptureFixture
) -> None:
    _, menu = await slack.command()
    assert menu is not None
    slack.fake.fail_next("response_url", 500, error="internal_error")
    reply, response_url = await slack.click(menu, f"{ActionId.TOPIC}why")
    assert reply.status == 200
    await slack.settle()
    assert len(slack.fake.calls_to("response_url")) == 1  # a 5xx may have been shown already
    assert slack.fake.response_posts(response_url) == []
    assert "response_url answered 500" in caplog.text


async def test_the_command_ack_never_waits_on_background_work(slack: SlackDriver) -> None:
    reply, screen = await slack.command("lost phone")
    assert reply.status == 200
    assert screen is not None
    assert reply.elapsed_s < 1.0


async def _command_signed_with(slack: SlackDriver, secret: str, text: str):  # type: ignore[no-untyped-def]
    body = f"command=%2Fmfa-help&text={text}&user_id=U1&team_id=T0TEAM&channel_id=C1"
    reply = await slack.post(body, "application/x-www-form-urlencoded", secret=secret)
    return reply, None
