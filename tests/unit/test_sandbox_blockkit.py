"""The sandbox's Block Kit renderer: every block and element, mrkdwn, views, and escaping."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest

from sandbox.blockkit import EMOJI, render_blocks, render_mrkdwn, render_text, render_view


@dataclass
class FakeNames:
    """Names the tests know: users and channels by id."""

    users: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)

    def user(self, user_id: str) -> str | None:
        """Return the user's name, None when unknown."""
        return self.users.get(user_id)

    def channel(self, channel_id: str) -> str | None:
        """Return the channel's name, None when unknown."""
        return self.channels.get(channel_id)


NAMES = FakeNames({"U1": "Ada Lovelace"}, {"C1": "it-helpdesk"})


@dataclass
class Tag:
    """One start tag as the HTML parser saw it."""

    name: str
    attrs: dict[str, str | None]


class _Collector(HTMLParser):
    """Collects every start tag and the text between tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[Tag] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(Tag(tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(markup: str) -> _Collector:
    """Parse markup and return what was seen."""
    collector = _Collector()
    collector.feed(markup)
    collector.close()
    return collector


def tags(markup: str, name: str) -> list[Tag]:
    """Return the start tags called name, in order."""
    return [tag for tag in parse(markup).tags if tag.name == name]


def text_of(markup: str) -> str:
    """Return the text a reader sees, entities decoded."""
    return "".join(parse(markup).text)


def plain(text: str, **extra: Any) -> dict[str, Any]:
    """Return a plain_text object."""
    return {"type": "plain_text", "text": text, **extra}


def md(text: str, **extra: Any) -> dict[str, Any]:
    """Return a mrkdwn text object."""
    return {"type": "mrkdwn", "text": text, **extra}


def option(text: str, value: str, **extra: Any) -> dict[str, Any]:
    """Return an option object."""
    return {"text": plain(text), "value": value, **extra}


def one(block: dict[str, Any], **kwargs: Any) -> str:
    """Render a single block."""
    return render_blocks([block], NAMES, **kwargs)


def in_actions(element: dict[str, Any], block_id: str = "row") -> str:
    """Render an element inside an actions block."""
    return one({"type": "actions", "block_id": block_id, "elements": [element]})


def in_input(element: dict[str, Any], block_id: str = "field", **extra: Any) -> str:
    """Render an element inside an input block."""
    block = {"type": "input", "block_id": block_id, "label": plain("Label"), "element": element}
    return one(block | extra)


# ---- blocks -------------------------------------------------------------------------------------


def test_every_block_is_wrapped_with_its_type_and_block_id() -> None:
    markup = render_blocks(
        [{"type": "divider", "block_id": "d1"}, {"type": "header", "text": plain("Hi")}], NAMES
    )
    wrappers = tags(markup, "div")
    assert [w.attrs["class"] for w in wrappers] == ["bk-block bk-divider", "bk-block bk-header"]
    assert [w.attrs["data-block-id"] for w in wrappers] == ["d1", ""]


def test_header_shows_its_plain_text() -> None:
    markup = one({"type": "header", "block_id": "h", "text": plain("Reset <MFA> :lock:")})
    assert '<h3 class="bk-header-text">Reset &lt;MFA&gt; \U0001f512</h3>' in markup


def test_section_text_fields_and_accessory() -> None:
    block = {
        "type": "section",
        "block_id": "s1",
        "text": md("*Request*"),
        "fields": [md("*Who*\nAda"), plain("Status: open")],
        "accessory": {"type": "button", "action_id": "open", "text": plain("Open")},
    }
    markup = one(block)
    assert '<div class="bk-section-text"><b>Request</b></div>' in markup
    assert (
        '<div class="bk-fields"><div class="bk-field"><b>Who</b><br>Ada</div>'
        '<div class="bk-field">Status: open</div></div>'
    ) in markup
    assert '<div class="bk-accessory"><button ' in markup
    button = tags(markup, "button")[0]
    assert button.attrs["data-block-id"] == "s1"
    assert button.attrs["data-action-id"] == "open"


def test_section_without_text_or_accessory_renders_only_its_fields() -> None:
    markup = one({"type": "section", "fields": [plain("a")]})
    assert "bk-section-text" not in markup
    assert "bk-accessory" not in markup
    assert '<div class="bk-field">a</div>' in markup


def test_actions_block_renders_its_elements_in_order() -> None:
    markup = one(
        {
            "type": "actions",
            "block_id": "a1",
            "elements": [
                {"type": "button", "action_id": "first", "text": plain("One")},
                {"type": "button", "action_id": "second", "text": plain("Two")},
            ],
        }
    )
    assert [b.attrs["data-action-id"] for b in tags(markup, "button")] == ["first", "second"]
    assert text_of(markup) == "OneTwo"


def test_context_shows_text_and_small_images() -> None:
    markup = one(
        {
            "type": "context",
            "elements": [
                md("Asked by <@U1>"),
                {"type": "image", "image_url": "https://example.com/a.png", "alt_text": "avatar"},
                plain("2 min ago"),
            ],
        }
    )
    assert (
        '<span class="bk-context-text">Asked by <span class="bk-mention">@Ada Lovelace</span>'
        "</span>"
    ) in markup
    image = tags(markup, "img")[0]
    assert image.attrs == {
        "class": "bk-image-element",
        "src": "https://example.com/a.png",
        "alt": "avatar",
    }
    assert '<span class="bk-context-text">2 min ago</span>' in markup


def test_context_refuses_interactive_elements_visibly() -> None:
    markup = one({"type": "context", "elements": [{"type": "button", "text": plain("x")}]})
    assert '<span class="bk-unsupported">unsupported element: button</span>' in markup
    assert not tags(markup, "button")


def test_divider_is_a_rule_inside_its_wrapper() -> None:
    assert one({"type": "divider", "block_id": "d"}) == (
        '<div class="bk-block bk-divider" data-block-id="d"><hr class="bk-divider"></div>'
    )


def test_image_block_with_image_url_and_title() -> None:
    markup = one(
        {
            "type": "image",
            "image_url": "https://example.com/qr.png",
            "alt_text": "QR code",
            "title": plain("Scan me"),
        }
    )
    assert "<figcaption>Scan me</figcaption>" in markup
    assert tags(markup, "figure")
    assert tags(markup, "img")[0].attrs == {"src": "https://example.com/qr.png", "alt": "QR code"}


def test_image_block_without_title_has_no_caption() -> None:
    markup = one({"type": "image", "image_url": "https://example.com/x.png", "alt_text": "x"})
    assert "figcaption" not in markup


def test_image_block_from_slack_file_url_or_id() -> None:
    by_url = one(
        {"type": "image", "slack_file": {"url": "https://files.example/F1"}, "alt_text": "a"}
    )
    by_id = one({"type": "image", "slack_file": {"id": "F0123ABC"}, "alt_text": "a"})
    assert tags(by_url, "img")[0].attrs["src"] == "https://files.example/F1"
    assert tags(by_id, "img")[0].attrs["src"] == "/sandbox/files/F0123ABC"


def test_image_file_ids_that_are_not_ids_get_no_src() -> None:
    markup = one({"type": "image", "slack_file": {"id": "../../etc/passwd"}, "alt_text": "a"})
    assert "src" not in tags(markup, "img")[0].attrs


def test_input_block_label_element_and_nothing_else() -> None:
    markup = in_input({"type": "plain_text_input", "action_id": "reason"})
    assert markup.startswith(
        '<div class="bk-block bk-input" data-block-id="field"><label class="bk-label">Label</label>'
        '<input type="text" class="bk-text-input"'
    )
    assert "bk-optional" not in markup
    assert "bk-hint" not in markup
    assert "bk-error" not in markup


def test_input_block_optional_hint_and_error() -> None:
    markup = in_input(
        {"type": "plain_text_input", "action_id": "reason"},
        block_id="reason",
        optional=True,
        hint=plain("Say why"),
    )
    assert '</label> <span class="bk-optional">(optional)</span><input ' in markup
    assert markup.endswith('<div class="bk-hint">Say why</div></div>')

    errored = render_blocks(
        [{"type": "input", "block_id": "reason", "label": plain("Why"), "element": {}}],
        NAMES,
        errors={"reason": "Tell us <why> & how"},
    )
    assert '<div class="bk-error">Tell us &lt;why&gt; &amp; how</div>' in errored


def test_unknown_block_is_shown_not_dropped() -> None:
    assert one({"type": "rich_text", "block_id": "r1"}) == (
        '<div class="bk-block bk-unsupported" data-block-id="r1">unsupported block: rich_text</div>'
    )


# ---- elements -----------------------------------------------------------------------------------


def test_button_carries_its_wiring_value_and_text() -> None:
    markup = in_actions(
        {"type": "button", "action_id": "approve", "value": "req-42", "text": plain("Approve")}
    )
    button = tags(markup, "button")[0]
    assert button.attrs == {
        "type": "button",
        "class": "bk-button",
        "data-kind": "button",
        "data-action-id": "approve",
        "data-block-id": "row",
        "data-dispatch": "1",
        "data-value": "req-42",
    }
    assert ">Approve</button>" in markup


@pytest.mark.parametrize("style", ["primary", "danger"])
def test_button_styles(style: str) -> None:
    markup = in_actions({"type": "button", "action_id": "b", "style": style, "text": plain("x")})
    assert tags(markup, "button")[0].attrs["class"] == f"bk-button bk-{style}"


def test_button_with_an_unknown_style_is_a_plain_button() -> None:
    markup = in_actions({"type": "button", "action_id": "b", "style": "loud", "text": plain("x")})
    assert tags(markup, "button")[0].attrs["class"] == "bk-button"


def test_button_url_only_when_http_or_https() -> None:
    def url_of(url: str) -> str | None:
        element = {"type": "button", "action_id": "b", "text": plain("x"), "url": url}
        return tags(in_actions(element), "button")[0].attrs.get("data-url")

    assert url_of("https://example.com/help?a=1&b=2") == "https://example.com/help?a=1&b=2"
    assert url_of("http://example.com") == "http://example.com"
    assert url_of("javascript:alert(1)") is None
    assert url_of("data:text/html,<script>alert(1)</script>") is None


def test_button_confirm_dialog_as_json() -> None:
    confirm = {
        "title": plain("Reset <MFA>?"),
        "text": md("This *removes* every method."),
        "confirm": plain("Reset"),
        "deny": plain("Keep"),
        "style": "danger",
    }
    markup = in_actions(
        {"type": "button", "action_id": "reset", "text": plain("Reset"), "confirm": confirm}
    )
    attr = tags(markup, "button")[0].attrs["data-confirm"]
    assert attr is not None
    assert json.loads(attr) == {
        "title": "Reset &lt;MFA&gt;?",
        "text": "This <b>removes</b> every method.",
        "confirm": "Reset",
        "deny": "Keep",
        "style": "danger",
    }
    assert 'data-confirm="{&quot;title&quot;: &quot;Reset &amp;lt;MFA&amp;gt;?&quot;' in markup


def confirm_of(confirm: dict[str, Any]) -> dict[str, Any]:
    """The confirmation dialog a button carries, as the page's script reads it."""
    markup = in_actions(
        {"type": "button", "action_id": "b", "text": plain("x"), "confirm": confirm}
    )
    attr = tags(markup, "button")[0].attrs["data-confirm"]
    assert attr is not None
    decoded: dict[str, Any] = json.loads(attr)
    return decoded


