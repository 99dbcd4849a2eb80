"""Slack's rules for what a message or a view may hold, and the error Slack answers when broken.

The test fake Slack and the sandbox's Web API both ask these functions, so they refuse the same
payloads with the same errors. Pure functions over the JSON the Web API receives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from handlers.slack_rules.basics import Flaw, kind, string, text_field
from handlers.slack_rules.blocks import blocks_flaws
from handlers.slack_rules.elements import ID_LIMIT

__all__ = [
    "MESSAGE_BLOCK_LIMIT",
    "VIEW_BLOCK_LIMIT",
    "Problem",
    "message_problems",
    "refusal",
    "view_problems",
]

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
MESSAGE_TEXT_LIMIT = 40_000
PRIVATE_METADATA_LIMIT = 3000
MODAL_BUTTON_LIMIT = 24  # a modal's title, submit and close texts


@dataclass(frozen=True)
class Problem:
    """One broken rule: the error Slack answers, what is wrong, and where (a JSON pointer)."""

    error: str
    message: str
    pointer: str

    def __str__(self) -> str:
        return f"{self.message} [json-pointer:{self.pointer}]"


def refusal(problems: Sequence[Problem]) -> dict[str, Any]:
    """Slack's `ok: false` answer to a payload with these problems (the first one's error)."""
    return {
        "ok": False,
        "error": problems[0].error,
        "errors": [str(problem) for problem in problems],
        "response_metadata": {"messages": [f"[ERROR] {problem}" for problem in problems]},
    }


def message_problems(payload: Mapping[str, Any]) -> list[Problem]:
    """What Slack refuses in a chat.postMessage / update / postEphemeral or response URL payload."""
    blocks = _decoded(payload.get("blocks") or [])
    if not isinstance(blocks, list):
        return [Problem("invalid_blocks_format", "must be an array of blocks", "/blocks")]
    problems = [
        Problem("invalid_blocks", message, pointer)
        for pointer, message in blocks_flaws(blocks, "/blocks", MESSAGE_BLOCK_LIMIT)
    ]
    return problems + _text_problems(payload, has_blocks=bool(blocks))


def view_problems(view: Any, kind: str | None = None) -> list[Problem]:
    """What Slack refuses in a view (`kind` "modal" or "home"; None takes either)."""
    return [
        Problem("invalid_arguments", message, pointer)
        for pointer, message in _view_flaws(_decoded(view), kind)
    ]


def _decoded(value: Any) -> Any:
    """A JSON field as form-encoded calls send it (a string), or as JSON calls do."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _text_problems(payload: Mapping[str, Any], *, has_blocks: bool) -> list[Problem]:
    if payload.get("delete_original"):
        return []  # a response URL's delete carries no message
    text = payload.get("text") or ""
    if not isinstance(text, str):
        return [Problem("invalid_arguments", "must be a string", "/text")]
    if len(text) > MESSAGE_TEXT_LIMIT:
        return [
            Problem("msg_too_long", f"must be at most {MESSAGE_TEXT_LIMIT} characters", "/text")
        ]
    if text:
        return []
    # Slack itself posts blocks without `text`, but notifications and screen readers then get
    # nothing: both fakes refuse it, so no message of the bot's goes out without a fallback.
    needed = "blocks need a text fallback" if has_blocks else "a message needs text or blocks"
    return [Problem("no_text", needed, "/text")]


def _view_flaws(view: Any, wanted: str | None) -> Iterator[Flaw]:
    if not isinstance(view, dict):
        yield "/view", "must be an object"
        return
    actual = view.get("type")
    if actual not in ("modal", "home") or wanted not in (None, actual):
        yield "/view/type", f"must be {wanted or 'modal or home'}"
        return
    for key in ("callback_id", "external_id"):
        yield from string(view, key, "/view", ID_LIMIT)
    yield from string(view, "private_metadata", "/view", PRIVATE_METADATA_LIMIT)
    if actual == "modal":
        yield from _modal_flaws(view)
    else:
        for key in ("title", "submit", "close"):
            if key in view:
                yield f"/view/{key}", "a home tab has no title, submit or close"
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        yield "/view/blocks", "must be an array of blocks"
        return
    yield from blocks_flaws(blocks, "/view/blocks", VIEW_BLOCK_LIMIT)


def _modal_flaws(view: dict[str, Any]) -> Iterator[Flaw]:
    limit = MODAL_BUTTON_LIMIT
    yield from text_field(view, "title", "/view", limit, plain=True, required=True)
    yield from text_field(view, "submit", "/view", limit, plain=True)
    yield from text_field(view, "close", "/view", limit, plain=True)
    blocks = view.get("blocks")
    if isinstance(blocks, list) and not blocks:
        yield "/view/blocks", "a modal needs at least 1 block"
    has_input = isinstance(blocks, list) and any(kind(block) == "input" for block in blocks)
    if has_input and "submit" not in view:
        yield "/view/submit", "a modal with input blocks needs a submit button"
