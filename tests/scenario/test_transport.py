"""The HTTP surface under attack and in Socket Mode: what it refuses, how, and what it logs."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.crypto import new_key
from bot.web import MAX_BODY_BYTES
from handlers.ids import FieldId, ViewId
from tests.conftest import serving
from tests.driver import SIGNING_SECRET, Reply, SlackDriver
from tests.fakes.slack import TEAM_ID, FakeSlack

MARKER = "sekrit-body-marker"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def bot_env(bot_env: dict[str, Any]) -> dict[str, Any]:
    """A help desk with step-up, so that every modal's listener is there to be fed odd shapes."""
    return {
        **bot_env,
        "helpdesk_channel": "CDESK",
        "it_admin_users": "UADMIN1",
        "identity_provider": "demo",
        "stepup_required": True,
        "stepup_key": new_key(),
    }


async def _raw(slack: SlackDriver, body: bytes, headers: dict[str, str]) -> Reply:
    started = time.perf_counter()
    data = io.BytesIO(body)  # aiohttp warns about large raw bytes
    async with slack.http.post(slack.url, data=data, headers=headers) as response:
        return Reply(response.status, await response.text(), time.perf_counter() - started)


def _signed_bytes(body: bytes, timestamp: str) -> dict[str, str]:
    base = f"v0:{timestamp}:".encode() + body
    digest = hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest}",
    }


def _clean_refusal(caplog: pytest.LogCaptureFixture, logger: str) -> None:
    """One warning from `logger`, no traceback anywhere, and nothing of the body in the log."""
    assert "Traceback" not in caplog.text, caplog.text
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    assert len([r for r in caplog.records if r.name == logger]) == 1, caplog.text
    assert MARKER not in caplog.text


def _now() -> str:
    return str(int(time.time()))


