"""Grading: a learner's answer (the JSON the browser posts) against a quiz's key.

Answers, one field each, ids from ``public.item_ids``:

    single, poll  {"choice": id}            ordering  {"order": [every item id]}
    multiple      {"choices": [ids]}        matching  {"pairs": {left id: right id}}
    numeric       {"value": number}         text      {"text": "…"} (≤ 500 characters)

A malformed answer is an ``AnswerError`` (a ValueError and a PayloadError, with
the field at fault) and costs no attempt; nothing else escapes ``grade``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from course.quizzes.live import LiveError
from course.quizzes.model import MAX_TEXT, Quiz, normalise_text, range_index
from course.quizzes.public import ItemIds
from course.web.validation import PayloadError

FIELDS = {
    "single": "choice",
    "poll": "choice",
    "multiple": "choices",
    "numeric": "value",
    "text": "text",
    "ordering": "order",
    "matching": "pairs",
}


class AnswerError(PayloadError, ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__("bad_answer", message, field)


@dataclass(frozen=True)
class Grade:
    score: float | None  # fraction of the quiz's points earned, 0…1; None for a poll
    correct: bool | None  # fully right; None for a poll
    feedback: dict[str, Any]  # the full detail; ``visible_feedback`` decides what is shown


def grade(quiz: Quiz, answer: Any, *, item_ids: ItemIds, live_value: float | None = None) -> Grade:
    """Grade ``answer``; ``live_value`` is ``live.live_value(quiz, lab)`` for a live quiz."""
    field = FIELDS[quiz.type]
    given = _unwrap(answer, field)
    known = item_ids.index()
    if quiz.type == "poll":
        picked = _id(given, field, known)
        return Grade(None, None, {"choices": {item_ids.items[picked]: {"picked": True}}})
    detail: dict[str, Any] = {
        "solution": solution(quiz, item_ids=item_ids, live_value=live_value),
        "explanation": quiz.explanation,
    }
    if quiz.type in ("single", "multiple"):
        one = quiz.type == "single"
        picks = {_id(given, field, known)} if one else _ids(given, field, known)
        right = _right_choices(quiz, live_value)
        detail["choices"] = {
            item_ids.items[k]: {"picked": k in picks, "correct": k in right, "feedback": c.feedback}
            for k, c in enumerate(quiz.choices)
        }
        hits, misses = len(picks & right), len(picks - right)
        return _grade(max(0, hits - misses) / len(right), picks == right, detail)
    if quiz.type == "numeric":
        value, target = _number(given, field), _target(quiz, live_value)
        slack = max(quiz.tolerance, quiz.relative * abs(target)) + 1e-9 * max(1.0, abs(target))
        ok = abs(value - target) <= slack
        return _grade(float(ok), ok, detail)
    if quiz.type == "text":
        ok = _text_matches(quiz, _text(given, field))
        return _grade(float(ok), ok, detail)
    if quiz.type == "ordering":
        order = _permutation(given, field, known)
        in_place = [k == j for j, k in enumerate(order)]
        detail["items"] = {
            item_ids.items[k]: {"in_place": in_place[j]} for j, k in enumerate(order)
        }
        return _grade(sum(in_place) / len(order), all(in_place), detail)
    pairs = _pairs(given, field, known, item_ids.target_index())
    matched = {k: quiz.choices[k].match == right for k, right in pairs.items()}
    detail["lefts"] = {item_ids.items[k]: {"correct": ok} for k, ok in sorted(matched.items())}
    return _grade(sum(matched.values()) / len(matched), all(matched.values()), detail)


def solution(quiz: Quiz, *, item_ids: ItemIds, live_value: float | None = None) -> dict[str, Any]:
    """The correct answer, in the answer's own terms (ids, a value, a text)."""
    if quiz.type in ("single", "multiple"):
        shown = {"choices": [item_ids.items[k] for k in sorted(_right_choices(quiz, live_value))]}
        return shown | ({"value": live_value} if quiz.live is not None else {})
    if quiz.type == "numeric":
        return {"value": _target(quiz, live_value)}
    if quiz.type == "text":
        return {"text": quiz.answers[0]} if quiz.answers else {}
    if quiz.type == "ordering":
        return {"order": list(item_ids.items)}
    if quiz.type == "matching":
        pairs = zip(item_ids.items, quiz.choices, strict=True)
        return {"pairs": {left: item_ids.targets[choice.match] for left, choice in pairs}}
    return {}