def test_button_confirm_defaults() -> None:
    confirm = {"title": plain("Sure?"), "text": plain("Really.")}
    decoded = confirm_of(confirm)
    assert (decoded["confirm"], decoded["deny"], decoded["style"]) == ("Confirm", "Cancel", "")


def test_button_without_value_url_or_confirm_has_none_of_those() -> None:
    attrs = tags(in_actions({"type": "button", "action_id": "b", "text": plain("x")}), "button")[0]
    assert not {"data-value", "data-url", "data-confirm"} & set(attrs.attrs)


def test_static_select_with_options_placeholder_and_initial_option() -> None:
    element = {
        "type": "static_select",
        "action_id": "method",
        "placeholder": plain("Pick a method"),
        "options": [option("Phone", "phone"), option("Key :key:", "key")],
        "initial_option": option("Key", "key"),
    }
    markup = in_actions(element)
    select = tags(markup, "select")[0]
    assert select.attrs["class"] == "bk-select"
    assert select.attrs["data-kind"] == "static_select"
    assert select.attrs["data-dispatch"] == "1"
    options = tags(markup, "option")
    assert options[0].attrs == {"value": "", "disabled": None}
    assert [o.attrs["value"] for o in options[1:]] == ["phone", "key"]
    assert ["selected" in o.attrs for o in options] == [False, False, True]
    assert text_of(markup) == "Pick a methodPhoneKey \U0001f511"


