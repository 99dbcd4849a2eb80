"""The guide's neutral markup: a small CommonMark subset, parsed into a tree front ends render."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

SUPPORTED = (
    "paragraphs, bold between double asterisks, [text](url) links, code between backticks, "
    "lists of '1.' or '-' items, and emoji named between colons"
)


class MarkupError(ValueError):
    """The text uses markup outside the guide's subset; the message says which and what to write."""


@dataclass(frozen=True)
class Text:
    """Words as written (escapes resolved)."""

    text: str


@dataclass(frozen=True)
class Code:
    """A code span: a command or a value to type exactly."""

    text: str


@dataclass(frozen=True)
class Emoji:
    """An emoji by its shortcode name, written between colons as on GitHub."""

    name: str


@dataclass(frozen=True)
class SoftBreak:
    """A line break inside a paragraph: a space once shown."""


@dataclass(frozen=True)
class HardBreak:
    """A line break the writer asked for (a backslash or two spaces at the end of a line)."""


@dataclass(frozen=True)
class Strong:
    """Bold text."""

    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Link:
    """A link: its url and the text shown for it."""

    url: str
    children: tuple[Inline, ...]


Inline = Text | Code | Emoji | SoftBreak | HardBreak | Strong | Link


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of inline content."""

    children: tuple[Inline, ...]


@dataclass(frozen=True)
class BulletList:
    """A list whose items are each one or more paragraphs."""

    items: tuple[tuple[Paragraph, ...], ...]


@dataclass(frozen=True)
class OrderedList:
    """A numbered list counting from `start`."""

    start: int
    items: tuple[tuple[Paragraph, ...], ...]


Block = Paragraph | BulletList | OrderedList

_EMOJI = re.compile(r":([a-z][a-z0-9_+-]*):")
_SPACES = re.compile(r" {2,}")  # where an emoji was left out
_UNSUPPORTED = {
    "heading": "a heading (#)",
    "blockquote": "a quote (>)",
    "code_block": "an indented code block",
    "fence": "a fenced code block",
    "hr": "a horizontal rule",
    "html_block": "HTML",
    "html_inline": "HTML",
    "image": "an image",
    "autolink": "a link in angle brackets (write links as [text](url))",
    "em": "emphasis with a single '*' or '_' (bold has two asterisks each side)",
}


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark")
    md.disable("text_join")  # keeps escaped characters apart from raw text, to tell `\<` from `<`
    # Links are taken as written; which schemes are allowed is the guide's check (https only).
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    return md


_MD = _parser()


@lru_cache(maxsize=1024)
def parse(text: str) -> tuple[Block, ...]:
    """The blocks of `text`; MarkupError when it uses markup outside the subset."""
    root = SyntaxTreeNode(_MD.parse(text))
    return tuple(_block(node) for node in root.children)


def plain(text: str) -> str:
    """The text without markup: one line per paragraph or list item, emoji left out."""
    lines: list[str] = []
    for block in parse(text):
        if isinstance(block, Paragraph):
            lines.append(_plain_inline(block.children))
            continue
        for marker, item in zip(list_markers(block), block.items, strict=True):
            lines.append(marker + "\n".join(_plain_inline(p.children) for p in item))
    return "\n".join(lines)


def list_markers(block: BulletList | OrderedList) -> list[str]:
    """What stands before each item when a list is written as text: "1. " or "- "."""
    if isinstance(block, OrderedList):
        return [f"{number}. " for number in range(block.start, block.start + len(block.items))]
    return ["- "] * len(block.items)


def first_line(text: str) -> str:
    """The first line of the plain text: a step's title."""
    return plain(text).split("\n", 1)[0]


def links(text: str) -> list[str]:
    """Every link's url, in order."""
    found: list[str] = []
    for block in parse(text):
        items = ((block,),) if isinstance(block, Paragraph) else block.items
        for paragraph in (paragraph for item in items for paragraph in item):
            found += _urls(paragraph.children)
    return found


def escape(text: str) -> str:
    """Text that reads as itself once parsed: every ASCII punctuation mark escaped."""
    return "".join(f"\\{char}" if char in string.punctuation else char for char in text)


def _block(node: SyntaxTreeNode) -> Block:
    if node.type == "paragraph":
        return Paragraph(_inlines(node.children[0].children))
    if node.type in ("bullet_list", "ordered_list"):
        items = tuple(_item(item) for item in node.children)
        if node.type == "bullet_list":
            return BulletList(items)
        return OrderedList(int(str(node.attrs.get("start", 1))), items)
    raise _unsupported(node.type)


def _item(node: SyntaxTreeNode) -> tuple[Paragraph, ...]:
    blocks = [_block(child) for child in node.children]
    paragraphs = tuple(block for block in blocks if isinstance(block, Paragraph))
    if len(paragraphs) != len(blocks):
        raise MarkupError(f"a list inside a list item; the markup has {SUPPORTED}")
    return paragraphs


def _inlines(nodes: list[SyntaxTreeNode]) -> tuple[Inline, ...]:
    result: list[Inline] = []
    for node in nodes:
        for inline in _inline(node):
            if isinstance(inline, Text) and result and isinstance(result[-1], Text):
                result[-1] = Text(result[-1].text + inline.text)
            elif not (isinstance(inline, Text) and not inline.text):
                result.append(inline)
    return tuple(result)


def _inline(node: SyntaxTreeNode) -> list[Inline]:
    if node.type == "text":
        return _words(node.content)
    if node.type == "text_special":  # an escaped character or an entity: never markup
        return [Text(node.content)]
    if node.type == "softbreak":
        return [SoftBreak()]
    if node.type == "hardbreak":
        return [HardBreak()]
    if node.type == "code_inline":
        return [Code(node.content)]
    if node.type == "strong":
        return [Strong(_inlines(node.children))]
    if node.type == "link" and node.markup != "autolink":
        return [Link(str(node.attrs["href"]), _inlines(node.children))]
    raise _unsupported("autolink" if node.type == "link" else node.type)


def _words(text: str) -> list[Inline]:
    if "<" in text:
        raise MarkupError(
            "a '<' that starts no link (Slack's <url|text> is not markup): "
            "write links as [text](url), or \\< for the sign itself"
        )
    if "*" in text:
        raise MarkupError(
            "an asterisk that opens no bold (two each side): escape a lone one with \\"
        )
    parts = _EMOJI.split(text)
    # re.split with one group alternates text and emoji names: text, name, text, ...
    return [Emoji(part) if index % 2 else Text(part) for index, part in enumerate(parts)]


def _unsupported(kind: str) -> MarkupError:
    what = _UNSUPPORTED.get(kind, kind)
    return MarkupError(f"{what} is not part of the guide's markup, which has {SUPPORTED}")


def _plain_inline(children: tuple[Inline, ...]) -> str:
    parts: list[str] = []
    for child in children:
        if isinstance(child, Text | Code):
            parts.append(child.text)
        elif isinstance(child, SoftBreak):
            parts.append(" ")
        elif isinstance(child, HardBreak):
            parts.append("\n")
        elif isinstance(child, Strong | Link):
            parts.append(_plain_inline(child.children))
    return _SPACES.sub(" ", "".join(parts)).strip()


def _urls(children: tuple[Inline, ...]) -> list[str]:
    found: list[str] = []
    for child in children:
        if isinstance(child, Link):
            found.append(child.url)
        if isinstance(child, Strong | Link):
            found += _urls(child.children)
    return found
