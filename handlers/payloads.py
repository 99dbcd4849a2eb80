"""Slack's payloads and our own button values, decoded into typed objects in this one module."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from handlers.ids import ActionId

# Slack's side: each payload kind a listener reads, checked before any listener runs (bot/web.py)
# and decoded by the listener into the flat object it works with.


class _Shape(BaseModel):
    """A part of a payload: the fields a listener reads must have their type; others are ignored."""

    model_config = ConfigDict(frozen=True)


class _Id(_Shape):
    id: str


class _Option(_Shape):
    value: str


class _Element(_Shape):
    """One input's state, as `state.values[block][action]` carries it."""

    value: str | None = None
    selected_option: _Option | None = None
    selected_options: list[_Option] | None = None

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

    @classmethod
    def of(cls, command: dict[str, Any]) -> SlashCommand:
        """Decode Bolt's `command` argument."""
        return cls.model_validate(command)

    @property
    def words(self) -> list[str]:
        """The text after the command, split on white space."""
        return self.text.split()


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

    @classmethod
    def of(cls, body: dict[str, Any]) -> EventCallback:
        """Decode Bolt's `body` argument of an event listener."""
        return cls.model_validate(body)

    @property
    def from_a_person_in_dm(self) -> bool:
        """A person's own new message in their DM with the bot (not an edit, not a bot's)."""
        event = self.event
        return event.channel_type == "im" and not event.subtype and not event.bot_id


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


class Click(BaseModel):
    """Who clicked which button, on which message: all a listener and its reply need of a click.

    Work after the ack keeps this rather than the payload, whose dozen dicts a burst's backlog
    would hold until its turn.
    """

    model_config = ConfigDict(frozen=True)

    team_id: str
    user_id: str
    action_id: str
    value: str | None
    response_url: str  # empty only where in_view
    trigger_id: str | None
    channel_id: str | None
    message_ts: str | None
    in_view: bool
    ephemeral: bool
    ticked: tuple[str, ...] = ()  # the request card's ticked actions, by value

    @classmethod
    def of(cls, body: dict[str, Any]) -> Click:
        """Decode a block_actions payload."""
        shape = BlockActions.model_validate(body)
        container = shape.container or _Container()
        action = shape.actions[0]
        return cls(
            team_id=shape.team.id,
            user_id=shape.user.id,
            action_id=action.action_id,
            value=action.value,
            response_url=shape.response_url or "",
            trigger_id=shape.trigger_id,
            channel_id=(shape.channel.id if shape.channel else None) or container.channel_id,
            message_ts=(shape.message.ts if shape.message else None) or container.message_ts,
            in_view=container.type == "view",
            ephemeral=bool(container.is_ephemeral),
            ticked=_ticked(shape.state),
        )

    @property
    def request_id(self) -> int | None:
        """The request number a help-desk button carries; None when the value is not one."""
        return request_id_of(self.value)


def _ticked(state: _State | None) -> tuple[str, ...]:
    for block in (state.values if state else {}).values():
        element = block.get(ActionId.SELECT_ACTIONS)
        if element is not None:
            return tuple(option.value for option in element.selected_options or [])
    return ()


Meta = TypeVar("Meta", bound=BaseModel)


class Submission(BaseModel):
    """A modal sent: who sent it, what each input holds (by block id), and its metadata."""

    model_config = ConfigDict(frozen=True)

    team_id: str
    user_id: str
    view_id: str
    callback_id: str
    private_metadata: str
    fields: dict[str, str]

    @classmethod
    def of(cls, body: dict[str, Any]) -> Submission:
        """Decode a view_submission payload."""
        shape = ViewSubmission.model_validate(body)
        view = shape.view
        return cls(
            team_id=shape.team.id,
            user_id=shape.user.id,
            view_id=view.id,
            callback_id=view.callback_id,
            private_metadata=view.private_metadata,
            fields={
                block_id: element.text() if element else ""
                for block_id, inputs in view.state.values.items()
                for element in (inputs.get(f"{block_id}-input"),)
            },
        )

    def text(self, field: str) -> str:
        """What the input in block `field` holds; empty when it holds nothing or is not there."""
        return self.fields.get(field, "")

    def has(self, field: str) -> bool:
        """Whether the modal had the input block `field`."""
        return field in self.fields

    def meta(self, model: type[Meta]) -> Meta:
        """The private_metadata, decoded; a ValidationError when it is not what we sent."""
        return model.model_validate_json(self.private_metadata or "{}")


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


class ContactMeta(BaseModel):
    """The contact form's private_metadata: which walk and topic it was opened from."""

    model_config = ConfigDict(frozen=True)

    walk_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    topic_id: str = Field(max_length=64)


class DenyMeta(BaseModel):
    """The deny modal's private_metadata: the request; its state is re-read before deciding."""

    model_config = ConfigDict(frozen=True)

    request_id: int
    channel_id: str | None = None


def request_id_of(value: str | None) -> int | None:
    """A request number from a button value; None when it is not one."""
    if value is None or not value.isdigit() or len(value) > 12:
        return None
    return int(value)


class EnrollMeta(BaseModel):
    """The enrollment modal's private_metadata: the DM message and QR file to delete after."""

    model_config = ConfigDict(frozen=True)

    channel_id: str | None = None
    message_ts: str | None = None
    file_id: str | None = Field(default=None, max_length=40)


class StepUpMeta(BaseModel):
    """The step-up modal's private_metadata: what the code will confirm; re-checked on submit."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["approve", "retry"]
    request_id: int
    actions: list[str] = Field(default_factory=list, max_length=10)
    channel_id: str | None = None
