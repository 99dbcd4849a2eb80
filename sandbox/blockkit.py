"""Renders Slack Block Kit JSON (text objects, blocks, views) as HTML for the sandbox page."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import groupby
from typing import Any, Final, NamedTuple, Protocol


class Names(Protocol):
    """Looks up the names that mentions show."""

    def user(self, user_id: str) -> str | None:
        """Return the display name for a user id, or None when unknown."""

    def channel(self, channel_id: str) -> str | None:
        """Return the name for a channel id, or None when unknown."""


EMOJI: Final[Mapping[str, str]] = {
    "+1": "\U0001f44d",
    "-1": "\U0001f44e",
    "alarm_clock": "\u23f0",
    "arrow_left": "\u2b05\ufe0f",
    "arrow_right": "\u27a1\ufe0f",
    "arrows_counterclockwise": "\U0001f504",
    "ballot_box_with_check": "\u2611\ufe0f",
    "bell": "\U0001f514",
    "black_circle": "\u26ab",
    "bulb": "\U0001f4a1",
    "bust_in_silhouette": "\U0001f464",
    "busts_in_silhouette": "\U0001f465",
    "calendar": "\U0001f4c6",
    "calling": "\U0001f4f2",
    "clipboard": "\U0001f4cb",
    "clock1": "\U0001f550",
    "closed_lock_with_key": "\U0001f510",
    "computer": "\U0001f4bb",
    "construction": "\U0001f6a7",
    "e-mail": "\U0001f4e7",
    "email": "\U0001f4e7",
    "envelope": "\u2709\ufe0f",
    "exclamation": "\u2757",
    "eyes": "\U0001f440",
    "fire": "\U0001f525",
    "five": "5\ufe0f\u20e3",
    "four": "4\ufe0f\u20e3",
    "gear": "\u2699\ufe0f",
    "globe_with_meridians": "\U0001f310",
    "heart": "\u2764\ufe0f",
    "heavy_check_mark": "\u2714\ufe0f",
    "heavy_minus_sign": "\u2796",
    "heavy_plus_sign": "\u2795",
    "hourglass": "\u231b",
    "hourglass_flowing_sand": "\u23f3",
    "inbox_tray": "\U0001f4e5",
    "information_source": "\u2139\ufe0f",
    "iphone": "\U0001f4f1",
    "key": "\U0001f511",
    "large_blue_circle": "\U0001f535",
    "large_green_circle": "\U0001f7e2",
    "large_orange_circle": "\U0001f7e0",
    "large_yellow_circle": "\U0001f7e1",
    "leftwards_arrow_with_hook": "\u21a9\ufe0f",
    "link": "\U0001f517",
    "lock": "\U0001f512",
    "lock_with_ink_pen": "\U0001f50f",
    "mag": "\U0001f50d",
    "memo": "\U0001f4dd",
    "no_entry": "\u26d4",
    "no_entry_sign": "\U0001f6ab",
    "ok": "\U0001f197",
    "ok_hand": "\U0001f44c",
    "one": "1\ufe0f\u20e3",
    "outbox_tray": "\U0001f4e4",
    "passport_control": "\U0001f6c2",
    "phone": "\u260e\ufe0f",
    "point_left": "\U0001f448",
    "point_right": "\U0001f449",
    "pray": "\U0001f64f",
    "pushpin": "\U0001f4cc",
    "question": "\u2753",
    "raised_hands": "\U0001f64c",
    "red_circle": "\U0001f534",
    "repeat": "\U0001f501",
    "rocket": "\U0001f680",
    "rotating_light": "\U0001f6a8",
    "shield": "\U0001f6e1\ufe0f",
    "slightly_smiling_face": "\U0001f642",
    "smile": "\U0001f604",
    "sos": "\U0001f198",
    "sparkles": "\u2728",
    "speech_balloon": "\U0001f4ac",
    "star": "\u2b50",
    "stop_sign": "\U0001f6d1",
    "stopwatch": "\u23f1\ufe0f",
    "tada": "\U0001f389",
    "telephone": "\u260e\ufe0f",
    "telephone_receiver": "\U0001f4de",
    "thinking_face": "\U0001f914",
    "three": "3\ufe0f\u20e3",
    "thumbsdown": "\U0001f44e",
    "thumbsup": "\U0001f44d",
    "two": "2\ufe0f\u20e3",
    "unlock": "\U0001f513",
    "warning": "\u26a0\ufe0f",
    "wave": "\U0001f44b",
    "white_check_mark": "\u2705",
    "white_circle": "\u26aa",
    "wrench": "\U0001f527",
    "x": "\u274c",
    "zap": "\u26a1",
}

_STYLES: Final = frozenset({"primary", "danger"})
_BROADCASTS: Final = frozenset({"channel", "here", "everyone"})
_LINK_SCHEMES: Final = ("http://", "https://", "mailto:")
_WEB_SCHEMES: Final = ("http://", "https://")
_SLACK_ENTITIES: Final[Mapping[str, str]] = {"amp": "&", "lt": "<", "gt": ">"}

_SHORTCODE: Final = re.compile(r":([a-z0-9_+\-]+):")
_ENTITY: Final = re.compile(r"&(amp|lt|gt);")
# A <pre> ends its own line, so the newline after the closing fence is not a line break.
_FENCE: Final = re.compile(r"```\n?(.*?)\n?```\n?", re.DOTALL)
_INLINE_CODE: Final = re.compile(r"`([^`\n]+)`")
# Slack escapes every < the user typed, so a raw <...> is always Slack's own markup.
_CONTROL: Final = re.compile(r"<([^<>\n]+)>")
_PLACEHOLDER: Final = re.compile(r"\x00(\d+)\x00")
_FILE_ID: Final = re.compile(r"[A-Za-z0-9_-]+")
_QUOTE_MARK: Final = "&gt;"


def _emphasis(marker: str) -> re.Pattern[str]:
    """Match marker-wrapped text whose markers touch no letter or digit (so snake_case stays)."""
    m = re.escape(marker)
    return re.compile(rf"(?<![^\W_])(?<!{m}){m}(?!\s)([^{m}\n]+?)(?<!\s){m}(?![^\W_])(?!{m})")


_EMPHASES: Final = ((_emphasis("*"), "b"), (_emphasis("_"), "i"), (_emphasis("~"), "s"))

_Attr = tuple[str, str | bool | None]


def _esc(text: str) -> str:
    """Escape text for HTML content or a quoted attribute."""
    return html.escape(text, quote=True)


def _attrs(*pairs: _Attr) -> str:
    """Render attributes: strings quoted and escaped, True bare, None and False left out."""
    rendered = []
    for name, value in pairs:
        if value is True:
            rendered.append(f" {name}")
        elif isinstance(value, str):
            rendered.append(f' {name}="{_esc(value)}"')
    return "".join(rendered)


def _str(obj: Mapping[str, Any], key: str) -> str:
    """Return obj[key] as a string, empty when missing."""
    value = obj.get(key)
    return "" if value is None else str(value)


def _dict(obj: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    """Return obj[key] when it is an object, else None."""
    value = obj.get(key)
    return value if isinstance(value, dict) else None


def _dicts(obj: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    """Return the objects in the list obj[key], skipping anything malformed."""
    value = obj.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _safe_url(url: str, schemes: tuple[str, ...] = _WEB_SCHEMES) -> str | None:
    """Return url when its scheme is allowed, else None (no javascript: or data: ever)."""
    return url if url.lower().startswith(schemes) else None


def _emojize(text: str) -> str:
    """Replace known :shortcodes: with their emoji; unknown ones stay as typed."""
    return _SHORTCODE.sub(lambda match: EMOJI.get(match.group(1), match.group(0)), text)


def _decode(text: str) -> str:
    """Undo Slack's own escaping of &, < and >."""
    return _ENTITY.sub(lambda match: _SLACK_ENTITIES[match.group(1)], text)


