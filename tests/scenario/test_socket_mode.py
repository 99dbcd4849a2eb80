"""Socket Mode: the same app answers envelopes over a WebSocket when SLACK_APP_TOKEN is set."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.app import Runtime, connect_socket_mode
from tests.fakes.slack import TEAM_ID, FakeSlack


async def test_a_slash_command_over_socket_mode_is_acked_with_the_menu(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    handler = await connect_socket_mode(runtime, "xapp-1-test")
    try:
        await asyncio.wait_for(fake_slack.socket_connected.wait(), 5)
        assert fake_slack.calls_to("apps.connections.open")
        payload: dict[str, Any] = {
            "command": "/mfa-help",
            "text": "",
            "team_id": TEAM_ID,
            "channel_id": "C1",
            "user_id": "U1",
            "response_url": fake_slack.new_response_url(),
            "trigger_id": fake_slack.new_trigger_id(),
            "api_app_id": "A0APP",
        }
        envelope_id = await fake_slack.send_envelope("slash_commands", payload)
        ack = await asyncio.wait_for(fake_slack.socket_acks.get(), 5)
        assert ack["envelope_id"] == envelope_id
        assert ack["payload"]["blocks"][0]["type"] == "header"
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
        await fake_slack.close_sockets()