UNVERIFIABLE: dict[str, tuple[bytes, dict[str, str]]] = {
    # A unicode digit passes str.isdigit(); int() inside slack_sdk then raised a ValueError.
    "superscript two timestamp": (f"x={MARKER}".encode(), {"X-Slack-Request-Timestamp": "²"}),
    "5000-digit timestamp": (f"x={MARKER}".encode(), {"X-Slack-Request-Timestamp": "9" * 5000}),
    "4000-digit timestamp": (f"x={MARKER}".encode(), {"X-Slack-Request-Timestamp": "9" * 4000}),
    # hmac.compare_digest raises TypeError for a str with non-ASCII characters.
    "non-ASCII signature": (f"x={MARKER}".encode(), {"X-Slack-Signature": "v0=é"}),
    # Slack signs text: the old code decoded it after a bad signature... and before a good one.
    "body not UTF-8": (b"\xff\xfe" + MARKER.encode(), {}),
    "no signature headers": (
        f"x={MARKER}".encode(),
        {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": ""},
    ),
    "stale timestamp": (f"x={MARKER}".encode(), {"X-Slack-Request-Timestamp": "1000000000"}),
}


@pytest.mark.parametrize("case", list(UNVERIFIABLE))
async def test_what_fails_verification_is_401_in_one_line_without_a_traceback(
    slack: SlackDriver, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    caplog.set_level("INFO")
    body, changed = UNVERIFIABLE[case]
    headers = {**_signed_bytes(body, _now()), **changed}
    reply = await _raw(slack, body, headers)
    assert reply.status == 401, reply
    _clean_refusal(caplog, "bot.web")


async def test_a_body_over_the_limit_is_413_in_one_line(
    slack: SlackDriver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    body = (MARKER * (MAX_BODY_BYTES // len(MARKER) + 2)).encode()
    reply = await _raw(slack, body, _signed_bytes(body, _now()))
    assert reply.status == 413, reply
    _clean_refusal(caplog, "bot.web")


def _view(callback_id: str, metadata: str | None, values: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": "VMODAL",
        "type": "modal",
        "callback_id": callback_id,
        "state": {"values": values},
        "hash": "1.abc",
    }
    if metadata is not None:
        view["private_metadata"] = metadata
    return view


def _submission(shown: dict[str, Any] | None, *drop: str) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "user": {"id": "UADMIN1", "username": "admin", "team_id": TEAM_ID},
        "api_app_id": "A0APP",
        "trigger_id": "1.2.trigger",
        "view": shown,
    }
    for key in drop:
        payload.pop(key)
    return payload


CODE = {FieldId.CODE: {f"{FieldId.CODE}-input": {"type": "plain_text_input", "value": "123456"}}}
STEPUP_META = json.dumps({"kind": "approve", "request_id": 1, "actions": [], "channel_id": "C"})
CLICK = {
    "type": "block_actions",
    "team": {"id": TEAM_ID},
    "user": {"id": "U1"},
    "trigger_id": "1.2.trigger",
    "response_url": "http://127.0.0.1:9/response/R0",
    "container": {"type": "message", "message_ts": "1.1", "channel_id": "C1"},
    "actions": [{"action_id": "mfa-guide-topic-no-phone", "block_id": "b", "value": "no-phone"}],
}

MALFORMED: dict[str, tuple[str, str]] = {
    "payload that is not JSON": (urlencode({"payload": "{" + MARKER}), FORM),
    "JSON body that is a list": (json.dumps([MARKER]), "application/json"),
    "payload that is a string": (urlencode({"payload": json.dumps(MARKER)}), FORM),
    "view_submission without a view": (
        urlencode({"payload": json.dumps(_submission(None, "view") | {"m": MARKER})}),
        FORM,
    ),
    "step-up submission without private_metadata": (
        urlencode({"payload": json.dumps(_submission(_view(ViewId.STEPUP, None, CODE)))}),
        FORM,
    ),
    "step-up submission whose private_metadata is not ours": (
        urlencode({"payload": json.dumps(_submission(_view(ViewId.STEPUP, MARKER, CODE)))}),
        FORM,
    ),
    "step-up submission without a user": (
        urlencode(
            {"payload": json.dumps(_submission(_view(ViewId.STEPUP, STEPUP_META, CODE), "user"))}
        ),
        FORM,
    ),
    "step-up submission without a team": (
        urlencode(
            {"payload": json.dumps(_submission(_view(ViewId.STEPUP, STEPUP_META, CODE), "team"))}
        ),
        FORM,
    ),
    "contact form with empty private_metadata": (
        urlencode({"payload": json.dumps(_submission(_view(ViewId.CONTACT_IT, "", {})))}),
        FORM,
    ),
    "contact form whose field holds a string for an option": (
        urlencode(
            {
                "payload": json.dumps(
                    _submission(
                        _view(
                            ViewId.CONTACT_IT,
                            json.dumps({"topic_id": "no-phone"}),
                            {FieldId.LOST: {f"{FieldId.LOST}-input": {"selected_option": MARKER}}},
                        )
                    )
                )
            }
        ),
        FORM,
    ),
    "click without actions": (urlencode({"payload": json.dumps(CLICK | {"actions": []})}), FORM),
    "click whose user is a string": (
        urlencode({"payload": json.dumps(CLICK | {"user": MARKER})}),
        FORM,
    ),
    "slash command without a user": (
        urlencode(
            {
                "command": "/mfa-help",
                "text": "lost phone",
                "team_id": TEAM_ID,
                "channel_id": "C1",
                "response_url": "http://127.0.0.1:9/response/R0",
                "trigger_id": "1.2.trigger",
                "m": MARKER,
            }
        ),
        FORM,
    ),
    "event without its event": (
        json.dumps({"type": "event_callback", "team_id": TEAM_ID, "event_id": "Ev1", "m": MARKER}),
        "application/json",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_a_signed_but_malformed_payload_is_400_without_a_traceback(
    slack: SlackDriver, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    caplog.set_level("INFO")
    body, content_type = MALFORMED[case]
    reply = await slack.post(body, content_type)
    assert reply.status == 400, reply
    assert "Traceback" not in caplog.text, caplog.text
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    assert len([r for r in caplog.records if r.levelname == "WARNING"]) == 1, caplog.text
    assert MARKER not in caplog.text
    assert [c.method for c in slack.fake.calls] == ["auth.test"]  # at start-up; nothing since


async def test_slacks_own_shapes_still_pass(slack: SlackDriver) -> None:
    reply, screen = await slack.command()
    assert reply.status == 200
    assert screen is not None
    click, _ = await slack.click(screen, screen.action_ids()[0])
    assert click.status == 200
    assert (await slack.dm("hello")).status == 200


@pytest.fixture
def socket_env(bot_env: dict[str, Any]) -> dict[str, Any]:
    """The same bot in Socket Mode, with a signing secret left set."""
    return {**bot_env, "slack_app_token": "xapp-1-test"}


async def test_socket_mode_serves_only_the_health_checks(
    socket_env: dict[str, Any], fake_slack: FakeSlack, clock: Any
) -> None:
    from bot.app import build_runtime
    from bot.settings import Settings

    runtime = await build_runtime(Settings(_env_file=None, **socket_env), clock)  # type: ignore[call-arg]
    try:
        async with serving(runtime, fake_slack) as slack:
            reply, _ = await slack.command()
            assert reply.status == 404  # signed with the right secret, and still not served
            base = slack.url.removesuffix("/slack/events")
            async with aiohttp.ClientSession() as http:
                for path in ("/healthz", "/readyz"):
                    async with http.get(base + path) as answer:
                        assert answer.status == 200, path
    finally:
        await runtime.close()
