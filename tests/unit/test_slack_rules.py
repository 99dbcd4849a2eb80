"""Slack's rules: a broken payload is refused with Slack's error and a pointer; good ones pass."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from handlers.slack_rules import Problem, message_problems, refusal, view_problems

Json = dict[str, Any]


def plain(text: str) -> Json:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> Json:
    return {"type": "mrkdwn", "text": text}


def section(text: str = "hello", **extra: Any) -> Json:
    return {"type": "section", "text": mrkdwn(text), **extra}


def button(action_id: str = "go", text: str = "Go", **extra: Any) -> Json:
    return {"type": "button", "action_id": action_id, "text": plain(text), **extra}


def actions(*elements: Json, **extra: Any) -> Json:
    return {"type": "actions", "elements": list(elements), **extra}


def option(value: str, text: str = "Pick me") -> Json:
    return {"text": plain(text), "value": value}


def text_input(**extra: Any) -> Json:
    return {"type": "plain_text_input", "action_id": "typed", **extra}


def field(element: Json, label: str = "Why", **extra: Any) -> Json:
    return {"type": "input", "block_id": "why", "label": plain(label), "element": element, **extra}


def message(*blocks: Json, text: str = "fallback") -> Json:
    return {"channel": "C1", "text": text, "blocks": list(blocks)}


def modal(*blocks: Json, **extra: Any) -> Json:
    return {
        "type": "modal",
        "callback_id": "form",
        "title": plain("A form"),
        "submit": plain("Send"),
        "close": plain("Cancel"),
        "blocks": list(blocks),
        **extra,
    }


def first(problems: list[Problem]) -> tuple[str, str, str]:
    assert problems, "expected Slack to refuse this payload"
    return problems[0].error, problems[0].pointer, problems[0].message


BAD_MESSAGES: dict[str, tuple[Json, tuple[str, str, str]]] = {
    "blocks without a text fallback": (
        message(section(), text=""),
        ("no_text", "/text", "blocks need a text fallback"),
    ),
    "neither text nor blocks": (
        {"channel": "C1", "text": ""},
        ("no_text", "/text", "a message needs text or blocks"),
    ),
    "text over 40,000 characters": (
        {"channel": "C1", "text": "x" * 40_001},
        ("msg_too_long", "/text", "must be at most 40000 characters"),
    ),
    "blocks that are not an array": (
        {"channel": "C1", "text": "x", "blocks": '{"type": "divider"}'},
        ("invalid_blocks_format", "/blocks", "must be an array of blocks"),
    ),
    "51 blocks in a message": (
        message(*[{"type": "divider"}] * 51),
        ("invalid_blocks", "/blocks", "no more than 50 items allowed"),
    ),
    "an unknown block type": (
        message({"type": "carousel"}),
        ("invalid_blocks", "/blocks/0/type", "unknown block type 'carousel'"),
    ),
    "a block that is not an object": (
        message("divider"),
        ("invalid_blocks", "/blocks/0", "must be an object"),
    ),
    "an unknown text type": (
        message({"type": "section", "text": {"type": "bogus", "text": "hi"}}),
        ("invalid_blocks", "/blocks/0/text/type", "must be plain_text or mrkdwn"),
    ),
    "empty section text": (
        message(section("")),
        ("invalid_blocks", "/blocks/0/text/text", "must be more than 0 characters"),
    ),
    "section text over 3000": (
        message(section("x" * 3001)),
        ("invalid_blocks", "/blocks/0/text/text", "must be at most 3000 characters"),
    ),
    "a section with neither text nor fields": (
        message({"type": "section"}),
        ("invalid_blocks", "/blocks/0", "a section needs text or fields"),
    ),
    "eleven section fields": (
        message({"type": "section", "fields": [mrkdwn("f")] * 11}),
        ("invalid_blocks", "/blocks/0/fields", "no more than 10 items allowed"),
    ),
    "a section field over 2000": (
        message({"type": "section", "fields": [mrkdwn("x" * 2001)]}),
        ("invalid_blocks", "/blocks/0/fields/0/text", "must be at most 2000 characters"),
    ),
    "a text input as a section accessory": (
        message(section(accessory=text_input())),
        ("invalid_blocks", "/blocks/0/accessory/type", "'plain_text_input' is not an element"),
    ),
    "a mrkdwn header": (
        message({"type": "header", "text": mrkdwn("*Hi*")}),
        ("invalid_blocks", "/blocks/0/text/type", "must be plain_text here"),
    ),
    "a header over 150": (
        message({"type": "header", "text": plain("x" * 151)}),
        ("invalid_blocks", "/blocks/0/text/text", "must be at most 150 characters"),
    ),
    "a block_id over 255": (
        message({"type": "divider", "block_id": "b" * 256}),
        ("invalid_blocks", "/blocks/0/block_id", "must be at most 255 characters"),
    ),
    "a block_id twice": (
        message({"type": "divider", "block_id": "b"}, section(block_id="b")),
        ("invalid_blocks", "/blocks/1/block_id", "block_id 'b' is already used at /blocks/0"),
    ),
    "an action_id twice in one block": (
        message(actions(button("go"), button("go"))),
        ("invalid_blocks", "/blocks/0/elements/1/action_id", "action_id 'go' is already used"),
    ),
    "an action_id twice in one message": (
        message(actions(button("go")), section(accessory=button("go"))),
        ("invalid_blocks", "/blocks/1/accessory/action_id", "action_id 'go' is already used"),
    ),
    "an action_id over 255": (
        message(actions(button("a" * 256))),
        ("invalid_blocks", "/blocks/0/elements/0/action_id", "must be at most 255 characters"),
    ),
    "an empty actions block": (
        message(actions()),
        ("invalid_blocks", "/blocks/0/elements", "must have at least 1 items"),
    ),
    "26 elements in an actions block": (
        message(actions(*[button(f"b{n}") for n in range(26)])),
        ("invalid_blocks", "/blocks/0/elements", "no more than 25 items allowed"),
    ),
    "a text input in an actions block": (
        message(actions(text_input())),
        ("invalid_blocks", "/blocks/0/elements/0/type", "'plain_text_input' is not an element"),
    ),
    "button text over 75": (
        message(actions(button(text="x" * 76))),
        ("invalid_blocks", "/blocks/0/elements/0/text/text", "must be at most 75 characters"),
    ),
    "a mrkdwn button": (
        message(actions({**button(), "text": mrkdwn("*Go*")})),
        ("invalid_blocks", "/blocks/0/elements/0/text/type", "must be plain_text here"),
    ),
    "a button without text": (
        message(actions({"type": "button", "action_id": "go"})),
        ("invalid_blocks", "/blocks/0/elements/0/text", "is required"),
    ),
    "a button value over 2000": (
        message(actions(button(value="v" * 2001))),
        ("invalid_blocks", "/blocks/0/elements/0/value", "must be at most 2000 characters"),
    ),
    "a button url over 3000": (
        message(actions(button(url="https://x/" + "p" * 2991))),
        ("invalid_blocks", "/blocks/0/elements/0/url", "must be at most 3000 characters"),
    ),
    "a button style Slack does not have": (
        message(actions(button(style="warning"))),
        ("invalid_blocks", "/blocks/0/elements/0/style", "must be one of primary, danger"),
    ),
    "emoji on mrkdwn": (
        message({"type": "section", "text": {**mrkdwn("hi"), "emoji": True}}),
        ("invalid_blocks", "/blocks/0/text/emoji", "is not a field of mrkdwn"),
    ),
    "a confirm dialog without deny": (
        message(
            actions(
                button(
                    confirm={"title": plain("Sure?"), "text": mrkdwn("Sure"), "confirm": plain("Y")}
                )
            )
        ),
        ("invalid_blocks", "/blocks/0/elements/0/confirm/deny", "is required"),
    ),
    "a confirm title over 100": (
        message(
            actions(
                button(
                    confirm={
                        "title": plain("x" * 101),
                        "text": mrkdwn("Sure"),
                        "confirm": plain("Yes"),
                        "deny": plain("No"),
                    }
                )
            )
        ),
        ("invalid_blocks", "/blocks/0/elements/0/confirm/title/text", "must be at most 100"),
    ),
    "a confirm text over 300": (
        message(
            actions(
                button(
                    confirm={
                        "title": plain("Sure?"),
                        "text": mrkdwn("x" * 301),
                        "confirm": plain("Yes"),
                        "deny": plain("No"),
                    }
                )
            )
        ),
        ("invalid_blocks", "/blocks/0/elements/0/confirm/text/text", "must be at most 300"),
    ),
    "eleven context elements": (
        message({"type": "context", "elements": [mrkdwn("c")] * 11}),
        ("invalid_blocks", "/blocks/0/elements", "no more than 10 items allowed"),
    ),
    "an image without alt text": (
        message({"type": "image", "image_url": "https://x/i.png"}),
        ("invalid_blocks", "/blocks/0/alt_text", "is required"),
    ),
    "a markdown block over 12,000": (
        message({"type": "markdown", "text": "x" * 12_001}),
        ("invalid_blocks", "/blocks/0/text", "must be at most 12000 characters"),
    ),
    "radio buttons with eleven options": (
        message(
            actions({"type": "radio_buttons", "action_id": "r", "options": [option("v")] * 11})
        ),
        ("invalid_blocks", "/blocks/0/elements/0/options", "no more than 10 items allowed"),
    ),
    "an initial option that is not offered": (
        message(
            actions(
                {
                    "type": "radio_buttons",
                    "action_id": "r",
                    "options": [option("a")],
                    "initial_option": option("b"),
                }
            )
        ),
        ("invalid_blocks", "/blocks/0/elements/0/initial_option", "must be one of the options"),
    ),
    "an option value over 150": (
        message(actions({"type": "checkboxes", "action_id": "c", "options": [option("v" * 151)]})),
        ("invalid_blocks", "/blocks/0/elements/0/options/0/value", "must be at most 150"),
    ),
    "an option text over 75": (
        message(
            actions({"type": "checkboxes", "action_id": "c", "options": [option("v", "x" * 76)]})
        ),
        ("invalid_blocks", "/blocks/0/elements/0/options/0/text/text", "must be at most 75"),
    ),
    "a mrkdwn option in a select menu": (
        message(
            actions(
                {
                    "type": "static_select",
                    "action_id": "s",
                    "options": [{"text": mrkdwn("*a*"), "value": "a"}],
                }
            )
        ),
        ("invalid_blocks", "/blocks/0/elements/0/options/0/text/type", "must be plain_text"),
    ),
    "an overflow menu of one": (
        message(
            section(accessory={"type": "overflow", "action_id": "o", "options": [option("a")]})
        ),
        ("invalid_blocks", "/blocks/0/accessory/options", "must have at least 2 items"),
    ),
    "a placeholder over 150": (
        message(
            actions({"type": "users_select", "action_id": "u", "placeholder": plain("x" * 151)})
        ),
        ("invalid_blocks", "/blocks/0/elements/0/placeholder/text", "must be at most 150"),
    ),
    "a response URL answer without text": (
        {"replace_original": True, "blocks": [section()]},
        ("no_text", "/text", "blocks need a text fallback"),
    ),
}


@pytest.mark.parametrize("name", list(BAD_MESSAGES))
def test_a_broken_message_is_refused_with_slacks_error(name: str) -> None:
    payload, (error, pointer, says) = BAD_MESSAGES[name]
    got_error, got_pointer, got_message = first(message_problems(payload))
    assert (got_error, got_pointer) == (error, pointer)
    assert says in got_message


BAD_VIEWS: dict[str, tuple[Json, str | None, tuple[str, str]]] = {
    "not an object": ("[]", None, ("/view", "must be an object")),
    "a view of the wrong type": (modal(section()), "home", ("/view/type", "must be home")),
    "an unknown view type": ({"type": "sheet", "blocks": []}, None, ("/view/type", "must be")),
    "a modal without a title": (
        {"type": "modal", "blocks": [section()]},
        "modal",
        ("/view/title", "is required"),
    ),
    "a modal title over 24": (
        modal(section(), title=plain("x" * 25)),
        "modal",
        ("/view/title/text", "must be at most 24 characters"),
    ),
    "a mrkdwn modal title": (
        modal(section(), title=mrkdwn("*Form*")),
        "modal",
        ("/view/title/type", "must be plain_text here"),
    ),
    "a submit text over 24": (
        modal(section(), submit=plain("x" * 25)),
        "modal",
        ("/view/submit/text", "must be at most 24 characters"),
    ),
    "a close text over 24": (
        modal(section(), close=plain("x" * 25)),
        "modal",
        ("/view/close/text", "must be at most 24 characters"),
    ),
    "an input without submit": (
        {"type": "modal", "title": plain("Form"), "blocks": [field(text_input())]},
        "modal",
        ("/view/submit", "a modal with input blocks needs a submit button"),
    ),
    "a modal without blocks": (
        modal(),
        "modal",
        ("/view/blocks", "a modal needs at least 1 block"),
    ),
    "101 blocks": (
        modal(*[{"type": "divider"}] * 101),
        "modal",
        ("/view/blocks", "no more than 100 items allowed"),
    ),
    "private_metadata over 3000": (
        modal(section(), private_metadata="m" * 3001),
        "modal",
        ("/view/private_metadata", "must be at most 3000 characters"),
    ),
    "a callback_id over 255": (
        modal(section(), callback_id="c" * 256),
        "modal",
        ("/view/callback_id", "must be at most 255 characters"),
    ),
    "an input without a label": (
        modal({"type": "input", "element": text_input()}),
        "modal",
        ("/view/blocks/0/label", "is required"),
    ),
    "an input without an element": (
        modal({"type": "input", "label": plain("Why")}),
        "modal",
        ("/view/blocks/0/element", "is required"),
    ),
    "a button as an input's element": (
        modal(field(button())),
        "modal",
        ("/view/blocks/0/element/type", "'button' is not an element allowed here"),
    ),
    "a label over 2000": (
        modal(field(text_input(), label="x" * 2001)),
        "modal",
        ("/view/blocks/0/label/text", "must be at most 2000 characters"),
    ),
    "a mrkdwn hint": (
        modal(field(text_input(), hint=mrkdwn("_hint_"))),
        "modal",
        ("/view/blocks/0/hint/type", "must be plain_text here"),
    ),
    "a max_length of 0": (
        modal(field(text_input(max_length=0))),
        "modal",
        ("/view/blocks/0/element/max_length", "must be a whole number from 1 to 3000"),
    ),
    "a max_length over 3000": (
        modal(field(text_input(max_length=3001))),
        "modal",
        ("/view/blocks/0/element/max_length", "must be a whole number from 1 to 3000"),
    ),
    "a min_length over the max_length": (
        modal(field(text_input(min_length=10, max_length=5))),
        "modal",
        ("/view/blocks/0/element/min_length", "must not be more than max_length"),
    ),
    "an initial value longer than allowed": (
        modal(field(text_input(max_length=3, initial_value="four"))),
        "modal",
        ("/view/blocks/0/element/initial_value", "must be at most 3 characters"),
    ),
    "an action_id twice in a view": (
        modal(field(text_input(), block_id="a"), field(text_input(), block_id="b")),
        "modal",
        ("/view/blocks/1/element/action_id", "action_id 'typed' is already used"),
    ),
    "a home tab with a title": (
        {"type": "home", "title": plain("Home"), "blocks": []},
        "home",
        ("/view/title", "a home tab has no title, submit or close"),
    ),
    "a menu with both options and option groups": (
        modal(
            field(
                {
                    "type": "static_select",
                    "action_id": "s",
                    "options": [option("a")],
                    "option_groups": [{"label": plain("G"), "options": [option("b")]}],
                }
            )
        ),
        "modal",
        ("/view/blocks/0/element/option_groups", "options and option_groups cannot both"),
    ),
    "a home view with 101 blocks": (
        {"type": "home", "blocks": [{"type": "divider"}] * 101},
        "home",
        ("/view/blocks", "no more than 100 items allowed"),
    ),
}


@pytest.mark.parametrize("name", list(BAD_VIEWS))
def test_a_broken_view_is_refused_as_invalid_arguments(name: str) -> None:
    view, kind, (pointer, says) = BAD_VIEWS[name]
    error, got_pointer, got_message = first(view_problems(view, kind))
    assert (error, got_pointer) == ("invalid_arguments", pointer)
    assert says in got_message


def _sdk_card() -> list[Json]:
    """A request card as the bot builds it with slack_sdk's models."""
    sure = ConfirmObject(
        title="Reset MFA?", text="This signs them out.", confirm="Reset", deny="No"
    )
    return [
        HeaderBlock(text="MFA reset request").to_dict(),
        SectionBlock(
            text=MarkdownTextObject(text="*<@U1>* asks for a reset"),
            fields=[MarkdownTextObject(text="*Topic*\nNew phone")],
        ).to_dict(),
        ContextBlock(elements=[MarkdownTextObject(text="Filed 10:00")]).to_dict(),
        DividerBlock().to_dict(),
        ActionsBlock(
            block_id="decide",
            elements=[
                ButtonElement(text="Approve", action_id="approve", value="7", style="primary"),
                ButtonElement(
                    text="Deny", action_id="deny", value="7", style="danger", confirm=sure
                ),
            ],
        ).to_dict(),
    ]


