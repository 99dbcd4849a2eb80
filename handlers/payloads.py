"""Slack's payloads and our own button values, decoded into typed objects in this one module."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from handlers.ids import ActionId

# Slack's side: each payload kind a listener reads, checked before any listener runs (bot/web.py)
# and decoded by the listener into the object it works with.

Meta = TypeVar("Meta", bound=BaseModel)
# Where the payload decoded before dispatch waits in Bolt's context for its listener.
DECODED = "mfa_helpdesk_payload"


class _Shape(BaseModel):
    """A part of a payload: the fields a listener reads must have their type; others are ignored."""

    model_config = ConfigDict(frozen=True)

    @classmethod
    def of(cls, payload: dict[str, Any], context: Mapping[str, Any] | None = None) -> Self:
        """Decode a payload (a listener's `body` or `command`); a ValidationError if it is not.
        Given the listener's `context`, the payload decoded before dispatch is taken from it."""
        decoded = context.get(DECODED) if context is not None else None
        return decoded if isinstance(decoded, cls) else cls.model_validate(payload)


class _Id(_Shape):
    id: str


class _Option(_Shape):
    value: str


class _Element(_Shape):
    """One input's state, as `state.values[block][action]` carries it."""

    value: str | None = None
    selected_option: _Option | None = None
    selected_options: list[_Option] | None = None
    selected_conversation: str | None = None
    selected_users: list[str] | None = None

    def text(self) -> str:
        """What was typed or picked; empty when nothing was."""
        if "selected_option" in self.model_fields_set:
            return self.selected_option.value if self.selected_option else ""
        return self.value or ""


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


_NO_CONTAINER = _Container()


class _Message(_Shape):
    ts: str | None = None


class _FromSomeone(_Shape):
    """A payload a person caused: their workspace and user."""

    team: _Id
    user: _Id

    @property
    def team_id(self) -> str:
        return self.team.id

    @property
    def user_id(self) -> str:
        return self.user.id


class _View(_Shape):
    id: str
    callback_id: str
    private_metadata: str
    state: _State


class Click(_FromSomeone):
    """A click: who, where, and the one action clicked (Slack sends exactly one).

    Work after the ack keeps this rather than the payload: only the fields read here are kept.
    """

    actions: list[_Action] = Field(min_length=1)
    trigger_id: str | None = None
    response_url: str | None = None  # absent only where in_view
    container: _Container | None = None
    channel: _Id | None = None
    message: _Message | None = None
    state: _State | None = None

    @property
    def action_id(self) -> str:
        return self.actions[0].action_id

    @property
    def value(self) -> str | None:
        return self.actions[0].value

    @property
    def channel_id(self) -> str | None:
        """The channel of the message clicked (None on the Home tab)."""
        return (self.channel.id if self.channel else None) or self._container.channel_id

    @property
    def message_ts(self) -> str | None:
        return (self.message.ts if self.message else None) or self._container.message_ts

    @property
    def in_view(self) -> bool:
        """Clicked on the Home tab or in a modal, not on a message."""
        return self._container.type == "view"

    @property
    def ephemeral(self) -> bool:
        return bool(self._container.is_ephemeral)

    @property
    def reply_url(self) -> str:
        """Where an answer to the clicker goes; empty only where in_view."""
        return self.response_url or ""

    @property
    def _container(self) -> _Container:
        return self.container or _NO_CONTAINER

    @property
    def request_id(self) -> int | None:
        """The request number a help-desk button carries; None when the value is not one."""
        value = self.value
        return int(value) if value and value.isdigit() and len(value) <= 12 else None

    @property
    def ticked(self) -> tuple[str, ...]:
        """The request card's ticked actions, by value."""
        for block in (self.state.values if self.state else {}).values():
            element = block.get(ActionId.SELECT_ACTIONS)
            if element is not None:
                return tuple(option.value for option in element.selected_options or [])
        return ()


class Submission(_FromSomeone):
    """A modal sent: who sent it, what each input holds, and its metadata."""

    view: _View

    def text(self, field: str) -> str:
        """What the input in block `field` holds; empty when it holds nothing or is not there."""
        element = self.view.state.values.get(field, {}).get(f"{field}-input")
        return element.text() if element else ""

    def picked(self, field: str) -> tuple[str, ...]:
        """The conversation or the people picked in block `field` (their ids)."""
        element = self.view.state.values.get(field, {}).get(f"{field}-input")
        if element is None:
            return ()
        if element.selected_conversation:
            return (element.selected_conversation,)
        return tuple(element.selected_users or ())

    def has(self, field: str) -> bool:
        """Whether the modal had the input block `field`."""
        return field in self.view.state.values

    def meta(self, model: type[Meta]) -> Meta:
        """The private_metadata, decoded; a ValidationError when it is not what we sent."""
        return model.model_validate_json(self.view.private_metadata or "{}")


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
    channel_type: str | None = None
    subtype: str | None = None
    bot_id: str | None = None
    team: str | None = None
    text: str | None = None
    tab: str | None = None


class EventCallback(_Shape):
    """An Events API delivery."""

    team_id: str
    event_id: str
    event: _Event

    @property
    def from_a_person_in_dm(self) -> bool:
        """A person's own new message in their DM with the bot (not an edit, not a bot's)."""
        event = self.event
        return event.channel_type == "im" and not event.subtype and not event.bot_id


_BY_TYPE: dict[str, TypeAdapter[Any]] = {
    "block_actions": TypeAdapter(Click),
    "view_submission": TypeAdapter(Submission),
    "event_callback": TypeAdapter(EventCallback),
}
_COMMAND = TypeAdapter(SlashCommand)


def decode(body: dict[str, Any]) -> tuple[_Shape | None, str | None]:
    """The payload a listener will read, decoded once before dispatch (None for kinds no listener
    reads: Bolt answers those itself), or what is wrong with it.

    The problem names the payload kind and the first bad field's path, never a value from it.
    """
    kind = body.get("type")
    adapter = (
        _COMMAND if "command" in body else _BY_TYPE.get(kind) if isinstance(kind, str) else None
    )
    if adapter is None:
        return None, None
    try:
        return adapter.validate_python(body), None
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False, include_context=False)[0]
        # Keys in the path can be the sender's own text: shortened and quoted, never raw.
        where = ".".join(_path_part(part) for part in first["loc"])
        return None, f"{'slash command' if adapter is _COMMAND else kind}: {where}: {first['msg']}"


