"""Renders the guide: the topic menu, a step with its buttons, and the ends of a walk."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain.guide import Guide, Outcome, Step, Topic
from bot.domain.walks import WalkRecord
from handlers.ids import ActionId, BlockId
from handlers.wire import StepRef


@dataclass(frozen=True)
class Message:
    """A message body: blocks plus the plain-text fallback Slack shows in notifications."""

    text: str
    blocks: list[Block]

    @classmethod
    def plain(cls, text: str) -> Message:
        """A message of one mrkdwn section."""
        return cls(text=text, blocks=[SectionBlock(text=MarkdownTextObject(text=text))])


def build_menu(guide: Guide, intro: str | None = None) -> Message:
    """The six topics of the article, each with a button that starts its walk."""
    blocks: list[Block] = [
        HeaderBlock(text=guide.texts.menu_header),
        SectionBlock(text=MarkdownTextObject(text=intro or guide.texts.menu_intro)),
        *_topic_sections(guide),
    ]
    return Message(text=guide.texts.menu_header, blocks=blocks)


def build_home(guide: Guide) -> View:
    """The Home tab: what the bot does, and the same menu."""
    blocks: list[Block] = [
        HeaderBlock(text=guide.texts.menu_header),
        SectionBlock(text=MarkdownTextObject(text=guide.texts.home_intro)),
        DividerBlock(),
        *_topic_sections(guide),
    ]
    return View(type="home", blocks=blocks)


def _topic_sections(guide: Guide) -> list[Block]:
    return [
        SectionBlock(
            block_id=f"{BlockId.MENU}-{topic.id}",
            text=MarkdownTextObject(text=f"*{topic.title}*\n{topic.summary}"),
            accessory=ButtonElement(
                text=PlainTextObject(text="Choose"),
                action_id=f"{ActionId.TOPIC}{topic.id}",
                value=topic.id,
            ),
        )
        for topic in guide.topics
    ]


def build_walk(guide: Guide, walk: WalkRecord) -> Message:
    """Whatever the walk shows now: its current step, the "worked" end, or how to reach IT."""
    topic = guide.topic(walk.state.topic_id)
    step = guide.step(topic.id, walk.state.current)
    ref = StepRef(walk_id=walk.id, topic_id=topic.id, step_id=step.id).encode()
    if walk.state.outcome is Outcome.WORKED:
        return _ending(topic, guide.texts.worked, ref)
    if walk.state.outcome is Outcome.ESCALATED:
        return _ending(topic, guide.texts.contact_it, ref)
    return _step(topic, step, len(walk.state.path), ref)


def _step(topic: Topic, step: Step, depth: int, ref: str) -> Message:
    blocks: list[Block] = [
        ContextBlock(elements=[MarkdownTextObject(text=f"*{topic.title}* · step {depth}")]),
        SectionBlock(text=MarkdownTextObject(text=step.text)),
    ]
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
    buttons = [_button("That worked", ActionId.WORKED, ref, style="primary")]
    if step.next:
        buttons.append(_button("That didn't work", ActionId.NEXT, ref))
    if step.contact_it:
        buttons.append(_button("Contact IT", ActionId.CONTACT_IT, ref, style="danger"))
    if depth > 1:
        buttons.append(_button("Back", ActionId.BACK, ref))
    buttons.append(_button("Start over", ActionId.RESTART, ref))
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


def _ending(topic: Topic, text: str, ref: str) -> Message:
    blocks: list[Block] = [
        ContextBlock(elements=[MarkdownTextObject(text=f"*{topic.title}*")]),
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(
            block_id=BlockId.STEP_BUTTONS,
            elements=[
                _button("Back", ActionId.BACK, ref),
                _button("Start over", ActionId.RESTART, ref),
            ],
        ),
    ]
    return Message(text=topic.title, blocks=blocks)


def _button(label: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=label), action_id=action_id, value=value, style=style
    )
