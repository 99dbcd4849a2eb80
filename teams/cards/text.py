"""Text for Adaptive Cards: the card's shell, the guide's markup as TextBlocks, escaped free text.

Teams renders a small Markdown subset in a TextBlock (bold, italic, lists, [links](url)); what a
person typed is escaped so that it reads as typed and can make no link, list or emphasis.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from bot.domain import markup
from bot.domain.markup import Code, Emoji, HardBreak, Inline, Paragraph, SoftBreak, Strong, Text
from teams.card_rules import SCHEMA, VERSION

Card = dict[str, Any]
Element = dict[str, Any]

# The emoji the guide and the help desk use, by the shortcode the guide writes; one not here is
# left out (as markup.plain does), and the guide check says so.
EMOJI = {
    "arrows_counterclockwise": "\U0001f504",
    "bulb": "\U0001f4a1",
    "closed_lock_with_key": "\U0001f510",
    "hourglass": "\u231b",
    "hourglass_flowing_sand": "\u23f3",
    "inbox_tray": "\U0001f4e5",
    "key": "\U0001f511",
    "large_green_circle": "\U0001f7e2",
    "large_yellow_circle": "\U0001f7e1",
    "leftwards_arrow_with_hook": "\u21a9\ufe0f",
    "lock": "\U0001f512",
    "memo": "\U0001f4dd",
    "one": "1\ufe0f\u20e3",
    "point_right": "\U0001f449",
    "question": "\u2753",
    "red_circle": "\U0001f534",
    "repeat": "\U0001f501",
    "rotating_light": "\U0001f6a8",
    "shield": "\U0001f6e1\ufe0f",
    "speech_balloon": "\U0001f4ac",
    "tada": "\U0001f389",
    "telephone_receiver": "\U0001f4de",
    "warning": "\u26a0\ufe0f",
    "white_check_mark": "\u2705",
    "x": "\u274c",
}

# Characters that make Markdown anywhere in a line (emphasis, links, code, autolinks), and what
# makes a list, a heading or a quote at the start of one. Only these are escaped: a few Teams
# clients show a needless backslash as typed.
_SPECIAL = re.compile(r"([\\`*_\[\]<])")
_LINE_START = re.compile(r"^(\s*(?:\d+(?=[.)](?:\s|$)))?)([-+#.)](?=\s|$)|>)")


def card(body: Iterable[Element], summary: str, actions: Iterable[Element] = ()) -> Card:
    """An Adaptive Card of schema 1.5 with `summary` as its fallback text (what a notification
    or a client that cannot render the card shows)."""
    shell: Card = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "fallbackText": summary,
        "body": list(body),
    }
    chosen = list(actions)
    if chosen:
        shell["actions"] = chosen
    return shell


def escape(text: str) -> str:
    """Text a person typed, made safe for a TextBlock: no emphasis, link, list or date function,
    and each of its lines kept as a line."""
    lines = [_escape_line(line) for line in text.splitlines()]
    return "\n\n".join(line for line in lines if line) if len(lines) > 1 else "".join(lines)


def _escape_line(line: str) -> str:
    escaped = _SPECIAL.sub(r"\\\1", line.strip("\r"))
    escaped = _LINE_START.sub(r"\1\\\2", escaped)
    # {{ opens an Adaptive Cards function whatever stands before it: a zero-width space parts it.
    return escaped.replace("{{", "{\u200b{").replace("}}", "}\u200b}")


def emoji(name: str) -> str:
    """The emoji of a shortcode name, or nothing when it has none here."""
    return EMOJI.get(name, "")


def text_block(text: str, **style: Any) -> Element:
    """A wrapping TextBlock of Markdown that is already written (escaped where it must be)."""
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def heading(text: str) -> Element:
    """A card's title line, from plain text."""
    return text_block(escape(text), size="Large", weight="Bolder")


def subtle(text: str) -> Element:
    """A small grey line of Markdown (where a step is, who decided, a hint)."""
    return text_block(text, isSubtle=True, size="Small", spacing="Small")


def bold(text: str) -> str:
    """Markdown `text` in bold."""
    return f"**{text}**"


def quote(text: str) -> Element:
    """What a person typed, set apart as theirs: each line its own, nothing of it markup."""
    return {
        "type": "Container",
        "style": "emphasis",
        "items": [text_block(escape(text) or "\u2014")],
    }


