"""What our cards send back (an Action.Execute's data and the card's inputs), decoded here only.

It steers navigation and names a request, never authority: the core re-reads the request and
checks who clicked. A code typed into a card is a SecretStr, so no repr, log line or error
message ever shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.domain.guide import MAX_CHOICES
from bot.domain.identity import ResetAction
from bot.domain.requests import ContactForm, Remaining
from teams.ids import InputId, Verb

_WALK_ID = r"^[0-9a-f]{32}$"
_SHORT = 64
CODE_MAX = 8
REASON_MAX = 1000
# What a text input can hold; the core checks each field's own limit and says so inline.
_TYPED_MAX = 4000


class MalformedActionError(ValueError):
    """An invoke whose verb is not ours or whose data is not what our card sent.

    The message names the verb and the first bad field, never a value (it may be a code).
    """


class _Data(BaseModel):
    """Data of one of our buttons; keys Teams adds (other inputs of the card) are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore", validate_by_name=True)

    def to_data(self) -> dict[str, Any]:
        """What the button carries in its `data`: our fields only, never an input's value."""
        return self.model_dump(mode="json", by_alias=True, include=self._ours())

    @classmethod
    def _ours(cls) -> set[str]:
        return {name for name, info in cls.model_fields.items() if not _is_input(info.alias)}


def _is_input(alias: str | None) -> bool:
    return alias is not None and alias.startswith("mfa-")


def _text(value: object) -> object:
    """An input left empty may come as a missing key, null or ""; all three are ""."""
    return "" if value is None else value


def _secret(value: object) -> object:
    """A code input left empty is no code."""
    return value or None


class TopicData(_Data):
    """A topic picked on the menu."""

    topic_id: str = Field(alias="topic", min_length=1, max_length=_SHORT)


class StepData(_Data):
    """A button on a walk's card: the walk and the step it was shown on."""

    walk_id: str = Field(alias="walk", pattern=_WALK_ID)
    topic_id: str = Field(alias="topic", max_length=_SHORT)
    step_id: str = Field(alias="step", max_length=_SHORT)


class ChoiceData(StepData):
    """One of a step's branches, by its place on the step."""

    choice: int = Field(alias="choice", ge=0, lt=MAX_CHOICES)


class ContactData(_Data):
    """The contact form sent: where it was opened and what the employee typed or picked."""

    walk_id: str | None = Field(default=None, alias="walk", pattern=_WALK_ID)
    topic_id: str = Field(alias="topic", max_length=_SHORT)
    step_id: str | None = Field(default=None, alias="step", max_length=_SHORT)
    description: str = Field(default="", alias=InputId.DESCRIPTION, max_length=_TYPED_MAX)
    lost: str = Field(default="", alias=InputId.LOST, max_length=_SHORT)
    remaining: str = Field(default="", alias=InputId.REMAINING, max_length=_SHORT)
    correlation_id: str = Field(default="", alias=InputId.CORRELATION, max_length=_TYPED_MAX)
    contact: str = Field(default="", alias=InputId.CONTACT, max_length=_TYPED_MAX)
    details: str = Field(default="", alias=InputId.DETAILS, max_length=_TYPED_MAX)

    _empty_is_blank = field_validator(
        "description", "lost", "remaining", "correlation_id", "contact", "details", mode="before"
    )(_text)

    def form(self) -> ContactForm:
        """The form as sent; a question not asked, or left unanswered, is None (never a default)."""
        remaining = self.remaining
        return ContactForm(
            description=self.description.strip(),
            lost_or_stolen={"yes": True, "no": False}.get(self.lost),
            remaining=Remaining(remaining) if remaining in set(Remaining) else None,
            correlation_id=self.correlation_id.strip() or None,
            contact=self.contact.strip(),
            details=self.details.strip(),
        )


class FormRef(_Data):
    """Where a contact form was opened (its Cancel button goes back there)."""

    walk_id: str | None = Field(default=None, alias="walk", pattern=_WALK_ID)
    topic_id: str = Field(alias="topic", max_length=_SHORT)
    step_id: str | None = Field(default=None, alias="step", max_length=_SHORT)


class RequestData(_Data):
    """A button that names a request: cancel, "this wasn't me", approve, deny, retry, back, the
    manager's answer."""

    request_id: int = Field(alias="request", ge=1, lt=10**12)


class ApproveData(RequestData):
    """The approve view confirmed: the actions ticked and the admin's authenticator code."""

    actions: tuple[ResetAction, ...] = ()
    code: SecretStr | None = Field(default=None, alias=InputId.CODE, max_length=CODE_MAX)

    @model_validator(mode="before")
    @classmethod
    def _ticked(cls, data: Any) -> Any:
        """The toggles, one input per action, as the actions ticked (in ResetAction order)."""
        if not isinstance(data, Mapping):
            return data
        ticked = tuple(
            action for action in ResetAction if data.get(InputId.ACTION.of(action.value)) == "true"
        )
        return {**data, "actions": ticked}

    _empty_is_none = field_validator("code", mode="before")(_secret)


