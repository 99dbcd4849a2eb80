"""The Teams front end on the Microsoft 365 Agents SDK: the CloudAdapter and AgentApplication,
their routes, and POST /api/messages as the web app serves it."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import aiohttp
from aiohttp import web
from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    InvokeResponse,
)
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import (
    AgentApplication,
    AgentAuthConfiguration,
    ApplicationOptions,
    ClaimsIdentity,
    MemoryStorage,
    RouteRank,
    TurnContext,
    TurnState,
)
from pydantic import ValidationError

from bot import correlation
from bot.domain.ports import Clock
from teams import admin, contact, decisions, guide, welcome
from teams.auth import OpenIdKeys, Refused, TeamsAuth
from teams.connector import Connector
from teams.conversation import error_answer, text_answer
from teams.deps import TeamsDeps
from teams.routes import Router
from teams.tokens import AppCredentials, BotTokens, ClientCredentials, connection_manager
from teams.turn import Turn

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
_OURS = re.compile(r"^mfa-")
_CARD_ACTION = "adaptiveCard/action"
_SORRY = "Something went wrong on our side. Try again in a minute."
_PERSONAL_CHAT = "I help one person at a time: write to me in our personal chat."
_UNCONFIGURED = "The help desk is not set up yet: its operator sets TEAMS\\_HELPDESK\\_CHANNEL."


@dataclass(frozen=True)
class TeamsConfig:
    """The Teams settings the front end runs with (bot.settings checks them first)."""

    app_id: str | None
    app_password: str | None
    tenant_id: str | None
    helpdesk_channel: str
    openid_metadata_url: str
    login_url: str

    @property
    def anonymous(self) -> bool:
        """No app ID: the Agents Playground's mode, on loopback only."""
        return self.app_id is None


class TeamsBot:
    """The Teams front end built: what /api/messages runs, and the connector the ports use."""

    def __init__(
        self,
        auth: TeamsAuth,
        adapter: CloudAdapter,
        application: AgentApplication[TurnState],
        connector: Connector,
    ) -> None:
        self.auth = auth
        self.adapter = adapter
        self.application = application
        self.connector = connector

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """POST /api/messages: 401/503 without Teams' token (before the body is looked at),
        403 for another channel or tenant, 400 malformed, else the turn's answer (202, or an
        invoke's response)."""
        try:
            identity = await self.auth.verify(request.headers.get("Authorization"))
        except Refused as refused:
            return _refuse(refused, request)
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError, RecursionError):  # nested past the parser's depth
            return _refuse(Refused(400, "a body that is not JSON"), request)
        if not isinstance(body, dict):
            return _refuse(Refused(400, "a body that is not an activity"), request)
        _note_activity(body)
        try:
            self.auth.admit(identity, body)
            Activity.model_validate(body)
        except Refused as refused:
            return _refuse(refused, request)
        except ValidationError as exc:
            return _refuse(Refused(400, f"an activity that does not parse ({exc.title})"), request)
        answer = await self.adapter.process_request(
            _Authenticated(request, body, identity), self.application
        )
        if answer.body is None:
            return web.Response(status=answer.status_code, headers=answer.headers)
        return web.json_response(answer.body, status=answer.status_code, headers=answer.headers)


# The activity types a metric's label may name; anything else is "other" (labels stay few).
_ACTIVITY_KINDS = frozenset(
    {"message", "invoke", "conversationUpdate", "installationUpdate", "messageReaction", "event"}
)


def _note_activity(body: dict[str, Any]) -> None:
    """Log the turn's work under the activity's id, and note its type for the metrics."""
    activity_id = body.get("id")
    correlation.identify(activity_id if isinstance(activity_id, str) else None)
    kind = body.get("type")
    correlation.note_kind(kind if isinstance(kind, str) and kind in _ACTIVITY_KINDS else "other")


@dataclass(frozen=True)
class _Authenticated:
    """The request as the SDK's adapter reads it: its body read once, its caller's claims."""

    request: web.Request
    body: dict[str, Any]
    identity: ClaimsIdentity

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def headers(self) -> Mapping[str, str]:
        return self.request.headers

    async def json(self) -> dict[str, Any]:
        return self.body

    def get_claims_identity(self) -> ClaimsIdentity:
        return self.identity

    def get_path_param(self, name: str) -> str:
        return self.request.match_info[name]


def _refuse(refused: Refused, request: web.Request) -> web.Response:
    log.warning("refused /api/messages from %s: %s", request.remote, refused.why)
    return web.json_response({"error": HTTPStatus(refused.status).phrase}, status=refused.status)


@dataclass(frozen=True)
class Outbound:
    """How the bot speaks first: its tokens (none in the anonymous mode) and the connector."""

    tokens: BotTokens | None
    connector: Connector


def build_outbound(config: TeamsConfig, http: aiohttp.ClientSession, clock: Clock) -> Outbound:
    """The bot's token provider (client credentials at TEAMS_LOGIN_URL) and its connector."""
    if config.app_id is None:
        return Outbound(None, Connector(None, ""))
    app = AppCredentials(
        config.login_url, config.tenant_id or "", config.app_id, config.app_password or ""
    )
    tokens = BotTokens(
        ClientCredentials(app, http, clock),
        AgentAuthConfiguration(client_id=app.client_id, tenant_id=app.tenant_id),
    )
    return Outbound(tokens, Connector(tokens, f"28:{config.app_id}"))