def test_static_select_without_initial_option_selects_its_placeholder() -> None:
    element = {
        "type": "static_select",
        "action_id": "m",
        "placeholder": plain("Choose"),
        "options": [option("A", "a")],
    }
    markup = in_actions(element)
    assert '<option value="" disabled selected>Choose</option>' in markup
    assert '<option value="a">A</option>' in markup


def test_static_select_with_option_groups() -> None:
    element = {
        "type": "static_select",
        "action_id": "m",
        "placeholder": plain("Choose"),
        "option_groups": [
            {"label": plain("Apps"), "options": [option("Authenticator", "app")]},
            {"label": plain("Hardware"), "options": [option("YubiKey", "yubikey")]},
        ],
        "initial_option": option("YubiKey", "yubikey"),
    }
    markup = in_actions(element)
    assert [g.attrs["label"] for g in tags(markup, "optgroup")] == ["Apps", "Hardware"]
    assert (
        '<optgroup label="Hardware"><option value="yubikey" selected>YubiKey</option></optgroup>'
    ) in markup


def test_overflow_rests_on_its_ellipsis() -> None:
    element = {
        "type": "overflow",
        "action_id": "more",
        "options": [option("Edit", "edit"), option("Delete", "delete")],
    }
    markup = in_actions(element)
    assert '<option value="" selected>\u22ef</option><option value="edit">Edit</option>' in markup
    select = tags(markup, "select")[0]
    assert select.attrs["class"] == "bk-overflow"
    assert select.attrs["data-kind"] == "overflow"
    assert select.attrs["data-dispatch"] == "1"