def _sdk_modal() -> Json:
    """A modal with each input kind the bot uses and initial options, as slack_sdk builds it."""
    a, b = Option(value="a", text="Authenticator"), Option(value="b", text="SMS")
    return View(
        type="modal",
        callback_id="contact",
        title=PlainTextObject(text="Contact IT"),
        submit=PlainTextObject(text="Send"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=json.dumps({"walk_id": "w" * 32}),
        blocks=[
            InputBlock(
                block_id="details",
                label="What happened?",
                hint="No codes or passwords, please.",
                element=PlainTextInputElement(action_id="details", multiline=True, max_length=2000),
            ),
            InputBlock(
                block_id="method",
                label="Method",
                element=RadioButtonsElement(action_id="method", options=[a, b], initial_option=a),
            ),
            InputBlock(
                block_id="actions",
                label="Reset",
                element=CheckboxesElement(action_id="actions", options=[a, b], initial_options=[b]),
            ),
            InputBlock(
                block_id="pick",
                label="Pick",
                optional=True,
                element=StaticSelectElement(action_id="pick", options=[a, b], placeholder="One"),
            ),
        ],
    ).to_dict()


GOOD_MESSAGES: dict[str, Json] = {
    "plain text": {"channel": "C1", "text": "hello"},
    "a request card from slack_sdk": message(*_sdk_card()),
    "blocks sent as JSON text": {"channel": "C1", "text": "x", "blocks": json.dumps(_sdk_card())},
    "fifty blocks": message(*[{"type": "divider"}] * 50),
    "two buttons with their own action_ids": message(actions(button("a"), button("b"))),
    "a response URL delete": {"delete_original": True},
    "an image and a rich text block": message(
        {"type": "image", "image_url": "https://x/i.png", "alt_text": "QR code"},
        {"type": "rich_text", "elements": []},
        {"type": "markdown", "text": "**bold**"},
    ),
}


@pytest.mark.parametrize("name", list(GOOD_MESSAGES))
def test_a_good_message_passes(name: str) -> None:
    assert message_problems(GOOD_MESSAGES[name]) == []


GOOD_VIEWS: dict[str, tuple[Any, str | None]] = {
    "a modal from slack_sdk": (_sdk_modal(), "modal"),
    "a modal sent as JSON text": (json.dumps(_sdk_modal()), "modal"),
    "a modal without inputs needs no submit": (
        {"type": "modal", "title": plain("Done"), "blocks": [section()]},
        "modal",
    ),
    "a home tab of 100 blocks": ({"type": "home", "blocks": [{"type": "divider"}] * 100}, "home"),
    "either kind when the caller does not know": ({"type": "home", "blocks": []}, None),
    "a 24-character title": (modal(section(), title=plain("x" * 24)), "modal"),
}


@pytest.mark.parametrize("name", list(GOOD_VIEWS))
def test_a_good_view_passes(name: str) -> None:
    view, kind = GOOD_VIEWS[name]
    assert view_problems(view, kind) == []


def test_every_problem_is_reported_not_only_the_first() -> None:
    problems = message_problems(message(section(""), actions(), text=""))
    assert [p.pointer for p in problems] == ["/blocks/0/text/text", "/blocks/1/elements", "/text"]


def test_the_refusal_is_shaped_like_slacks_answer() -> None:
    answer = refusal(view_problems(modal(section(), title=plain("x" * 25)), "modal"))
    assert answer == {
        "ok": False,
        "error": "invalid_arguments",
        "errors": ["must be at most 24 characters [json-pointer:/view/title/text]"],
        "response_metadata": {
            "messages": ["[ERROR] must be at most 24 characters [json-pointer:/view/title/text]"]
        },
    }