def build_teams(
    config: TeamsConfig,
    deps: TeamsDeps,
    outbound: Outbound,
    http: aiohttp.ClientSession,
    clock: Clock,
) -> TeamsBot:
    """The adapter, the application and its routes, and the inbound auth."""
    # The SDK logs each message it sends at INFO and more at DEBUG; an activity can carry a
    # temporary access pass, so its lines stay out of the log unless something goes wrong.
    logging.getLogger("microsoft_agents").setLevel(logging.WARNING)
    connections = connection_manager(outbound.tokens)
    adapter = CloudAdapter(connection_manager=connections)
    application = AgentApplication[TurnState](
        ApplicationOptions(
            storage=MemoryStorage(),
            bot_app_id=config.app_id or "",
            start_typing_timer=False,  # a typing indicator is a call per message for nothing
            turn_state_factory=TurnState,  # no per-conversation state: the database has it all
        ),
        connection_manager=connections,
    )
    router = Router()
    guide.register(router, deps)
    if deps.helpdesk is not None:
        contact.register(router, deps, deps.helpdesk)
        decisions.register(router, deps, deps.helpdesk)
        admin.register(router, deps, deps.helpdesk)
    else:
        router.word(("pending", "enroll", "stats"), _unconfigured)
    _attach(application, router, deps)
    adapter.on_turn_error = _turn_failed
    keys = None if config.anonymous else OpenIdKeys(config.openid_metadata_url, http, clock)
    auth = TeamsAuth(config.app_id, keys, config.tenant_id)
    return TeamsBot(auth, adapter, application, outbound.connector)


async def _first_delivery(deps: TeamsDeps, activity: Activity) -> bool:
    """False for a message Teams delivers again (a retry after a slow answer, or a replay on
    another replica): its id within its conversation was claimed before."""
    conversation = activity.conversation.id if activity.conversation else ""
    if not activity.id:
        return True
    key = hashlib.sha256(f"{conversation}\n{activity.id}".encode()).hexdigest()[:40]
    return await deps.events.claim_event(f"teams:{key}", deps.clock.now())


def _attach(application: AgentApplication[TurnState], router: Router, deps: TeamsDeps) -> None:
    """The SDK's routes: remember where each activity came from, then messages, installs and
    Action.Execute invokes."""

    async def remember(context: TurnContext, _state: TurnState) -> bool:
        try:
            await deps.addresses.remember(context.activity)
        except Exception:  # the answer matters more; the address is kept next time
            log.warning("could not keep where a Teams activity came from", exc_info=True)
        return True

    async def ignore(_context: TurnContext, _state: TurnState) -> None:
        """The app added or removed: its address is kept (above), nothing to answer."""

    async def on_message(context: TurnContext, _state: TurnState) -> None:
        turn = Turn.of(context)
        if turn is None or not await _first_delivery(deps, context.activity):
            return
        if not turn.origin.personal:  # a mention in a channel or a group chat
            await turn.send_text(_PERSONAL_CHAT)
            return
        await router.answer_text(turn, context.activity.text or "")

    async def on_action(
        context: TurnContext, _state: TurnState, _data: Any
    ) -> AdaptiveCardInvokeResponse:
        turn = Turn.of(context)
        if turn is None:
            return text_answer("Only people of this organisation can use these buttons.")
        return await router.answer_action(turn, context.activity.value)

    application.before_turn(remember)
    application.conversation_update("membersAdded")(welcome.greeter(deps))
    application.activity(ActivityTypes.message)(on_message)
    application.activity(ActivityTypes.installation_update)(ignore)
    application.adaptive_card.action_execute(_OURS)(on_action)
    application.add_route(_card_action, _not_ours, is_invoke=True, rank=RouteRank.LAST)
    application.error(_application_failed)


def _card_action(context: TurnContext) -> bool:
    """An Action.Execute invoke; the route above takes every one of ours the SDK can read."""
    activity = context.activity
    return activity.type == ActivityTypes.invoke and activity.name == _CARD_ACTION


async def _not_ours(context: TurnContext, _state: TurnState) -> None:
    """An Action.Execute no card of ours sends (no verb of ours, or its value unreadable): 400,
    as the router answers data our card never carried, not the SDK's 501."""
    log.info("refused an Action.Execute that is not ours: no verb of ours, or unreadable")
    await _answer_invoke(context, error_answer(400, "not an action of this bot"))


async def _answer_invoke(context: TurnContext, answer: AdaptiveCardInvokeResponse) -> None:
    body = answer.model_dump(mode="json", by_alias=True, exclude_none=True)
    await context.send_activity(
        Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body=body))
    )


async def _unconfigured(turn: Turn, _text: str) -> None:
    await turn.send_text(_UNCONFIGURED)


async def _application_failed(context: TurnContext, error: Exception) -> None:
    """A handler failed: the trace goes to the log, the person gets a sentence (never the error,
    which may name what they should not see)."""
    log.error("a Teams %s failed", context.activity.type, exc_info=error)
    await _say_sorry(context)


async def _turn_failed(context: TurnContext, error: Exception) -> None:
    """What the SDK calls when a turn failed outside the handlers."""
    log.error("a Teams turn failed", exc_info=error)
    await _say_sorry(context)


async def _say_sorry(context: TurnContext) -> None:
    try:
        if context.activity.type == ActivityTypes.invoke:
            await _answer_invoke(context, text_answer(_SORRY))
        elif context.activity.type == ActivityTypes.message:
            await context.send_activity(_SORRY)
    except Exception:  # the apology itself failed: the log has the cause already
        log.warning("could not tell the person that their Teams message failed")
