"""The troubleshooting guide: its validated content and the walk through it as a state machine."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from bot.domain import markup

# The walk offers a few branches per step and a few links; how they are drawn is the front end's.
MAX_CHOICES = 5
MAX_LINKS = 3

StepId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")]
PlainText = Annotated[str, StringConstraints(min_length=1)]


def _parsed(text: str) -> str:
    markup.parse(text)  # MarkupError is a ValueError: pydantic reports it with the field's place
    return text


# Text in the guide's neutral markup (see bot.domain.markup), checked to parse.
MarkupText = Annotated[str, StringConstraints(min_length=1), AfterValidator(_parsed)]


class WalkOutcome(StrEnum):
    """How a walk ended."""

    IN_PROGRESS = "in_progress"
    WORKED = "worked"
    ESCALATED = "escalated"
    ABANDONED = "abandoned"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Link(_Strict):
    """A link button under a step."""

    label: PlainText
    url: str


class Choice(_Strict):
    """A branch of the article ("if you don't see ...") as a button that jumps to a step."""

    label: PlainText
    goto: StepId


class Step(_Strict):
    """One message of a walk."""

    id: StepId
    text: MarkupText
    next: StepId | None = None
    choices: list[Choice] = Field(default_factory=list, max_length=MAX_CHOICES)
    contact_it: bool = False
    links: list[Link] = Field(default_factory=list, max_length=MAX_LINKS)


class Topic(_Strict):
    """A section of the article: a title for the menu and the steps of its walk."""

    id: StepId
    title: PlainText
    button: PlainText
    summary: MarkupText
    keywords: list[str] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)

    @property
    def first_step(self) -> Step:
        """The step a walk of this topic starts on."""
        return self.steps[0]


class Texts(_Strict):
    """The guide's fixed wording around the topics."""

    menu_header: PlainText
    menu_intro: MarkupText
    home_intro: MarkupText
    worked: MarkupText
    contact_it: MarkupText
    not_matched: MarkupText
    abandoned: MarkupText


class Guide(_Strict):
    """The whole guide for one language, checked so that every walk is complete."""

    language: str
    title: PlainText
    variables: dict[str, str] = Field(default_factory=dict)
    texts: Texts
    topics: list[Topic] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _check_graph(self) -> Self:
        seen_topics: set[str] = set()
        for t_index, topic in enumerate(self.topics):
            where = f"topics[{t_index}]"
            if topic.id in seen_topics:
                raise ValueError(f"{where}.id: topic id {topic.id!r} is used twice")
            seen_topics.add(topic.id)
            ids = [step.id for step in topic.steps]
            duplicates = {i for i in ids if ids.count(i) > 1}
            if duplicates:
                raise ValueError(f"{where}.steps: step id {sorted(duplicates)[0]!r} is used twice")
            for s_index, step in enumerate(topic.steps):
                here = f"{where}.steps[{s_index}]"
                targets = [("next", step.next)] + [
                    (f"choices[{c}].goto", choice.goto) for c, choice in enumerate(step.choices)
                ]
                for name, target in targets:
                    if target is not None and target not in ids:
                        raise ValueError(f"{here}.{name}: no step {target!r} in topic {topic.id!r}")
                if step.next is None and not step.contact_it:
                    raise ValueError(f"{here}: a step without 'next' must offer 'contact_it'")
                labels = [c.label for c in step.choices]
                if len(set(labels)) != len(labels):
                    raise ValueError(f"{here}.choices: two choices have the same label")
            unreachable = set(ids) - _reachable(topic)
            if unreachable:
                raise ValueError(
                    f"{where}.steps: step {sorted(unreachable)[0]!r} cannot be reached "
                    f"from {topic.first_step.id!r}"
                )
        return self

    def topic(self, topic_id: str) -> Topic:
        """The topic with this id; KeyError when there is none."""
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(topic_id)

    def step(self, topic_id: str, step_id: str) -> Step:
        """The step with this id in the topic; KeyError when there is none."""
        for step in self.topic(topic_id).steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def match_topic(self, text: str) -> Topic | None:
        """The topic whose keywords best match free text, or None when nothing clearly does."""
        words = _words(text)
        if not words:
            return None
        scores: list[tuple[float, int, Topic]] = []
        for index, topic in enumerate(self.topics):
            score = 0.0
            for keyword in topic.keywords:
                kw_words = _words(keyword)
                if kw_words and kw_words <= words:
                    score += len(kw_words) * 2
                else:
                    score += len(kw_words & words) * 0.5
            scores.append((score, -index, topic))
        scores.sort(key=lambda item: (item[0], item[1]), reverse=True)
        best = scores[0]
        runner_up = scores[1][0] if len(scores) > 1 else 0.0
        if best[0] < 1 or best[0] == runner_up:
            return None
        return best[2]


