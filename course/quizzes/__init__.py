"""Quizzes: parsing (the ``quiz`` lesson block), grading, and what the browser may see.

Pure: no database, no requests. The routes that store attempts and serve views
live elsewhere; they call these functions. See README.md for the block syntax.
"""

from course.quizzes.feedback import visible_feedback
from course.quizzes.grade import AnswerError, Grade, grade, solution
from course.quizzes.live import LiveError, check_live, live_value, playground_value, task_value
from course.quizzes.model import Choice, Live, Quiz, QuizError, may_reveal, quiz_key
from course.quizzes.public import ItemIds, item_ids, public_view

__all__ = [
    "AnswerError",
    "Choice",
    "Grade",
    "ItemIds",
    "Live",
    "LiveError",
    "Quiz",
    "QuizError",
    "check_live",
    "playground_value",
    "task_value",
    "grade",
    "item_ids",
    "live_value",
    "may_reveal",
    "public_view",
    "quiz_key",
    "solution",
    "visible_feedback",
]