# ---- text objects ------------------------------------------------------------------------------


def render_text(obj: dict[str, Any] | None, names: Names) -> str:
    """Render a text object, plain_text or mrkdwn, as HTML."""
    if not obj:
        return ""
    text = _str(obj, "text")
    if obj.get("type") == "mrkdwn":
        return render_mrkdwn(text, names)
    return _esc(_emojize(text) if obj.get("emoji") is not False else text)


def _label(obj: dict[str, Any] | None) -> str:
    """Return a text object's words, emoji included, for an attribute or an <option>."""
    return _emojize(_str(obj, "text")) if obj else ""


class _Token(NamedTuple):
    """What one <...> sequence shows: its words, and a link or a mention style if any."""

    label: str
    href: str | None = None
    css: str = ""


class _Stash:
    """Keeps finished HTML behind placeholders so later passes over the text cannot touch it."""

    def __init__(self) -> None:
        self._fragments: list[str] = []

    def put(self, fragment: str) -> str:
        """Keep fragment and return the placeholder that stands for it."""
        self._fragments.append(fragment)
        return f"\x00{len(self._fragments) - 1}\x00"

    def restore(self, text: str) -> str:
        """Put every kept fragment back in place of its placeholder."""
        return _PLACEHOLDER.sub(lambda match: self._fragments[int(match.group(1))], text)


