"""A live poll as the session holds it: the question in the one order everyone sees
(lettered A, B, C…), its rounds (vote → discuss → revote), what the presenter has
revealed, and its timer. Pure: no Flask, no store; ``polls`` does the socket side.

The question is copied into the poll when it is opened (a lesson's choice question, or
one the presenter typed), so the poll stands on its own in the durable record: the
session record can show it after the lesson changed. What the browser may see of a
poll is ``public()``: the answer travels only once the presenter reveals it, and the
counts only once they reveal them (``results``, frozen for every round at that moment).

Votes are stored per round under ``vote_key``: ``"<poll number>.<round>"``; this module
alone writes and reads that format (``vote_key``, ``parse_vote_key``).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from markupsafe import escape

from course.quizzes import Quiz, item_ids, quiz_key
from course.web.validation import Field, PayloadError, plain_text, validate

LETTERS = "ABCDEFGH"
KINDS = ("choice", "number")
MAX_ROUNDS = 2  # vote, then revote after the discussion
MAX_SECONDS = 3600
ADHOC: dict[str, Field] = {
    "kind": Field(str, required=True, choices=KINDS),
    "prompt": Field(str, required=True, max_length=300),
    "choices": Field(list, default=[], max_length=len(LETTERS)),
    "correct": Field(str, max_length=1),  # choice: the right option's letter, if any
    "answer": Field(float),  # number: the right value, if any
}


@dataclass
class Poll:
    """One question put to the class. ``answer``: the right choice ids (choice) or
    ``[value]`` (number); empty when the question has none (an opinion poll)."""

    number: int  # 1, 2, … in the session
    quiz: str  # the lesson's quiz id; "" for a question the presenter typed
    kind: str  # one of KINDS
    prompt: str  # HTML: the lesson's (sanitised when loaded) or the typed text, escaped
    choices: list[dict[str, str]] = field(default_factory=list)  # {id, letter, html}
    answer: list[Any] = field(default_factory=list)
    round: int = 1
    open: bool = True
    show_results: bool = False
    show_answer: bool = False
    live_counts: bool = False  # the projector shows the counts as they come in
    ends_at: int | None = None  # ms since the epoch, the server's clock: closes then
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # round → tally

    @property
    def graded(self) -> bool:
        return bool(self.answer)

    @property
    def vote_key(self) -> str:
        return vote_key(self.number, self.round)

    @property
    def letters(self) -> dict[str, str]:
        """Each option's id → its letter."""
        return {c["id"]: c["letter"] for c in self.choices}

    def right_labels(self) -> list[str]:
        """The right answer as shown: its options' letters, or its number as counted."""
        if self.kind == "choice":
            letters = self.letters
            return [letters[a] for a in self.answer if a in letters]
        return [number_label(a) for a in self.answer]

    def label(self, vote: dict[str, Any]) -> str:
        """A stored vote as shown: its option's letter ("" for none), or its number."""
        if self.kind == "choice":
            return self.letters.get(vote.get("choice", ""), "")
        return number_label(vote["value"])

    def as_dict(self) -> dict[str, Any]:
        """Everything, for the durable record (the answer included)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Poll:
        return cls(**data)

    def public(self) -> dict[str, Any]:
        """What every page may see now."""
        view = {
            k: v for k, v in self.as_dict().items() if k not in ("answer", "results", "ends_at")
        }
        view["ends_at"] = self.ends_at
        view["graded"] = self.graded
        if self.show_results:
            view["results"] = self.results
        if self.show_answer:
            view["solution"] = self.answer
        return view

    def hides_inline(self) -> bool:
        """Whether the lesson's own copy of the question stays shut: until the answer
        is revealed (or, for a question without one, the results)."""
        return not (self.show_answer or (not self.graded and self.show_results))

    def checked_vote(self, answer: Any) -> dict[str, Any]:
        """``answer`` as stored, or a PayloadError: ``{"choice": id}`` of one of the
        options, or ``{"value": finite number}``."""
        if not isinstance(answer, dict):
            raise PayloadError("bad_answer", "the answer must be an object", "answer")
        if self.kind == "choice":
            choice = answer.get("choice")
            if choice not in {c["id"] for c in self.choices}:
                raise PayloadError("bad_answer", "pick one of the options", "answer")
            return {"choice": choice}
        value = answer.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PayloadError("bad_answer", "the answer must be a number", "answer")
        if not math.isfinite(value) or abs(value) > 1e12:
            raise PayloadError("bad_answer", "the answer must be a finite number", "answer")
        return {"value": float(value)}


def vote_key(number: int, round_: int) -> str:
    """Where the votes of round ``round_`` of poll ``number`` are stored."""
    return f"{number}.{round_}"


def parse_vote_key(key: str) -> tuple[str, int] | None:
    """``vote_key``'s (poll number as written, round), or None for a key it did not make."""
    number, _, round_ = key.partition(".")
    return (number, int(round_)) if round_.isdigit() else None