def _grade(score: float, correct: bool, detail: dict[str, Any]) -> Grade:
    return Grade(1.0 if correct else min(score, 1.0), correct, detail)


def _right_choices(quiz: Quiz, live_value: float | None) -> set[int]:
    if quiz.live is None:
        return {k for k, choice in enumerate(quiz.choices) if choice.correct}
    index = range_index(quiz.ranges, _live(quiz, live_value))
    if index is None:
        raise LiveError(f"quiz {quiz.id!r}: the live value {live_value} lies in none of its ranges")
    return {index}


def _target(quiz: Quiz, live_value: float | None) -> float:
    if quiz.live is None:
        assert quiz.answer is not None  # the parser requires one of the two
        return quiz.answer
    return _live(quiz, live_value)


def _live(quiz: Quiz, live_value: float | None) -> float:
    if live_value is None or not math.isfinite(live_value):
        raise LiveError(f"quiz {quiz.id!r} is live: grade it with a finite live_value")
    return float(live_value)


def _text_matches(quiz: Quiz, text: str) -> bool:
    if normalise_text(text) in {normalise_text(a) for a in quiz.answers}:
        return True
    spaced = " ".join(text.split())
    if quiz.pattern is None:
        return False
    return re.fullmatch(quiz.pattern, spaced, re.IGNORECASE) is not None


# -- the answer payload, checked strictly -------------------------------------------


def _unwrap(answer: Any, field: str) -> Any:
    if not isinstance(answer, dict):
        raise AnswerError(f'the answer must be an object {{"{field}": …}}', "answer")
    for name in answer:
        if name != field:
            raise AnswerError(f"unknown field {str(name)[:40]!r}", str(name)[:40] or "answer")
    if field not in answer:
        raise AnswerError(f"{field} is required", field)
    return answer[field]


def _id(value: Any, field: str, known: dict[str, int]) -> int:
    if not isinstance(value, str) or value not in known:
        raise AnswerError(f"{field} must be an id of this quiz's items", field)
    return known[value]


def _ids(value: Any, field: str, known: dict[str, int]) -> set[int]:
    if not isinstance(value, list) or not value:
        raise AnswerError(f"{field} must be a non-empty list of item ids", field)
    picked = [_id(v, field, known) for v in value]
    if len(set(picked)) != len(picked):
        raise AnswerError(f"{field} lists an item twice", field)
    return set(picked)


def _permutation(value: Any, field: str, known: dict[str, int]) -> list[int]:
    if not isinstance(value, list) or len(value) != len(known):
        raise AnswerError(f"{field} must list every item id once", field)
    order = [_id(v, field, known) for v in value]
    if len(set(order)) != len(order):
        raise AnswerError(f"{field} must list every item id once", field)
    return order


def _pairs(value: Any, field: str, lefts: dict[str, int], rights: dict[str, int]) -> dict[int, int]:
    if not isinstance(value, dict) or len(value) != len(lefts):
        raise AnswerError(f"{field} must map every left id to a right id", field)
    return {_id(k, field, lefts): _id(v, field, rights) for k, v in value.items()}


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AnswerError(f"{field} must be a number", field)
    try:
        number = float(value)
    except OverflowError:
        raise AnswerError(f"{field} is too large", field) from None
    if not math.isfinite(number):
        raise AnswerError(f"{field} must be a finite number", field)
    return number


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise AnswerError(f"{field} must be a string", field)
    if len(value) > MAX_TEXT:
        raise AnswerError(f"{field} must be at most {MAX_TEXT} characters", field)
    if not normalise_text(value):
        raise AnswerError(f"{field} must not be empty", field)
    return value