def render_mrkdwn(text: str, names: Names) -> str:
    """Render Slack mrkdwn, entity-escaped as Slack sends it, as safe HTML."""
    stash = _Stash()
    text = text.replace("\x00", "")  # the placeholder's marker must not come from the input
    text = _FENCE.sub(lambda m: stash.put(_code_html("pre", m.group(1), names)), text)
    text = _INLINE_CODE.sub(lambda m: stash.put(_code_html("code", m.group(1), names)), text)
    text = _CONTROL.sub(lambda m: stash.put(_token_html(_read_control(m.group(1), names))), text)
    return stash.restore(_lay_out_lines(_esc(_decode(text)).split("\n")))


def _code_html(tag: str, code: str, names: Names) -> str:
    """Render code in tag as typed: no formatting, and <...> sequences as their bare words."""
    pieces = _CONTROL.split(code)
    # split() alternates text and the captured insides of <...>.
    inner = "".join(
        _esc(_read_control(piece, names).label) if index % 2 else _esc(_decode(piece))
        for index, piece in enumerate(pieces)
    )
    return f"<{tag}>{inner}</{tag}>"


def _lay_out_lines(lines: list[str]) -> str:
    """Format each line and join them with <br>, a run of quoted lines in one blockquote."""
    laid_out = []
    for quoted, run in groupby(lines, key=_is_quoted):
        if quoted:
            rows = [_format_inline(_unquote(line)) for line in run]
            laid_out.append(f"<blockquote>{'<br>'.join(rows)}</blockquote>")
        else:
            laid_out.append("<br>".join(_format_inline(line) for line in run))
    return "".join(laid_out)


def _is_quoted(line: str) -> bool:
    """Tell whether an escaped line starts with Slack's quote mark."""
    return line.startswith(_QUOTE_MARK + " ") or line == _QUOTE_MARK


def _unquote(line: str) -> str:
    """Strip the quote mark, and the space after it, from a quoted line."""
    return line.removeprefix(_QUOTE_MARK).removeprefix(" ")


def _format_inline(line: str) -> str:
    """Apply emoji, bold, italic and strikethrough to one escaped line."""
    line = _emojize(line)
    for pattern, tag in _EMPHASES:
        line = pattern.sub(rf"<{tag}>\1</{tag}>", line)
    return line


