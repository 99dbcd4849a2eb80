"""The shape of each Slack payload the listeners read, checked before any listener runs."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)


class _Shape(BaseModel):
    """A part of a payload: the fields a listener reads must have their type; others may be."""

    model_config = ConfigDict(extra="allow", frozen=True)


class _Id(_Shape):
    id: str


class _Option(_Shape):
    value: str


class _Element(_Shape):
    """One input's state, as `state.values[block][action]` carries it."""

    value: str | None = None
    selected_option: _Option | None = None
    selected_options: list[_Option] | None = None


class _State(_Shape):
    values: dict[str, dict[str, _Element]]


class _Action(_Shape):
    action_id: str
    value: str | None = None


class _Container(_Shape):
    type: str | None = None
    channel_id: str | None = None
    message_ts: str | None = None
    is_ephemeral: bool | None = None


class _Message(_Shape):
    ts: str | None = None


class BlockActions(_Shape):
    """A click: who, where, and the one action clicked (Slack sends exactly one)."""

    team: _Id
    user: _Id
    actions: list[_Action] = Field(min_length=1)
    trigger_id: str | None = None
    response_url: str | None = None
    container: _Container | None = None
    channel: _Id | None = None
    message: _Message | None = None
    state: _State | None = None


class _View(_Shape):
    id: str
    callback_id: str
    private_metadata: str
    state: _State


class ViewSubmission(_Shape):
    """A modal sent: who, and the view with its inputs and metadata."""

    team: _Id
    user: _Id
    view: _View


class SlashCommand(_Shape):
    """A slash command, form-encoded."""

    command: str
    team_id: str
    user_id: str
    channel_id: str
    text: str = ""
    response_url: str
    trigger_id: str


class _Event(_Shape):
    type: str
    user: str | None = None
    channel: str | None = None
    text: str | None = None
    tab: str | None = None


class EventCallback(_Shape):
    """An Events API delivery."""

    team_id: str
    event_id: str
    event: _Event


_BY_TYPE: dict[str, TypeAdapter[Any]] = {
    "block_actions": TypeAdapter(BlockActions),
    "view_submission": TypeAdapter(ViewSubmission),
    "event_callback": TypeAdapter(EventCallback),
}
_COMMAND = TypeAdapter(SlashCommand)


def malformed(body: dict[str, Any]) -> str | None:
    """What is wrong with a payload the listeners would read, or None when its shape is fine.

    The answer names the payload kind and the first bad field's path, never a value from it.
    Kinds no listener reads pass; Bolt answers those itself.
    """
    kind = body.get("type")
    adapter = (
        _COMMAND if "command" in body else _BY_TYPE.get(kind) if isinstance(kind, str) else None
    )
    if adapter is None:
        return None
    try:
        adapter.validate_python(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False, include_context=False)[0]
        # Keys in the path can be the sender's own text: shortened and quoted, never raw.
        where = ".".join(_path_part(part) for part in first["loc"])
        return f"{'slash command' if adapter is _COMMAND else kind}: {where}: {first['msg']}"
    return None


def _path_part(part: str | int) -> str:
    if isinstance(part, int) or (part.isidentifier() and len(part) <= 40):
        return str(part)
    return repr(part[:30])


async def answer_listener_error(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
    """Bolt's error handler: 400 for what a listener could not decode, else 500 and the trace.

    The envelope is checked before dispatch; what is left is our own JSON in a payload (a
    button's value, a modal's private_metadata) that is not what we sent: a malformed request.
    """
    if isinstance(error, ValidationError):
        log.warning(
            "refused a signed %s whose %s does not decode (%d problem(s))",
            body.get("type") or "request",
            error.title,
            error.error_count(),
        )
        return BoltResponse(status=400, body="")
    log.error("a listener failed on a %s", body.get("type") or "request", exc_info=error)
    return None