class DenyData(RequestData):
    """The deny view confirmed, with the reason the employee will read."""

    reason: str = Field(default="", alias=InputId.DENY_REASON, max_length=REASON_MAX)

    _empty_is_blank = field_validator("reason", mode="before")(_text)


class RetryData(RequestData):
    """The retry view confirmed, with the admin's authenticator code."""

    code: SecretStr | None = Field(default=None, alias=InputId.CODE, max_length=CODE_MAX)

    _empty_is_none = field_validator("code", mode="before")(_secret)


class QuestionData(RequestData):
    """The ask view confirmed, with the question the employee will read."""

    question: str = Field(default="", alias=InputId.QUESTION, max_length=REASON_MAX)

    _empty_is_blank = field_validator("question", mode="before")(_text)


class AnswerData(RequestData):
    """The employee's answer to IT's question, typed in their personal chat."""

    answer: str = Field(default="", alias=InputId.ANSWER, max_length=REASON_MAX)

    _empty_is_blank = field_validator("answer", mode="before")(_text)


class ManualDoneData(RequestData):
    """An admin marks a manual action of the request done."""

    item_id: int = Field(alias="item", ge=1, lt=10**12)


class EnrollData(_Data):
    """The enrollment card confirmed: the new authenticator's code, and the current one's when it
    replaces one."""

    code: SecretStr | None = Field(default=None, alias=InputId.CODE, max_length=CODE_MAX)
    current_code: SecretStr | None = Field(
        default=None, alias=InputId.CURRENT_CODE, max_length=CODE_MAX
    )

    _empty_is_none = field_validator("code", "current_code", mode="before")(_secret)


Payload = (
    TopicData
    | StepData
    | ChoiceData
    | ContactData
    | FormRef
    | RequestData
    | ApproveData
    | DenyData
    | RetryData
    | ManualDoneData
    | QuestionData
    | AnswerData
    | EnrollData
)

# Each verb's data; a verb missing here is not ours.
MODELS: dict[Verb, type[Payload]] = {
    Verb.TOPIC: TopicData,
    Verb.WORKED: StepData,
    Verb.NEXT: StepData,
    Verb.BACK: StepData,
    Verb.RESTART: StepData,
    Verb.CONTACT_IT: StepData,
    Verb.CHOICE: ChoiceData,
    Verb.CONTACT_SEND: ContactData,
    Verb.CONTACT_CANCEL: FormRef,
    Verb.CANCEL_REQUEST: RequestData,
    Verb.NOT_ME: RequestData,
    Verb.REPORT_PROMPT: StepData,
    Verb.CLAIM_ALERT: RequestData,
    Verb.APPROVE: RequestData,
    Verb.APPROVE_CONFIRM: ApproveData,
    Verb.DENY: RequestData,
    Verb.DENY_CONFIRM: DenyData,
    Verb.RETRY: RequestData,
    Verb.RETRY_CONFIRM: RetryData,
    Verb.DESK_BACK: RequestData,
    Verb.MANUAL_DONE: ManualDoneData,
    Verb.ON_IT: RequestData,
    Verb.ASK: RequestData,
    Verb.ASK_CONFIRM: QuestionData,
    Verb.ANSWER: AnswerData,
    Verb.MANAGER_YES: RequestData,
    Verb.MANAGER_NO: RequestData,
    Verb.ENROLL_CONFIRM: EnrollData,
}


def decode(verb: str, data: object) -> Payload:
    """The model of what a button of `verb` sent; MalformedActionError when the verb is not ours
    or the data is not what our card carries."""
    model = MODELS.get(_verb(verb))
    if model is None:
        raise MalformedActionError(f"no data known for the verb {verb!r}")
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False, include_context=False)[0]
        where = ".".join(_path_part(part) for part in first["loc"]) or "data"
        raise MalformedActionError(f"{verb}: {where}: {first['msg']}") from None


def decode_invoke(value: object) -> tuple[Verb, Payload]:
    """The verb and data of an `adaptiveCard/action` invoke's value; MalformedActionError when it
    is not an Action.Execute of ours."""
    try:
        invoke = _INVOKE.validate_python(value)
    except ValidationError:
        raise MalformedActionError("not an Action.Execute invoke") from None
    verb = invoke.action.verb
    return _verb(verb), decode(verb, invoke.action.data)


def _verb(verb: str) -> Verb:
    """The verb named; MalformedActionError for one no card of ours carries (shortened)."""
    try:
        return Verb(verb)
    except ValueError:
        raise MalformedActionError(f"unknown verb {verb[:40]!r}") from None


def _path_part(part: str | int) -> str:
    # Keys are the sender's: a long or odd one is shortened and quoted, never raw.
    if isinstance(part, int) or (len(part) <= 40 and part.replace("-", "_").isidentifier()):
        return str(part)
    return repr(part[:30])


class _Action(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: str = Field(pattern="^Action.Execute$")
    verb: str = Field(max_length=64)
    data: dict[str, Any] | None = None


class _Invoke(BaseModel):
    model_config = ConfigDict(frozen=True)

    action: _Action


_INVOKE = TypeAdapter(_Invoke)
