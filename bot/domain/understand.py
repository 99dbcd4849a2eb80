"""What a person's own words ask for: small talk, the menu, or the guide's topics that fit best.

A message is read as the words that carry its meaning: case, accents, punctuation, plurals and
small typos folded; other words for one thing read as that thing ("mobile" as "phone", "SMS" as
"code"); small talk, pleas for help and filler set aside. rapidfuzz then compares what is left
with each topic's phrases and keywords, read the same way. A front end strips its own markup
(mentions, links, emoji codes) before it asks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

# A topic fits when its best phrase scores this much (0-100: the mean of rapidfuzz's token-set
# ratio, which forgives extra words, and its token-sort ratio, which does not).
FIT = 65.0
# Topics this close to the best are offered with it; more than two that close is no answer.
CLOSE = 5.0
MAX_OFFERED = 2
# A phrase in the lexicon has at most this many words ("one time pass code").
_LONGEST = 5
# Only the start of a long message is read: it says what is wrong, and the cost stays bounded.
MAX_CHARS = 1000
MAX_CLAUSES = 8
_CLAUSE = re.compile(r"[.!?;,:\n]+")
_WORD = re.compile(r"[a-z0-9]+")
_POSSESSIVE = re.compile(r"'s\b")


class Intent(StrEnum):
    """What a message asks for."""

    GREETING = "greeting"
    THANKS = "thanks"
    MENU = "menu"
    TOPICS = "topics"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Understanding:
    """What a message asks for; for TOPICS, the ids of the topics that fit, best first (one, or
    two when they fit about as well)."""

    intent: Intent
    topics: tuple[str, ...] = ()


class Kind(StrEnum):
    """What a word that names no problem is doing in a message."""

    GREETING = "greeting"
    THANKS = "thanks"
    MENU = "menu"
    FILLER = "filler"


_INTENT_OF = {Kind.MENU: Intent.MENU, Kind.THANKS: Intent.THANKS, Kind.GREETING: Intent.GREETING}


def words_of(text: str) -> list[str]:
    """The words of a text: lower case, accents and apostrophes dropped ("phone's" is "phone")."""
    plain = text.lower()
    if not plain.isascii():
        plain = unicodedata.normalize("NFKD", plain.replace("\u2019", "'"))
        plain = "".join(c for c in plain if not unicodedata.combining(c))
    return _WORD.findall(_POSSESSIVE.sub("", plain).replace("'", ""))


@dataclass(frozen=True)
class _Reading:
    """A message as the matcher reads it: the words that name its problem and what else it said."""

    content: tuple[str, ...]
    kinds: frozenset[Kind]


@dataclass(frozen=True)
class Matcher:
    """The guide's phrases and words, prepared once; `understand` reads one message."""

    vocabulary: frozenset[str]
    by_letter: Mapping[str, tuple[str, ...]]
    synonyms: Mapping[tuple[str, ...], tuple[str, ...]]
    kinds: Mapping[tuple[str, ...], Kind]
    candidates: tuple[str, ...]
    spans: tuple[tuple[str, int, int], ...]  # each topic's candidates: (topic id, start, end)
    _typos: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def prepare(
        cls,
        topics: Mapping[str, Sequence[str]],
        kinds: Mapping[Kind, Sequence[str]],
        synonyms: Mapping[str, Sequence[str]],
    ) -> Matcher:
        """A matcher over each topic's phrases (topic id -> its phrases and keywords), the words
        of each kind, and the other words for a thing (the thing -> its other words)."""
        texts = [t for group in (*topics.values(), *kinds.values()) for t in group]
        texts += [t for word, others in synonyms.items() for t in (word, *others)]
        vocabulary = frozenset(w for text in texts for w in words_of(text))
        by_letter: dict[str, list[str]] = {}
        for word in sorted(vocabulary):
            by_letter.setdefault(word[0], []).append(word)

        def folded(text: str) -> tuple[str, ...]:
            return tuple(_singular(w, vocabulary) for w in words_of(text))

        same = {
            folded(other): folded(word) for word, others in synonyms.items() for other in others
        }
        kind_of = {
            tuple(_canonical(folded(entry), same)): kind
            for kind, entries in kinds.items()
            for entry in entries
        }
        pairs = [
            (" ".join(_reading(folded(phrase), same, kind_of).content), topic_id)
            for topic_id, phrases in topics.items()
            for phrase in phrases
        ]
        kept = [(text, topic_id) for text, topic_id in pairs if text]
        spans, start = [], 0
        for topic_id in topics:
            end = start + sum(1 for _, owner in kept if owner == topic_id)
            spans.append((topic_id, start, end))
            start = end
        return cls(
            vocabulary=vocabulary,
            by_letter={letter: tuple(group) for letter, group in by_letter.items()},
            synonyms=same,
            kinds=kind_of,
            candidates=tuple(text for text, _ in kept),
            spans=tuple(spans),
        )

    def content(self, text: str) -> str:
        """The words of `text` that name a problem, as the matcher compares them."""
        tokens = [_singular(w, self.vocabulary) for w in words_of(text)]
        return " ".join(_reading(tokens, self.synonyms, self.kinds).content)

    def understand(self, text: str) -> Understanding:
        """What the message asks for (see the module's docstring)."""
        clauses = [c for c in _CLAUSE.split(text[:MAX_CHARS]) if words_of(c)][:MAX_CLAUSES]
        if not clauses:
            return Understanding(Intent.MENU if not text.strip() else Intent.UNKNOWN)
        readings = [
            _reading([self._spelled(w) for w in words_of(clause)], self.synonyms, self.kinds)
            for clause in clauses
        ]
        whole = _Reading(
            tuple(w for r in readings for w in r.content),
            frozenset(k for r in readings for k in r.kinds),
        )
        if whole.content:
            fits = self._rank([whole, *readings] if len(readings) > 1 else [whole])
            if fits:
                return _offer(fits)
        return Understanding(_small_talk(whole))

    def _rank(self, readings: Iterable[_Reading]) -> list[tuple[str, float]]:
        """The topics that fit any reading, best first (the guide's order breaks a tie)."""
        best = dict.fromkeys((topic_id for topic_id, _, _ in self.spans), 0.0)
        for reading in readings:
            if reading.content:
                scores = self._scores(" ".join(reading.content))
                for topic_id, start, end in self.spans:
                    if end > start:
                        best[topic_id] = max(best[topic_id], *scores[start:end])
        ranked = sorted(best.items(), key=lambda item: -item[1])  # stable: the guide's order
        return [(topic_id, score) for topic_id, score in ranked if score >= FIT]

    def _scores(self, query: str) -> list[float]:
        """How well each phrase fits the query: the mean of the two ratios (see FIT)."""
        total = [0.0] * len(self.candidates)
        for scorer in (fuzz.token_set_ratio, fuzz.token_sort_ratio):
            for _, score, index in process.extract(
                query, self.candidates, scorer=scorer, limit=None
            ):
                total[index] += score / 2
        return total

    def _spelled(self, token: str) -> str:
        """The guide's word that `token` is a plural or a small typo of, else `token` itself."""
        singular = _singular(token, self.vocabulary)
        if singular != token or token in self.vocabulary or token.isdigit() or len(token) < 4:
            return singular
        if token not in self._typos:
            if len(self._typos) > 10_000:  # typed text is unbounded; the guide's words are not
                self._typos.clear()
            self._typos[token] = _singular(self._correction(token), self.vocabulary)
        return self._typos[token]

    def _correction(self, token: str) -> str:
        limit = 2 if len(token) >= 9 else 1
        near = process.extract(
            token,
            self.by_letter.get(token[0], ()),
            scorer=OSA.distance,
            score_cutoff=limit,
            limit=None,
        )
        for word, distance, _ in near:
            if _typo_of(token, word, distance):
                return word
        return token


