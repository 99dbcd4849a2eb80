"""Block Kit's blocks: the known types, their fields and limits, and ids used once per payload."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from handlers.slack_rules.basics import (
    HEADER_TEXT_LIMIT,
    SECTION_TEXT_LIMIT,
    Check,
    Flaw,
    array,
    string,
    text_check,
    text_field,
    text_object,
)
from handlers.slack_rules.elements import (
    ACCESSORIES,
    ACTIONS,
    ID_LIMIT,
    INPUTS,
    element,
    element_check,
    image,
)


def blocks_flaws(blocks: list[Any], at: str, limit: int) -> Iterator[Flaw]:
    """Every rule a message's or view's array of blocks breaks."""
    if len(blocks) > limit:
        yield at, f"no more than {limit} items allowed"
    for index, block in enumerate(blocks):
        yield from _block_flaws(block, f"{at}/{index}")
    yield from _duplicate_ids(blocks, at)


def _block_flaws(block: Any, at: str) -> Iterator[Flaw]:
    if not isinstance(block, dict):
        yield at, "must be an object"
        return
    check = _BLOCKS.get(block.get("type"))
    if check is None:
        yield f"{at}/type", f"unknown block type {block.get('type')!r}"
        return
    yield from string(block, "block_id", at, ID_LIMIT)
    yield from check(block, at)


def _duplicate_ids(blocks: list[Any], at: str) -> Iterator[Flaw]:
    """Each block_id and action_id once per message or view: clicks are told apart by them."""
    first_seen: dict[tuple[str, str], str] = {}
    for pointer, key, value in _ids(blocks, at):
        where = first_seen.setdefault((key, value), pointer)
        if where != pointer:
            yield f"{pointer}/{key}", f"{key} {value!r} is already used at {where}"


def _ids(blocks: list[Any], at: str) -> Iterator[tuple[str, str, str]]:
    for index, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("block_id"), str):
            yield f"{at}/{index}", "block_id", block["block_id"]
        for pointer, each in _elements_of(block, f"{at}/{index}"):
            if isinstance(each.get("action_id"), str):
                yield pointer, "action_id", each["action_id"]


def _elements_of(block: dict[str, Any], at: str) -> Iterator[tuple[str, dict[str, Any]]]:
    elements = block.get("elements")
    for index, each in enumerate(elements if isinstance(elements, list) else []):
        if isinstance(each, dict):
            yield f"{at}/elements/{index}", each
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            yield f"{at}/{key}", block[key]


def _section(block: dict[str, Any], at: str) -> Iterator[Flaw]:
    if "text" not in block and "fields" not in block:
        yield at, "a section needs text or fields"
    yield from text_field(block, "text", at, SECTION_TEXT_LIMIT)
    if "fields" in block:
        yield from array(block["fields"], f"{at}/fields", 1, 10, text_check(2000))
    if "accessory" in block:
        yield from element(block["accessory"], f"{at}/accessory", ACCESSORIES)


def _header(block: dict[str, Any], at: str) -> Iterator[Flaw]:
    yield from text_field(block, "text", at, HEADER_TEXT_LIMIT, plain=True, required=True)


def _actions(block: dict[str, Any], at: str) -> Iterator[Flaw]:
    yield from array(block.get("elements"), f"{at}/elements", 1, 25, element_check(ACTIONS))


def _context(block: dict[str, Any], at: str) -> Iterator[Flaw]:
    yield from array(block.get("elements"), f"{at}/elements", 1, 10, _context_item)


def _context_item(item: Any, at: str) -> Iterator[Flaw]:
    if isinstance(item, dict) and item.get("type") == "image":
        yield from image(item, at)
    else:
        yield from text_object(item, at, 3000)  # a text object's own limit; context sets none


def _input(block: dict[str, Any], at: str) -> Iterator[Flaw]:
    yield from text_field(block, "label", at, 2000, plain=True, required=True)
    yield from text_field(block, "hint", at, 2000, plain=True)
    if "element" not in block:
        yield f"{at}/element", "is required"
    else:
        yield from element(block["element"], f"{at}/element", INPUTS)


def _image_block(block: dict[str, Any], at: str) -> Iterator[Flaw]:
    yield from image(block, at)
    yield from text_field(block, "title", at, 2000, plain=True)


def _markdown(block: dict[str, Any], at: str) -> Iterator[Flaw]:
    yield from string(block, "text", at, 12_000, required=True)


def _rich_text(block: dict[str, Any], at: str) -> Iterator[Flaw]:
    if not isinstance(block.get("elements"), list):
        yield f"{at}/elements", "must be an array"


def _divider(_block: dict[str, Any], _at: str) -> Iterator[Flaw]:
    yield from ()


_BLOCKS: dict[Any, Check] = {
    "section": _section,
    "header": _header,
    "actions": _actions,
    "context": _context,
    "input": _input,
    "image": _image_block,
    "markdown": _markdown,
    "rich_text": _rich_text,
    "divider": _divider,
}
