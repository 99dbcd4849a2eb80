"""Plays Teams for the bot under test: signed activities and Action.Execute invokes over real HTTP,
and the cards the bot sent, read back from the fake Bot Connector."""

from __future__ import annotations

import itertools
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.app import Runtime
from teams.card_rules import CONTENT_TYPE, card_problems
from tests.fakes.teams import (
    APP_ID,
    BOT_FRAMEWORK_ISSUER,
    BOT_ID,
    BOT_NAME,
    DESK_CHANNEL,
    TEAM_GROUP_ID,
    TEAM_ID,
    TEAM_NAME,
    FakeTeams,
    Message,
    TeamsUser,
    rsa_key,
)

_DEFAULT: Any = object()  # "sign the activity as Teams would"
_INPUTS = ("Input.Text", "Input.Number", "Input.Date", "Input.Time", "Input.Toggle")
_CHOICE = "Input.ChoiceSet"


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
class CardView:
    """An Adaptive Card as one person sees it, and the message it lives on (for the next click)."""

    card: dict[str, Any]
    user: TeamsUser
    conversation: str  # the conversation's id, without ";messageid="
    activity_id: str
    channel: bool = False  # in a team's channel, not a personal chat

    def as_seen_by(self, user: TeamsUser) -> CardView:
        """The same card on someone else's screen (a channel card everyone sees)."""
        return CardView(self.card, user, self.conversation, self.activity_id, self.channel)

    def actions(self) -> list[dict[str, Any]]:
        """Every action on the card, top to bottom (ActionSets, the card's own, ShowCards')."""
        found: list[dict[str, Any]] = []
        _walk_actions(self.card, found)
        return found

    def verbs(self) -> list[str]:
        """The verb of every Action.Execute on the card."""
        return [a["verb"] for a in self.actions() if a.get("type") == "Action.Execute"]

    def titles(self) -> list[str]:
        """The title of every button on the card."""
        return [str(a.get("title", "")) for a in self.actions()]

    def action(self, verb: str, **data: Any) -> dict[str, Any]:
        """The Action.Execute with this verb (and these data, when given); AssertionError when
        the card shows none."""
        for action in self.actions():
            if action.get("type") != "Action.Execute" or action.get("verb") != verb:
                continue
            carried = action.get("data") or {}
            if all(carried.get(key) == value for key, value in data.items()):
                return action
        raise AssertionError(f"no {verb!r} {data or ''} on the card; have {self.verbs()}")

    def button(self, title: str) -> dict[str, Any]:
        """The action whose title is `title`."""
        for action in self.actions():
            if action.get("title") == title:
                return action
        raise AssertionError(f"no button {title!r}; have {self.titles()}")

    def inputs(self) -> dict[str, dict[str, Any]]:
        """Every input on the card by its id."""
        found: dict[str, dict[str, Any]] = {}
        for node in _nodes(self.card):
            if node.get("type") in (*_INPUTS, _CHOICE) and "id" in node:
                found[node["id"]] = node
        return found

    def input(self, input_id: str) -> dict[str, Any]:
        """The input with this id; AssertionError when the card shows none."""
        inputs = self.inputs()
        assert input_id in inputs, f"no input {input_id!r}; have {list(inputs)}"
        return inputs[input_id]

    def values(self) -> dict[str, str]:
        """What each input shows before anyone types: its `value`, as Teams sends it back."""
        values: dict[str, str] = {}
        for input_id, element in self.inputs().items():
            if element["type"] == "Input.Toggle":
                values[input_id] = str(element.get("value", element.get("valueOff", "false")))
            else:
                values[input_id] = str(element.get("value", ""))
        return values

    def all_text(self) -> str:
        """Every text a person reads on the card: text blocks, facts, labels, buttons, values."""
        parts: list[str] = []
        for node in _nodes(self.card):
            kind = node.get("type")
            if kind in ("TextBlock", "TextRun") and "text" in node:
                parts.append(str(node["text"]))
            elif "title" in node and (kind is None or str(kind).startswith(("Action.", "Input."))):
                parts.append(str(node["title"]))
            if "title" in node and "value" in node and kind is None:  # a FactSet's fact
                parts.append(str(node["value"]))
            for key in ("label", "placeholder"):
                if isinstance(node.get(key), str):
                    parts.append(node[key])
            if str(kind).startswith("Input.") and isinstance(node.get("value"), str):
                parts.append(node["value"])
        return "\n".join(parts)