def _read_control(content: str, names: Names) -> _Token:
    """Read the inside of a <...> sequence: a link, a mention, a broadcast or a date."""
    target, _, label = (_decode(part) for part in content.partition("|"))
    if target.startswith("@"):
        user_id = target[1:]
        return _Token("@" + (names.user(user_id) or label or user_id), css="bk-mention")
    if target.startswith("#"):
        channel_id = target[1:]
        return _Token("#" + (names.channel(channel_id) or label or channel_id), css="bk-mention")
    if target.startswith("!"):
        return _read_command(target[1:], label)
    href = _safe_url(target, _LINK_SCHEMES)
    if href is None:
        return _Token(f"<{_decode(content)}>")  # shown as typed, never as a link
    return _Token(label or href.removeprefix("mailto:"), href=href)


def _read_command(command: str, label: str) -> _Token:
    """Read a <!...> sequence: @channel and friends, a user group, or a date."""
    name, _, argument = command.partition("^")
    if name in _BROADCASTS:
        return _Token(f"@{name}", css="bk-mention bk-broadcast")
    if name == "subteam":
        return _Token(label or f"@{argument}", css="bk-mention")
    if name == "date":
        # Formatting the date in the reader's zone is the browser's business; the fallback will do.
        return _Token(label or argument.partition("^")[0])
    return _Token(label or f"<!{command}>")


def _token_html(token: _Token) -> str:
    """Render a read <...> sequence as a link, a mention span or plain text."""
    label = _esc(_emojize(token.label))
    if token.href is not None:
        href = _esc(token.href)
        return f'<a href="{href}" target="_blank" rel="noopener noreferrer">{label}</a>'
    if token.css:
        return f'<span class="{token.css}">{label}</span>'
    return label


# ---- elements ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    """Where an element sits: the names to show, its block, and whether using it dispatches."""

    names: Names
    block_id: str
    dispatch: bool


def _wiring(element: dict[str, Any], place: _Place, *, dispatch: bool) -> tuple[_Attr, ...]:
    """Return the data attributes the page's script reads to act for an element."""
    return (
        ("data-kind", _str(element, "type")),
        ("data-action-id", _str(element, "action_id")),
        ("data-block-id", place.block_id),
        ("data-dispatch", "1" if dispatch else None),
    )


def _button(element: dict[str, Any], place: _Place) -> str:
    """Render a button; it always sends block_actions when clicked."""
    style = _str(element, "style")
    css = f"bk-button bk-{style}" if style in _STYLES else "bk-button"
    attrs = _attrs(
        ("type", "button"),
        ("class", css),
        *_wiring(element, place, dispatch=True),
        ("data-value", element.get("value") if isinstance(element.get("value"), str) else None),
        ("data-url", _safe_url(_str(element, "url"))),
        ("data-confirm", _confirm_json(_dict(element, "confirm"), place.names)),
    )
    return f"<button{attrs}>{render_text(_dict(element, 'text'), place.names)}</button>"


def _confirm_json(confirm: dict[str, Any] | None, names: Names) -> str | None:
    """Encode a confirmation dialog for the page's script, its texts already HTML."""
    if confirm is None:
        return None
    style = _str(confirm, "style")
    return json.dumps(
        {
            "title": render_text(_dict(confirm, "title"), names),
            "text": render_text(_dict(confirm, "text"), names),
            "confirm": render_text(_dict(confirm, "confirm"), names) or "Confirm",
            "deny": render_text(_dict(confirm, "deny"), names) or "Cancel",
            "style": style if style in _STYLES else "",
        }
    )


def _options(options: list[dict[str, Any]], selected: frozenset[str]) -> str:
    """Render <option>s, marking those whose value is in selected."""
    rendered = []
    for option in options:
        value = _str(option, "value")
        attrs = _attrs(
            ("value", value),
            ("selected", value in selected),
            ("data-url", _safe_url(_str(option, "url"))),
        )
        rendered.append(f"<option{attrs}>{_esc(_label(_dict(option, 'text')))}</option>")
    return "".join(rendered)