def _reachable(topic: Topic) -> set[str]:
    by_id = {step.id: step for step in topic.steps}
    todo = [topic.first_step.id]
    seen: set[str] = set()
    while todo:
        step_id = todo.pop()
        if step_id in seen:
            continue
        seen.add(step_id)
        step = by_id[step_id]
        todo.extend(c.goto for c in step.choices)
        if step.next:
            todo.append(step.next)
    return seen


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9']+", text.lower()) if len(w) > 1}


class Move(StrEnum):
    """What the employee pressed on a step."""

    WORKED = "worked"
    NEXT = "next"
    BACK = "back"
    CHOICE = "choice"
    CONTACT_IT = "contact_it"
    RESTART = "restart"


@dataclass(frozen=True)
class WalkState:
    """Where a walk stands: the topic, the trail of steps back to the start, every step seen."""

    topic_id: str
    path: tuple[str, ...]
    seen: tuple[str, ...] = ()
    outcome: WalkOutcome = WalkOutcome.IN_PROGRESS
    choices: tuple[str, ...] = field(default=())

    @property
    def current(self) -> str:
        """The step on screen."""
        return self.path[-1]

    @classmethod
    def start(cls, guide: Guide, topic_id: str) -> WalkState:
        """A new walk on the topic's first step."""
        first = guide.topic(topic_id).first_step.id
        return cls(topic_id=topic_id, path=(first,), seen=(first,))


def advance(guide: Guide, state: WalkState, move: Move, *, choice: int = 0) -> WalkState:
    """The state after a move; a move that makes no sense on this step leaves the walk where it is.

    `state.current` must be the step the button was on; the handler re-reads it from storage.
    """
    step = guide.step(state.topic_id, state.current)  # KeyError: a step the guide no longer has
    if move in _ENDS:
        return replace(state, outcome=_ENDS[move])
    if move is Move.RESTART:
        ended = WalkOutcome.ABANDONED if state.outcome is WalkOutcome.IN_PROGRESS else state.outcome
        return replace(state, outcome=ended)
    if move is Move.BACK:
        return _back(state)
    if move is Move.NEXT:
        return _go(state, step.next, state.choices)
    if 0 <= choice < len(step.choices):
        picked = step.choices[choice]
        return _go(state, picked.goto, (*state.choices, f"{step.id}:{picked.label}"))
    return state


_ENDS = {Move.WORKED: WalkOutcome.WORKED, Move.CONTACT_IT: WalkOutcome.ESCALATED}


def _back(state: WalkState) -> WalkState:
    """Back from an end is the step it ended on; back from a step is the one before it."""
    if state.outcome is not WalkOutcome.IN_PROGRESS:
        return replace(state, outcome=WalkOutcome.IN_PROGRESS)
    if len(state.path) == 1:
        return state
    return replace(state, path=state.path[:-1], outcome=WalkOutcome.IN_PROGRESS)


def _go(state: WalkState, target: str | None, chosen: tuple[str, ...]) -> WalkState:
    """On to `target`, remembering what was chosen; nowhere to go leaves the walk as it is."""
    if target is None:
        return state
    return WalkState(
        topic_id=state.topic_id,
        path=(*state.path, target),
        seen=(*state.seen, target),
        outcome=WalkOutcome.IN_PROGRESS,
        choices=chosen,
    )
