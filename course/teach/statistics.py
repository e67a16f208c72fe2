"""Per-question statistics for a class: for every question of the assigned lessons
(quizzes and predictions) and every poll of the class's live sessions, how many
answered, the share correct (graded questions only), and the distribution of answers.

What counts: a student's latest attempt at a quiz (where the class stands now), a
student's committed prediction (the first, which is the one kept), and every vote in
a live session (a voter's current answer; guests too, they were in the room).
Choices are lettered A, B, C… in the lesson's order, the order the teacher wrote.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from course.lessons.plain import cut, plain
from course.lessons.predict import Predict
from course.lessons.registry import Lesson
from course.quizzes import AnswerError, grade, item_ids, quiz_key
from course.quizzes.model import CHOICE_TYPES, Quiz, normalise_text
from course.teach.activity import Activity
from course.teach.livevotes import PollVote

TITLE_LENGTH = 60
TOP = 6  # distinct answers listed for numbers and texts; the rest are "other"


def title(prompt_html: str, limit: int = TITLE_LENGTH, *, maths: bool = False) -> str:
    """A question's title: its prompt as plain text (with its maths delimited, for a
    page that typesets it, if ``maths``), cut at a word near ``limit``."""
    return cut(plain(prompt_html, maths=maths), limit)


def whole_percent(part: float, whole: float) -> str:
    """``part`` of ``whole`` as a whole percent, halves rounded up (12.5 → 13%)."""
    return f"{math.floor(100 * part / whole + 0.5)}%"


def letter(index: int) -> str:
    return chr(ord("A") + index) if index < 26 else str(index + 1)


@dataclass(frozen=True)
class Bar:
    """One answer and how many gave it; ``correct`` for a graded choice."""

    label: str
    count: int
    correct: bool | None = None


@dataclass(frozen=True)
class QuestionStats:
    lesson: str  # the lesson's title
    kind: str  # "quiz", "prediction" or "live poll"
    title: str
    where: str  # "" or which live session
    answered: int
    correct: int | None  # None: not graded
    bars: list[Bar]

    @property
    def share(self) -> str:
        """The share correct as shown: ``67% (2 of 3)``; "" when not graded."""
        if self.correct is None or not self.answered:
            return ""
        return f"{whole_percent(self.correct, self.answered)} ({self.correct} of {self.answered})"

    @property
    def most(self) -> int:
        return max((bar.count for bar in self.bars), default=0)


def build(
    lessons: list[Lesson],
    learners: Iterable[str],
    done: Activity,
    secret: str,
    when: Callable[[Any], str],
    served: Iterable[Lesson] = (),
) -> list[QuestionStats]:
    """Every question's statistics: the assigned ``lessons``' lesson by lesson in page
    order, then the polls of the class's live sessions, whose lesson may be any of the
    ``served`` ones (a class is shown lessons it was not assigned). ``when`` shows a
    session's start time (in the class's zone)."""
    learners = list(learners)
    found: list[QuestionStats] = []
    for lesson in lessons:
        for kind, item in lesson.segments():
            if kind == "quiz" and item.graded:
                found.append(_quiz(lesson, item, learners, done, secret))
            elif kind == "predict":
                found.append(_predict(lesson, item, learners, done))
    by_lesson = {lesson.id: lesson for lesson in [*served, *lessons]}
    polls: dict[tuple[int, str], list[PollVote]] = {}
    for vote in done.votes:
        polls.setdefault((vote.record, vote.quiz_id), []).append(vote)
    for votes in polls.values():
        stats = _poll(votes, by_lesson, secret, when)
        if stats is not None:
            found.append(stats)
    return found


def _quiz(
    lesson: Lesson, quiz: Quiz, learners: list[str], done: Activity, secret: str
) -> QuestionStats:
    latest = [
        tried[-1] for who in learners if (tried := done.attempts.get((who, lesson.id, quiz.id)))
    ]
    ids = item_ids(quiz, key=quiz_key(lesson.id, quiz.id), secret=secret)
    bars = _distribution(quiz, [a.answer for a in latest], ids.index(), ids.target_index())
    right = sum(a.correct for a in latest)
    return QuestionStats(
        lesson.title, "quiz", title(quiz.prompt, maths=True), "", len(latest), right, bars
    )


def _predict(
    lesson: Lesson, predict: Predict, learners: list[str], done: Activity
) -> QuestionStats:
    guesses = [
        marks[predict.id][1]
        for who in learners
        if predict.id in (marks := done.marks.get((who, lesson.id, "predict"), {}))
    ]
    if predict.choices:
        counts = Counter(str(g) for g in guesses)
        bars = [
            Bar(f"{letter(k)} · {title(text, 40, maths=True)}", counts[predict.choice_id(k)])
            for k, text in enumerate(predict.choices)
        ]
    else:
        bars = _top(_number(g) for g in guesses)
    return QuestionStats(
        lesson.title, "prediction", title(predict.prompt, maths=True), "", len(guesses), None, bars
    )


def _poll(
    votes: list[PollVote], lessons: dict[str, Lesson], secret: str, when: Callable[[Any], str]
) -> QuestionStats | None:
    first = votes[0]
    lesson = lessons.get(first.lesson_id)
    quiz = lesson.quizzes.get(first.quiz_id) if lesson is not None else None
    if lesson is None or quiz is None:  # the lesson is no longer served
        return None
    ids = item_ids(quiz, key=quiz_key(lesson.id, quiz.id), secret=secret)
    answers = [v.answer for v in votes]
    bars = _distribution(quiz, answers, ids.index(), ids.target_index())
    right: int | None = None
    if quiz.graded and quiz.live is None:
        right = 0
        for answer in answers:
            try:
                right += bool(grade(quiz, answer, item_ids=ids).correct)
            except AnswerError:
                continue
    where = f"live session of {when(first.started_at)}"
    return QuestionStats(
        lesson.title, "live poll", title(quiz.prompt, maths=True), where, len(votes), right, bars
    )


def _distribution(
    quiz: Quiz, answers: list[Any], index: dict[str, int], targets: dict[str, int]
) -> list[Bar]:
    """How many gave each answer: every choice of a choice question (A, B, C…, none
    left out); for other types the most common answers, then "other"."""
    if quiz.type in CHOICE_TYPES:
        counts: Counter[int] = Counter()
        for answer in answers:
            picked = answer.get("choices") or [answer.get("choice")]
            counts.update(index[p] for p in picked if p in index)
        marked = quiz.graded and quiz.live is None
        return [
            Bar(
                f"{letter(k)} · {title(c.html, 40, maths=True)}",
                counts[k],
                c.correct if marked else None,
            )
            for k, c in enumerate(quiz.choices)
        ]
    return _top(_answer_label(quiz, a, index, targets) for a in answers)


def _answer_label(quiz: Quiz, answer: Any, index: dict[str, int], targets: dict[str, int]) -> str:
    if quiz.type == "numeric":
        return _number(answer.get("value"))
    if quiz.type == "text":
        return normalise_text(str(answer.get("text", ""))) or "(empty)"
    if quiz.type == "ordering":
        order = [index.get(i, -1) for i in answer.get("order", [])]
        placed = sum(k == j for j, k in enumerate(order))
        return f"{placed} of {len(quiz.choices)} in place"
    pairs = answer.get("pairs", {})
    matched = sum(
        quiz.choices[index[k]].match == targets.get(v) for k, v in pairs.items() if k in index
    )
    return f"{matched} of {len(quiz.choices)} matched"


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, int | float) else str(value)


def _top(labels: Iterable[str]) -> list[Bar]:
    counts = Counter(labels).most_common()
    bars = [Bar(label, n) for label, n in counts[:TOP]]
    rest = sum(n for _, n in counts[TOP:])
    return bars + ([Bar("other", rest)] if rest else [])
