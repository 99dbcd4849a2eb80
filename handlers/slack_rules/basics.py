"""The smallest Block Kit rules: strings, text objects and arrays, each with its length limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

Flaw = tuple[str, str]  # (JSON pointer, what is wrong there)
Check = Callable[[dict[str, Any], str], Iterator[Flaw]]
ItemCheck = Callable[[Any, str], Iterator[Flaw]]

TEXT_TYPES = ("plain_text", "mrkdwn")
# The text limits a bot meets most: a section's text, a header's, a button's.
SECTION_TEXT_LIMIT = 3000
HEADER_TEXT_LIMIT = 150
BUTTON_TEXT_LIMIT = 75


def string(
    node: dict[str, Any], key: str, at: str, limit: int, *, required: bool = False
) -> Iterator[Flaw]:
    """`node[key]`, a string of at most `limit` characters (and present, if `required`)."""
    value = node.get(key)
    if value is None:
        if required:
            yield f"{at}/{key}", "is required"
        return
    if not isinstance(value, str):
        yield f"{at}/{key}", "must be a string"
    elif len(value) > limit:
        yield f"{at}/{key}", f"must be at most {limit} characters"


def text_field(
    node: dict[str, Any],
    key: str,
    at: str,
    limit: int,
    *,
    plain: bool = False,
    required: bool = False,
) -> Iterator[Flaw]:
    """`node[key]`, a text object (plain_text only, given `plain`) of 1 to `limit` characters."""
    if key in node:
        yield from text_object(node[key], f"{at}/{key}", limit, plain=plain)
    elif required:
        yield f"{at}/{key}", "is required"


def text_object(obj: Any, at: str, limit: int, *, plain: bool = False) -> Iterator[Flaw]:
    """A text object: plain_text or mrkdwn, 1 to `limit` characters, flags of its own type."""
    if not isinstance(obj, dict):
        yield at, "must be a text object"
        return
    kind = obj.get("type")
    if kind not in TEXT_TYPES:
        yield f"{at}/type", "must be plain_text or mrkdwn"
    elif plain and kind != "plain_text":
        yield f"{at}/type", "must be plain_text here"
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        yield f"{at}/text", "must be more than 0 characters"
    elif len(text) > limit:
        yield f"{at}/text", f"must be at most {limit} characters"
    wrong_flag = "verbatim" if kind == "plain_text" else "emoji"
    if kind in TEXT_TYPES and wrong_flag in obj:
        yield f"{at}/{wrong_flag}", f"is not a field of {kind}"


def text_check(limit: int, *, plain: bool = False) -> ItemCheck:
    """A check of one text object, for `array`."""

    def check(obj: Any, at: str) -> Iterator[Flaw]:
        yield from text_object(obj, at, limit, plain=plain)

    return check


def array(value: Any, at: str, low: int, high: int, item: ItemCheck) -> Iterator[Flaw]:
    """An array of `low` to `high` items, each passing `item`."""
    if not isinstance(value, list):
        yield at, "must be an array"
        return
    if len(value) < low:
        yield at, f"must have at least {low} items"
    if len(value) > high:
        yield at, f"no more than {high} items allowed"
    for index, each in enumerate(value):
        yield from item(each, f"{at}/{index}")


def one_of(node: dict[str, Any], key: str, at: str, allowed: tuple[str, ...]) -> Iterator[Flaw]:
    """`node[key]`, if present, one of `allowed`."""
    if key in node and node[key] not in allowed:
        yield f"{at}/{key}", f"must be one of {', '.join(allowed)}"


def kind(node: Any) -> Any:
    """A block's or element's `type`, or None when it is not an object."""
    return node.get("type") if isinstance(node, dict) else None