def _static_select(element: dict[str, Any], place: _Place) -> str:
    """Render a static select, its placeholder first, with options or option groups."""
    initial = _dict(element, "initial_option")
    selected = frozenset({_str(initial, "value")}) if initial else frozenset[str]()
    placeholder = _label(_dict(element, "placeholder")) or "Select an item"
    choices = _options(_dicts(element, "options"), selected) + "".join(
        f"<optgroup{_attrs(('label', _label(_dict(group, 'label'))))}>"
        f"{_options(_dicts(group, 'options'), selected)}</optgroup>"
        for group in _dicts(element, "option_groups")
    )
    attrs = _attrs(("class", "bk-select"), *_wiring(element, place, dispatch=place.dispatch))
    prompt = f"<option{_attrs(('value', ''), ('disabled', True), ('selected', not selected))}>"
    return f"<select{attrs}>{prompt}{_esc(placeholder)}</option>{choices}</select>"


def _overflow(element: dict[str, Any], place: _Place) -> str:
    """Render an overflow menu as a select that rests on its ⋯ option."""
    attrs = _attrs(("class", "bk-overflow"), *_wiring(element, place, dispatch=place.dispatch))
    choices = _options(_dicts(element, "options"), frozenset())
    return f'<select{attrs}><option value="" selected>\u22ef</option>{choices}</select>'


def _checkboxes(element: dict[str, Any], place: _Place) -> str:
    """Render checkboxes, ticked for each of the initial options."""
    checked = frozenset(_str(option, "value") for option in _dicts(element, "initial_options"))
    return _choices(element, place, "bk-checkboxes", "checkbox", checked)


def _radio_buttons(element: dict[str, Any], place: _Place) -> str:
    """Render radio buttons, one group per element, the initial option chosen."""
    initial = _dict(element, "initial_option")
    checked = frozenset({_str(initial, "value")}) if initial else frozenset[str]()
    return _choices(element, place, "bk-radios", "radio", checked)


def _choices(
    element: dict[str, Any], place: _Place, css: str, input_type: str, checked: frozenset[str]
) -> str:
    """Render the labelled inputs of a checkboxes or radio_buttons element."""
    group = f"{place.block_id}/{_str(element, 'action_id')}" if input_type == "radio" else None
    rendered = []
    for option in _dicts(element, "options"):
        value = _str(option, "value")
        box = _attrs(
            ("type", input_type), ("name", group), ("value", value), ("checked", value in checked)
        )
        description = _dict(option, "description")
        note = (
            f'<span class="bk-description">{render_text(description, place.names)}</span>'
            if description
            else ""
        )
        text = render_text(_dict(option, "text"), place.names)
        rendered.append(f'<label class="bk-option"><input{box}> {text}{note}</label>')
    attrs = _attrs(("class", css), *_wiring(element, place, dispatch=place.dispatch))
    return f"<div{attrs}>{''.join(rendered)}</div>"


def _plain_text_input(element: dict[str, Any], place: _Place) -> str:
    """Render a text input; its value is read when the view is submitted, never dispatched."""
    attrs: tuple[_Attr, ...] = (
        ("class", "bk-text-input"),
        *_wiring(element, place, dispatch=False),
        ("placeholder", _label(_dict(element, "placeholder")) or None),
        ("maxlength", _length(element.get("max_length"))),
        ("minlength", _length(element.get("min_length"))),
    )
    initial = _str(element, "initial_value")
    if element.get("multiline") is True:
        # The HTML parser drops one newline straight after <textarea>; give it one to drop.
        content = "\n" + initial if initial.startswith("\n") else initial
        return f"<textarea{_attrs(*attrs)}>{_esc(content)}</textarea>"
    return f"<input{_attrs(('type', 'text'), *attrs, ('value', initial or None))}>"