def _reading(
    tokens: Sequence[str],
    synonyms: Mapping[tuple[str, ...], tuple[str, ...]],
    kinds: Mapping[tuple[str, ...], Kind],
) -> _Reading:
    """The words that name a problem, once other words are replaced and the rest set aside."""
    content: list[str] = []
    found: set[Kind] = set()
    for piece, kind in _pieces(_canonical(tokens, synonyms), kinds):
        if kind is None:
            content.extend(piece)
        else:
            found.add(kind)
    return _Reading(tuple(content), frozenset(found))


def _canonical(
    tokens: Sequence[str], synonyms: Mapping[tuple[str, ...], tuple[str, ...]]
) -> list[str]:
    """Other words for a thing replaced by that thing, the longest phrase first."""
    out: list[str] = []
    for piece, same in _pieces(tokens, synonyms):
        out.extend(piece if same is None else same)
    return out


def _singular(token: str, vocabulary: frozenset[str]) -> str:
    """A plural read as its singular when the guide uses that ("codes" is "code")."""
    stem = token[:-1]
    return stem if len(token) > 3 and token.endswith("s") and stem in vocabulary else token


def _typo_of(token: str, word: str, distance: int) -> bool:
    """Whether `token` (four letters or more) reads as a slip of `word` rather than another word:
    a swapped, missing or extra letter; a wrong letter only in a long word; never a word with a
    last letter more or less ("take" is not "taken", "factory" is not "factor")."""
    if word[:-1] == token or token[:-1] == word:
        return False
    if distance > 1:
        return True
    if len(word) != len(token):
        return True
    return sorted(word) == sorted(token) or len(token) >= 7


def _pieces[T](
    tokens: Sequence[str], table: Mapping[tuple[str, ...], T]
) -> Iterable[tuple[tuple[str, ...], T | None]]:
    """`tokens` cut into the table's phrases (the longest at each place) and single words, each
    with what the table says of it (None for a word it does not list)."""
    index = 0
    while index < len(tokens):
        for size in range(min(_LONGEST, len(tokens) - index), 0, -1):
            piece = tuple(tokens[index : index + size])
            if piece in table:
                yield piece, table[piece]
                index += size
                break
        else:
            yield (tokens[index],), None
            index += 1


def _offer(fits: list[tuple[str, float]]) -> Understanding:
    """The best topic, with the next when it fits about as well; no answer when more do."""
    best = fits[0][1]
    close = tuple(topic_id for topic_id, score in fits if score >= best - CLOSE)
    if len(close) > MAX_OFFERED:
        return Understanding(Intent.UNKNOWN)
    return Understanding(Intent.TOPICS, close)


def _small_talk(reading: _Reading) -> Intent:
    """What a message that names no topic asks for: the menu for a plea for help with nothing
    else in it, a short answer to thanks or a greeting, else that it was not understood."""
    if Kind.MENU in reading.kinds:
        return Intent.MENU if not reading.content else Intent.UNKNOWN
    for kind in (Kind.THANKS, Kind.GREETING):
        if kind in reading.kinds:
            return _INTENT_OF[kind]
    return Intent.UNKNOWN