@dataclass
class Invoked:
    """What came of one Action.Execute: the HTTP answer, the card it returned (if any), or the
    reasons the Teams client would not even have sent it."""

    reply: Reply | None
    card: CardView | None = None
    message: str | None = None  # an invoke answered with a message instead of a card
    blocked: list[str] = field(default_factory=list)

    @property
    def status(self) -> int:
        """The invoke's status: the HTTP status, or the statusCode the body carries."""
        assert self.reply is not None, f"the client blocked the action: {self.blocked}"
        if self.reply.status == 200 and self.reply.body.startswith("{"):
            code = self.reply.json().get("statusCode")
            if isinstance(code, int):
                return code
        return self.reply.status


class TeamsDriver:
    """Sends what Teams would send, signed, and reads back what the bot sent to the fake."""

    def __init__(self, url: str, fake: FakeTeams, runtime: Runtime, http: aiohttp.ClientSession):
        self.url = url
        self.fake = fake
        self.runtime = runtime
        self.http = http
        self._ids = itertools.count(1)

    async def settle(self) -> None:
        """Wait until the bot's background work after the answer has finished."""
        await self.runtime.tasks.drain(10)

    # -- tokens ---------------------------------------------------------------------------

    def token(
        self,
        service_url: str | None = None,
        *,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
        **claims: Any,
    ) -> str:
        """A Bot Framework token for `service_url`, signed with the published key (or `key`);
        a claim given as None is left out."""
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": BOT_FRAMEWORK_ISSUER,
            "aud": APP_ID,
            "serviceurl": service_url or self.fake.service_url,
            "nbf": now - 5,
            "iat": now - 5,
            "exp": now + 3600,
        } | claims
        body = {name: value for name, value in body.items() if value is not None}
        return jwt.encode(
            body, key or self.fake.key, algorithm="RS256", headers={"kid": kid or self.fake.kid}
        )

    def signed(self, activity: dict[str, Any]) -> str:
        """The Authorization header Teams sends with `activity`."""
        return f"Bearer {self.token(activity['serviceUrl'])}"

    def forged(self, activity: dict[str, Any]) -> str:
        """A token for `activity` signed by a key nobody published, under the published kid."""
        return f"Bearer {self.token(activity['serviceUrl'], key=rsa_key('forger'))}"

    def expired(self, activity: dict[str, Any]) -> str:
        """A token for `activity` that ran out an hour ago."""
        old = int(time.time()) - 3600
        return f"Bearer {self.token(activity['serviceUrl'], exp=old, nbf=old - 3600)}"

    def wrong_audience(self, activity: dict[str, Any]) -> str:
        """A token for `activity` issued to another bot."""
        return f"Bearer {self.token(activity['serviceUrl'], aud=str(uuid.uuid4()))}"

    def for_other_service_url(self, activity: dict[str, Any]) -> str:
        """A valid token whose serviceurl claim is the fake's, whatever `activity` names."""
        return f"Bearer {self.token(self.fake.service_url)}"

    # -- activities -----------------------------------------------------------------------

    def base(self, kind: str, user: TeamsUser, **extra: Any) -> dict[str, Any]:
        """What every activity from Teams carries."""
        now = datetime.now(UTC)
        return {
            "type": kind,
            "id": f"1{int(time.time() * 1000)}{next(self._ids):04d}",
            "timestamp": now.isoformat().replace("+00:00", "Z"),
            "localTimestamp": now.isoformat(),
            "serviceUrl": self.fake.service_url,
            "channelId": "msteams",
            "from": {"id": user.id, "name": user.name, "aadObjectId": user.aad},
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            "entities": [
                {
                    "type": "clientInfo",
                    "locale": "en-US",
                    "country": "US",
                    "platform": "Web",
                    "timezone": "Europe/London",
                }
            ],
            "locale": "en-US",
            **extra,
        }

    def personal(self, kind: str, user: TeamsUser, **extra: Any) -> dict[str, Any]:
        """An activity in a person's 1:1 chat with the bot."""
        return self.base(
            kind,
            user,
            conversation={
                "conversationType": "personal",
                "tenantId": self.fake.tenant,
                "id": user.personal_chat,
            },
            channelData={"tenant": {"id": self.fake.tenant}},
            **extra,
        )

    def in_channel(
        self, kind: str, user: TeamsUser, channel: str = DESK_CHANNEL, root: str | None = None
    ) -> dict[str, Any]:
        """An activity in a team's channel (in the thread of `root`, when given)."""
        return self.base(
            kind,
            user,
            conversation={
                "isGroup": True,
                "conversationType": "channel",
                "tenantId": self.fake.tenant,
                "id": f"{channel};messageid={root}" if root else channel,
            },
            channelData={
                "teamsChannelId": channel,
                "teamsTeamId": TEAM_ID,
                "channel": {"id": channel},
                "team": {"id": TEAM_ID, "name": TEAM_NAME, "aadGroupId": TEAM_GROUP_ID},
                "tenant": {"id": self.fake.tenant},
            },
        )

    def message(self, text: str, user: TeamsUser) -> dict[str, Any]:
        """A person writing to the bot in personal chat."""
        return self.personal("message", user, text=text, textFormat="plain")

    async def post(self, activity: dict[str, Any], authorization: str | None = _DEFAULT) -> Reply:
        """POST an activity to /api/messages, signed (by default), with `authorization` as the
        Authorization header, or with none."""
        headers = {"Content-Type": "application/json"}
        if authorization is _DEFAULT:
            authorization = self.signed(activity)
        if authorization is not None:
            headers["Authorization"] = authorization
        started = time.perf_counter()
        async with self.http.post(self.url, data=json.dumps(activity), headers=headers) as answer:
            body = await answer.text()
            return Reply(answer.status, body, time.perf_counter() - started)

    async def say(self, text: str, user: TeamsUser) -> Reply:
        """A person writes to the bot in personal chat; the answer once the bot has finished."""
        reply = await self.post(self.message(text, user))
        await self.settle()
        return reply

    async def install(self, user: TeamsUser) -> Reply:
        """A person adds the app in personal chat: Teams sends installationUpdate (add) and
        conversationUpdate (the bot added); the answer to the latter."""
        added = await self.post(self.personal("installationUpdate", user, action="add"))
        assert added.status < 300, added
        activity = self.personal("conversationUpdate", user, membersAdded=[{"id": BOT_ID}])
        reply = await self.post(activity)
        await self.settle()
        return reply

    async def install_in_team(self, installer: TeamsUser, channel: str = DESK_CHANNEL) -> Reply:
        """An owner adds the app to the team, picking `channel` (conversationUpdate with
        eventType teamMemberAdded, the bot added)."""
        added = self.in_channel("installationUpdate", installer, channel)
        assert (await self.post(added | {"action": "add"})).status < 300
        activity = self.in_channel("conversationUpdate", installer, channel)
        activity["membersAdded"] = [{"id": BOT_ID}]
        activity["channelData"] |= {
            "eventType": "teamMemberAdded",
            "settings": {"selectedChannel": {"id": channel}},
        }
        reply = await self.post(activity)
        if reply.status < 300:
            self.fake.installed_in_team = True  # Teams adds the bot to the team's roster
        await self.settle()
        return reply

    def invoke_activity(
        self, view: CardView, action: dict[str, Any], data: dict[str, Any], user: TeamsUser
    ) -> dict[str, Any]:
        """The adaptiveCard/action invoke Teams sends when `user` presses `action` on `view`,
        with `data` (the action's own and the card's inputs)."""
        if view.channel:
            activity = self.in_channel("invoke", user, view.conversation, view.activity_id)
        else:
            activity = self.personal("invoke", user)
        activity["channelData"] |= {
            "source": {"name": "message"},
            "legacy": {"replyToId": view.activity_id},
        }
        activity |= {
            "name": "adaptiveCard/action",
            "replyToId": view.activity_id,
            "value": {
                "action": {
                    "type": "Action.Execute",
                    "id": action.get("id", ""),
                    "verb": action["verb"],
                    "data": data,
                },
                "trigger": "manual",
            },
        }
        return activity

    async def invoke(
        self,
        view: CardView,
        verb: str,
        *,
        user: TeamsUser | None = None,
        inputs: dict[str, str] | None = None,
        match: dict[str, Any] | None = None,
        as_client: bool = True,
        authorization: str | None = _DEFAULT,
    ) -> Invoked:
        """`user` (the card's viewer by default) presses the button `verb` (the one whose data
        hold `match`), with `inputs` typed into the card; as Teams' client does, the action's
        data merged with every input's value. `as_client` False sends what the client would
        have held back (a required field empty)."""
        who = user or view.user
        action = view.action(verb, **(match or {}))
        data = dict(action.get("data") or {})
        if action.get("associatedInputs", "auto") != "none":
            data |= view.values() | (inputs or {})
        if as_client:
            blocked = client_problems(view, data, action)
            if blocked:
                return Invoked(None, blocked=blocked)
        activity = self.invoke_activity(view, action, data, who)
        reply = await self.post(activity, authorization)
        return self._invoked(view, who, reply)

    async def send(
        self, view: CardView, verb: str, data: dict[str, Any], user: TeamsUser
    ) -> Invoked:
        """`user` sends an Action.Execute of `verb` with `data` on `view`'s message, whatever
        the card shows (a forged or replayed click)."""
        activity = self.invoke_activity(view, {"verb": verb}, data, user)
        return self._invoked(view, user, await self.post(activity))

    def _invoked(self, view: CardView, who: TeamsUser, reply: Reply) -> Invoked:
        if reply.status != 200 or not reply.body.startswith("{"):
            return Invoked(reply)
        body = reply.json()
        if body.get("type") == CONTENT_TYPE and isinstance(body.get("value"), dict):
            problems = card_problems(body["value"])
            self.fake.violations.extend(f"invoke response: {p}" for p in problems)
            card = CardView(body["value"], who, view.conversation, view.activity_id, view.channel)
            return Invoked(reply, card=card)
        message = body.get("value") if isinstance(body.get("value"), str) else None
        return Invoked(reply, message=message)

    async def press(
        self,
        view: CardView,
        verb: str,
        *,
        user: TeamsUser | None = None,
        inputs: dict[str, str] | None = None,
        match: dict[str, Any] | None = None,
    ) -> CardView:
        """Press a button, let the bot finish, and return the card the person now sees: the one
        the invoke answered with, or else the message as the bot updated it."""
        invoked = await self.invoke(view, verb, user=user, inputs=inputs, match=match)
        assert not invoked.blocked, invoked.blocked
        assert invoked.status == 200, invoked.reply
        await self.settle()
        if invoked.card is not None:
            return invoked.card
        return self.current(view.as_seen_by(user or view.user))

    # -- what the bot sent ----------------------------------------------------------------

    def current(self, view: CardView) -> CardView:
        """The message behind `view` as it stands now in the fake (after the bot's updates)."""
        message = self.fake.messages[(view.conversation, view.activity_id)]
        return self._view(message, view.user, view.channel)

    def chat(self, user: TeamsUser) -> list[Message]:
        """What the bot posted in a person's personal chat, oldest first."""
        return self.fake.chat(user)

    def chat_cards(self, user: TeamsUser) -> list[CardView]:
        """The cards in a person's personal chat, oldest first."""
        return [self._view(m, user) for m in self.chat(user) if m.cards()]

    def last_card(self, user: TeamsUser) -> CardView:
        """The newest card in a person's personal chat."""
        cards = self.chat_cards(user)
        assert cards, f"the bot posted no card in {user.name}'s personal chat"
        return cards[-1]

    def chat_texts(self, user: TeamsUser) -> list[str]:
        """Each message in a person's personal chat as text (its text and its cards')."""
        return [message_text(m) for m in self.chat(user)]

    def desk_cards(self, user: TeamsUser, channel: str = DESK_CHANNEL) -> list[CardView]:
        """The cards posted at the top of the help-desk channel, oldest first, as `user` sees
        them."""
        return [self._view(m, user, True) for m in self.fake.channel(channel) if m.cards()]

    def desk_card(self, user: TeamsUser, channel: str = DESK_CHANNEL) -> CardView:
        """The newest card at the top of the help-desk channel."""
        cards = self.desk_cards(user, channel)
        assert cards, "no card in the help-desk channel"
        return cards[-1]

    def thread(self, view: CardView) -> list[str]:
        """The replies under a channel card, as text."""
        root = self.fake.messages[(view.conversation, view.activity_id)]
        return [message_text(m) for m in self.fake.thread(root)]

    def _view(self, message: Message, user: TeamsUser, channel: bool = False) -> CardView:
        cards = message.cards()
        assert cards, f"message {message.id} carries no card: {message.activity.get('text')!r}"
        return CardView(cards[0], user, message.conversation, message.id, channel)


