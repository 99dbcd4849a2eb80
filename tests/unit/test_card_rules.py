"""Each Adaptive Card rule fires on a card that breaks it and stays quiet on one that doesn't."""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from typing import Any

import pytest

from teams.card_rules import CARD_BYTES_LIMIT, SCHEMA, card_problems

Card = dict[str, Any]


def _good() -> Card:
    """A card that uses every element and action the rules know."""
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 64).decode()
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": "1.5",
        "body": [
            {"type": "TextBlock", "text": "**Hello**", "wrap": True, "size": "Large"},
            {
                "type": "RichTextBlock",
                "inlines": [
                    {"type": "TextRun", "text": "as typed"},
                    {
                        "type": "TextRun",
                        "text": "a link",
                        "selectAction": {
                            "type": "Action.OpenUrl",
                            "title": "a link",
                            "url": "https://example.com",
                        },
                    },
                ],
            },
            {"type": "Image", "url": f"data:image/png;base64,{png}", "altText": "a QR code"},
            {
                "type": "ImageSet",
                "images": [{"type": "Image", "url": "https://example.com/a.png", "altText": "a"}],
            },
            {
                "type": "Container",
                "id": "box",
                "items": [{"type": "FactSet", "facts": [{"title": "Topic", "value": "x"}]}],
            },
            {
                "type": "ColumnSet",
                "columns": [{"type": "Column", "items": [{"type": "TextBlock", "text": "left"}]}],
            },
            {
                "type": "Input.Text",
                "id": "reason",
                "label": "Why?",
                "isRequired": True,
                "errorMessage": "Say why.",
                "maxLength": 10,
                "value": "short",
            },
            {"type": "Input.Text", "id": "code", "label": "Code", "style": "Password"},
            {"type": "Input.Toggle", "id": "tick", "title": "Clear MFA", "value": "true"},
            {
                "type": "Input.ChoiceSet",
                "id": "lost",
                "label": "Lost?",
                "choices": [{"title": "Yes", "value": "yes"}, {"title": "No", "value": "no"}],
                "value": "no",
            },
            {
                "type": "ActionSet",
                "actions": [
                    {"type": "Action.OpenUrl", "title": "Docs", "url": "https://example.com"}
                ],
            },
        ],
        "actions": [
            {
                "type": "Action.Execute",
                "title": "Approve",
                "verb": "mfa-desk-approve",
                "data": {"request": 7},
                "style": "positive",
            },
            {"type": "Action.Execute", "title": "Back", "verb": "b", "associatedInputs": "none"},
            {
                "type": "Action.ShowCard",
                "title": "Cancel request",
                "card": {
                    "type": "AdaptiveCard",
                    "body": [{"type": "TextBlock", "text": "Sure?"}],
                    "actions": [{"type": "Action.Execute", "title": "Yes", "verb": "cancel"}],
                },
            },
            {"type": "Action.ToggleVisibility", "title": "More", "targetElements": ["box"]},
        ],
    }


def _set(path: str, value: Any) -> Callable[[Card], None]:
    """A change that sets (or, with ..., deletes) the value at a dotted path."""

    def change(card: Card) -> None:
        *parents, last = path.split(".")
        node: Any = card
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        key: Any = int(last) if last.isdigit() else last
        if value is ...:
            del node[key]
        else:
            node[key] = value

    return change


def _append(path: str, item: Any) -> Callable[[Card], None]:
    def change(card: Card) -> None:
        node: Any = card
        for part in path.split("."):
            node = node[int(part)] if part.isdigit() else node[part]
        node.append(copy.deepcopy(item))

    return change


def _seven_buttons(card: Card) -> None:
    for _ in range(3):
        _append("actions", {"type": "Action.Execute", "title": "x", "verb": "x"})(card)


def _oversized(card: Card) -> None:
    card["body"].append({"type": "TextBlock", "text": "x" * (CARD_BYTES_LIMIT + 1)})


