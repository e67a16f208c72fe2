"""A quiz's ``reveal`` policy (issue 17): "Show answer" after the learner's own first
attempt by default, or only after their last; never before an attempt."""

from __future__ import annotations

import pytest
from quizkit import make

from course.quizzes import QuizError, may_reveal, public_view

SINGLE = """\
Pick one.

- [ ] no
- [x] yes
"""


def test_the_reveal_policy_of_a_quiz_block():
    default = make(SINGLE, type="single", attempts=3)
    assert default.reveal == "after-attempt"
    assert may_reveal(default, attempts_used=0, attempts_left=3) is not None
    assert may_reveal(default, attempts_used=1, attempts_left=2) is None
    last = make(SINGLE, type="single", attempts=3, reveal="after-last")
    assert "every attempt" in (may_reveal(last, attempts_used=2, attempts_left=1) or "")
    assert may_reveal(last, attempts_used=3, attempts_left=0) is None
    view = public_view(last, key="lesson/q", learner="a", secret=b"s")
    assert view["reveal"] == "after-last"
    with pytest.raises(QuizError, match="option 'reveal' must be one of"):
        make(SINGLE, type="single", reveal="always")
    with pytest.raises(QuizError, match="do not apply to a poll"):
        make("Which?\n\n- [ ] a\n- [ ] b\n", type="poll", reveal="after-last")
