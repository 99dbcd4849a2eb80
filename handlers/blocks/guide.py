"""Renders the guide: the topic menu, a step with its buttons, and the ends of a walk."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    ImageBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot import wording
from bot.domain.guide import Guide, Picture, Step, Topic, WalkOutcome, WalkState
from bot.domain.understand import Intent, Understanding
from bot.domain.walks import WalkRecord
from handlers.blocks.markup import to_mrkdwn
from handlers.blocks.text import escape_mrkdwn
from handlers.ids import ActionId, BlockId
from handlers.payloads import StepRef


@dataclass(frozen=True)
class Message:
    """A message body: blocks plus the plain-text fallback Slack shows in notifications.

    `blocks_json`, when given, is `blocks` already encoded, so that a message rendered once and
    sent often is not encoded again for every post.
    """

    text: str
    blocks: Sequence[Block | dict[str, Any]]
    blocks_json: str | None = field(default=None, compare=False, repr=False)

    def to_json(self, **fields: Any) -> str:
        """The message as a JSON body, with `fields` (such as replace_original) beside it."""
        blocks = self.blocks_json or json.dumps([_dict(block) for block in self.blocks])
        head = json.dumps({"text": self.text, **fields})
        return f'{head[:-1]}, "blocks": {blocks}}}'

    @classmethod
    def plain(cls, text: str) -> Message:
        """A message of one mrkdwn section."""
        return cls(text=text, blocks=[SectionBlock(text=MarkdownTextObject(text=text))])


def build_menu(guide: Guide, intro: str | None = None) -> Message:
    """The topics people bring most often, each with a button that starts its walk, then a row
    of buttons for the others; `intro` is one of the guide's texts (markup), the menu's own by
    default."""
    blocks: list[Block] = [
        HeaderBlock(text=guide.texts.menu_header),
        SectionBlock(text=MarkdownTextObject(text=to_mrkdwn(intro or guide.texts.menu_intro))),
        *_topic_sections(guide),
    ]
    return Message(text=guide.texts.menu_header, blocks=blocks)


def build_answer(guide: Guide, understood: Understanding) -> Message:
    """The answer to typed text that starts no walk: a short reply to a greeting or thanks, the
    topics that fit about as well (a button for each), or the menu (saying so when nothing fit)."""
    texts = guide.texts
    if understood.intent is Intent.GREETING:
        return Message.plain(to_mrkdwn(texts.greeting))
    if understood.intent is Intent.THANKS:
        return Message.plain(to_mrkdwn(texts.thanks))
    if understood.intent is Intent.TOPICS:
        return build_offer(guide, understood.topics)
    return build_menu(guide, texts.not_matched if understood.intent is Intent.UNKNOWN else None)


def build_offer(guide: Guide, topic_ids: Sequence[str]) -> Message:
    """A short message offering the topics that fit, each button starting its walk."""
    intro = to_mrkdwn(guide.texts.did_you_mean)
    buttons = [
        ButtonElement(
            text=PlainTextObject(text=topic.button),
            action_id=f"{ActionId.TOPIC}{topic.id}",
            value=topic.id,
        )
        for topic in map(guide.topic, topic_ids)
    ]
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=intro)),
        ActionsBlock(block_id=BlockId.MENU, elements=buttons),
    ]
    return Message(text=intro, blocks=blocks)


def build_home(guide: Guide) -> View:
    """The Home tab: what the bot does, and the same menu."""
    blocks: list[Block] = [
        HeaderBlock(text=guide.texts.menu_header),
        SectionBlock(text=MarkdownTextObject(text=to_mrkdwn(guide.texts.home_intro))),
        DividerBlock(),
        *_topic_sections(guide),
    ]
    return View(type="home", blocks=blocks)


def home_with(home: dict[str, Any], top: Sequence[Block]) -> dict[str, Any]:
    """The Home tab (as `GuideScreens.home` keeps it) with `top` under its introduction."""
    if not top:
        return home
    blocks = list(home["blocks"])
    at = next((n for n, b in enumerate(blocks) if b.get("type") == "divider"), len(blocks))
    return {**home, "blocks": [*blocks[:at], *(b.to_dict() for b in top), *blocks[at:]]}


def _topic_sections(guide: Guide) -> list[Block]:
    """The menu's topics: the first ones with their summaries, the others as one row of buttons."""
    first, more = guide.menu_groups()
    blocks: list[Block] = [
        SectionBlock(
            block_id=f"{BlockId.MENU}-{topic.id}",
            text=MarkdownTextObject(text=f"*{topic.title}*\n{to_mrkdwn(topic.summary)}"),
            accessory=_topic_button(topic, wording.SHOW_STEPS),
        )
        for topic in first
    ]
    if more:
        blocks += [
            SectionBlock(text=MarkdownTextObject(text=f"*{escape_mrkdwn(guide.menu.more)}*")),
            ActionsBlock(
                block_id=f"{BlockId.MENU}-more",
                elements=[_topic_button(topic, topic.button) for topic in more],
            ),
        ]
    return blocks