def message_text(message: Message) -> str:
    """A message as text: its own text and every text of its cards."""
    parts = [str(message.activity.get("text") or "")]
    for card in message.cards():
        parts.append(CardView(card, _NOBODY, message.conversation, message.id).all_text())
    return "\n".join(part for part in parts if part)


def client_problems(view: CardView, data: dict[str, Any], action: dict[str, Any]) -> list[str]:
    """What Teams' client checks before it sends an Action.Execute: each required input filled,
    each regex and maxLength met. Each problem is the input's errorMessage (or its id)."""
    if action.get("associatedInputs", "auto") == "none":
        return []
    problems: list[str] = []
    for input_id, element in view.inputs().items():
        value = str(data.get(input_id, ""))
        said = str(element.get("errorMessage") or input_id)
        missing = bool(element.get("isRequired")) and not value.strip()
        unmatched = bool(value and element.get("regex")) and not re.fullmatch(
            element["regex"], value
        )
        limit = element.get("maxLength")
        if missing or unmatched or (isinstance(limit, int) and len(value) > limit):
            problems.append(said)
    return problems


def _nodes(node: Any) -> list[dict[str, Any]]:
    """Every object in a card, depth first."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += _nodes(value)
    elif isinstance(node, list):
        for item in node:
            found += _nodes(item)
    return found


def _walk_actions(node: Any, found: list[dict[str, Any]]) -> None:
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Action."):
            found.append(node)
        for value in node.values():
            _walk_actions(value, found)
    elif isinstance(node, list):
        for item in node:
            _walk_actions(item, found)


_NOBODY = TeamsUser("00000000-0000-0000-0000-000000000000", "", "")
