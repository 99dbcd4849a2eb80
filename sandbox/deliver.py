"""Sends the bot what Slack would: signed slash commands, interactivity payloads and events."""

from __future__ import annotations

import itertools
import json
import logging
import time
from typing import Any, Literal
from urllib.parse import urlencode

import aiohttp
from pydantic import BaseModel
from slack_sdk.signature import SignatureVerifier

from sandbox.webapi import SlackError, check_view
from sandbox.workspace import (
    APP_ID,
    BOT_USER_ID,
    MODAL_STACK_LIMIT,
    TEAM_ID,
    TEAM_NAME,
    OpenView,
    Source,
    Workspace,
)

log = logging.getLogger(__name__)

COMMANDS = ("/mfa-help", "/mfa-admin")
STATEFUL = ("plain_text_input", "static_select", "checkboxes", "radio_buttons")
Where = Literal["message", "ephemeral", "home", "modal"]
StateInput = dict[str, dict[str, Any]]


class Refused(Exception):
    """What the person did cannot be sent (the page shows the reason)."""


class PageSpot(BaseModel, frozen=True):
    """Where a click happened on the page: a message, an ephemeral one, the Home tab, a modal."""

    kind: Where = "message"
    channel: str = ""
    ts: str = ""
    id: str = ""


class Deliverer:
    """Plays Slack's side of the wire: every request is signed and POSTed to the bot over HTTP."""

    def __init__(
        self, workspace: Workspace, events_url: str, signing_secret: str, origin: str
    ) -> None:
        self.workspace = workspace
        self._url = events_url
        self._signer = SignatureVerifier(signing_secret)
        self._origin = origin
        self._event_ids = itertools.count(1)
        self._http: aiohttp.ClientSession | None = None
        self._submitting: set[str] = set()

    async def close(self) -> None:
        """Release the HTTP connection pool."""
        if self._http is not None:
            await self._http.close()

    # -- what a person does ---------------------------------------------------------------------

    async def send_text(self, user: str, channel: str, text: str) -> None:
        """The message box: a slash command, a DM to the bot, or a message in a channel."""
        conversation = self.workspace.conversations.get(channel)
        if conversation is None or user not in conversation.members:
            raise Refused("you are not in that conversation")
        text = text.strip()
        if not text:
            return
        if text.startswith("/"):
            command, _, rest = text.partition(" ")
            await self.command(user, channel, command, rest.strip())
            return
        message = self.workspace.add_message(channel, _escaped(text), [], user)
        if conversation.kind == "im":
            await self._event(
                {
                    "type": "message",
                    "channel": channel,
                    "channel_type": "im",
                    "user": user,
                    "text": message.text,
                    "ts": message.ts,
                    "team": TEAM_ID,
                    "event_ts": message.ts,
                }
            )

    async def command(self, user: str, channel: str, command: str, text: str) -> None:
        """A slash command; what the ack carries is shown as Slack shows it."""
        if command not in COMMANDS:
            raise Refused(f"{command} is not a valid command here: try /mfa-help or /mfa-admin")
        source = Source(user, channel)
        form = {
            "token": "sandbox",
            "team_id": TEAM_ID,
            "team_domain": TEAM_NAME.lower(),
            "channel_id": channel,
            "channel_name": self.workspace.name_of_channel(channel) or "",
            "user_id": user,
            "user_name": self.workspace.people[user].email.split("@", 1)[0],
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self._response_url(source),
            "trigger_id": self.workspace.new_trigger(user),
        }
        status, body = await self._post(urlencode(form), "application/x-www-form-urlencoded")
        self._check_status(status, command)
        ack = _json_or_none(body)
        if ack and (ack.get("text") or ack.get("blocks")):
            blocks = ack.get("blocks") or []
            if ack.get("response_type") == "in_channel":
                self.workspace.add_message(channel, ack.get("text", ""), blocks, BOT_USER_ID)
            else:
                self.workspace.add_ephemeral(channel, user, ack.get("text", ""), blocks)

    async def home_opened(self, user: str) -> None:
        """The person opened the bot's Home tab."""
        home = self.workspace.homes.get(user)
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user,
            "channel": self.workspace.dm_of(user),
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        if home is not None:
            event["view"] = {"id": home.id, "type": "home", "hash": home.hash}
        await self._event(event)

    async def act(
        self,
        user: str,
        place: PageSpot,
        block_id: str,
        action_id: str,
        chosen: Any,
        state: StateInput,
    ) -> None:
        """A click on a button, or a choice in a select, overflow, checkboxes or radio buttons."""
        blocks, view = self._blocks_at(user, place)
        element = _find_element(blocks, block_id, action_id)
        if element is None:
            raise Refused("that element is no longer there")
        action: dict[str, Any] = {
            "type": element["type"],
            "action_id": action_id,
            "block_id": block_id,
            "action_ts": f"{time.time():.6f}",
        }
        kind = element["type"]
        if kind == "button":
            action["text"] = element.get("text")
            if "value" in element:
                action["value"] = element["value"]
            if element.get("style"):
                action["style"] = element["style"]
        elif kind in ("static_select", "overflow", "radio_buttons"):
            action["selected_option"] = _option(element, chosen)
        elif kind == "checkboxes":
            action["selected_options"] = _options(element, chosen)
        payload = self._envelope("block_actions", user) | {
            "trigger_id": self.workspace.new_trigger(user),
            "actions": [action],
            "state": {"values": _state_values(blocks, state)},
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.id}
            payload["view"] = self._view_payload(view, blocks, state)
        else:
            payload |= self._message_parts(user, place, blocks)
        await self._interactive(payload, "the click")

    async def submit(self, user: str, view_id: str, state: StateInput) -> None:
        """The modal's submit button; the ack's response_action is carried out as Slack does."""
        opened = self._modal(user, view_id)
        if view_id in self._submitting:
            raise Refused("that form is being sent already")
        blocks = opened.view.get("blocks", [])
        values = _state_values(blocks, state)
        problems = _client_problems(blocks, values)
        if problems:  # Slack's own client stops these before anything is sent
            self.workspace.show_errors(opened, problems)
            return
        payload = self._envelope("view_submission", user) | {
            "trigger_id": self.workspace.new_trigger(user),
            "view": self._view_payload(opened, blocks, state),
            "response_urls": [],
        }
        sent_hash = opened.hash
        self._submitting.add(view_id)
        try:
            body = await self._interactive(payload, "the form")
        finally:
            self._submitting.discard(view_id)
        self._carry_out(user, opened, _json_or_none(body) or {}, sent_hash)

    async def close_view(self, user: str, view_id: str) -> None:
        """The modal's close button (view_closed goes to the bot when it asked for it)."""
        opened = self._modal(user, view_id)
        self.workspace.close_modal(
            user, view_id, everything=bool(opened.view.get("clear_on_close"))
        )
        if opened.view.get("notify_on_close"):
            payload = self._envelope("view_closed", user) | {
                "view": self._view_payload(opened, opened.view.get("blocks", []), {}),
                "is_cleared": False,
            }
            await self._interactive(payload, "closing the form")

    # -- payload parts --------------------------------------------------------------------------

    def _carry_out(self, user: str, opened: OpenView, ack: dict[str, Any], sent_hash: str) -> None:
        """Apply the ack's response_action to the modal, as Slack does when the ack arrives."""
        ws = self.workspace
        action = ack.get("response_action")
        view = ack.get("view")
        if action in ("update", "push"):
            try:
                check_view(view, "modal")
            except SlackError as exc:
                ws.note("refused", f"response_action {action}: {exc.error}")
                return
        if action == "errors":
            ws.show_errors(opened, {str(k): str(v) for k, v in (ack.get("errors") or {}).items()})
        elif action == "update" and isinstance(view, dict):
            if opened.hash != sent_hash:
                return  # the bot's views.update after its ack got here first; Slack has it last
            ws.replace_view(opened, view)
        elif action == "push" and isinstance(view, dict):
            stack = ws.modals.setdefault(user, [])
            if len(stack) >= MODAL_STACK_LIMIT:
                ws.note("refused", "response_action push: push_limit_reached")
                return
            stack.append(ws.new_view(user, view))
            ws.touch()
        else:
            ws.close_modal(user, opened.id, everything=action == "clear")

    def _blocks_at(
        self, user: str, place: PageSpot
    ) -> tuple[list[dict[str, Any]], OpenView | None]:
        ws = self.workspace
        if place.kind == "message":
            message = ws.messages.get(place.channel, {}).get(place.ts)
            if message is None or user not in ws.conversations[place.channel].members:
                raise Refused("that message is no longer there")
            return message.blocks, None
        if place.kind == "ephemeral":
            ephemeral = ws.ephemerals.get(place.id)
            if ephemeral is None or ephemeral.user != user:
                raise Refused("that message is no longer there")
            return ephemeral.blocks, None
        if place.kind == "home":
            home = ws.homes.get(user)
            if home is None:
                raise Refused("the Home tab is not published yet")
            return home.view.get("blocks", []), home
        opened = self._modal(user, place.id)
        return opened.view.get("blocks", []), opened

    def _modal(self, user: str, view_id: str) -> OpenView:
        opened = self.workspace.top_modal(user)
        if opened is None or opened.id != view_id:
            raise Refused("that form is no longer open")
        return opened

    def _message_parts(
        self, user: str, place: PageSpot, blocks: list[dict[str, Any]]
    ) -> dict[str, Any]:
        ws = self.workspace
        if place.kind == "ephemeral":
            ephemeral = ws.ephemerals[place.id]
            channel, ts = ephemeral.channel, ephemeral.ts
            source = Source(user, channel, ephemeral_id=ephemeral.id)
        else:
            channel, ts = place.channel, place.ts
            source = Source(user, channel, message_ts=ts)
        parts: dict[str, Any] = {
            "container": {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": place.kind == "ephemeral",
            },
            "channel": {"id": channel, "name": ws.name_of_channel(channel) or ""},
            "response_url": self._response_url(source),
        }
        if place.kind == "message":
            message = ws.messages[channel][ts]
            parts["message"] = {
                "type": "message",
                "user": message.author,
                "ts": ts,
                "text": message.text,
                "blocks": blocks,
            }
        return parts

    def _view_payload(
        self, opened: OpenView, blocks: list[dict[str, Any]], state: StateInput
    ) -> dict[str, Any]:
        view = opened.view
        return {
            "id": opened.id,
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "type": view.get("type", "modal"),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "private_metadata": view.get("private_metadata", ""),
            "title": view.get("title"),
            "blocks": blocks,
            "state": {"values": _state_values(blocks, state)},
            "hash": opened.hash,
            "root_view_id": opened.id,
            "previous_view_id": None,
        }

    def _envelope(self, kind: str, user: str) -> dict[str, Any]:
        """What every interactivity payload carries: its type, the team, the app, who acted."""
        handle = self.workspace.people[user].email.split("@", 1)[0]
        return {
            "type": kind,
            "team": {"id": TEAM_ID, "domain": TEAM_NAME.lower()},
            "user": {"id": user, "username": handle, "name": handle, "team_id": TEAM_ID},
            "api_app_id": APP_ID,
            "token": "sandbox",
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def _response_url(self, source: Source) -> str:
        return f"{self._origin}/response/{self.workspace.new_response_url(source)}"

    # -- the wire -------------------------------------------------------------------------------

    async def _event(self, event: dict[str, Any]) -> None:
        body = {
            "token": "sandbox",
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "type": "event_callback",
            "event_id": f"Ev{next(self._event_ids):08d}",
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [
                {"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True, "enterprise_id": None}
            ],
            "is_ext_shared_channel": False,
        }
        status, _body = await self._post(json.dumps(body), "application/json")
        self._check_status(status, f"the {event['type']} event")

    async def _interactive(self, payload: dict[str, Any], what: str) -> str:
        status, body = await self._post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )
        self._check_status(status, what)
        return body

    async def _post(self, body: str, content_type: str) -> tuple[int, str]:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": str(
                self._signer.generate_signature(timestamp=timestamp, body=body)
            ),
        }
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3))
        try:
            async with self._http.post(self._url, data=body.encode(), headers=headers) as reply:
                return reply.status, await reply.text()
        except TimeoutError:
            self.workspace.note("refused", "the bot did not answer within 3 seconds")
            raise Refused("the bot did not answer within 3 seconds (Slack gives up then)") from None
        except aiohttp.ClientError as exc:
            self.workspace.note("refused", f"the bot could not be reached: {type(exc).__name__}")
            raise Refused("the bot could not be reached (see the sandbox's log)") from None

    def _check_status(self, status: int, what: str) -> None:
        if status != 200:
            self.workspace.note("refused", f"the bot answered {what} with HTTP {status}")
            raise Refused(f"the bot answered {what} with HTTP {status}")