def test_checkboxes_with_initial_options_and_descriptions() -> None:
    element = {
        "type": "checkboxes",
        "action_id": "methods",
        "options": [
            option("SMS", "sms", description=plain("Texts a code")),
            {"text": md("*App*"), "value": "app"},
        ],
        "initial_options": [option("SMS", "sms")],
    }
    markup = in_input(element, block_id="methods")
    group = tags(markup, "div")[1]
    assert group.attrs["class"] == "bk-checkboxes"
    assert group.attrs["data-kind"] == "checkboxes"
    assert (
        '<label class="bk-option"><input type="checkbox" value="sms" checked> SMS'
        '<span class="bk-description">Texts a code</span></label>'
    ) in markup
    assert (
        '<label class="bk-option"><input type="checkbox" value="app"> <b>App</b></label>' in markup
    )


def test_radio_buttons_share_a_group_and_check_the_initial_option() -> None:
    element = {
        "type": "radio_buttons",
        "action_id": "urgency",
        "options": [option("Low", "low"), option("High", "high")],
        "initial_option": option("High", "high"),
    }
    markup = in_input(element, block_id="urgency-block")
    radios = tags(markup, "input")
    assert [r.attrs["name"] for r in radios] == ["urgency-block/urgency"] * 2
    assert [r.attrs["type"] for r in radios] == ["radio", "radio"]
    assert ["checked" in r.attrs for r in radios] == [False, True]
    assert tags(markup, "div")[1].attrs["class"] == "bk-radios"


def test_single_line_text_input() -> None:
    element = {
        "type": "plain_text_input",
        "action_id": "phone",
        "initial_value": "+1 555",
        "placeholder": plain("Your number"),
        "max_length": 20,
        "min_length": 3,
    }
    field_ = tags(in_input(element), "input")[0]
    assert field_.attrs == {
        "type": "text",
        "class": "bk-text-input",
        "data-kind": "plain_text_input",
        "data-action-id": "phone",
        "data-block-id": "field",
        "placeholder": "Your number",
        "maxlength": "20",
        "minlength": "3",
        "value": "+1 555",
    }


def test_multiline_text_input_is_a_textarea_holding_its_initial_value() -> None:
    element = {
        "type": "plain_text_input",
        "action_id": "details",
        "multiline": True,
        "initial_value": "line one\n</textarea><b>x</b>",
        "max_length": 500,
    }
    markup = in_input(element)
    area = tags(markup, "textarea")[0]
    assert area.attrs["maxlength"] == "500"
    assert area.attrs["class"] == "bk-text-input"
    assert ">line one\n&lt;/textarea&gt;&lt;b&gt;x&lt;/b&gt;</textarea>" in markup
    assert not tags(markup, "b")


def test_text_input_length_limits_must_be_numbers() -> None:
    element = {"type": "plain_text_input", "action_id": "x", "max_length": "20 onfocus=x"}
    assert "maxlength" not in tags(in_input(element), "input")[0].attrs


