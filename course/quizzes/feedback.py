"""What a learner is shown after a submission, by the quiz's ``feedback`` policy.

- ``immediate``: after each attempt, whether it was right, the score, and the
  feedback written under the choices picked; the solution, every item's
  marks and the explanation once the answer is right, no attempts are left, or
  the quiz is revealed.
- ``after-last``: "recorded" until no attempts are left or the quiz is revealed,
  then everything. A right answer does not end it early: that would tell the
  learner it was right.
- ``on-reveal``: "recorded" until revealed, then everything.
- polls: always "recorded" (counts belong to live sessions).
"""

from __future__ import annotations

from typing import Any

from course.quizzes.grade import Grade
from course.quizzes.model import Quiz


def visible_feedback(
    quiz: Quiz, grade: Grade, *, attempts_used: int, attempts_left: int | None, revealed: bool
) -> dict[str, Any]:
    """The part of ``grade`` the learner may see now (JSON-ready).

    ``attempts_left`` is None for unlimited attempts (polls)."""
    shown: dict[str, Any] = {
        "status": "recorded",
        "attempts_used": attempts_used,
        "attempts_left": attempts_left,
    }
    if not quiz.graded:
        return shown
    final = revealed
    if quiz.feedback != "on-reveal":
        final = final or attempts_left == 0
    if quiz.feedback == "immediate":
        final = final or bool(grade.correct)
    if final:
        return shown | {
            "status": "final",
            "correct": grade.correct,
            "score": grade.score,
            **grade.feedback,
        }
    if quiz.feedback != "immediate":
        return shown
    picked = {
        choice_id: {"feedback": mark["feedback"]}
        for choice_id, mark in grade.feedback.get("choices", {}).items()
        if mark["picked"] and mark["feedback"]
    }
    return shown | {
        "status": "graded",
        "correct": grade.correct,
        "score": grade.score,
        "choices": picked,
    }