def _topic_button(topic: Topic, label: str) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=label), action_id=f"{ActionId.TOPIC}{topic.id}", value=topic.id
    )


def build_walk(
    guide: Guide, walk: WalkRecord, pictures: Mapping[str, str] | None = None
) -> Message:
    """Whatever the walk shows now: its current step, the "worked" end, or how to reach IT."""
    state = walk.state
    ref = StepRef(walk_id=walk.id, topic_id=state.topic_id, step_id=state.current).encode()
    return render_walk(guide, state, ref, pictures)


def render_walk(
    guide: Guide, state: WalkState, ref: str, pictures: Mapping[str, str] | None = None
) -> Message:
    """The walk's screen with `ref` in its buttons' values; `pictures` are the addresses of the
    guide's pictures (file -> https URL), none when the bot has no public address."""
    topic = guide.topic(state.topic_id)
    step = guide.step(topic.id, state.current)
    if state.outcome is WalkOutcome.WORKED:
        return _worked(guide, topic, ref)
    if state.outcome is WalkOutcome.ESCALATED:
        return _escalated(topic, guide.texts.contact_it, ref)
    return _step(topic, step, len(state.path), ref, pictures or {})


def _picture(picture: Picture, pictures: Mapping[str, str]) -> Block:
    """The picture when Slack can fetch it, else its description in words."""
    url = pictures.get(picture.file)
    if url is None:
        return ContextBlock(elements=[MarkdownTextObject(text=escape_mrkdwn(picture.alt))])
    title = PlainTextObject(text=picture.caption) if picture.caption else None
    return ImageBlock(image_url=url, alt_text=picture.alt, title=title)


def _step(topic: Topic, step: Step, depth: int, ref: str, pictures: Mapping[str, str]) -> Message:
    blocks: list[Block] = [
        ContextBlock(elements=[MarkdownTextObject(text=f"*{topic.title}* · step {depth}")]),
        SectionBlock(text=MarkdownTextObject(text=to_mrkdwn(step.text))),
    ]
    if step.picture is not None:
        blocks.append(_picture(step.picture, pictures))
    if step.choices:
        blocks.append(
            ActionsBlock(
                block_id=BlockId.STEP_CHOICES,
                elements=[
                    ButtonElement(
                        text=PlainTextObject(text=choice.label),
                        action_id=f"{ActionId.CHOICE}{index}",
                        value=ref,
                    )
                    for index, choice in enumerate(step.choices)
                ],
            )
        )
    buttons = (
        [] if topic.informational else [_button(wording.WORKED, ActionId.WORKED, ref, "primary")]
    )
    if step.next:
        label = wording.READ_ON if topic.informational else wording.NOT_WORKED
        buttons.append(_button(label, ActionId.NEXT, ref))
    if step.report_prompt:
        buttons.append(_button(wording.REPORT_IT, ActionId.REPORT_PROMPT, ref, style="primary"))
    if step.contact_it:
        buttons.append(_button(wording.CONTACT_IT, ActionId.CONTACT_IT, ref))
    if depth > 1:
        buttons.append(_button(wording.BACK, ActionId.BACK, ref))
    buttons.append(_button(wording.START_OVER, ActionId.RESTART, ref))
    blocks.append(ActionsBlock(block_id=BlockId.STEP_BUTTONS, elements=buttons))
    if step.links:
        blocks.append(
            ActionsBlock(
                block_id=BlockId.STEP_LINKS,
                elements=[
                    ButtonElement(
                        text=PlainTextObject(text=link.label),
                        action_id=f"{ActionId.LINK}{index}",
                        url=link.url,
                    )
                    for index, link in enumerate(step.links)
                ],
            )
        )
    return Message(text=f"{topic.title}: step {depth}", blocks=blocks)


