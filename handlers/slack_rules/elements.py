"""Block Kit's interactive elements: which go where, their texts, options and confirm dialogs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from handlers.slack_rules.basics import (
    BUTTON_TEXT_LIMIT,
    Check,
    Flaw,
    ItemCheck,
    array,
    one_of,
    string,
    text_field,
)

ID_LIMIT = 255
PLACEHOLDER_LIMIT = 150
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
INPUT_LENGTH_LIMIT = 3000

_SELECTS = frozenset(
    f"{many}{source}_select"
    for many in ("", "multi_")
    for source in ("static", "external", "users", "conversations", "channels")
)
_PICKERS = frozenset({"datepicker", "timepicker", "datetimepicker"})
ACCESSORIES = frozenset(
    {"button", "checkboxes", "image", "overflow", "radio_buttons"} | _SELECTS | _PICKERS
)
ACTIONS = frozenset(
    {"button", "checkboxes", "overflow", "radio_buttons", "rich_text_input"} | _SELECTS | _PICKERS
)
INPUTS = frozenset(
    {
        "checkboxes",
        "radio_buttons",
        "plain_text_input",
        "email_text_input",
        "url_text_input",
        "number_input",
        "rich_text_input",
        "file_input",
    }
    | _SELECTS
    | _PICKERS
)


def element(value: Any, at: str, allowed: frozenset[str]) -> Iterator[Flaw]:
    """An element of one of the `allowed` types, with its own rules."""
    if not isinstance(value, dict):
        yield at, "must be an object"
        return
    kind = value.get("type")
    if kind not in allowed:
        yield f"{at}/type", f"{kind!r} is not an element allowed here"
        return
    yield from string(value, "action_id", at, ID_LIMIT)
    yield from text_field(value, "placeholder", at, PLACEHOLDER_LIMIT, plain=True)
    if "confirm" in value:
        yield from _confirm(value["confirm"], f"{at}/confirm")
    yield from _ELEMENTS.get(kind, _no_more)(value, at)


def element_check(allowed: frozenset[str]) -> ItemCheck:
    """A check of one element of the `allowed` types, for `array`."""

    def check(value: Any, at: str) -> Iterator[Flaw]:
        yield from element(value, at, allowed)

    return check


def image(node: dict[str, Any], at: str) -> Iterator[Flaw]:
    """An image (block or element): a URL or a Slack file, and its alt text."""
    if "image_url" not in node and "slack_file" not in node:
        yield f"{at}/image_url", "an image needs image_url or slack_file"
    yield from string(node, "image_url", at, 3000)
    yield from string(node, "alt_text", at, 2000, required=True)


def _button(button: dict[str, Any], at: str) -> Iterator[Flaw]:
    yield from text_field(button, "text", at, BUTTON_TEXT_LIMIT, plain=True, required=True)
    yield from string(button, "value", at, 2000)
    yield from string(button, "url", at, 3000)
    yield from string(button, "accessibility_label", at, 75)
    yield from one_of(button, "style", at, ("primary", "danger"))


def _text_input(field: dict[str, Any], at: str) -> Iterator[Flaw]:
    low, high = field.get("min_length"), field.get("max_length")
    if low is not None and not (isinstance(low, int) and 0 <= low <= INPUT_LENGTH_LIMIT):
        yield f"{at}/min_length", f"must be a whole number from 0 to {INPUT_LENGTH_LIMIT}"
    if high is not None and not (isinstance(high, int) and 1 <= high <= INPUT_LENGTH_LIMIT):
        yield f"{at}/max_length", f"must be a whole number from 1 to {INPUT_LENGTH_LIMIT}"
    if isinstance(low, int) and isinstance(high, int) and low > high:
        yield f"{at}/min_length", "must not be more than max_length"
    limit = high if isinstance(high, int) and high >= 1 else INPUT_LENGTH_LIMIT
    yield from string(field, "initial_value", at, limit)


def _choices(high: int, *, plain: bool) -> Check:
    """Radio buttons, checkboxes, menus: 1 to `high` options and initial ones among them."""

    def check(chooser: dict[str, Any], at: str) -> Iterator[Flaw]:
        if "option_groups" in chooser:
            if "options" in chooser:
                yield f"{at}/option_groups", "options and option_groups cannot both be given"
            return  # a grouped menu; the bot sends none, so its groups go unchecked
        yield from array(chooser.get("options"), f"{at}/options", 1, high, _option_check(plain))
        yield from _initial_options(chooser, at)

    return check


def _overflow(menu: dict[str, Any], at: str) -> Iterator[Flaw]:
    yield from array(menu.get("options"), f"{at}/options", 2, 5, _option_check(plain=True))


def _option_check(plain: bool) -> ItemCheck:
    def check(option: Any, at: str) -> Iterator[Flaw]:
        if not isinstance(option, dict):
            yield at, "must be an option object"
            return
        yield from text_field(option, "text", at, OPTION_TEXT_LIMIT, plain=plain, required=True)
        yield from text_field(option, "description", at, OPTION_TEXT_LIMIT, plain=plain)
        yield from string(option, "value", at, OPTION_VALUE_LIMIT, required=True)

    return check


def _initial_options(chooser: dict[str, Any], at: str) -> Iterator[Flaw]:
    """Slack refuses an initial option that is not exactly one of the options."""
    options = chooser.get("options")
    offered = options if isinstance(options, list) else []
    if "initial_option" in chooser:
        chosen = [(f"{at}/initial_option", chooser["initial_option"])]
    else:
        initial = chooser.get("initial_options", [])
        listed = initial if isinstance(initial, list) else [initial]
        chosen = [(f"{at}/initial_options/{index}", each) for index, each in enumerate(listed)]
    for pointer, option in chosen:
        if option not in offered:
            yield pointer, "must be one of the options"


def _confirm(dialog: Any, at: str) -> Iterator[Flaw]:
    if not isinstance(dialog, dict):
        yield at, "must be a confirmation dialog object"
        return
    yield from text_field(dialog, "title", at, 100, plain=True, required=True)
    yield from text_field(dialog, "text", at, 300, required=True)
    yield from text_field(dialog, "confirm", at, 30, plain=True, required=True)
    yield from text_field(dialog, "deny", at, 30, plain=True, required=True)
    yield from one_of(dialog, "style", at, ("primary", "danger"))


def _no_more(_element: dict[str, Any], _at: str) -> Iterator[Flaw]:
    """Elements the bot never sends: their action_id, placeholder and confirm are checked."""
    yield from ()


_ELEMENTS: dict[str, Check] = {
    "button": _button,
    "plain_text_input": _text_input,
    "radio_buttons": _choices(10, plain=False),
    "checkboxes": _choices(10, plain=False),
    "static_select": _choices(100, plain=True),
    "multi_static_select": _choices(100, plain=True),
    "overflow": _overflow,
    "image": image,
}
