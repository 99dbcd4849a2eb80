"""Adaptive Card 1.5 as Teams renders it: what a card we send must be, checked rule by rule.

Written from the Adaptive Cards schema explorer and Teams' card documentation: the element and
action types of schema 1.5 with their required properties, unique ids, the inputs' rules, and
Teams' limits (the size of a card, the buttons it shows in one row). The fake Bot Connector and
the guide check use it; each problem reads "path: why".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
# Teams refuses a message whose card is larger than about 28 KB; a base64 image does not count.
CARD_BYTES_LIMIT = 28 * 1024
# Teams shows an inline image of at most 1 MB.
IMAGE_BYTES_LIMIT = 1024 * 1024
# Teams shows at most this many buttons in one row; more are hidden in an overflow menu.
ACTIONS_LIMIT = 6

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

_INPUTS = {
    "Input.Text",
    "Input.Number",
    "Input.Date",
    "Input.Time",
    "Input.Toggle",
    "Input.ChoiceSet",
}
_ELEMENTS = {
    "TextBlock",
    "RichTextBlock",
    "Image",
    "ImageSet",
    "Media",
    "Container",
    "ColumnSet",
    "FactSet",
    "ActionSet",
    "Table",
    *_INPUTS,
}
_ACTIONS = {
    "Action.Execute",
    "Action.Submit",
    "Action.OpenUrl",
    "Action.ShowCard",
    "Action.ToggleVisibility",
}
_ACTION_STYLES = {"default", "positive", "destructive"}
_TEXT_STYLES = {"text", "tel", "url", "email", "password"}
_ASSOCIATED = {"auto", "none"}
_URL_SCHEMES = ("https://", "http://", "mailto:", "tel:")
_IMAGE_URL = re.compile(r"^(https://\S+|data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=]+)$")
_ENUMS = {
    "size": {"default", "small", "medium", "large", "extralarge", "auto", "stretch"},
    "weight": {"default", "lighter", "bolder"},
    "color": {"default", "dark", "light", "accent", "good", "warning", "attention"},
    "spacing": {"default", "none", "small", "medium", "large", "extralarge", "padding"},
    "horizontalAlignment": {"left", "center", "right"},
    "fontType": {"default", "monospace"},
}


def card_problems(card: Mapping[str, Any]) -> list[str]:
    """What keeps Teams from rendering `card` as we mean it; empty when nothing does."""
    check = _Check()
    check.card(card, "card", top=True)
    check.ids()
    check.size(card)
    return check.problems


@dataclass
class _Check:
    problems: list[str] = field(default_factory=list)
    seen_ids: dict[str, str] = field(default_factory=dict)
    duplicates: list[tuple[str, str]] = field(default_factory=list)

    def say(self, where: str, why: str) -> None:
        self.problems.append(f"{where}: {why}")

    def card(self, card: object, where: str, *, top: bool = False) -> None:
        if not isinstance(card, Mapping):
            self.say(where, "a card is an object")
            return
        if card.get("type") != "AdaptiveCard":
            self.say(f"{where}.type", 'must be "AdaptiveCard"')
        if top:
            if card.get("version") != VERSION:
                self.say(f"{where}.version", f'must be "{VERSION}", the schema Teams renders')
            if card.get("$schema") != SCHEMA:
                self.say(f"{where}.$schema", f"must be {SCHEMA}")
        body = card.get("body", [])
        if not _list_of_objects(body) or not (body or card.get("actions")):
            self.say(f"{where}.body", "must be a list of elements (a card shows something)")
        else:
            for index, element in enumerate(body):
                self.element(element, f"{where}.body[{index}]")
        self.actions(card.get("actions", []), f"{where}.actions")

    def element(self, element: Mapping[str, Any], where: str) -> None:
        kind = element.get("type")
        if kind not in _ELEMENTS:
            self.say(f"{where}.type", f"{str(kind)[:40]!r} is no Adaptive Card 1.5 element")
            return
        self.identify(element, where)
        self.enums(element, where)
        _ELEMENT_RULES.get(str(kind), _no_rule)(self, element, where)
        if str(kind) in _INPUTS:
            self.input(element, where)

    def identify(self, item: Mapping[str, Any], where: str) -> None:
        item_id = item.get("id")
        if item_id is None:
            return
        if not isinstance(item_id, str) or not item_id:
            self.say(f"{where}.id", "must be a non-empty string")
        elif item_id in self.seen_ids:
            self.duplicates.append((where, item_id))
        else:
            self.seen_ids[item_id] = where

    def enums(self, element: Mapping[str, Any], where: str) -> None:
        for name, allowed in _ENUMS.items():
            value = element.get(name)
            if isinstance(value, str) and value.lower() not in allowed:
                self.say(f"{where}.{name}", f"{value[:20]!r} is not one of {sorted(allowed)}")

    def input(self, element: Mapping[str, Any], where: str) -> None:
        if not element.get("id"):
            self.say(f"{where}.id", "an input needs an id (its value is sent under it)")
        if element.get("isRequired") and not _text(element.get("label")):
            self.say(f"{where}.label", "a required input needs a label (Teams marks it there)")
        if element.get("isRequired") and not _text(element.get("errorMessage")):
            self.say(f"{where}.errorMessage", "a required input needs the error shown when empty")

    def actions(self, actions: object, where: str) -> None:
        if not _list_of_objects(actions):
            self.say(where, "must be a list of actions")
            return
        assert isinstance(actions, list)
        if len(actions) > ACTIONS_LIMIT:
            self.say(where, f"{len(actions)} actions; Teams shows at most {ACTIONS_LIMIT} in a row")
        for index, action in enumerate(actions):
            self.action(action, f"{where}[{index}]")

    def action(self, action: Mapping[str, Any], where: str) -> None:
        kind = action.get("type")
        if kind not in _ACTIONS:
            self.say(f"{where}.type", f"{str(kind)[:40]!r} is no Adaptive Card 1.5 action")
            return
        self.identify(action, where)
        if not _text(action.get("title")):
            self.say(f"{where}.title", "a button needs a title")
        style = action.get("style")
        if style is not None and style not in _ACTION_STYLES:
            self.say(f"{where}.style", f"must be one of {sorted(_ACTION_STYLES)}")
        _ACTION_RULES.get(str(kind), _no_rule)(self, action, where)

    def ids(self) -> None:
        for where, item_id in self.duplicates:
            first = self.seen_ids[item_id]
            self.say(f"{where}.id", f"{item_id[:40]!r} is used already at {first}")

    def size(self, card: Mapping[str, Any]) -> None:
        images: list[str] = []
        encoded = json.dumps(_without_images(card, images), ensure_ascii=False).encode()
        if len(encoded) > CARD_BYTES_LIMIT:
            self.say("card", f"{len(encoded)} bytes; Teams takes at most {CARD_BYTES_LIMIT}")
        for image in images:
            if len(image) * 3 // 4 > IMAGE_BYTES_LIMIT:
                self.say("card", f"an inline image is larger than {IMAGE_BYTES_LIMIT} bytes")


Rule = Callable[[_Check, Mapping[str, Any], str], None]


def _no_rule(check: _Check, item: Mapping[str, Any], where: str) -> None:
    """Nothing beyond the common rules."""


def _text_block(check: _Check, element: Mapping[str, Any], where: str) -> None:
    if not _text(element.get("text")):
        check.say(f"{where}.text", "a TextBlock needs text (an empty one is not shown)")


def _rich_text(check: _Check, element: Mapping[str, Any], where: str) -> None:
    inlines = element.get("inlines")
    if not _list_of_objects(inlines) or not inlines:
        check.say(f"{where}.inlines", "a RichTextBlock needs a list of TextRuns")
        return
    for index, run in enumerate(inlines):
        here = f"{where}.inlines[{index}]"
        if run.get("type") != "TextRun" or not isinstance(run.get("text"), str):
            check.say(here, "must be a TextRun with text")
        elif "selectAction" in run:
            check.action(run["selectAction"], f"{here}.selectAction")


def _image(check: _Check, element: Mapping[str, Any], where: str) -> None:
    url = element.get("url")
    if not isinstance(url, str) or not _IMAGE_URL.match(url):
        check.say(f"{where}.url", "an Image needs an https URL or a base64 PNG, JPEG or GIF")
    if not _text(element.get("altText")):
        check.say(f"{where}.altText", "an Image needs altText (screen readers say it)")


def _image_set(check: _Check, element: Mapping[str, Any], where: str) -> None:
    images = element.get("images")
    if not _list_of_objects(images) or not images:
        check.say(f"{where}.images", "an ImageSet needs a list of Images")
        return
    for index, image in enumerate(images):
        _image(check, image, f"{where}.images[{index}]")


def _media(check: _Check, element: Mapping[str, Any], where: str) -> None:
    sources = element.get("sources")
    if not _list_of_objects(sources) or not sources:
        check.say(f"{where}.sources", "a Media needs a list of sources")


def _container(check: _Check, element: Mapping[str, Any], where: str) -> None:
    items = element.get("items")
    if not _list_of_objects(items) or not items:
        check.say(f"{where}.items", "a Container needs a list of elements")
        return
    for index, item in enumerate(items):
        check.element(item, f"{where}.items[{index}]")
    _select_action(check, element, where)


def _column_set(check: _Check, element: Mapping[str, Any], where: str) -> None:
    columns = element.get("columns", [])
    if not _list_of_objects(columns):
        check.say(f"{where}.columns", "must be a list of Columns")
        return
    for index, column in enumerate(columns):
        here = f"{where}.columns[{index}]"
        if column.get("type", "Column") != "Column":
            check.say(f"{here}.type", 'must be "Column"')
        items = column.get("items", [])
        if not _list_of_objects(items):
            check.say(f"{here}.items", "must be a list of elements")
            continue
        for i, item in enumerate(items):
            check.element(item, f"{here}.items[{i}]")


def _fact_set(check: _Check, element: Mapping[str, Any], where: str) -> None:
    facts = element.get("facts")
    if not _list_of_objects(facts) or not facts:
        check.say(f"{where}.facts", "a FactSet needs a list of facts")
        return
    for index, fact in enumerate(facts):
        if not _text(fact.get("title")) or not isinstance(fact.get("value"), str):
            check.say(f"{where}.facts[{index}]", "a fact needs a title and a value (text)")


def _action_set(check: _Check, element: Mapping[str, Any], where: str) -> None:
    actions = element.get("actions")
    if isinstance(actions, list) and not actions:
        check.say(f"{where}.actions", "an ActionSet needs at least one action")
    check.actions(actions, f"{where}.actions")


def _table(check: _Check, element: Mapping[str, Any], where: str) -> None:
    rows = element.get("rows", [])
    if not _list_of_objects(element.get("columns")) or not _list_of_objects(rows):
        check.say(where, "a Table needs columns and rows (lists)")
        return
    for r, row in enumerate(rows):
        cells = row.get("cells", [])
        for c, cell in enumerate(cells if _list_of_objects(cells) else []):
            for i, item in enumerate(cell.get("items", [])):
                check.element(item, f"{where}.rows[{r}].cells[{c}].items[{i}]")


def _input_text(check: _Check, element: Mapping[str, Any], where: str) -> None:
    style = element.get("style")
    if style is not None and str(style).lower() not in _TEXT_STYLES:
        check.say(f"{where}.style", f"must be one of {sorted(_TEXT_STYLES)}")
    limit = element.get("maxLength")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        check.say(f"{where}.maxLength", "must be a positive whole number")
    value = element.get("value")
    if isinstance(value, str) and isinstance(limit, int) and len(value) > limit:
        check.say(f"{where}.value", f"is longer than its maxLength {limit}")


def _input_toggle(check: _Check, element: Mapping[str, Any], where: str) -> None:
    if not _text(element.get("title")):
        check.say(f"{where}.title", "an Input.Toggle needs a title (the words beside it)")


def _input_choices(check: _Check, element: Mapping[str, Any], where: str) -> None:
    choices = element.get("choices")
    if not _list_of_objects(choices) or not choices:
        check.say(f"{where}.choices", "an Input.ChoiceSet needs a list of choices")
        return
    values = [choice.get("value") for choice in choices]
    for index, choice in enumerate(choices):
        if not _text(choice.get("title")) or not _text(choice.get("value")):
            check.say(f"{where}.choices[{index}]", "a choice needs a title and a value")
    if len(set(map(str, values))) != len(values):
        check.say(f"{where}.choices", "two choices have the same value")
    value = element.get("value")
    if value and not element.get("isMultiSelect") and value not in values:
        check.say(f"{where}.value", "is none of the choices")


def _select_action(check: _Check, element: Mapping[str, Any], where: str) -> None:
    action = element.get("selectAction")
    if action is None:
        return
    if isinstance(action, Mapping) and action.get("type") == "Action.ShowCard":
        check.say(f"{where}.selectAction", "cannot be an Action.ShowCard")
        return
    check.action(action, f"{where}.selectAction")


def _execute(check: _Check, action: Mapping[str, Any], where: str) -> None:
    if not _text(action.get("verb")):
        check.say(f"{where}.verb", "an Action.Execute needs a verb (the bot dispatches on it)")
    data = action.get("data")
    if data is not None and not isinstance(data, Mapping | str):
        check.say(f"{where}.data", "must be an object or a string")
    associated = action.get("associatedInputs")
    if associated is not None and str(associated).lower() not in _ASSOCIATED:
        check.say(f"{where}.associatedInputs", f"must be one of {sorted(_ASSOCIATED)}")


def _open_url(check: _Check, action: Mapping[str, Any], where: str) -> None:
    url = action.get("url")
    if not isinstance(url, str) or not url.startswith(_URL_SCHEMES) or _has_space(url):
        check.say(f"{where}.url", "an Action.OpenUrl needs an absolute URL")


def _show_card(check: _Check, action: Mapping[str, Any], where: str) -> None:
    check.card(action.get("card"), f"{where}.card")


def _toggle_visibility(check: _Check, action: Mapping[str, Any], where: str) -> None:
    targets = action.get("targetElements")
    if not isinstance(targets, list) or not targets:
        check.say(f"{where}.targetElements", "an Action.ToggleVisibility needs its targets")


_ELEMENT_RULES: dict[str, Rule] = {
    "TextBlock": _text_block,
    "RichTextBlock": _rich_text,
    "Image": _image,
    "ImageSet": _image_set,
    "Media": _media,
    "Container": _container,
    "ColumnSet": _column_set,
    "FactSet": _fact_set,
    "ActionSet": _action_set,
    "Table": _table,
    "Input.Text": _input_text,
    "Input.Toggle": _input_toggle,
    "Input.ChoiceSet": _input_choices,
}
_ACTION_RULES: dict[str, Rule] = {
    "Action.Execute": _execute,
    "Action.OpenUrl": _open_url,
    "Action.ShowCard": _show_card,
    "Action.ToggleVisibility": _toggle_visibility,
}


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _has_space(text: str) -> bool:
    return any(char.isspace() for char in text)


def _list_of_objects(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, Mapping) for item in value)


def _without_images(node: Any, images: list[str]) -> Any:
    """`node` with each base64 image URL taken out (into `images`): Teams does not count them."""
    if isinstance(node, Mapping):
        return {key: _without_images(value, images) for key, value in node.items()}
    if isinstance(node, list):
        return [_without_images(item, images) for item in node]
    if isinstance(node, str) and node.startswith("data:image/"):
        images.append(node)
        return ""
    return node


def walk_texts(card: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every text a person reads on the card, with its path: TextBlocks, TextRuns, facts, labels,
    button titles and the values an input is filled with."""
    yield from _texts(card, "card")


_READ = ("text", "title", "value", "label", "placeholder", "errorMessage", "altText")


def _texts(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            here = f"{where}.{key}"
            if key in _READ and isinstance(value, str):
                yield here, value
            else:
                yield from _texts(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _texts(item, f"{where}[{index}]")
