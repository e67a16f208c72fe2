"""A quiz block's options and body, checked and turned into a ``Quiz``.

Every mistake an author can make is a ``QuizError`` that names the quiz and the
option or item at fault; nothing is silently ignored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from course.quizzes.body import Body, RawItem, split_body, unquote_feedback
from course.quizzes.live import LIVE_QUANTITIES
from course.quizzes.model import (
    CHOICE_TYPES,
    DEFAULT_ATTEMPTS,
    ITEM_TYPES,
    LIVE_TOLERANCE,
    MAX_TEXT,
    POLICIES,
    REVEALS,
    TYPES,
    Choice,
    Live,
    Quiz,
    QuizError,
    normalise_text,
)

Render = Callable[[str], str]  # markdown -> sanitised HTML

ID = re.compile(r"[A-Za-z0-9-]{1,64}")
_COMMON = ("type", "attempts", "feedback", "points", "reveal")
ALLOWED: dict[str, tuple[str, ...]] = {
    "single": (*_COMMON, "shuffle", "live", "ranges"),
    "multiple": (*_COMMON, "shuffle"),
    "numeric": (*_COMMON, "answer", "tolerance", "relative", "live"),
    "text": (*_COMMON, "answers", "pattern"),
    "ordering": (*_COMMON, "shuffle"),
    "matching": (*_COMMON, "shuffle"),
    "poll": ("type", "shuffle"),  # ungraded: unlimited attempts, nothing to feed back
}
OPTIONS = tuple(sorted({name for names in ALLOWED.values() for name in names}))
LIVE_FIELDS = {  # the widget's kind (its key names the widget): the fields it takes
    "lab": ("lab", "quantity", "t", "layer", "unit"),
    "playground": ("playground", "quantity", "t"),
    "task": ("task", "quantity", "prefix", "char"),
}
LIVE_REQUIRED = {
    "lab": ("quantity", "t"),
    "playground": ("quantity", "t"),
    "task": ("prefix", "char"),
}


def build_quiz(quiz_id: str, options: dict[str, Any], body: str, render: Render) -> Quiz:
    """The quiz ``quiz_id`` from its block; raise QuizError naming the quiz on any mistake."""
    try:
        if not ID.fullmatch(quiz_id):
            raise QuizError("the id must be 1–64 ASCII letters, digits and dashes")
        return _build(quiz_id, options, body, render)
    except QuizError as error:
        raise QuizError(f"quiz {quiz_id!r}: {error}") from None


def _build(quiz_id: str, options: dict[str, Any], text: str, render: Render) -> Quiz:
    kind = options.get("type")
    if kind not in TYPES:
        raise QuizError(f"option 'type' must be one of {', '.join(TYPES)}")
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise QuizError(f"unknown option(s) {', '.join(unknown)}")
    misplaced = sorted(set(options) - set(ALLOWED[kind]))
    if misplaced:
        raise QuizError(f"option(s) {', '.join(misplaced)} do not apply to a {kind} question")
    body = split_body(text, with_items=kind in ITEM_TYPES)
    shuffle = options.get("shuffle", True)
    if not isinstance(shuffle, bool):
        raise QuizError("option 'shuffle' must be true or false")
    if kind == "ordering" and not shuffle:
        raise QuizError("an ordering question is always shuffled (its list is the answer)")
    live = _live(options["live"]) if "live" in options else None
    attempts, points = options.get("attempts", DEFAULT_ATTEMPTS), options.get("points", 1)
    quiz = Quiz(
        id=quiz_id,
        type=kind,
        prompt=render(body.prompt),
        attempts=None if kind == "poll" else _whole("attempts", attempts, 1),
        feedback=_policy(options.get("feedback", "immediate")),
        reveal=_reveal(options.get("reveal", "after-attempt")),
        shuffle=shuffle if kind in ITEM_TYPES else False,
        points=0.0 if kind == "poll" else _number("points", points, minimum=0.0, positive=True),
        explanation=render(body.explanation) if body.explanation else "",
        live=live,
    )
    if kind == "poll" and quiz.explanation:
        raise QuizError("a poll has no explanation (it is not graded)")
    if kind in CHOICE_TYPES:
        return _choices(quiz, body, options, render)
    if kind == "ordering":
        return _ordering(quiz, body, render)
    if kind == "matching":
        return _matching(quiz, body, render)
    if kind == "numeric":
        return _numeric(quiz, options)
    return _text(quiz, options)


def _choices(quiz: Quiz, body: Body, options: dict[str, Any], render: Render) -> Quiz:
    items = _items(body, minimum=2, render=render)
    if any(item.mark is None for item in body.items):
        raise QuizError("write every choice as '- [ ] …' or '- [x] …'")
    if quiz.type == "poll" and any(item.feedback for item in body.items):
        raise QuizError("a poll's choices have no feedback (it is not graded)")
    choices = tuple(
        Choice(html, correct=item.mark == "x", feedback=render(unquote_feedback(item)))
        for html, item in zip(items, body.items, strict=True)
    )
    right = sum(choice.correct for choice in choices)
    ranges: tuple[tuple[float, float], ...] = ()
    if "ranges" in options or quiz.live is not None:
        if "ranges" not in options or quiz.live is None:
            raise QuizError("a live single-choice question needs both 'live' and 'ranges'")
        if right:
            raise QuizError("a live question marks no [x]: its ranges decide the answer")
        ranges = _ranges(options["ranges"], len(choices))
    elif quiz.type == "single" and right != 1:
        raise QuizError(f"a single-choice question needs exactly one [x], not {right}")
    elif quiz.type == "multiple" and not right:
        raise QuizError("a multiple-choice question needs at least one [x]")
    elif quiz.type == "poll" and right:
        raise QuizError("a poll has no correct answer: use '- [ ]' for every choice")
    return _replace(quiz, choices=choices, ranges=ranges)


def _ordering(quiz: Quiz, body: Body, render: Render) -> Quiz:
    _plain(body, "an ordering")
    items = _items(body, minimum=3, render=render)
    return _replace(quiz, choices=tuple(Choice(html) for html in items))


def _matching(quiz: Quiz, body: Body, render: Render) -> Quiz:
    _plain(body, "a matching")
    pairs = []
    for item in body.items:
        sides = [side.strip() for side in item.text.split("::")]
        if len(sides) != 2 or not all(sides):
            raise QuizError(f"write matching items as '- left :: right', not {item.text!r}")
        pairs.append(sides)
    lefts = [left for left, _ in pairs]
    if len(pairs) < 2 or len(set(lefts)) != len(lefts):
        raise QuizError("a matching question needs at least 2 items with distinct left sides")
    targets = list(dict.fromkeys(right for _, right in pairs))  # a right side may repeat
    if len(targets) < 2:
        raise QuizError("a matching question needs at least 2 different right sides")
    choices = tuple(
        Choice(_inline(render, left), match=targets.index(right)) for left, right in pairs
    )
    return _replace(quiz, choices=choices, targets=tuple(_inline(render, t) for t in targets))


def _numeric(quiz: Quiz, options: dict[str, Any]) -> Quiz:
    if ("answer" in options) == (quiz.live is not None):
        raise QuizError("a numeric question needs either 'answer' or 'live' (not both)")
    answer = _number("answer", options["answer"]) if "answer" in options else None
    default = LIVE_TOLERANCE if quiz.live and "relative" not in options else 0.0
    return _replace(
        quiz,
        answer=answer,
        tolerance=_number("tolerance", options.get("tolerance", default), minimum=0.0),
        relative=_number("relative", options.get("relative", 0.0), minimum=0.0),
    )


def _text(quiz: Quiz, options: dict[str, Any]) -> Quiz:
    answers = options.get("answers", [])
    if not isinstance(answers, list) or not all(isinstance(a, str | int) for a in answers):
        raise QuizError("option 'answers' must be a list of strings")
    answers = [str(a) for a in answers]
    if any(not normalise_text(a) or len(a) > MAX_TEXT for a in answers):
        raise QuizError(f"every accepted answer must be 1–{MAX_TEXT} characters of text")
    pattern = options.get("pattern")
    if pattern is not None:
        if not isinstance(pattern, str) or not pattern:
            raise QuizError("option 'pattern' must be a regular expression")
        try:
            re.compile(pattern)
        except re.error as error:
            raise QuizError(f"option 'pattern' is not a regular expression: {error}") from None
    if not answers and pattern is None:
        raise QuizError("a text question needs 'answers' or 'pattern'")
    return _replace(quiz, answers=tuple(answers), pattern=pattern)


# -- pieces ---------------------------------------------------------------------------


def _items(body: Body, *, minimum: int, render: Render) -> list[str]:
    texts = [item.text for item in body.items]
    if len(texts) < minimum:
        raise QuizError(f"the list needs at least {minimum} items")
    if any(not text for text in texts):
        raise QuizError("every list item needs some text")
    if len(set(texts)) != len(texts):
        raise QuizError("two list items have the same text")
    return [_inline(render, text) for text in texts]


def _plain(body: Body, what: str) -> None:
    item: RawItem
    for item in body.items:
        if item.mark is not None or item.feedback:
            raise QuizError(f"{what} question's items take no [ ] box and no feedback")


def _inline(render: Render, text: str) -> str:
    """One paragraph of markdown as inline HTML (a choice, a matching side)."""
    html = render(text).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return html[3:-4]
    return html


def _live(value: Any) -> Live:
    if not isinstance(value, dict):
        raise QuizError("option 'live' must be a mapping {lab, quantity, t, layer, unit}")
    kinds = [kind for kind in LIVE_FIELDS if kind in value]
    if len(kinds) != 1:
        raise QuizError("option 'live' names one widget: lab, playground or task")
    kind = kinds[0]
    unknown = sorted(set(value) - set(LIVE_FIELDS[kind]))
    missing = sorted(set(LIVE_REQUIRED[kind]) - set(value))
    if unknown or missing:
        raise QuizError(f"option 'live': unknown {unknown}, missing {missing}")
    widget, quantity = value[kind], value.get("quantity", "p")
    if not isinstance(widget, str) or not ID.fullmatch(widget):
        raise QuizError(f"live.{kind} must be the id of a {kind} in this lesson")
    if quantity not in LIVE_QUANTITIES[kind]:
        raise QuizError(f"live.quantity must be one of {', '.join(LIVE_QUANTITIES[kind])}")
    prefix, char = value.get("prefix", ""), value.get("char", "")
    if kind == "task" and not (
        isinstance(prefix, str) and 0 < len(prefix) <= 200 and isinstance(char, str)
    ):
        raise QuizError("live.prefix must be 1–200 characters of text")
    if kind == "task" and len(char) != 1:
        raise QuizError("live.char must be one character")
    return Live(
        lab=widget,
        quantity=quantity,
        t=_whole("live.t", value.get("t", 1), 1),
        layer=_whole("live.layer", value.get("layer", 1), 1),
        unit=_whole("live.unit", value.get("unit", 0), 0),
        kind=kind,
        prefix=prefix,
        char=char,
    )


def _ranges(value: Any, n: int) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, list) or len(value) != n:
        raise QuizError(f"option 'ranges' must list one [low, high] per choice ({n})")
    ranges = []
    for pair in value:
        if not isinstance(pair, list) or len(pair) != 2:
            raise QuizError("every range must be [low, high]")
        lo, hi = (_number("ranges", x, infinite=True) for x in pair)
        if not lo < hi:
            raise QuizError(f"range [{lo}, {hi}] is empty: low must be below high")
        ranges.append((lo, hi))
    ordered = sorted(ranges)
    if any(a[1] > b[0] for a, b in zip(ordered, ordered[1:], strict=False)):
        raise QuizError("ranges overlap: each live value must pick exactly one choice")
    return tuple(ranges)


def _policy(value: Any) -> str:
    if value not in POLICIES:
        raise QuizError(f"option 'feedback' must be one of {', '.join(POLICIES)}")
    return str(value)


def _reveal(value: Any) -> str:
    if value not in REVEALS:
        raise QuizError(f"option 'reveal' must be one of {', '.join(REVEALS)}")
    return str(value)


def _whole(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise QuizError(f"option {name!r} must be a whole number ≥ {minimum}")
    return value


def _number(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    positive: bool = False,
    infinite: bool = False,
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise QuizError(f"option {name!r} must be a number")
    try:
        number = float(value)
    except OverflowError:
        raise QuizError(f"option {name!r} is too large") from None
    if math.isnan(number) or (math.isinf(number) and not infinite):
        raise QuizError(f"option {name!r} must be a finite number")
    if (minimum is not None and number < minimum) or (positive and number <= 0):
        bound = "above" if positive else "at least"
        raise QuizError(f"option {name!r} must be {bound} {minimum or 0:g}")
    return number


def _replace(quiz: Quiz, **changes: Any) -> Quiz:
    return replace(quiz, **changes)