BROKEN: list[tuple[str, Callable[[Card], None], str]] = [
    ("not a card", _set("type", "Card"), 'card.type: must be "AdaptiveCard"'),
    ("old version", _set("version", "1.2"), 'card.version: must be "1.5"'),
    ("no schema", _set("$schema", ...), "card.$schema: must be"),
    ("body not a list", _set("body", "hi"), "card.body: must be a list"),
    ("unknown element", _set("body.0.type", "Carousel"), "no Adaptive Card 1.5 element"),
    ("empty text", _set("body.0.text", "  "), "card.body[0].text: a TextBlock needs text"),
    ("bad size", _set("body.0.size", "huge"), "card.body[0].size"),
    ("run without text", _set("body.1.inlines.0.text", ...), "card.body[1].inlines[0]"),
    ("rich text, no runs", _set("body.1.inlines", []), "a RichTextBlock needs"),
    ("image over http", _set("body.2.url", "http://x/a.png"), "card.body[2].url"),
    ("image, no alt", _set("body.2.altText", ...), "card.body[2].altText"),
    ("empty image set", _set("body.3.images", []), "an ImageSet needs"),
    ("empty container", _set("body.4.items", []), "a Container needs"),
    ("fact without value", _set("body.4.items.0.facts.0.value", ...), "a fact needs"),
    ("column of the wrong type", _set("body.5.columns.0.type", "Box"), 'must be "Column"'),
    ("input without id", _set("body.6.id", ...), "card.body[6].id: an input needs an id"),
    ("required, no label", _set("body.6.label", ...), "a required input needs a label"),
    ("required, no error", _set("body.6.errorMessage", ...), "a required input needs the error"),
    ("value past maxLength", _set("body.6.value", "far too long"), "longer than its maxLength"),
    ("bad text style", _set("body.7.style", "secret"), "card.body[7].style"),
    ("toggle without title", _set("body.8.title", ...), "an Input.Toggle needs a title"),
    ("duplicate input id", _set("body.8.id", "reason"), "'reason' is used already"),
    ("no choices", _set("body.9.choices", []), "an Input.ChoiceSet needs"),
    ("choice without value", _set("body.9.choices.0.value", ...), "a choice needs"),
    ("same choice twice", _set("body.9.choices.1.value", "yes"), "two choices have the same"),
    ("value not a choice", _set("body.9.value", "maybe"), "is none of the choices"),
    ("empty action set", _set("body.10.actions", []), "an ActionSet needs at least one"),
    ("unknown action", _set("actions.0.type", "Action.Http"), "no Adaptive Card 1.5 action"),
    ("execute without verb", _set("actions.0.verb", ...), "an Action.Execute needs a verb"),
    ("data not an object", _set("actions.0.data", 7), "card.actions[0].data"),
    ("bad associatedInputs", _set("actions.1.associatedInputs", "some"), "associatedInputs"),
    ("untitled button", _set("actions.0.title", ""), "a button needs a title"),
    ("bad style", _set("actions.0.style", "primary"), "card.actions[0].style"),
    ("relative link", _set("body.10.actions.0.url", "/docs"), "needs an absolute URL"),
    ("show card, no card", _set("actions.2.card", ...), "card.actions[2].card"),
    ("nested card's text", _set("actions.2.card.body.0.text", ""), "card.actions[2].card.body"),
    ("no toggle targets", _set("actions.3.targetElements", []), "needs its targets"),
    ("seven buttons", _seven_buttons, "card.actions: 7 actions; Teams shows at most 6"),
    ("too large", _oversized, f"Teams takes at most {CARD_BYTES_LIMIT}"),
]


def test_the_good_card_has_no_problem() -> None:
    assert card_problems(_good()) == []


@pytest.mark.parametrize(
    ("change", "expected"), [(c, e) for _, c, e in BROKEN], ids=[n for n, _, _ in BROKEN]
)
def test_each_rule_fires_on_a_card_that_breaks_it(
    change: Callable[[Card], None], expected: str
) -> None:
    card = _good()
    change(card)
    problems = card_problems(card)
    assert any(expected in problem for problem in problems), problems


def test_a_base64_image_does_not_count_towards_the_size() -> None:
    card = _good()
    png = base64.b64encode(b"\x89PNG" + b"\0" * CARD_BYTES_LIMIT).decode()
    card["body"][2]["url"] = f"data:image/png;base64,{png}"
    assert card_problems(card) == []


def test_a_card_that_is_not_an_object() -> None:
    assert card_problems([]) == ["card: a card is an object"]  # type: ignore[arg-type]