def _length(value: object) -> str | None:
    """Return a length limit as an attribute value, None unless it is a whole number."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _image_element(element: dict[str, Any], place: _Place) -> str:
    """Render an image element, as sections and context blocks carry them."""
    attrs = _attrs(
        ("class", "bk-image-element"),
        ("src", _image_src(element)),
        ("alt", _str(element, "alt_text")),
    )
    return f"<img{attrs}>"


def _image_src(image: dict[str, Any]) -> str | None:
    """Return where an image is: its image_url, or its slack_file's url or id."""
    url = _safe_url(_str(image, "image_url"))
    slack_file = _dict(image, "slack_file")
    if url is None and slack_file is not None:
        url = _safe_url(_str(slack_file, "url"))
        file_id = _str(slack_file, "id")
        if url is None and _FILE_ID.fullmatch(file_id):
            url = f"/sandbox/files/{file_id}"
    return url


_ElementRenderer = Callable[[dict[str, Any], _Place], str]

_ELEMENTS: Final[Mapping[str, _ElementRenderer]] = {
    "button": _button,
    "static_select": _static_select,
    "overflow": _overflow,
    "checkboxes": _checkboxes,
    "radio_buttons": _radio_buttons,
    "plain_text_input": _plain_text_input,
    "image": _image_element,
}


def _element(element: dict[str, Any] | None, place: _Place) -> str:
    """Render any element, showing the ones this page cannot play instead of dropping them."""
    kind = _str(element, "type") if element else ""
    renderer = _ELEMENTS.get(kind)
    if element is None or renderer is None:
        return _unsupported_element(kind)
    return renderer(element, place)


def _unsupported_element(kind: str) -> str:
    """Say which element type this page cannot show."""
    return f'<span class="bk-unsupported">unsupported element: {_esc(kind)}</span>'


# ---- blocks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Surface:
    """What every block on one surface shares: the names to show and the input errors."""

    names: Names
    errors: Mapping[str, str]

    def place(self, block: dict[str, Any], *, dispatch: bool) -> _Place:
        """Return the place of the elements of block."""
        return _Place(self.names, _str(block, "block_id"), dispatch)


def _header(block: dict[str, Any], surface: _Surface) -> str:
    """Render a header block."""
    return f'<h3 class="bk-header-text">{render_text(_dict(block, "text"), surface.names)}</h3>'


def _section(block: dict[str, Any], surface: _Surface) -> str:
    """Render a section: its text and fields, then the accessory beside them."""
    text = _dict(block, "text")
    main = f'<div class="bk-section-text">{render_text(text, surface.names)}</div>' if text else ""
    fields = _dicts(block, "fields")
    if fields:
        cells = "".join(
            f'<div class="bk-field">{render_text(field, surface.names)}</div>' for field in fields
        )
        main += f'<div class="bk-fields">{cells}</div>'
    accessory = _dict(block, "accessory")
    if accessory is None:
        return f'<div class="bk-section-main">{main}</div>'
    side = _element(accessory, surface.place(block, dispatch=True))
    return f'<div class="bk-section-main">{main}</div><div class="bk-accessory">{side}</div>'


def _actions(block: dict[str, Any], surface: _Surface) -> str:
    """Render an actions block: its elements in a row, each dispatching when used."""
    place = surface.place(block, dispatch=True)
    return "".join(_element(element, place) for element in _dicts(block, "elements"))


def _context(block: dict[str, Any], surface: _Surface) -> str:
    """Render a context block: small text and images in a row."""
    place = surface.place(block, dispatch=False)
    rendered = []
    for element in _dicts(block, "elements"):
        kind = _str(element, "type")
        if kind in ("plain_text", "mrkdwn"):
            text = render_text(element, surface.names)
            rendered.append(f'<span class="bk-context-text">{text}</span>')
        elif kind == "image":
            rendered.append(_image_element(element, place))
        else:
            rendered.append(_unsupported_element(kind))  # Slack allows only text and images here
    return "".join(rendered)


def _divider(block: dict[str, Any], surface: _Surface) -> str:
    """Render a divider."""
    return '<hr class="bk-divider">'