def test_image_element_in_a_section_accessory() -> None:
    markup = one(
        {
            "type": "section",
            "text": plain("Look"),
            "accessory": {"type": "image", "image_url": "https://e.com/i.png", "alt_text": "pic"},
        }
    )
    assert (
        '<div class="bk-accessory">'
        '<img class="bk-image-element" src="https://e.com/i.png" alt="pic"></div>'
    ) in markup


def test_unknown_element_is_shown_not_dropped() -> None:
    markup = in_actions({"type": "datepicker", "action_id": "when"})
    assert '<span class="bk-unsupported">unsupported element: datepicker</span>' in markup


def test_input_block_without_element_says_so() -> None:
    markup = one({"type": "input", "block_id": "b", "label": plain("L")})
    assert "unsupported element: </span>" in markup


# ---- dispatch -----------------------------------------------------------------------------------

SELECTABLES = [
    {"type": "static_select", "action_id": "a", "options": [option("A", "a")]},
    {"type": "overflow", "action_id": "a", "options": [option("A", "a")]},
    {"type": "checkboxes", "action_id": "a", "options": [option("A", "a")]},
    {"type": "radio_buttons", "action_id": "a", "options": [option("A", "a")]},
]


def _dispatch_flags(markup: str) -> list[str | None]:
    """Return data-dispatch of every element that has a data-kind."""
    return [t.attrs.get("data-dispatch") for t in parse(markup).tags if "data-kind" in t.attrs]


@pytest.mark.parametrize("element", SELECTABLES, ids=lambda e: e["type"])
def test_selections_dispatch_in_actions_blocks_and_accessories(element: dict[str, Any]) -> None:
    assert _dispatch_flags(in_actions(element)) == ["1"]
    assert _dispatch_flags(one({"type": "section", "text": plain("x"), "accessory": element})) == [
        "1"
    ]


@pytest.mark.parametrize("element", SELECTABLES, ids=lambda e: e["type"])
def test_selections_in_input_blocks_dispatch_only_with_dispatch_action(
    element: dict[str, Any],
) -> None:
    assert _dispatch_flags(in_input(element)) == [None]
    assert _dispatch_flags(in_input(element, dispatch_action=True)) == ["1"]


def test_buttons_always_dispatch_and_text_inputs_never_do() -> None:
    button = {"type": "button", "action_id": "b", "text": plain("x")}
    text_input = {"type": "plain_text_input", "action_id": "t"}
    assert _dispatch_flags(in_input(button)) == ["1"]
    assert _dispatch_flags(in_input(text_input, dispatch_action=True)) == [None]
    assert _dispatch_flags(in_actions(text_input)) == [None]


# ---- views --------------------------------------------------------------------------------------


def _modal(**extra: Any) -> dict[str, Any]:
    """Return a modal with two input blocks."""
    blocks = [
        {"type": "input", "block_id": "who", "label": plain("Who"), "element": {}},
        {"type": "input", "block_id": "why", "label": plain("Why"), "element": {}},
    ]
    return {"type": "modal", "id": "V1", "callback_id": "contact", "blocks": blocks} | extra


def test_modal_frame_title_and_buttons() -> None:
    view = _modal(title=plain("Contact IT"), submit=plain("Send"), close=plain("Back"))
    markup = render_view(view, NAMES)
    assert markup.startswith(
        '<div class="bk-modal" data-view-id="V1" data-callback-id="contact">'
        '<div class="bk-modal-title">Contact IT</div><div class="bk-modal-body">'
        '<div class="bk-block bk-input" data-block-id="who">'
    )
    assert markup.endswith(
        '<div class="bk-modal-footer">'
        '<button type="button" class="bk-button" data-kind="view-close">Back</button>'
        '<button type="button" class="bk-button bk-primary" data-kind="view-submit">Send</button>'
        "</div></div>"
    )


def test_modal_without_submit_offers_only_cancel() -> None:
    markup = render_view(_modal(title=plain("Done")), NAMES)
    buttons = tags(markup, "button")
    assert [b.attrs["data-kind"] for b in buttons] == ["view-close"]
    assert ">Cancel</button>" in markup


def test_modal_without_id_keeps_the_attribute_empty() -> None:
    view = {"type": "modal", "title": plain("T"), "blocks": []}
    frame = tags(render_view(view, NAMES), "div")[0]
    assert frame.attrs["data-view-id"] == ""
    assert frame.attrs["data-callback-id"] == ""


