"""What a quiz is once its lesson is loaded: prompt, items, key and policy.

Everything here stays on the server. The browser sees only ``public.public_view``;
answers are judged by ``grade.grade``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

TYPES = ("single", "multiple", "numeric", "text", "ordering", "matching", "poll")
CHOICE_TYPES = ("single", "multiple", "poll")  # items are choices the learner picks
ITEM_TYPES = (*CHOICE_TYPES, "ordering", "matching")  # items get opaque ids
POLICIES = ("immediate", "after-last", "on-reveal")  # when feedback is shown
# When "Show answer" may be used: after the learner's own first attempt, or only
# once no attempts are left. Never before an attempt: a reveal would then cost
# nothing, and the answer could be read off with a throw-away cookie for free.
REVEALS = ("after-attempt", "after-last")

DEFAULT_ATTEMPTS = 3
MAX_TEXT = 500  # characters in a text answer
# The cell view prints three decimals, so a learner who reads a live value off it is
# up to 0.0005 away (0.001 if they truncate instead of rounding).
LIVE_TOLERANCE = 1e-3


class QuizError(ValueError):
    """A quiz that cannot be served as written (the lesson loader makes it a LessonError)."""


@dataclass(frozen=True)
class Choice:
    """One list item: a choice, an ordering item, or the left side of a matching pair."""

    html: str  # sanitised inline HTML
    correct: bool = False  # single / multiple: marked [x]
    feedback: str = ""  # sanitised HTML of the "> " lines under it, shown once picked
    match: int = -1  # matching: index of its right-hand side in Quiz.targets


@dataclass(frozen=True)
class Live:
    """A value read from the learner's own widget, numbered as the widget shows it:
    ``t`` and ``layer`` from 1 (the "t" and "layer" readouts), ``unit`` from 0
    (the "unit" control and the heatmap's axis).

    ``kind`` says which widget ``lab`` names: a function lab (a cell's box), a
    module-1 playground (``x``, ``h_prev``, ``a`` or ``h`` at ``t``), or a text task
    (``p``: the probability it gives ``char`` after ``prefix``, at temperature 1)."""

    lab: str  # the widget's id
    quantity: str  # a trace field (f, i, g, o, c, h, …), x, h_prev, c_prev; a; p
    t: int
    layer: int
    unit: int
    kind: str = "lab"  # one of LIVE_KINDS
    prefix: str = ""  # task: the text read so far
    char: str = ""  # task: the next character asked about


LIVE_KINDS = ("lab", "playground", "task")


@dataclass(frozen=True)
class Quiz:
    id: str
    type: str
    prompt: str  # sanitised HTML
    # single / multiple / poll: the choices; ordering: the items IN THE CORRECT ORDER;
    # matching: the left column. Always in the order the lesson wrote them.
    choices: tuple[Choice, ...] = ()
    targets: tuple[str, ...] = ()  # matching: the distinct right-hand sides, HTML
    answer: float | None = None  # numeric with a fixed answer
    tolerance: float = 0.0  # numeric: absolute
    relative: float = 0.0  # numeric: relative to the answer
    answers: tuple[str, ...] = ()  # text: accepted answers, as written
    pattern: str | None = None  # text: a regex the whole answer must match
    ranges: tuple[tuple[float, float], ...] = ()  # live single: one [lo, hi) per choice
    live: Live | None = None
    attempts: int | None = DEFAULT_ATTEMPTS  # None: unlimited (polls)
    feedback: str = "immediate"  # the policy, one of POLICIES
    reveal: str = "after-attempt"  # when "Show answer" may be used, one of REVEALS
    shuffle: bool = True
    points: float = 1.0
    explanation: str = ""  # sanitised HTML, shown with the solution

    @property
    def graded(self) -> bool:
        return self.type != "poll"


def may_reveal(quiz: Quiz, attempts_used: int, attempts_left: int | None) -> str | None:
    """None if the learner may see the answer now; else why not, to show them."""
    if not quiz.graded:
        return "a poll has no answer to show"
    if attempts_used == 0:
        return "answer once yourself first: then you may see the answer"
    if quiz.reveal == "after-last" and attempts_left != 0:
        return "the answer is shown once you have used every attempt"
    return None


def range_index(ranges: tuple[tuple[float, float], ...], value: float) -> int | None:
    """The index of the range holding ``value``: [lo, hi), the topmost one closed."""
    top = max((hi for _, hi in ranges), default=0.0)
    for index, (lo, hi) in enumerate(ranges):
        if lo <= value < hi or value == hi == top:
            return index
    return None


# Sentence punctuation, quotes and brackets; not dashes or signs, which can be the answer.
EDGE_PUNCTUATION = ".,;:!?'\"()[]{}«»“”‘’…"


def normalise_text(text: str) -> str:
    """A text answer as compared: case, spacing and surrounding punctuation do not count,
    so " The Forget gate! " and "the forget gate" are the same answer."""
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return folded.strip(EDGE_PUNCTUATION + " ")


def quiz_key(lesson_id: str, quiz_id: str) -> str:
    """The key that names a quiz across the course (ids, shuffles, stored answers)."""
    return f"{lesson_id}/{quiz_id}"
