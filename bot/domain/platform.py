"""Which chat platform a person or a request belongs to: Slack or Microsoft Teams."""

from __future__ import annotations

import re
from enum import StrEnum

# An Entra object ID: how Teams names a person (from.aadObjectId) and a tenant.
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


class Platform(StrEnum):
    """A chat front end the core serves."""

    SLACK = "slack"
    TEAMS = "teams"


def is_object_id(value: str) -> bool:
    """True for an Entra object ID (a GUID)."""
    return _GUID.fullmatch(value) is not None


def platform_of(user_id: str) -> Platform:
    """The platform of a person's id: an Entra object ID is a Teams person; anything else
    (Slack's U…/W… ids, "system") is Slack."""
    return Platform.TEAMS if is_object_id(user_id) else Platform.SLACK