def test_modal_errors_show_under_the_right_block() -> None:
    markup = render_view(_modal(title=plain("T")), NAMES, errors={"why": "Say why"})
    who, why = markup.split('data-block-id="why"')
    assert "bk-error" not in who
    assert '<div class="bk-error">Say why</div></div>' in why


def test_home_view() -> None:
    view = {"type": "home", "blocks": [{"type": "header", "text": plain("Welcome")}]}
    assert render_view(view, NAMES) == (
        '<div class="bk-home"><div class="bk-block bk-header" data-block-id="">'
        '<h3 class="bk-header-text">Welcome</h3></div></div>'
    )


def test_unknown_view_type_is_shown() -> None:
    assert "unsupported view: workflow_step" in render_view({"type": "workflow_step"}, NAMES)


# ---- text objects and mrkdwn --------------------------------------------------------------------


def test_plain_text_is_escaped_and_gets_emoji() -> None:
    assert render_text(plain("a < b & :white_check_mark:"), NAMES) == "a &lt; b &amp; \u2705"


def test_plain_text_keeps_shortcodes_when_emoji_is_false() -> None:
    assert render_text(plain(":tada: *no*", emoji=False), NAMES) == ":tada: *no*"


def test_plain_text_is_not_markup() -> None:
    assert render_text(plain("*bold* <@U1>"), NAMES) == "*bold* &lt;@U1&gt;"


def test_no_text_object_renders_nothing() -> None:
    assert render_text(None, NAMES) == ""


@pytest.mark.parametrize(
    "code",
    [
        "white_check_mark", "x", "warning", "rotating_light", "red_circle", "large_green_circle",
        "large_yellow_circle", "hourglass", "hourglass_flowing_sand", "lock",
        "closed_lock_with_key", "leftwards_arrow_with_hook", "bulb", "arrows_counterclockwise",
        "tada", "shield", "repeat", "question", "one", "two", "three", "memo", "key",
        "inbox_tray", "iphone", "phone", "email", "envelope", "calling", "mag", "wave",
        "thumbsup", "+1", "no_entry", "information_source", "lock_with_ink_pen",
        "busts_in_silhouette", "bust_in_silhouette", "heavy_check_mark", "ballot_box_with_check",
        "link", "clock1", "stopwatch", "sos", "fire", "eyes", "point_right", "white_circle",
        "black_circle",
    ],
)  # fmt: skip
def test_the_emoji_the_bot_uses_are_known(code: str) -> None:
    assert EMOJI[code]
    assert render_mrkdwn(f"a :{code}: b", NAMES) == f"a {EMOJI[code]} b"


def test_unknown_shortcodes_and_times_stay_as_typed() -> None:
    assert render_mrkdwn(":not_an_emoji: at 10:30:00", NAMES) == ":not_an_emoji: at 10:30:00"


def test_adjacent_shortcodes() -> None:
    assert render_mrkdwn(":one::two:", NAMES) == EMOJI["one"] + EMOJI["two"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("*bold*", "<b>bold</b>"),
        ("_italic_", "<i>italic</i>"),
        ("~gone~", "<s>gone</s>"),
        ("say *this* now", "say <b>this</b> now"),
        ("(*bold*)", "(<b>bold</b>)"),
        ("*two words*, _and more_.", "<b>two words</b>, <i>and more</i>."),
        ("*_both_*", "<b><i>both</i></b>"),
        ("_*both*_", "<i><b>both</b></i>"),
        ("snake_case_name", "snake_case_name"),
        ("a*b*c", "a*b*c"),
        ("* not bold *", "* not bold *"),
        ("*open", "*open"),
        ("*line\nbreak*", "*line<br>break*"),
    ],
)
def test_emphasis_at_word_boundaries(source: str, expected: str) -> None:
    assert render_mrkdwn(source, NAMES) == expected


def test_inline_code_is_not_formatted() -> None:
    assert render_mrkdwn("run `a *b* _c_ :tada: &lt;x&gt;` now", NAMES) == (
        "run <code>a *b* _c_ :tada: &lt;x&gt;</code> now"
    )


def test_code_blocks_keep_lines_and_skip_formatting() -> None:
    source = "before\n```\n*raw*\n  indented &amp; <https://x.example|link>\n```\nafter"
    assert render_mrkdwn(source, NAMES) == (
        "before<br><pre>*raw*\n  indented &amp; link</pre>after"
    )


def test_code_shows_mentions_as_words_not_spans() -> None:
    assert render_mrkdwn("`<@U1>`", NAMES) == "<code>@Ada Lovelace</code>"


