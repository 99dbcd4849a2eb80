"""The Teams harness checked against Microsoft's own client code: the SDK's connector client calls
the fake Bot Connector, and the bot's token check accepts what the driver signs and nothing else."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from microsoft_agents.activity import Activity, ChannelAccount, ConversationParameters
from microsoft_agents.hosting.core.connector.client import ConnectorClient
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

from teams.auth import OpenIdKeys, Refused, TeamsAuth
from tests.fakes.teams import (
    APP_ID,
    APP_PASSWORD,
    BOT_FRAMEWORK_SCOPE,
    DESK_CHANNEL,
    TENANT_ID,
    FakeTeams,
    TeamsUser,
)
from tests.teams_driver import CardView, TeamsDriver, client_problems

ADA = TeamsUser("8c2f3a6e-1b4d-4e5f-9a7b-6c5d4e3f2a1b", "Ada Lovelace", "ada@example.com")


class Clock:
    def now(self) -> datetime:
        return datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def a_card(*body: dict[str, Any], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": list(body) or [{"type": "TextBlock", "text": "Hello", "wrap": True}],
        **({"actions": actions} if actions else {}),
    }


def with_card(card: dict[str, Any], **extra: Any) -> Activity:
    return Activity.model_validate(
        {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
            **extra,
        }
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeTeams]:
    teams = FakeTeams()
    await teams.start()
    teams.add_user(ADA.aad, ADA.name, ADA.email)
    yield teams
    await teams.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def bot_token(fake: FakeTeams, http: aiohttp.ClientSession, **form: str) -> tuple[int, Any]:
    fields = {
        "grant_type": "client_credentials",
        "client_id": APP_ID,
        "client_secret": APP_PASSWORD,
        "scope": BOT_FRAMEWORK_SCOPE,
    } | form
    async with http.post(f"{fake.login_url}/{TENANT_ID}/oauth2/v2.0/token", data=fields) as reply:
        return reply.status, await reply.json()


async def connector(fake: FakeTeams, http: aiohttp.ClientSession) -> ConnectorClient:
    status, body = await bot_token(fake, http)
    assert status == 200
    return ConnectorClient(fake.service_url, body["access_token"])


async def test_the_token_endpoint_issues_a_token_for_the_app_and_counts_it(
    fake: FakeTeams, http: aiohttp.ClientSession
) -> None:
    status, body = await bot_token(fake, http)
    assert status == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 300
    assert fake.tokens_issued == 1
    assert fake.token_requests == [
        {
            "grant_type": "client_credentials",
            "client_id": APP_ID,
            "scope": BOT_FRAMEWORK_SCOPE,
            "tenant": TENANT_ID,
        }
    ]


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"client_id": str(uuid.uuid4())}, "unauthorized_client"),
        ({"scope": "https://graph.microsoft.com/.default"}, "invalid_scope"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
    ],
)
async def test_the_token_endpoint_refuses_what_microsoft_refuses(
    fake: FakeTeams, http: aiohttp.ClientSession, form: dict[str, str], error: str
) -> None:
    status, body = await bot_token(fake, http, **form)
    assert status in (400, 401)
    assert body["error"] == error
    assert fake.tokens_issued == 0


async def test_the_sdk_client_sends_replies_and_updates_and_the_fake_records_them(
    fake: FakeTeams, http: aiohttp.ClientSession
) -> None:
    client = await connector(fake, http)
    try:
        sent = await client.conversations.send_to_conversation(
            ADA.personal_chat, Activity(type="message", text="hello")
        )
        replied = await client.conversations.reply_to_activity(
            ADA.personal_chat, sent.id, with_card(a_card())
        )
        await client.conversations.update_activity(
            ADA.personal_chat, replied.id, Activity(type="message", text="changed")
        )
    finally:
        await client.close()
    chat = fake.chat(ADA)
    assert [m.id for m in chat] == [sent.id, replied.id]
    assert chat[1].activity == {"type": "message", "text": "changed"}
    assert chat[1].versions[0]["attachments"][0]["content"]["version"] == "1.5"
    assert all(call.token.startswith("fake-bf-token-1-") for call in fake.calls)
    assert fake.violations == []


async def test_a_thread_in_a_channel_and_a_personal_chat_are_created(
    fake: FakeTeams, http: aiohttp.ClientSession
) -> None:
    fake.installed_in_team = True
    client = await connector(fake, http)
    try:
        thread = await client.conversations.create_conversation(
            ConversationParameters(
                is_group=True,
                channel_data={"channel": {"id": DESK_CHANNEL}, "tenant": {"id": TENANT_ID}},
                activity=with_card(a_card()),
                tenant_id=TENANT_ID,
            )
        )
        await client.conversations.send_to_conversation(
            thread.id, Activity(type="message", text="a note in the thread")
        )
        chat = await client.conversations.create_conversation(
            ConversationParameters(
                members=[ChannelAccount(id=ADA.id)],
                channel_data={"tenant": {"id": TENANT_ID}},
                tenant_id=TENANT_ID,
            )
        )
    finally:
        await client.close()
    assert thread.id == f"{DESK_CHANNEL};messageid={thread.activity_id}"
    [root] = fake.channel(DESK_CHANNEL)
    assert root.id == thread.activity_id
    assert [m.activity["text"] for m in fake.thread(root)] == ["a note in the thread"]
    assert chat.id == ADA.personal_chat


async def test_a_channel_of_a_team_without_the_app_is_refused(
    fake: FakeTeams, http: aiohttp.ClientSession
) -> None:
    client = await connector(fake, http)
    try:
        with pytest.raises(Exception, match=r"403|roster|Forbidden"):
            await client.conversations.create_conversation(
                ConversationParameters(
                    is_group=True,
                    channel_data={"channel": {"id": DESK_CHANNEL}, "tenant": {"id": TENANT_ID}},
                    activity=with_card(a_card()),
                )
            )
    finally:
        await client.close()
    assert fake.channel(DESK_CHANNEL) == []


async def test_a_member_is_read_by_teams_id_or_object_id(
    fake: FakeTeams, http: aiohttp.ClientSession
) -> None:
    _, body = await bot_token(fake, http)
    client = TeamsConnectorClient(fake.service_url, body["access_token"])
    try:
        by_id = await client.get_conversation_member(ADA.personal_chat, ADA.id)
        by_object_id = await client.get_conversation_member(ADA.personal_chat, ADA.aad)
    finally:
        await client.close()
    assert by_id.aad_object_id == by_object_id.aad_object_id == ADA.aad
    assert by_id.email == ADA.email
    assert by_id.name == ADA.name


async def test_calls_without_the_issued_token_are_refused_and_recorded(
    fake: FakeTeams, http: aiohttp.ClientSession
) -> None:
    for headers in ({}, {"Authorization": "Bearer made-up"}):
        async with http.post(
            f"{fake.service_url}v3/conversations/{ADA.personal_chat}/activities",
            json={"type": "message", "text": "hi"},
            headers=headers,
        ) as reply:
            assert reply.status == 401
    assert len(fake.refused) == 2
    assert fake.chat(ADA) == []


async def test_a_card_teams_would_not_render_is_refused_and_fails_the_test(
    fake: FakeTeams, http: aiohttp.ClientSession
) -> None:
    broken = a_card({"type": "TextBlock"}) | {"version": "1.6"}
    client = await connector(fake, http)
    try:
        with pytest.raises(Exception, match=r"400|BadArgument|Bad Request"):
            await client.conversations.send_to_conversation(ADA.personal_chat, with_card(broken))
    finally:
        await client.close()
    assert fake.chat(ADA) == []
    assert any("version" in v for v in fake.violations)
    assert any("body[0]" in v for v in fake.violations)


async def test_an_unknown_operation_is_a_violation(
    fake: FakeTeams, http: aiohttp.ClientSession
) -> None:
    _, body = await bot_token(fake, http)
    async with http.get(
        f"{fake.service_url}v3/teams/{DESK_CHANNEL}",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    ) as reply:
        assert reply.status == 404
    assert fake.violations == [f"unknown Bot Connector call GET v3/teams/{DESK_CHANNEL}"]


def driver(fake: FakeTeams) -> TeamsDriver:
    return TeamsDriver("http://127.0.0.1:9/api/messages", fake, None, None)  # type: ignore[arg-type]


@pytest.fixture
def auth(fake: FakeTeams, http: aiohttp.ClientSession) -> TeamsAuth:
    return TeamsAuth(APP_ID, OpenIdKeys(fake.metadata_url, http, Clock()), TENANT_ID)


async def test_the_bots_check_accepts_what_the_driver_signs(
    fake: FakeTeams, auth: TeamsAuth
) -> None:
    teams = driver(fake)
    activity = teams.message("help", ADA)
    identity = await auth.authenticate(teams.signed(activity), activity)
    assert identity.claims["serviceurl"] == fake.service_url
    assert fake.reads == {"metadata": 1, "keys": 1}


@pytest.mark.parametrize(
    "forgery", ["forged", "expired", "wrong_audience", "for_other_service_url", "no token"]
)
async def test_the_bots_check_refuses_each_forgery_of_the_driver(
    fake: FakeTeams, auth: TeamsAuth, forgery: str
) -> None:
    teams = driver(fake)
    activity = teams.message("help", ADA)
    if forgery == "for_other_service_url":
        activity["serviceUrl"] = "https://smba.attacker.test/amer/"
    header = None if forgery == "no token" else getattr(teams, forgery)(activity)
    with pytest.raises(Refused) as refused:
        await auth.authenticate(header, activity)
    assert refused.value.status == 401


def test_the_client_holds_back_an_action_with_a_required_input_empty() -> None:
    card = a_card(
        {"type": "Input.Text", "id": "reason", "isRequired": True, "errorMessage": "Say why"},
        {"type": "Input.Text", "id": "guid", "regex": "^[0-9a-f-]{36}$", "errorMessage": "A GUID"},
        actions=[{"type": "Action.Execute", "title": "Send", "verb": "send", "data": {"x": 1}}],
    )
    view = CardView(card, ADA, ADA.personal_chat, "1")
    action = view.action("send")
    assert client_problems(view, {"reason": " ", "guid": ""}, action) == ["Say why"]
    assert client_problems(view, {"reason": "ok", "guid": "nope"}, action) == ["A GUID"]
    assert client_problems(view, {"reason": "ok", "guid": str(uuid.uuid4())}, action) == []
