"""What travels in a button's value, decoded in one place; it steers navigation, never authority."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


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
