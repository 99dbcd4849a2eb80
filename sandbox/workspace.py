"""The sandbox's Slack workspace: its people, conversations, messages, views and what changed."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

TEAM_ID = "T0SANDBOX"
TEAM_NAME = "Sandbox"
APP_ID = "A0SANDBOX"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
BOT_NAME = "mfa-helper"
GENERAL = "C0GENERAL"
HELPDESK = "C0HELPDESK"
SECURITY = "C0SECURITY"

TRIGGER_TTL_S = 3.0
MODAL_STACK_LIMIT = 3
RESPONSE_URL_USES = 5
RESPONSE_URL_TTL_S = 30 * 60
MESSAGES_KEPT = 1000
EPHEMERALS_KEPT = 200
TRIGGERS_KEPT = 500
RESPONSE_URLS_KEPT = 2000
LOG_KEPT = 300

Role = Literal["employee", "admin"]
LogKind = Literal["call", "unknown", "refused"]


@dataclass(frozen=True)
class Person:
    """Someone in the workspace the page can switch to."""

    id: str
    name: str
    email: str
    title: str
    role: Role
    privileged: bool = False
    directory_roles: tuple[str, ...] = ()  # admin roles in the demo directory

    @property
    def dm(self) -> str:
        """The id of this person's DM with the bot."""
        return "D" + self.id.removeprefix("U")


@dataclass
class Conversation:
    """A channel or a DM with the bot."""

    id: str
    name: str
    kind: Literal["channel", "private", "im"]
    members: frozenset[str]


@dataclass
class Message:
    """A message in a conversation; `rev` grows at every change, so the page redraws only it."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    author: str
    thread_ts: str | None = None
    files: list[str] = field(default_factory=list)
    rev: int = 1
    edited: bool = False


@dataclass
class Ephemeral:
    """A message only one person sees ("Only visible to you")."""

    id: str
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]]
    ts: str
    rev: int = 1


@dataclass
class OpenView:
    """A modal in a person's stack, or their Home tab."""

    id: str
    user: str
    view: dict[str, Any]
    hash: str
    rev: int = 1
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    """Where a response URL answers: a message, an ephemeral message, or a conversation."""

    user: str
    channel: str
    message_ts: str | None = None
    ephemeral_id: str | None = None


@dataclass
class ResponseUrl:
    """A response URL handed to the bot with a command or a click."""

    source: Source
    created: float
    uses: int = 0


@dataclass(frozen=True)
class StoredFile:
    """A file the bot uploaded (the enrollment QR code)."""

    id: str
    name: str
    title: str
    content: bytes
    channel: str | None = None


@dataclass(frozen=True)
class LogLine:
    """A line of the page's Web API log."""

    seq: int
    at: float
    kind: LogKind
    text: str


def sandbox_people() -> tuple[Person, ...]:
    """An employee, two IT admins (Helpdesk Administrators in the demo directory), and an
    executive whose requests need both admins."""
    helpdesk = ("Helpdesk Administrator",)
    return (
        Person("U0EMPLOYEE", "Jordan Lee", "jordan.lee@example.com", "Sales", "employee"),
        Person(
            "U0ADMIN1",
            "Priya Shah",
            "priya.shah@example.com",
            "IT help desk",
            "admin",
            directory_roles=helpdesk,
        ),
        Person(
            "U0ADMIN2",
            "Marco Rossi",
            "marco.rossi@example.com",
            "IT help desk",
            "admin",
            directory_roles=helpdesk,
        ),
        Person("U0EXEC", "Alex Kim", "alex.kim@example.com", "Finance director", "employee", True),
    )