def number_label(value: float) -> str:
    """A numeric answer as it is counted and shown (6 significant digits)."""
    return format(value, ".6g")


def tally(poll: Poll, votes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The counts of one round's ``votes`` (learner → stored vote): by choice id, or by
    number as ``number_label`` writes it; and how many answered."""
    counts: Counter[str] = Counter()
    for vote in votes.values():
        if poll.kind == "choice":
            counts[str(vote.get("choice"))] += 1
        else:
            counts[number_label(float(vote.get("value", 0.0)))] += 1
    return {"counts": dict(counts), "answered": len(votes)}


def from_quiz(number: int, lesson: Any, quiz: Quiz, secret: str) -> Poll:
    """A poll of ``lesson``'s choice question ``quiz``, its options in the lesson's
    order for everyone (a per-student shuffle would make "who picked B?" meaningless),
    with the same opaque ids as the lesson's own copy."""
    if quiz.type not in ("single", "poll"):
        raise PayloadError(
            "bad_value", "only single-choice questions and polls can be live polls", "quiz"
        )
    if quiz.live is not None or len(quiz.choices) > len(LETTERS):
        raise PayloadError("bad_value", "this question cannot be a live poll", "quiz")
    ids = item_ids(quiz, key=quiz_key(lesson.id, quiz.id), secret=secret).items
    choices = [
        {"id": ids[k], "letter": LETTERS[k], "html": choice.html}
        for k, choice in enumerate(quiz.choices)
    ]
    answer = [ids[k] for k, choice in enumerate(quiz.choices) if choice.correct]
    return Poll(number, quiz.id, "choice", quiz.prompt, choices, answer if quiz.graded else [])


def adhoc(number: int, data: Any) -> Poll:
    """A question the presenter typed: ``{kind, prompt, choices?, correct?, answer?}``,
    its text made plain (no markup, no control characters) and escaped. A bad one
    raises PayloadError naming the field."""
    given = validate(data, ADHOC)
    prompt = plain_text(given["prompt"])
    if not prompt:
        raise PayloadError("bad_value", "type the question", "prompt")
    if given["kind"] == "number":
        if given["choices"] or given["correct"]:
            raise PayloadError("bad_value", "a number question has no options", "choices")
        answer = [] if given["answer"] is None else [given["answer"]]
        return Poll(number, "", "number", str(escape(prompt)), answer=answer)
    texts = [plain_text(t) if isinstance(t, str) else None for t in given["choices"]]
    if len(texts) < 2:
        raise PayloadError("bad_value", "give at least two options", "choices")
    if any(not t or len(t) > 120 for t in texts):
        raise PayloadError("bad_value", "every option is a text of 1 to 120 characters", "choices")
    if len({t.casefold() for t in texts if t}) != len(texts):
        raise PayloadError("bad_value", "two options read the same", "choices")
    if given["answer"] is not None:
        raise PayloadError("bad_value", "a multiple-choice question has no number answer", "answer")
    letters = LETTERS[: len(texts)]
    correct = (given["correct"] or "").upper()
    if correct and correct not in letters:
        raise PayloadError(
            "bad_value", f"the right option is one of {', '.join(letters)}", "correct"
        )
    choices = [
        {"id": letter.lower(), "letter": letter, "html": str(escape(text))}
        for letter, text in zip(letters, texts, strict=True)
    ]
    return Poll(
        number, "", "choice", str(escape(prompt)), choices, [correct.lower()] if correct else []
    )