def _worked(guide: Guide, topic: Topic, ref: str) -> Message:
    """The end of a walk that worked: nothing to go back to, IT's button where the topic asks
    people to tell IT anyway."""
    buttons = [_button(wording.START_OVER, ActionId.RESTART, ref)]
    if topic.worked is not None and topic.worked.contact_it:
        buttons.insert(0, _button(wording.CONTACT_IT, ActionId.CONTACT_IT, ref))
    blocks: list[Block] = [
        ContextBlock(elements=[MarkdownTextObject(text=f"*{topic.title}*")]),
        SectionBlock(text=MarkdownTextObject(text=to_mrkdwn(guide.worked_text(topic)))),
        ActionsBlock(block_id=BlockId.STEP_BUTTONS, elements=buttons),
    ]
    return Message(text=topic.title, blocks=blocks)


def _escalated(topic: Topic, text: str, ref: str) -> Message:
    blocks: list[Block] = [
        ContextBlock(elements=[MarkdownTextObject(text=f"*{topic.title}*")]),
        SectionBlock(text=MarkdownTextObject(text=to_mrkdwn(text))),
        ActionsBlock(
            block_id=BlockId.STEP_BUTTONS,
            elements=[
                _button(wording.BACK, ActionId.BACK, ref),
                _button(wording.START_OVER, ActionId.RESTART, ref),
            ],
        ),
    ]
    return Message(text=topic.title, blocks=blocks)


def _button(label: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=label), action_id=action_id, value=value, style=style
    )


_REF = "\u0000ref\u0000"
_REF_IN_JSON = json.dumps(_REF)[1:-1]


class GuideScreens:
    """The guide's screens rendered once and kept as JSON-ready dicts.

    The guide does not change while the bot runs, so each menu and each (step, outcome, depth)
    is built with slack_sdk.models and validated only the first time; after that a walk's
    screen is its cached template with the walk's reference filled into the button values.
    """

    def __init__(self, guide: Guide, pictures: Mapping[str, str] | None = None) -> None:
        self.guide = guide
        self.pictures = dict(pictures or {})
        self._menus: dict[str | None, Message] = {}
        self._answers: dict[Understanding, Message] = {}
        self._walks: dict[tuple[str, str, str, int], tuple[str, str]] = {}
        self._home: dict[str, Any] | None = None

    def menu(self, intro: str | None = None) -> Message:
        """The topic menu, with the default or the given introduction."""
        if intro not in self._menus:
            self._menus[intro] = _as_dicts(build_menu(self.guide, intro))
        return self._menus[intro]

    def answer(self, understood: Understanding) -> Message:
        """The answer to typed text that starts no walk (see build_answer)."""
        if understood.intent is Intent.MENU:
            return self.menu()
        if understood.intent is Intent.UNKNOWN:
            return self.menu(self.guide.texts.not_matched)
        if understood not in self._answers:
            self._answers[understood] = _as_dicts(build_answer(self.guide, understood))
        return self._answers[understood]

    def home(self) -> dict[str, Any]:
        """The Home tab view."""
        if self._home is None:
            self._home = build_home(self.guide).to_dict()
        return self._home

    def walk(self, walk: WalkRecord) -> Message:
        """What the walk shows now (see build_walk)."""
        state = walk.state
        key = (state.topic_id, state.current, state.outcome.value, len(state.path))
        if key not in self._walks:
            template = render_walk(self.guide, state, _REF, self.pictures)
            blocks = json.dumps([_dict(block) for block in template.blocks])
            self._walks[key] = (template.text, blocks)
        text, blocks = self._walks[key]
        ref = StepRef(walk_id=walk.id, topic_id=state.topic_id, step_id=state.current).encode()
        filled = blocks.replace(_REF_IN_JSON, json.dumps(ref)[1:-1])
        return Message(text=text, blocks=json.loads(filled), blocks_json=filled)


def _dict(block: Block | dict[str, Any]) -> dict[str, Any]:
    return block if isinstance(block, dict) else block.to_dict()


def _as_dicts(message: Message) -> Message:
    return Message(text=message.text, blocks=[_dict(block) for block in message.blocks])