def _escaped(text: str) -> str:
    """What Slack stores of typed text: &, < and > as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _json_or_none(body: str) -> dict[str, Any] | None:
    if not body.strip().startswith("{"):
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _elements(block: dict[str, Any]) -> list[dict[str, Any]]:
    found = [e for e in block.get("elements", []) if isinstance(e, dict)]
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            found.append(block[key])
    return found


def _find_element(
    blocks: list[dict[str, Any]], block_id: str, action_id: str
) -> dict[str, Any] | None:
    for block in blocks:
        if block.get("block_id", "") != block_id:
            continue
        for element in _elements(block):
            if element.get("action_id") == action_id:
                return element
    return None


def _all_options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options += group.get("options", [])
    return options


def _option(element: dict[str, Any], value: Any) -> dict[str, Any] | None:
    for option in _all_options(element):
        if option.get("value") == value:
            return option
    return None


def _options(element: dict[str, Any], values: Any) -> list[dict[str, Any]]:
    wanted = {str(v) for v in values} if isinstance(values, list) else set()
    return [o for o in _all_options(element) if o.get("value") in wanted]


def _state_values(blocks: list[dict[str, Any]], state: StateInput) -> dict[str, Any]:
    """`state.values` from what the page reports: block_id -> action_id -> value(s)."""
    values: dict[str, Any] = {}
    for block in blocks:
        block_id = block.get("block_id", "")
        for element in _elements(block):
            kind, action_id = element.get("type"), element.get("action_id")
            if kind not in STATEFUL or not action_id:
                continue
            reported = state.get(block_id, {})
            current = reported.get(action_id) if action_id in reported else _initial(element)
            entry: dict[str, Any] = {"type": kind}
            if kind == "plain_text_input":
                entry["value"] = current if current not in ("", None) else None
            elif kind == "checkboxes":
                entry["selected_options"] = _options(element, current)
            else:
                entry["selected_option"] = _option(element, current)
            values.setdefault(block_id, {})[action_id] = entry
    return values


def _client_problems(blocks: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, str]:
    """What Slack's client refuses to send: an empty required input, or one too short."""
    problems: dict[str, str] = {}
    for block in blocks:
        element = block.get("element")
        if block.get("type") != "input" or not isinstance(element, dict):
            continue
        entry = values.get(block.get("block_id", ""), {}).get(element.get("action_id"), {})
        kind = element.get("type")
        if kind == "plain_text_input":
            text = (entry.get("value") or "").strip()
            if not text and not block.get("optional"):
                problems[block["block_id"]] = "Please complete this required field."
            elif text and len(text) < int(element.get("min_length") or 0):
                problems[block["block_id"]] = (
                    f"Please enter at least {element['min_length']} characters."
                )
        elif kind in STATEFUL and not block.get("optional"):
            chosen = entry.get("selected_options") or entry.get("selected_option")
            if not chosen:
                problems[block["block_id"]] = "Please select an option."
    return problems


def _initial(element: dict[str, Any]) -> Any:
    if element["type"] == "plain_text_input":
        return element.get("initial_value")
    if element["type"] == "checkboxes":
        return [o.get("value") for o in element.get("initial_options", [])]
    initial = element.get("initial_option")
    return initial.get("value") if isinstance(initial, dict) else None
