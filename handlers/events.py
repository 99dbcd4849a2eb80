"""Events: a DM to the bot gets the menu (or the topic it names), and the Home tab is published."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain.walks import Surface
from handlers.deps import Deps


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the event listeners."""

    @app.event("app_home_opened")
    async def handle_home_opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") == "home":
            deps.tasks.spawn(_publish_home(deps, body, event["user"]), "publish-home")

    @app.event("message")
    async def handle_message(body: dict[str, Any], event: dict[str, Any]) -> None:
        if (
            event.get("channel_type") == "im"
            and not event.get("subtype")
            and not event.get("bot_id")
        ):
            deps.tasks.spawn(_answer_dm(deps, body, event), "answer-dm")


async def _first_delivery(deps: Deps, body: dict[str, Any]) -> bool:
    event_id = body.get("event_id")
    return not event_id or await deps.events.claim_event(str(event_id), deps.clock.now())


async def _publish_home(deps: Deps, body: dict[str, Any], user_id: str) -> None:
    if await _first_delivery(deps, body):
        await deps.replier.publish_home(user_id, deps.screens.home())


async def _answer_dm(deps: Deps, body: dict[str, Any], event: dict[str, Any]) -> None:
    if not await _first_delivery(deps, body):
        return
    guide = deps.guide.guide
    topic = guide.match_topic(event.get("text") or "")
    if topic is None:
        await deps.replier.post(event["channel"], deps.screens.menu())
        return
    team_id = body.get("team_id") or event.get("team", "")
    walk = deps.guide.open_walk(
        deps.guide.new_walk_id(), team_id, event["user"], topic.id, Surface.DM
    )
    await deps.guide.record(walk)
    await deps.replier.post(event["channel"], deps.screens.walk(walk))
