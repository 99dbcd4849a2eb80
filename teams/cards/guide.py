"""Renders the guide for Teams: the topic menu, a step with its buttons, and the ends of a walk.

The twin of handlers/blocks/guide.py: the same words (the guide's and bot.wording's), the same
buttons, as one Adaptive Card per walk that is updated in place.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from bot import wording
from bot.domain.guide import Guide, Picture, Step, Topic, WalkOutcome, WalkState
from bot.domain.understand import Intent, Understanding
from bot.domain.walks import WalkRecord
from teams.cards.text import (
    Card,
    Element,
    action_set,
    bold,
    card,
    escape,
    execute,
    from_markup,
    heading,
    open_url,
    subtle,
    text_block,
)
from teams.ids import Verb
from teams.payloads import ChoiceData, StepData, TopicData

# Buttons per row under "More problems": Teams cuts a long title short in a fuller row.
MORE_PER_ROW = 2


def build_menu(guide: Guide, intro: str | None = None) -> Card:
    """The topics people bring most often, each with a button that starts its walk, then rows of
    buttons for the others; `intro` is one of the guide's texts (markup), the menu's own by
    default."""
    first, more = guide.menu_groups()
    body: list[Element] = [
        heading(guide.texts.menu_header),
        *from_markup(intro or guide.texts.menu_intro),
        *(_topic(topic) for topic in first),
    ]
    if more:
        rows = [more[i : i + MORE_PER_ROW] for i in range(0, len(more), MORE_PER_ROW)]
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    text_block(bold(escape(guide.menu.more))),
                    *(action_set(_start(topic, topic.button) for topic in row) for row in rows),
                ],
            }
        )
    return card(body, guide.texts.menu_header)


def _topic(topic: Topic) -> Element:
    return {
        "type": "Container",
        "separator": True,
        "items": [
            text_block(bold(escape(topic.title))),
            *from_markup(topic.summary, spacing="None"),
            action_set([_start(topic, wording.SHOW_STEPS)]),
        ],
    }


def _start(topic: Topic, title: str) -> Element:
    return execute(title, Verb.TOPIC, TopicData(topic_id=topic.id).to_data())


def build_answer(guide: Guide, understood: Understanding) -> Card:
    """The answer to typed text that starts no walk: a short reply to a greeting or thanks, the
    topics that fit about as well (a button for each), or the menu (saying so when nothing fit)."""
    texts = guide.texts
    if understood.intent is Intent.GREETING:
        return card(from_markup(texts.greeting), texts.greeting)
    if understood.intent is Intent.THANKS:
        return card(from_markup(texts.thanks), texts.thanks)
    if understood.intent is Intent.TOPICS:
        return build_offer(guide, understood.topics)
    return build_menu(guide, texts.not_matched if understood.intent is Intent.UNKNOWN else None)


def build_offer(guide: Guide, topic_ids: Sequence[str]) -> Card:
    """A short card offering the topics that fit, each button starting its walk."""
    buttons = [
        execute(topic.button, Verb.TOPIC, TopicData(topic_id=topic.id).to_data())
        for topic in map(guide.topic, topic_ids)
    ]
    return card([*from_markup(guide.texts.did_you_mean), action_set(buttons)], wording.CHOOSE)


def build_walk(guide: Guide, walk: WalkRecord, pictures: Mapping[str, str] | None = None) -> Card:
    """Whatever the walk shows now: its current step, the "worked" end, or how to reach IT."""
    return render_walk(guide, walk.state, walk.id, pictures)


def render_walk(
    guide: Guide, state: WalkState, walk_id: str, pictures: Mapping[str, str] | None = None
) -> Card:
    """The walk's card with `walk_id` in its buttons' data; `pictures` are the guide's pictures
    (file -> data: or https URL)."""
    topic = guide.topic(state.topic_id)
    step = guide.step(topic.id, state.current)
    ref = StepData(walk_id=walk_id, topic_id=topic.id, step_id=step.id)
    if state.outcome is WalkOutcome.WORKED:
        return _worked(guide, topic, ref)
    if state.outcome is WalkOutcome.ESCALATED:
        return _escalated(topic, guide.texts.contact_it, ref)
    return _step(topic, step, len(state.path), ref, pictures or {})


def _picture(picture: Picture, pictures: Mapping[str, str]) -> Element:
    """The picture, else its description in words."""
    url = pictures.get(picture.file)
    if url is None:
        return subtle(escape(picture.alt))
    return {"type": "Image", "url": url, "altText": picture.alt, "size": "Large"}


def _step(topic: Topic, step: Step, depth: int, ref: StepData, pictures: Mapping[str, str]) -> Card:
    data = ref.to_data()
    body: list[Element] = [
        subtle(f"{bold(escape(topic.title))} · step {depth}"),
        *from_markup(step.text),
    ]
    if step.picture is not None:
        body.append(_picture(step.picture, pictures))
        if step.picture.caption and step.picture.file in pictures:
            body.append(subtle(escape(step.picture.caption)))
    if step.choices:
        choices = [
            execute(choice.label, Verb.CHOICE, {**data, **_choice(ref, index)})
            for index, choice in enumerate(step.choices)
        ]
        body.append(action_set(choices))
    buttons = []
    if not topic.informational:
        buttons.append(execute(wording.WORKED, Verb.WORKED, data, style="positive"))
    if step.next:
        label = wording.READ_ON if topic.informational else wording.NOT_WORKED
        buttons.append(execute(label, Verb.NEXT, data))
    if step.report_prompt:
        buttons.append(execute(wording.REPORT_IT, Verb.REPORT_PROMPT, data, style="positive"))
    if step.contact_it:
        buttons.append(execute(wording.CONTACT_IT, Verb.CONTACT_IT, data))
    if depth > 1:
        buttons.append(execute(wording.BACK, Verb.BACK, data))
    buttons.append(execute(wording.START_OVER, Verb.RESTART, data))
    body.append(action_set(buttons))
    if step.links:
        body.append(action_set(open_url(link.label, link.url) for link in step.links))
    return card(body, f"{topic.title}: step {depth}")


def _choice(ref: StepData, index: int) -> dict[str, Any]:
    picked = ChoiceData(
        walk_id=ref.walk_id, topic_id=ref.topic_id, step_id=ref.step_id, choice=index
    )
    return picked.to_data()


def _worked(guide: Guide, topic: Topic, ref: StepData) -> Card:
    """The end of a walk that worked: nothing to go back to, IT's button where the topic asks
    people to tell IT anyway."""
    data = ref.to_data()
    buttons = [execute(wording.START_OVER, Verb.RESTART, data)]
    if topic.worked is not None and topic.worked.contact_it:
        buttons.insert(0, execute(wording.CONTACT_IT, Verb.CONTACT_IT, data))
    body: list[Element] = [
        subtle(bold(escape(topic.title))),
        *from_markup(guide.worked_text(topic)),
        action_set(buttons),
    ]
    return card(body, topic.title)


def _escalated(topic: Topic, text: str, ref: StepData) -> Card:
    data = ref.to_data()
    body: list[Element] = [
        subtle(bold(escape(topic.title))),
        *from_markup(text),
        action_set(
            [
                execute(wording.BACK, Verb.BACK, data),
                execute(wording.START_OVER, Verb.RESTART, data),
            ]
        ),
    ]
    return card(body, topic.title)


# A walk id no walk has: the cached card's placeholder for the walk's own id.
_WALK = "0" * 32


class TeamsScreens:
    """The guide's cards rendered once and kept as JSON; a walk's card is its step's template
    with the walk's id filled in (the guide does not change while the bot runs)."""

    def __init__(self, guide: Guide, pictures: Mapping[str, str] | None = None) -> None:
        self.guide = guide
        self.pictures = dict(pictures or {})
        self._menus: dict[str | None, str] = {}
        self._walks: dict[tuple[str, str, str, int], str] = {}

    def menu(self, intro: str | None = None) -> Card:
        """The topic menu, with the default or the given introduction."""
        if intro not in self._menus:
            self._menus[intro] = json.dumps(build_menu(self.guide, intro))
        loaded: Card = json.loads(self._menus[intro])
        return loaded

    def walk(self, walk: WalkRecord) -> Card:
        """What the walk shows now (see build_walk)."""
        state = walk.state
        key = (state.topic_id, state.current, state.outcome.value, len(state.path))
        if key not in self._walks:
            self._walks[key] = json.dumps(render_walk(self.guide, state, _WALK, self.pictures))
        filled: Card = json.loads(self._walks[key].replace(f'"{_WALK}"', json.dumps(walk.id)))
        return filled
