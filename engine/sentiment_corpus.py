"""A generated corpus of short sentences labelled negative, neutral or positive.

Sentences come from templates and word lists (no downloads) and are drawn with a
fixed seed, so every run sees the same corpus: 300 per class, of which a fixed 20 %
is held out. Each sentence is distinct, so no held-out sentence is in training.
Negation flips praise ("the film was not very good" is negative); negative words
are never negated, since "not bad" is neither clearly negative nor positive.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

import numpy as np

CLASSES = ("negative", "neutral", "positive")
PER_CLASS = 300
HELD_OUT = 0.2
SEED = 2024

SUBJECTS = (
    "the movie", "the film", "the food", "the service", "the hotel", "the book",
    "the game", "the phone", "the song", "the show", "the room", "the staff",
    "the trip", "the class", "the teacher", "the coffee", "the pizza", "the concert",
    "the app", "the park",
)  # fmt: skip
NOUNS = tuple(s.split()[1] for s in SUBJECTS)
COPULAS = ("is", "was", "seemed", "felt")
INTENSIFIERS = ("", "very", "really", "quite", "so", "truly", "extremely", "pretty")
ADVERBS = ("", "very", "really", "truly")  # those that read well in "what a … film"
POSITIVE = (
    "good", "great", "excellent", "wonderful", "amazing", "lovely", "fantastic",
    "delightful", "pleasant", "brilliant", "superb", "nice", "enjoyable", "fun", "perfect",
)  # fmt: skip
NEGATIVE = (
    "bad", "terrible", "awful", "horrible", "boring", "poor", "dreadful",
    "disappointing", "dull", "annoying", "lousy", "mediocre", "painful", "sad", "weak",
)  # fmt: skip
NEUTRAL = ("blue", "red", "green", "grey", "round", "square", "wooden", "open", "closed", "full")
LIKED = ("loved", "liked", "enjoyed", "adored", "love", "like", "enjoy")
DISLIKED = ("hated", "disliked", "hate", "dislike", "regretted")
LIKE = ("like", "love", "enjoy")
TIMES = ("noon", "eight", "nine", "six", "midnight", "ten")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PLACES = ("paris", "berlin", "london", "rome", "madrid", "town", "the city", "the north")
EVENTS = ("starts", "ends", "opens", "closes")
ACTIONS = ("saw", "visited", "ordered", "booked", "watched", "tried")

TEMPLATES: dict[str, tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]] = {
    "positive": (
        ("{} {} {} {}", (SUBJECTS, COPULAS, INTENSIFIERS, POSITIVE)),
        ("i {} {}", (LIKED, SUBJECTS)),
        ("i really {} {}", (LIKED, SUBJECTS)),
        ("what a {} {} {}", (ADVERBS, POSITIVE, NOUNS)),
    ),
    "negative": (
        ("{} {} {} {}", (SUBJECTS, COPULAS, INTENSIFIERS, NEGATIVE)),
        ("{} {} not {} {}", (SUBJECTS, COPULAS, INTENSIFIERS, POSITIVE)),
        ("i {} {}", (DISLIKED, SUBJECTS)),
        ("i did not {} {}", (LIKE, SUBJECTS)),
        ("what a {} {} {}", (ADVERBS, NEGATIVE, NOUNS)),
    ),
    "neutral": (
        ("{} {} {}", (SUBJECTS, COPULAS[:2], NEUTRAL)),
        ("{} {} not {}", (SUBJECTS, COPULAS[:2], NEUTRAL)),
        ("{} {} at {}", (SUBJECTS, EVENTS, TIMES)),
        ("we {} {} on {}", (ACTIONS, SUBJECTS, DAYS)),
        ("{} {} in {}", (SUBJECTS, COPULAS[:2], PLACES)),
    ),
}


class Example(NamedTuple):
    sentence: str
    label: int  # index into CLASSES


class Corpus(NamedTuple):
    train: tuple[Example, ...]
    heldout: tuple[Example, ...]


def _fill(template: str, slots: tuple[tuple[str, ...], ...]) -> list[str]:
    return [" ".join(template.format(*words).split()) for words in itertools.product(*slots)]


def _draw(label: str, rng: np.random.Generator) -> list[str]:
    """PER_CLASS distinct sentences, taken from the class's templates in turn."""
    pools = [rng.permutation(_fill(t, slots)).tolist() for t, slots in TEMPLATES[label]]
    chosen: dict[str, None] = {}  # insertion-ordered set

    def turns() -> Iterator[str]:
        for round_ in itertools.zip_longest(*pools):
            yield from (s for s in round_ if s is not None)

    for sentence in turns():
        chosen.setdefault(sentence)
        if len(chosen) == PER_CLASS:
            break
    return list(chosen)


@lru_cache(maxsize=1)
def corpus() -> Corpus:
    """The fixed corpus: per class, the first 80 % of its drawn sentences train."""
    rng = np.random.default_rng(SEED)
    n_train = round(PER_CLASS * (1 - HELD_OUT))
    train: list[Example] = []
    heldout: list[Example] = []
    for label, name in enumerate(CLASSES):
        sentences = _draw(name, rng)
        train += [Example(s, label) for s in sentences[:n_train]]
        heldout += [Example(s, label) for s in sentences[n_train:]]
    order = rng.permutation(len(train))
    return Corpus(train=tuple(train[i] for i in order), heldout=tuple(heldout))


def lexicon_group(word: str) -> str:
    """What the word lists say a word is, for colouring the embedding scatter."""
    if word in POSITIVE or word in LIKED or word in LIKE:
        return "positive"
    if word in NEGATIVE or word in DISLIKED:
        return "negative"
    if word == "not":
        return "negation"
    if word in INTENSIFIERS:
        return "intensifier"
    return "other"