@lru_cache(maxsize=1024)
def _blocks(text: str) -> tuple[str, ...]:
    written: list[str] = []
    for block in markup.parse(text):
        if isinstance(block, Paragraph):
            written.append(_inlines(block.children))
            continue
        markers = markup.list_markers(block)
        items = [" ".join(_inlines(p.children) for p in item) for item in block.items]
        written.append("\n".join(m + i for m, i in zip(markers, items, strict=True)))
    return tuple(line for line in written if line.strip())


def from_markup(text: str, **style: Any) -> list[Element]:
    """The guide's markup `text` as TextBlocks: one per paragraph or list."""
    return [text_block(block, **style) for block in _blocks(text)]


def markup_text(text: str) -> str:
    """The guide's markup `text` as one Markdown string (paragraphs apart by a blank line)."""
    return "\n\n".join(_blocks(text))


def _inlines(children: tuple[Inline, ...]) -> str:
    return "".join(_inline(child) for child in children).strip()


def _inline(child: Inline) -> str:
    if isinstance(child, Text | Code):  # Teams shows no code spans: the words as written
        return _escape_line(child.text)
    if isinstance(child, Emoji):
        return emoji(child.name)
    if isinstance(child, SoftBreak):
        return " "
    if isinstance(child, HardBreak):
        return "\n\n"
    if isinstance(child, Strong):
        return bold(_inlines(child.children))
    return f"[{_inlines(child.children)}]({_url(child.url)})"


def unknown_emoji(text: str) -> list[str]:
    """The emoji names in the guide's markup `text` that Teams gets no emoji for."""
    found: list[str] = []
    for block in markup.parse(text):
        items = ((block,),) if isinstance(block, Paragraph) else block.items
        for paragraph in (p for item in items for p in item):
            found += _emoji_names(paragraph.children)
    return [name for name in found if name not in EMOJI]


def _emoji_names(children: tuple[Inline, ...]) -> list[str]:
    names: list[str] = []
    for child in children:
        if isinstance(child, Emoji):
            names.append(child.name)
        elif isinstance(child, Strong | markup.Link):
            names += _emoji_names(child.children)
    return names


def execute(title: str, verb: str, data: dict[str, Any], **extra: Any) -> Element:
    """An Action.Execute button (Universal Actions: an `adaptiveCard/action` invoke)."""
    return {"type": "Action.Execute", "title": title, "verb": verb, "data": data, **extra}


def open_url(title: str, url: str) -> Element:
    """A link button."""
    return {"type": "Action.OpenUrl", "title": title, "url": url}


def action_set(actions: Iterable[Element], **extra: Any) -> Element:
    """A row of buttons in the card's body."""
    return {"type": "ActionSet", "actions": list(actions), **extra}


class TeamsPen:
    """The shared words (bot.wording) written as the Markdown a TextBlock shows.

    Teams cards cannot mention by id alone: a person is shown by the name in `names` (their
    Entra object id -> display name), or by their id when no name is known.
    """

    br = "\n\n"
    chat = "Teams"
    dms = "our personal chat"

    def __init__(self, names: Mapping[str, str] | None = None) -> None:
        self.names: Mapping[str, str] = names or {}

    def bold(self, text: str) -> str:
        """Bold."""
        return bold(text)

    def italic(self, text: str) -> str:
        """Italics."""
        return f"_{text}_"

    def said(self, text: str) -> str:
        """Typed text, escaped."""
        return escape(text)

    def person(self, user_id: str) -> str:
        """A person by name (their id when no name is known), escaped."""
        return escape(self.names.get(user_id) or user_id)

    def when(self, at: datetime) -> str:
        """A moment the reader's Teams shows in their own time zone and language."""
        stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{{{{DATE({stamp}, SHORT)}}}} {{{{TIME({stamp})}}}}"

    def emoji(self, name: str) -> str:
        """The emoji itself."""
        return emoji(name)

    def code(self, text: str) -> str:
        """A value to copy, in bold (Teams shows no code spans in a TextBlock)."""
        return bold(escape(text))

    def link(self, url: str, label: str) -> str:
        """A Markdown link."""
        return f"[{label}]({_url(url)})"

    def enroll_how(self) -> str:
        """The word an admin sends the bot to set up their authenticator."""
        return f"send me {bold('enroll')} in our personal chat and follow the steps there"


TEAMS = TeamsPen()


def _url(url: str) -> str:
    """A URL that cannot end a Markdown link early."""
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
