"""The troubleshooting guide: its validated content and the walk through it as a state machine."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    model_validator,
)

from bot.domain import markup
from bot.domain.requests import Answered, Question, Remaining, questions_for
from bot.domain.understand import Kind, Matcher, Understanding, words_of

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


class Answers(_Strict):
    """The contact form's questions a choice answers (bot.domain.requests.Question), which the
    form then does not ask again."""

    lost_or_stolen: bool | None = None
    remaining: Remaining | None = None

    @model_validator(mode="before")
    @classmethod
    def _known(cls, data: object) -> object:
        unknown = sorted(set(data) - set(Question)) if isinstance(data, dict) else []
        if unknown:
            known = ", ".join(Question)
            raise ValueError(f"no question {unknown[0]!r} in the form (it has: {known})")
        return data

    def answered(self) -> Answered:
        """The answers as the help desk takes them."""
        return Answered(self.lost_or_stolen, self.remaining)


class Choice(_Strict):
    """A branch of the article ("if you don't see ...") as a button that jumps to a step."""

    label: PlainText
    goto: StepId
    # What the choice tells IT of what happened: the contact form's "What happened" says it
    # instead of the topic's title (which may name two problems: "lost ... or new number").
    tells_it: PlainText | None = None
    answers: Answers | None = None


class Picture(_Strict):
    """A picture of what the step's text points at: one of the bot's own files, and its alt text."""

    file: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,60}\.png$")]
    alt: PlainText
    # A line shown with the picture, for what the sighted reader should notice in it.
    caption: PlainText | None = None


class Step(_Strict):
    """One message of a walk."""

    id: StepId
    text: MarkupText
    picture: Picture | None = None
    next: StepId | None = None
    choices: list[Choice] = Field(default_factory=list, max_length=MAX_CHOICES)
    contact_it: bool = False
    # Report it: security and the help desk are alerted at once (a prompt the person didn't
    # start); the help desk's to handle, like contact_it.
    report_prompt: bool = False
    links: list[Link] = Field(default_factory=list, max_length=MAX_LINKS)


class Worked(_Strict):
    """What a topic says once its walk worked, in place of the guide's own words."""

    text: MarkupText
    # The topic asks people to tell IT even when they got back in (a lost phone).
    contact_it: bool = False


class Topic(_Strict):
    """A section of the article: a title for the menu and the steps of its walk."""

    id: StepId
    title: PlainText
    button: PlainText
    summary: MarkupText
    keywords: list[PlainText] = Field(default_factory=list)
    phrases: list[PlainText] = Field(default_factory=list)
    # A topic that explains rather than fixes: nothing to have worked, its steps read on.
    informational: bool = False
    worked: Worked | None = None
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
    greeting: MarkupText
    thanks: MarkupText
    did_you_mean: MarkupText


class Menu(_Strict):
    """How the menu is laid out: the topics people bring most often first, with their summaries,
    the others as a row of buttons under `more`, the `last` ones at its end."""

    first: list[StepId] = Field(default_factory=list)
    more: PlainText = "More problems"
    last: list[StepId] = Field(default_factory=list)


class Words(_Strict):
    """How people put things: small talk, a plea for help that names no problem, words that name
    none (filler), and other words for one thing (the thing -> its other words)."""

    greeting: list[PlainText] = Field(min_length=1)
    thanks: list[PlainText] = Field(min_length=1)
    menu: list[PlainText] = Field(min_length=1)
    filler: list[PlainText] = Field(default_factory=list)
    synonyms: dict[str, list[PlainText]] = Field(default_factory=dict)

    def of_kind(self) -> dict[Kind, list[str]]:
        """The lists that set words aside, by the kind they are."""
        return {
            Kind.GREETING: self.greeting,
            Kind.THANKS: self.thanks,
            Kind.MENU: self.menu,
            Kind.FILLER: self.filler,
        }