class Workspace:
    """Everything the sandbox's Slack holds; every change bumps `version` and wakes the page."""

    def __init__(self, people: tuple[Person, ...] | None = None) -> None:
        self.people = {person.id: person for person in people or sandbox_people()}
        everyone = frozenset(self.people)
        admins = frozenset(p.id for p in self.people.values() if p.role == "admin")
        self.conversations: dict[str, Conversation] = {
            GENERAL: Conversation(GENERAL, "general", "channel", everyone),
            HELPDESK: Conversation(HELPDESK, "it-mfa-requests", "private", admins),
            SECURITY: Conversation(SECURITY, "security-alerts", "private", admins),
        }
        for person in self.people.values():
            self.conversations[person.dm] = Conversation(
                person.dm, BOT_NAME, "im", frozenset({person.id})
            )
        self.messages: dict[str, dict[str, Message]] = {c: {} for c in self.conversations}
        self.ephemerals: dict[str, Ephemeral] = {}
        self.modals: dict[str, list[OpenView]] = {}
        self.homes: dict[str, OpenView] = {}
        self.files: dict[str, StoredFile] = {}
        self.triggers: dict[str, tuple[str, float]] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.log: deque[LogLine] = deque(maxlen=LOG_KEPT)
        self.version = 0
        self._changed = asyncio.Event()
        self._ids = itertools.count(1)
        self._log_seq = itertools.count(1)
        self._last_ts = 0.0

    # -- identity -----------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        """A fresh id such as V12 or F3."""
        return f"{prefix}{next(self._ids)}"

    def new_ts(self) -> str:
        """A message timestamp, unique and increasing like Slack's."""
        self._last_ts = max(time.time(), self._last_ts + 0.000001)
        return f"{self._last_ts:.6f}"

    def name_of_user(self, user_id: str) -> str | None:
        """A display name for a mention."""
        if user_id == BOT_USER_ID:
            return BOT_NAME
        person = self.people.get(user_id)
        return person.name if person else None

    def name_of_channel(self, channel_id: str) -> str | None:
        """A channel's name for a mention."""
        conversation = self.conversations.get(channel_id)
        return conversation.name if conversation else None

    def dm_of(self, user_id: str) -> str | None:
        """The DM the bot has with a person."""
        person = self.people.get(user_id)
        return person.dm if person else None

    def visible_to(self, user_id: str) -> list[Conversation]:
        """The conversations in a person's sidebar."""
        return [c for c in self.conversations.values() if user_id in c.members]

    # -- changes ------------------------------------------------------------------------------

    def touch(self) -> None:
        """Something changed: wake every page waiting for news."""
        self.version += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_past(self, version: int, seconds: float) -> int:
        """Return once `version` is out of date (or after `seconds`); the version now."""
        if version == self.version:  # behind, or ahead (from before a restart): answer at once
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), seconds)
        return self.version

    def note(self, kind: LogKind, text: str) -> None:
        """Add a line to the page's Web API log."""
        self.log.append(LogLine(next(self._log_seq), time.time(), kind, text))
        self.touch()

    def add_message(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        author: str,
        thread_ts: str | None = None,
        files: list[str] | None = None,
    ) -> Message:
        """Post a message; the oldest ones go once a conversation holds too many."""
        message = Message(channel, self.new_ts(), text, blocks, author, thread_ts, files or [])
        keep_newest(self.messages[channel], message.ts, message, MESSAGES_KEPT)
        self.touch()
        return message

    def add_ephemeral(
        self, channel: str, user: str, text: str, blocks: list[dict[str, Any]]
    ) -> Ephemeral:
        """Show a message to one person only."""
        ephemeral = Ephemeral(self.new_id("E"), channel, user, text, blocks, self.new_ts())
        keep_newest(self.ephemerals, ephemeral.id, ephemeral, EPHEMERALS_KEPT)
        self.touch()
        return ephemeral

    def edit(self, shown: Message | Ephemeral, text: str, blocks: list[dict[str, Any]]) -> None:
        """A message changed in place (chat.update, or a response URL replacing it)."""
        shown.text, shown.blocks = text, blocks
        shown.rev += 1
        if isinstance(shown, Message):
            shown.edited = True
        self.touch()

    # -- triggers and response URLs -----------------------------------------------------------

    def new_trigger(self, user: str) -> str:
        """A trigger id for one person, usable once within three seconds."""
        trigger = f"{next(self._ids)}.{int(time.time())}.{secrets.token_hex(8)}"
        keep_newest(self.triggers, trigger, (user, time.monotonic()), TRIGGERS_KEPT)
        return trigger

    def use_trigger(self, trigger: str) -> str | None:
        """The person a fresh, unused trigger belongs to, or None (expired, used or unknown)."""
        issued = self.triggers.pop(trigger, None)
        if issued is None or time.monotonic() - issued[1] > TRIGGER_TTL_S:
            return None
        return issued[0]

    def new_response_url(self, source: Source) -> str:
        """The id of a response URL answering at `source`: unguessable, like Slack's."""
        rid = secrets.token_urlsafe(18)
        keep_newest(
            self.response_urls, rid, ResponseUrl(source, time.monotonic()), RESPONSE_URLS_KEPT
        )
        return rid

    def use_response_url(self, rid: str) -> Source | None:
        """Where the response URL answers, counting a use; None once used up or expired."""
        entry = self.response_urls.get(rid)
        if entry is None or time.monotonic() - entry.created > RESPONSE_URL_TTL_S:
            return None
        entry.uses += 1
        if entry.uses > RESPONSE_URL_USES:
            return None
        return entry.source

    # -- views --------------------------------------------------------------------------------

    def new_view(self, user: str, view: dict[str, Any]) -> OpenView:
        """A view to open or publish, with a fresh id and hash."""
        return OpenView(self.new_id("V"), user, view, self.new_id("h."))

    def replace_view(self, opened: OpenView, view: dict[str, Any]) -> None:
        """An open view changed (views.update, a republished Home tab, response_action update)."""
        opened.view, opened.errors = view, {}
        opened.rev += 1
        opened.hash = self.new_id("h.")
        self.touch()

    def show_errors(self, opened: OpenView, errors: dict[str, str]) -> None:
        """Errors shown under the modal's inputs."""
        opened.errors = errors
        opened.rev += 1
        self.touch()

    def find_view(self, view_id: str = "", external_id: str = "") -> OpenView | None:
        """An open modal or a Home tab, by its id or the bot's external_id."""
        candidates = [v for stack in self.modals.values() for v in stack]
        candidates += list(self.homes.values())
        for open_view in candidates:
            if view_id and open_view.id == view_id:
                return open_view
            if external_id and open_view.view.get("external_id") == external_id:
                return open_view
        return None

    def top_modal(self, user: str) -> OpenView | None:
        """The modal a person sees now."""
        stack = self.modals.get(user)
        return stack[-1] if stack else None

    def close_modal(self, user: str, view_id: str, *, everything: bool = False) -> None:
        """Close one modal (and those above it), or the whole stack."""
        stack = self.modals.get(user, [])
        ids = [v.id for v in stack]
        if everything or view_id not in ids:
            self.modals.pop(user, None)
        else:
            del stack[ids.index(view_id) :]
        self.touch()


def keep_newest(kept: dict[str, Any], key: str, value: Any, limit: int) -> None:
    """Store `value`; the oldest entries go once there are more than `limit`."""
    kept[key] = value
    while len(kept) > limit:
        kept.pop(next(iter(kept)))
