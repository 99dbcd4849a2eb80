"""Plays Slack for the bot under test: signed commands, clicks and events over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.app import Runtime
from tests.fakes.slack import TEAM_ID, FakeSlack

SIGNING_SECRET = "test-signing-secret"
_VIEW_IDS = itertools.count(1)


def signed_headers(
    body: str, content_type: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    """The headers Slack sends with `body`: its timestamp and its v0 signature."""
    ts = str(timestamp if timestamp is not None else int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }


def submission(
    view: dict[str, Any],
    values: dict[str, str],
    *,
    user: str = "U1",
    team: str = TEAM_ID,
    view_id: str | None = None,
    trigger_id: str = "",
    enterprise: str | None = None,
) -> str:
    """The form-encoded body of a modal submitted with `values` (block_id -> text or option
    value), as Slack sends it; each submission gets a view id of its own unless told one."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        value = values.get(block["block_id"])
        if element["type"] == "conversations_select":
            entry: dict[str, Any] = {
                "type": "conversations_select",
                "selected_conversation": value or element.get("initial_conversation"),
            }
        elif element["type"] == "multi_users_select":
            picked = value.split(",") if value else element.get("initial_users", [])
            entry = {"type": "multi_users_select", "selected_users": picked}
        elif element["type"] == "radio_buttons":
            chosen = next(
                (o for o in element["options"] if o["value"] == value),
                element.get("initial_option"),
            )
            entry = {"type": "radio_buttons", "selected_option": chosen}
        else:
            text = value if value is not None else element.get("initial_value")
            entry = {"type": element["type"], "value": text}
        state[block["block_id"]] = {element["action_id"]: entry}
    payload = {
        "type": "view_submission",
        "team": {"id": team, "domain": "fake"},
        "user": {"id": user, "username": user.lower(), "team_id": team},
        "api_app_id": "A0APP",
        "token": "unused",
        "trigger_id": trigger_id,
        "view": {
            "id": view_id or f"VMODAL{next(_VIEW_IDS)}",
            "team_id": team,
            "type": "modal",
            "callback_id": view.get("callback_id", ""),
            "private_metadata": view.get("private_metadata", ""),
            "blocks": view["blocks"],
            "state": {"values": state},
            "hash": "1.abc",
        },
        "response_urls": [],
        **_org(enterprise),
    }
    return urlencode({"payload": json.dumps(payload)})


def _org(enterprise: str | None) -> dict[str, Any]:
    """What an interaction from an org-wide install in an Enterprise Grid organisation adds."""
    if enterprise is None:
        return {}
    return {"enterprise": {"id": enterprise, "name": "Org"}, "is_enterprise_install": True}


@dataclass
class Reply:
    """The bot's HTTP answer to one request."""

    status: int
    body: str
    elapsed_s: float

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass
class Screen:
    """A message as a person sees it, with where it lives (for the next click)."""

    blocks: list[dict[str, Any]]
    text: str
    user: str
    channel: str
    ephemeral: bool
    ts: str | None = None
    home: bool = False

    def action_ids(self) -> list[str]:
        """Every action_id on the screen, top to bottom."""
        found = []
        for block in self.blocks:
            elements = list(block.get("elements", []))
            if isinstance(block.get("accessory"), dict):
                elements.append(block["accessory"])
            found += [e["action_id"] for e in elements if isinstance(e, dict) and "action_id" in e]
        return found

    def element(self, action_id: str) -> dict[str, Any]:
        """The element with this action_id; AssertionError when it is not shown."""
        for block in self.blocks:
            elements = list(block.get("elements", []))
            if isinstance(block.get("accessory"), dict):
                elements.append(block["accessory"])
            for element in elements:
                if isinstance(element, dict) and element.get("action_id") == action_id:
                    return {**element, "block_id": block.get("block_id", "")}
        raise AssertionError(f"no {action_id!r} on screen; have {self.action_ids()}")

    def state(self, selected: list[str] | None) -> dict[str, Any]:
        """The `state.values` Slack sends with a click: the message's checkboxes."""
        values: dict[str, Any] = {}
        for block in self.blocks:
            for element in block.get("elements", []):
                if element.get("type") == "checkboxes":
                    ticked = element.get("initial_options", [])
                    if selected is not None:
                        ticked = [o for o in element["options"] if o["value"] in selected]
                    values[block["block_id"]] = {
                        element["action_id"]: {"type": "checkboxes", "selected_options": ticked}
                    }
        return values

    def all_text(self) -> str:
        """Every text on the screen joined, for assertions on content."""
        parts: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if node.get("type") in ("mrkdwn", "plain_text") and "text" in node:
                    parts.append(node["text"])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(self.blocks)
        return "\n".join(parts)