class Guide(_Strict):
    """The whole guide for one language, checked so that every walk is complete."""

    language: str
    title: PlainText
    variables: dict[str, str] = Field(default_factory=dict)
    texts: Texts
    menu: Menu = Field(default_factory=Menu)
    words: Words
    topics: list[Topic] = Field(min_length=1, max_length=20)
    _matcher: Matcher = PrivateAttr()

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
                if step.next is None and not (step.contact_it or step.report_prompt):
                    raise ValueError(
                        f"{here}: a step without 'next' must offer 'contact_it' or 'report_prompt'"
                    )
                labels = [c.label for c in step.choices]
                if len(set(labels)) != len(labels):
                    raise ValueError(f"{here}.choices: two choices have the same label")
                _check_answers(topic.id, here, step)
            unreachable = set(ids) - _reachable(topic)
            if unreachable:
                raise ValueError(
                    f"{where}.steps: step {sorted(unreachable)[0]!r} cannot be reached "
                    f"from {topic.first_step.id!r}"
                )
        _check_menu(self.menu, [topic.id for topic in self.topics])
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

    def menu_groups(self) -> tuple[list[Topic], list[Topic]]:
        """The menu's topics: those shown first with their summaries, and the rest, in order."""
        if not self.menu.first:
            return list(self.topics), []
        listed = {*self.menu.first, *self.menu.last}
        first = [self.topic(topic_id) for topic_id in self.menu.first]
        rest = [topic for topic in self.topics if topic.id not in listed]
        last = [
            self.topic(topic_id) for topic_id in self.menu.last if topic_id not in self.menu.first
        ]
        return first, rest + last

    def menu_order(self) -> list[str]:
        """The topic ids in the order the menu shows them."""
        first, more = self.menu_groups()
        return [topic.id for topic in (*first, *more)]

    def worked_text(self, topic: Topic) -> str:
        """What the walk of `topic` says once it worked."""
        return topic.worked.text if topic.worked else self.texts.worked

    def understand(self, text: str) -> Understanding:
        """What a message in the person's own words asks for: small talk, the menu, or the
        topics that fit, best first (see bot.domain.understand)."""
        return self._matcher.understand(text)

    @model_validator(mode="after")
    def _prepare_matcher(self) -> Self:
        _check_words(self.words)
        self._matcher = _matcher(
            tuple((t.id, tuple(t.keywords), tuple(t.phrases)) for t in self.topics),
            tuple((kind, tuple(entries)) for kind, entries in self.words.of_kind().items()),
            tuple((word, tuple(others)) for word, others in self.words.synonyms.items()),
        )
        return self


_Phrases = tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]


# A guide is validated again once its variables are filled in (and tests load it often): the
# same phrases and words make the same matcher, prepared once.
@functools.lru_cache(maxsize=8)
def _matcher(
    topics: _Phrases,
    kinds: tuple[tuple[Kind, tuple[str, ...]], ...],
    synonyms: tuple[tuple[str, tuple[str, ...]], ...],
) -> Matcher:
    """The matcher over the topics' (id, keywords, phrases); ValueError naming the first keyword
    or phrase that names no problem, or that reads the same as one of another topic."""
    matcher = Matcher.prepare(
        {topic_id: [*keywords, *phrases] for topic_id, keywords, phrases in topics},
        dict(kinds),
        dict(synonyms),
    )
    owner: dict[str, str] = {}
    for t_index, (topic_id, keywords, phrases) in enumerate(topics):
        for name, texts in (("keywords", keywords), ("phrases", phrases)):
            for p_index, text in enumerate(texts):
                where = f"topics[{t_index}].{name}[{p_index}]"
                content = matcher.content(text)
                if not content:
                    raise ValueError(
                        f"{where}: {text!r} names no problem: all its words are small talk, "
                        "a plea for help or filler (see 'words')"
                    )
                if owner.setdefault(content, topic_id) != topic_id:
                    raise ValueError(
                        f"{where}: {text!r} reads as a phrase of topic {owner[content]!r} too"
                    )
    return matcher


def _check_answers(topic_id: str, here: str, step: Step) -> None:
    """Raise ValueError naming the first answer of a choice to a question its topic's form
    does not ask (it would claim, on the card, what the person was never asked)."""
    asked = questions_for(topic_id)
    for c_index, choice in enumerate(step.choices):
        given = choice.answers.answered().questions if choice.answers else frozenset()
        for question in sorted(given - asked):
            raise ValueError(
                f"{here}.choices[{c_index}].answers.{question}: the form of topic "
                f"{topic_id!r} does not ask it (it asks: {_names(asked)})"
            )


def _names(questions: frozenset[Question]) -> str:
    return ", ".join(sorted(questions)) or "nothing"


def _check_menu(menu: Menu, topic_ids: list[str]) -> None:
    """Raise ValueError naming the first menu entry that is no topic, or is listed twice."""
    seen: set[str] = set()
    for name, entries in (("first", menu.first), ("last", menu.last)):
        for index, topic_id in enumerate(entries):
            if topic_id not in topic_ids:
                raise ValueError(f"menu.{name}[{index}]: no topic {topic_id!r}")
            if topic_id in seen:
                raise ValueError(f"menu.{name}[{index}]: topic {topic_id!r} is listed twice")
            seen.add(topic_id)


def _check_words(words: Words) -> None:
    """Raise ValueError naming the first word listed as two things."""
    seen: dict[str, str] = {}
    lists = [(f"words.{kind.value}", entries) for kind, entries in words.of_kind().items()]
    lists += [(f"words.synonyms.{word}", others) for word, others in words.synonyms.items()]
    for where, entries in lists:
        for index, entry in enumerate(entries):
            key = " ".join(words_of(entry))
            if key in seen:
                raise ValueError(f"{where}[{index}]: {entry!r} is already in {seen[key]}")
            seen[key] = where


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