def _image_block(block: dict[str, Any], surface: _Surface) -> str:
    """Render an image block: its title above the picture."""
    title = _dict(block, "title")
    caption = f"<figcaption>{render_text(title, surface.names)}</figcaption>" if title else ""
    picture = _attrs(("src", _image_src(block)), ("alt", _str(block, "alt_text")))
    return f'<figure class="bk-figure">{caption}<img{picture}></figure>'


def _input(block: dict[str, Any], surface: _Surface) -> str:
    """Render an input block: label, element, hint, and the error the app returned for it."""
    place = surface.place(block, dispatch=block.get("dispatch_action") is True)
    parts = [f'<label class="bk-label">{render_text(_dict(block, "label"), surface.names)}</label>']
    if block.get("optional") is True:
        parts.append(' <span class="bk-optional">(optional)</span>')
    parts.append(_element(_dict(block, "element"), place))
    hint = _dict(block, "hint")
    if hint:
        parts.append(f'<div class="bk-hint">{render_text(hint, surface.names)}</div>')
    error = surface.errors.get(place.block_id) if place.block_id else None
    if error is not None:
        parts.append(f'<div class="bk-error">{_esc(error)}</div>')
    return "".join(parts)


_BlockRenderer = Callable[[dict[str, Any], _Surface], str]

_BLOCKS: Final[Mapping[str, _BlockRenderer]] = {
    "header": _header,
    "section": _section,
    "actions": _actions,
    "context": _context,
    "divider": _divider,
    "image": _image_block,
    "input": _input,
}


def _block(block: dict[str, Any], surface: _Surface) -> str:
    """Render one block in its wrapper, or say which block type this page cannot show."""
    kind = _str(block, "type")
    block_id = ("data-block-id", _str(block, "block_id"))
    renderer = _BLOCKS.get(kind)
    if renderer is None:
        attrs = _attrs(("class", "bk-block bk-unsupported"), block_id)
        return f"<div{attrs}>unsupported block: {_esc(kind)}</div>"
    attrs = _attrs(("class", f"bk-block bk-{kind}"), block_id)
    return f"<div{attrs}>{renderer(block, surface)}</div>"


def render_blocks(
    blocks: list[dict[str, Any]],
    names: Names,
    *,
    errors: Mapping[str, str] | None = None,
    in_view: bool = False,
) -> str:
    """Render blocks; errors maps an input block's block_id to the error shown under it."""
    # in_view changes nothing yet: Slack lays out blocks alike in messages and views.
    surface = _Surface(names, errors or {})
    return "".join(_block(block, surface) for block in blocks)


# ---- views -------------------------------------------------------------------------------------


def render_view(
    view: dict[str, Any], names: Names, *, errors: Mapping[str, str] | None = None
) -> str:
    """Render a modal with its title and buttons, or a home tab."""
    kind = _str(view, "type")
    body = render_blocks(_dicts(view, "blocks"), names, errors=errors, in_view=True)
    if kind == "home":
        return f'<div class="bk-home">{body}</div>'
    if kind != "modal":
        return f'<div class="bk-unsupported">unsupported view: {_esc(kind)}</div>'
    frame = _attrs(
        ("class", "bk-modal"),
        ("data-view-id", _str(view, "id")),
        ("data-callback-id", _str(view, "callback_id")),
    )
    close = render_text(_dict(view, "close"), names) or "Cancel"
    buttons = f'<button type="button" class="bk-button" data-kind="view-close">{close}</button>'
    submit = _dict(view, "submit")
    if submit is not None:
        label = render_text(submit, names) or "Submit"
        buttons += (
            '<button type="button" class="bk-button bk-primary" data-kind="view-submit">'
            f"{label}</button>"
        )
    return (
        f"<div{frame}>"
        f'<div class="bk-modal-title">{render_text(_dict(view, "title"), names)}</div>'
        f'<div class="bk-modal-body">{body}</div>'
        f'<div class="bk-modal-footer">{buttons}</div>'
        "</div>"
    )