class SlackDriver:
    """Sends what Slack would send, signed, and reads back what the bot sent to the fake."""

    def __init__(self, url: str, fake: FakeSlack, runtime: Runtime, http: aiohttp.ClientSession):
        self.url = url
        self.fake = fake
        self.runtime = runtime
        self.http = http
        self._event_ids = itertools.count(1)
        self.team = TEAM_ID  # the workspace the people this driver plays belong to
        self.enterprise: str | None = None  # its organisation, when the app is installed org-wide

    async def settle(self) -> None:
        """Wait until the bot's background work after the ack has finished."""
        await self.runtime.tasks.drain(10)

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
    ) -> Reply:
        """POST a body to /slack/events signed with `secret` at `timestamp`."""
        all_headers = {
            **signed_headers(body, content_type, timestamp=timestamp, secret=secret),
            **(headers or {}),
        }
        started = time.perf_counter()
        async with self.http.post(self.url, data=body.encode(), headers=all_headers) as response:
            text = await response.text()
            return Reply(response.status, text, time.perf_counter() - started)

    async def command(
        self,
        text: str = "",
        *,
        user: str = "U1",
        channel: str = "C1",
        command: str = "/mfa-help",
        team: str | None = None,
    ) -> tuple[Reply, Screen | None]:
        """A slash command; the reply and, when the ack carried a message, that message."""
        team = team or self.team
        form = {
            "token": "unused",
            "team_id": team,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0APP",
            "response_url": self.fake.new_response_url(),
            "trigger_id": self.fake.new_trigger_id(),
        }
        if self.enterprise is not None:
            form |= {"enterprise_id": self.enterprise, "is_enterprise_install": "true"}
        reply = await self.post(urlencode(form), "application/x-www-form-urlencoded")
        screen = None
        if reply.status == 200 and reply.body.startswith("{"):
            payload = reply.json()
            screen = Screen(
                payload.get("blocks", []), payload.get("text", ""), user, channel, ephemeral=True
            )
        return reply, screen

    async def click(
        self,
        screen: Screen,
        action_id: str,
        *,
        user: str | None = None,
        team: str | None = None,
        selected: list[str] | None = None,
    ) -> tuple[Reply, str]:
        """Press a button on a screen as `user`; the reply and the click's response URL.

        `selected` replaces the ticked checkboxes (by default, those the message ticked).
        """
        element = screen.element(action_id)
        team = team or self.team
        response_url = self.fake.new_response_url()
        who = user or screen.user
        container: dict[str, Any]
        if screen.home:
            container = {"type": "view", "view_id": "VHOME"}
        else:
            container = {
                "type": "message",
                "message_ts": screen.ts or "1.000001",
                "channel_id": screen.channel,
                "is_ephemeral": screen.ephemeral,
            }
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": team, "domain": "fake"},
            "user": {"id": who, "username": who.lower(), "team_id": team},
            "api_app_id": "A0APP",
            "token": "unused",
            "container": container,
            "trigger_id": self.fake.new_trigger_id(),
            "response_url": response_url,
            "state": {"values": screen.state(selected)},
            "actions": [
                {
                    "type": element.get("type", "button"),
                    "action_id": action_id,
                    "block_id": element["block_id"],
                    "text": element.get("text"),
                    "value": element.get("value"),
                    "action_ts": f"{time.time():.6f}",
                }
            ],
            **_org(self.enterprise),
        }
        if not screen.home:
            payload["channel"] = {"id": screen.channel, "name": "general"}
            payload["message"] = {
                "type": "message",
                "ts": screen.ts or "1.000001",
                "text": screen.text,
                "blocks": screen.blocks,
            }
        else:
            payload["view"] = {"id": "VHOME", "type": "home", "blocks": screen.blocks}
        reply = await self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )
        return reply, response_url

    async def click_and_see(self, screen: Screen, action_id: str) -> Screen:
        """Press a button, let the bot finish, and return the screen that replaced it."""
        reply, response_url = await self.click(screen, action_id)
        assert reply.status == 200, reply
        await self.settle()
        if screen.ephemeral:
            posts = self.fake.response_posts(response_url)
            assert posts, "the bot did not answer through the response URL"
            assert posts[-1].get("replace_original") is True
            return Screen(
                posts[-1]["blocks"], posts[-1]["text"], screen.user, screen.channel, ephemeral=True
            )
        if screen.home:
            dm = "D" + screen.user.lstrip("U")
            channel, ts = max(k for k in self.fake.messages if k[0] == dm)
            message = self.fake.messages[(channel, ts)]
            return Screen(message["blocks"], message["text"], screen.user, channel, False, ts)
        message = self.fake.messages[(screen.channel, screen.ts or "")]
        return Screen(
            message["blocks"], message["text"], screen.user, screen.channel, False, screen.ts
        )

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        team: str | None = None,
    ) -> Reply:
        """An Events API delivery (a retry when `retry_num` is given)."""
        team = team or self.team
        body = {
            "token": "unused",
            "team_id": team,
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._event_ids):08d}",
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [
                {
                    "team_id": team,
                    "user_id": "U0BOT",
                    "is_bot": True,
                    "enterprise_id": self.enterprise,
                    "is_enterprise_install": self.enterprise is not None,
                }
            ],
        }
        if self.enterprise is not None:
            body["enterprise_id"] = self.enterprise
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(json.dumps(body), "application/json", headers=headers)

    async def dm(
        self, text: str, *, user: str = "U1", event_id: str | None = None, team: str | None = None
    ) -> Reply:
        """A direct message from a person to the bot."""
        team = team or self.team
        channel = "D" + user.lstrip("U")
        return await self.event(
            {
                "type": "message",
                "channel": channel,
                "channel_type": "im",
                "user": user,
                "text": text,
                "ts": f"{time.time():.6f}",
                "team": team,
            },
            event_id=event_id,
            team=team,
        )

    def dm_screen(self, user: str = "U1") -> Screen:
        """The newest message the bot posted in its DM with a person."""
        dm = "D" + user.lstrip("U")
        keys = [k for k in self.fake.messages if k[0] == dm]
        assert keys, f"the bot posted nothing in {dm}"
        channel, ts = max(keys)
        message = self.fake.messages[(channel, ts)]
        return Screen(message["blocks"], message["text"], user, channel, False, ts)

    def channel_screen(self, channel: str, ts: str, user: str) -> Screen:
        """A channel message as `user` sees it (for clicks on the help desk's card)."""
        message = self.fake.messages[(channel, ts)]
        return Screen(message["blocks"], message["text"], user, channel, False, ts)

    def opened_view(self) -> dict[str, Any]:
        """The last modal the bot opened."""
        calls = self.fake.calls_to("views.open")
        assert calls, "the bot opened no modal"
        view = calls[-1].params["view"]
        return json.loads(view) if isinstance(view, str) else view

    async def submit(
        self,
        view: dict[str, Any],
        values: dict[str, str],
        *,
        user: str = "U1",
        team: str | None = None,
        view_id: str | None = None,
    ) -> Reply:
        """Submit a modal with `values` (block_id -> text or option value), as Slack would;
        `view_id` names the modal (by default one of its own, as each modal Slack opens has)."""
        trigger = self.fake.new_trigger_id()
        team = team or self.team
        body = submission(
            view,
            values,
            user=user,
            team=team,
            view_id=view_id,
            trigger_id=trigger,
            enterprise=self.enterprise,
        )
        return await self.post(body, "application/x-www-form-urlencoded")
