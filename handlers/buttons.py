"""A click on a request's button: acked at once, then its work, with a refusal told the clicker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from bot import correlation
from handlers.deps import Deps
from handlers.payloads import Click
from handlers.refusals import answered, to_clicker

RequestAct = Callable[[Click, int], Awaitable[None]]
"""What a button does with the request number it carries (which only names the request: the
core re-reads it)."""


async def on_request_button(
    deps: Deps,
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    name: str,
    act: RequestAct,
) -> None:
    """Ack, then run `act` after the ack when the button carries a request number."""
    click = Click.of(body, context)
    await ack()
    if click.request_id is not None:
        correlation.about_request(click.request_id)
        work = answered(act(click, click.request_id), to_clicker(deps.replier, click))
        deps.tasks.spawn(work, name)