def _path_part(part: str | int) -> str:
    if isinstance(part, int) or (part.isidentifier() and len(part) <= 40):
        return str(part)
    return repr(part[:30])


# Our side: what travels in a button's value or a modal's private_metadata. It steers
# navigation and names a request, never authority: the core re-reads the request.


class StepRef(BaseModel):
    """The walk and step a guide button was shown on."""

    model_config = ConfigDict(frozen=True, validate_by_name=True, validate_by_alias=True)

    walk_id: str = Field(alias="w", pattern=r"^[0-9a-f]{32}$")
    topic_id: str = Field(alias="t", max_length=64)
    step_id: str = Field(alias="s", max_length=64)

    def encode(self) -> str:
        """The compact JSON put in a button's value."""
        return self.model_dump_json(by_alias=True)

    @classmethod
    def decode(cls, value: str | None) -> StepRef | None:
        """The reference in a button value, or None when it is not one of ours."""
        if not value:
            return None
        try:
            return cls.model_validate_json(value)
        except ValidationError:
            return None


class _Ours(BaseModel):
    """Something of ours that travels in a payload: decoded, never trusted for authority."""

    model_config = ConfigDict(frozen=True)


class GuideMessage(_Ours):
    """The guide message whose Contact IT opened the form: a message's channel and ts, or an
    ephemeral one's response_url (it says "Request #N sent" once the form is sent)."""

    channel_id: str | None = Field(default=None, max_length=256)
    message_ts: str | None = Field(default=None, max_length=128)
    response_url: str | None = Field(default=None, max_length=1000)

    @classmethod
    def of(cls, click: Click) -> GuideMessage | None:
        """Where the clicked message is; None for a click on the Home tab or in a modal."""
        if click.in_view:
            return None
        if click.ephemeral or not (click.channel_id and click.message_ts):
            return cls(response_url=click.response_url) if click.response_url else None
        return cls(channel_id=click.channel_id, message_ts=click.message_ts)


class ContactMeta(_Ours):
    """The contact form's private_metadata: which walk and topic it was opened from, and the
    guide message it was opened on."""

    walk_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    topic_id: str = Field(max_length=64)
    origin: GuideMessage | None = None


class DenyMeta(_Ours):
    """The deny modal's private_metadata: the request; its state is re-read before deciding."""

    request_id: int
    channel_id: str | None = None


class AskMeta(_Ours):
    """The question modal's private_metadata: the request and where its card was clicked."""

    request_id: int
    channel_id: str | None = None


class AnswerMeta(_Ours):
    """The answer modal's private_metadata: the request (only its requester's answer counts)
    and the DM message whose Answer button opened it (it loses the button once answered)."""

    request_id: int
    channel_id: str | None = None
    message_ts: str | None = None


class EnrollMeta(_Ours):
    """The enrollment modal's private_metadata: the DM message and QR file to delete after."""

    channel_id: str | None = None
    message_ts: str | None = None
    file_id: str | None = Field(default=None, max_length=40)


class StepUpMeta(_Ours):
    """The step-up modal's private_metadata: what the code will confirm; re-checked on submit."""

    kind: Literal["approve", "retry"]
    request_id: int
    actions: list[str] = Field(default_factory=list, max_length=10)
    channel_id: str | None = None