def test_quotes_from_entities_and_raw_marks() -> None:
    assert render_mrkdwn("&gt; first *b*\n&gt; second\nafter\n> raw", NAMES) == (
        "<blockquote>first <b>b</b><br>second</blockquote>after<blockquote>raw</blockquote>"
    )


def test_a_greater_than_inside_a_line_is_not_a_quote() -> None:
    assert render_mrkdwn("a &gt; b", NAMES) == "a &gt; b"


def test_newlines_become_line_breaks() -> None:
    assert render_mrkdwn("one\ntwo\n\nthree", NAMES) == "one<br>two<br><br>three"


@pytest.mark.parametrize(
    ("source", "href", "label"),
    [
        ("<https://e.com/a?b=1&amp;c=2|the docs>", "https://e.com/a?b=1&c=2", "the docs"),
        ("<https://example.com>", "https://example.com", "https://example.com"),
        ("<http://example.com|plain http>", "http://example.com", "plain http"),
        ("<mailto:it@example.com|Email IT>", "mailto:it@example.com", "Email IT"),
        ("<mailto:it@example.com>", "mailto:it@example.com", "it@example.com"),
        ("<HTTPS://EXAMPLE.COM|caps>", "HTTPS://EXAMPLE.COM", "caps"),
    ],
)
def test_links(source: str, href: str, label: str) -> None:
    markup = render_mrkdwn(source, NAMES)
    assert tags(markup, "a")[0].attrs == {
        "href": href,
        "target": "_blank",
        "rel": "noopener noreferrer",
    }
    assert text_of(markup) == label


def test_a_link_label_is_escaped_and_gets_emoji() -> None:
    assert render_mrkdwn("<https://e.com|a &lt;b&gt; :tada:>", NAMES) == (
        '<a href="https://e.com" target="_blank" rel="noopener noreferrer">'
        "a &lt;b&gt; \U0001f389</a>"
    )


def test_formatting_wraps_links() -> None:
    assert render_mrkdwn("*see <https://e.com|here>*", NAMES) == (
        '<b>see <a href="https://e.com" target="_blank" rel="noopener noreferrer">here</a></b>'
    )


@pytest.mark.parametrize(
    "source",
    [
        "<javascript:alert(1)|click>",
        "<JavaScript:alert(1)>",
        "<data:text/html;base64,PHNjcmlwdD4=|x>",
        "<vbscript:msgbox(1)|x>",
        "< javascript:alert(1)|x>",
        "<ftp://example.com|x>",
    ],
)
def test_links_with_other_schemes_are_text(source: str) -> None:
    markup = render_mrkdwn(source, NAMES)
    assert not tags(markup, "a")
    assert text_of(markup) == source


def test_user_mentions_by_name_or_id() -> None:
    assert render_mrkdwn("<@U1> and <@U404>", NAMES) == (
        '<span class="bk-mention">@Ada Lovelace</span> and <span class="bk-mention">@U404</span>'
    )


def test_channel_mentions_by_name_label_or_id() -> None:
    assert render_mrkdwn("<#C1> <#C2|general> <#C3>", NAMES) == (
        '<span class="bk-mention">#it-helpdesk</span> <span class="bk-mention">#general</span> '
        '<span class="bk-mention">#C3</span>'
    )


@pytest.mark.parametrize("name", ["channel", "here", "everyone"])
def test_broadcasts(name: str) -> None:
    assert render_mrkdwn(f"<!{name}>", NAMES) == (
        f'<span class="bk-mention bk-broadcast">@{name}</span>'
    )


def test_user_group_mentions() -> None:
    assert render_mrkdwn("<!subteam^S123|@it-team> <!subteam^S456>", NAMES) == (
        '<span class="bk-mention">@it-team</span> <span class="bk-mention">@S456</span>'
    )


def test_dates_show_their_fallback() -> None:
    assert render_mrkdwn("due <!date^1700000000^{date} at {time}|Nov 14, 2023>", NAMES) == (
        "due Nov 14, 2023"
    )


def test_entities_typed_by_a_user_stay_literal() -> None:
    markup = render_mrkdwn("&lt;!channel&gt; &lt;@U1&gt; &amp;lt; &lt;https://e.com&gt;", NAMES)
    assert "bk-mention" not in markup
    assert not tags(markup, "a")
    assert text_of(markup) == "<!channel> <@U1> &lt; <https://e.com>"


def test_verbatim_text_still_renders_links() -> None:
    markup = render_text(md("<https://e.com|docs>", verbatim=True), NAMES)
    assert tags(markup, "a")[0].attrs["href"] == "https://e.com"


def test_a_stray_placeholder_marker_in_the_input_is_dropped() -> None:
    assert render_mrkdwn("a\x000\x00 b `c`", NAMES) == "a0 b <code>c</code>"


# ---- security -----------------------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    "<javascript:alert(1)|click>",
    "javascript:alert(1)",
    "</textarea><script>alert(1)</script>",
    '<https://e.com" onclick="alert(1)|x>',
    "<!date^1^{date}|<script>x</script>>",
    "<@U1|<script>>",
]


def _assert_harmless(markup: str) -> None:
    """Fail when markup would run script, whatever the input was."""
    assert "<script" not in markup.lower()
    for tag in parse(markup).tags:
        assert tag.name not in {"script", "iframe", "object", "embed", "style"}
        for name, value in tag.attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in {"href", "src", "data-url"}:
                assert value is not None
                assert value.strip().lower().startswith(("http://", "https://", "mailto:", "/"))


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_text_everywhere_is_harmless(payload: str) -> None:
    element_fields = {
        "action_id": payload,
        "value": payload,
        "url": payload,
        "placeholder": plain(payload),
        "initial_value": payload,
        "options": [{"text": plain(payload), "value": payload, "url": payload}],
        "initial_option": {"text": plain(payload), "value": payload},
        "confirm": {"title": plain(payload), "text": md(payload)},
        "text": md(payload),
        "image_url": payload,
        "alt_text": payload,
    }
    elements = [
        {"type": kind, **element_fields}
        for kind in (
            "button",
            "static_select",
            "overflow",
            "checkboxes",
            "radio_buttons",
            "plain_text_input",
            "image",
            payload,
        )
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "block_id": payload, "text": plain(payload)},
        {"type": "section", "block_id": payload, "text": md(payload), "fields": [plain(payload)]},
        {"type": "actions", "block_id": payload, "elements": elements},
        {"type": "context", "block_id": payload, "elements": [md(payload), elements[6]]},
        {"type": "image", "block_id": payload, "image_url": payload, "alt_text": payload},
        {"type": "image", "slack_file": {"id": payload, "url": payload}, "alt_text": payload},
        {"type": payload, "block_id": payload},
    ]
    blocks += [
        {"type": "input", "block_id": payload, "label": md(payload), "element": element}
        for element in elements
    ]
    multiline = {"type": "plain_text_input", "multiline": True, **element_fields}
    blocks.append({"type": "input", "block_id": "m", "label": plain("m"), "element": multiline})
    view = {
        "type": "modal",
        "id": payload,
        "callback_id": payload,
        "title": plain(payload),
        "submit": plain(payload),
        "close": plain(payload),
        "blocks": blocks,
    }
    markup = render_view(view, NAMES, errors={payload: payload, "m": payload})
    _assert_harmless(markup)
    _assert_harmless(render_mrkdwn(payload, NAMES))
    assert markup.count('<div class="bk-error">') == len(elements) + 1  # the errors did render


def test_attribute_values_cannot_break_out_of_their_quotes() -> None:
    payload = '" onclick="alert(1)'
    markup = in_actions(
        {"type": "button", "action_id": payload, "value": payload, "text": plain("x")},
        block_id=payload,
    )
    button = tags(markup, "button")[0]
    assert button.attrs["data-action-id"] == payload
    assert button.attrs["data-block-id"] == payload
    assert button.attrs["data-value"] == payload
    assert "onclick" not in button.attrs
    assert 'data-value="&quot; onclick=&quot;alert(1)"' in markup


def test_block_types_cannot_inject_classes_or_tags() -> None:
    markup = one({"type": '"><script>x</script>', "block_id": "b"})
    assert tags(markup, "div")[0].attrs["class"] == "bk-block bk-unsupported"
    assert "unsupported block: &quot;&gt;&lt;script&gt;" in markup


def test_confirm_json_cannot_smuggle_markup() -> None:
    confirm = {"title": plain("<img src=x onerror=alert(1)>"), "text": md("<script>")}
    decoded = confirm_of(confirm)
    assert decoded["title"] == "&lt;img src=x onerror=alert(1)&gt;"
    assert decoded["text"] == "&lt;script&gt;"
