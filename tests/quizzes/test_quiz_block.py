"""The ``quiz`` block inside lessons: the page keeps an empty slot and none of the key,
bad quizzes stop the lesson from loading, ``check-lessons`` counts and checks them, and
the real lesson's quizzes use the lab's vocabulary."""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path

import pytest

from course import cli
from course.lessons.errors import LessonError
from course.lessons.registry import LessonRegistry
from course.quizzes import Quiz, grade, item_ids, public_view, quiz_key

FRONT = """\
---
id: {id}
title: A small lesson
module: 4
order: 1
objectives: [Answer a quiz]
minutes: 5
---
"""
LAB = "\n/// lab | walk\n    layers: 1\n    hidden: 2\n///\n"
SECRET = b"block-secret"


def quiz_block(quiz_id: str, options: str, body: str) -> str:
    indented = textwrap.indent(textwrap.dedent(options).strip(), "    ")
    return f"\n/// quiz | {quiz_id}\n{indented}\n{textwrap.dedent(body).strip()}\n///\n"


def load(tmp_path: Path, *blocks: str, lesson_id: str = "small") -> LessonRegistry:
    text = FRONT.format(id=lesson_id) + "\nSome text.\n" + LAB + "".join(blocks)
    (tmp_path / "01-small.md").write_text(text, encoding="utf-8")
    return LessonRegistry.load(tmp_path)


FORGET = quiz_block(
    "forget-gate",
    "type: single",
    """
    Which quantity does the forget gate scale?

    - [ ] the input \\(x_t\\)
    - [x] the previous cell state \\(c_{t-1}\\)
        > Right.
    """,
)


def test_a_quiz_takes_its_place_on_the_page_as_an_empty_slot(tmp_path):
    registry = load(tmp_path, FORGET, "\nAfter the quiz.\n")
    lesson = registry.get("small")
    assert [kind for kind, _ in lesson.segments()] == ["html", "lab", "quiz", "html"]
    assert '<div class="quiz-slot" data-quiz-slot="forget-gate"></div>' in lesson.html
    quiz = registry.quiz("small", "forget-gate")
    assert isinstance(quiz, Quiz) and ("quiz", quiz) in lesson.segments()
    assert quiz.prompt == "<p>Which quantity does the forget gate scale?</p>"
    assert registry.quiz("small", "nope") is None and registry.quiz("nope", "forget-gate") is None


BAD = {
    "duplicate quiz id": ([FORGET, FORGET], ["01-small.md", "duplicate", "forget-gate"]),
    "unknown option": (
        [quiz_block("q1", "type: single\ncolour: red", "Q\n\n- [x] a\n- [ ] b")],
        ["01-small.md", "'q1'", "colour"],
    ),
    "attrs on the slot": (
        [quiz_block("q1", "type: single\nattrs: {class: x}", "Q\n\n- [x] a\n- [ ] b")],
        ["01-small.md", "'q1'", "attrs"],
    ),
    "bad id": ([quiz_block("zweiß", "type: poll", "Q\n\n- [ ] a\n- [ ] b")], ["zweiß"]),
    "single without an answer": (
        [quiz_block("q1", "type: single", "Q\n\n- [ ] a\n- [ ] b")],
        ["01-small.md", "'q1'", "exactly one [x]"],
    ),
    "numeric without an answer": (
        [quiz_block("q1", "type: numeric", "How many?")],
        ["01-small.md", "'q1'", "answer"],
    ),
    "live lab not in the lesson": (
        [quiz_block("q1", "type: numeric\nlive: {lab: other, quantity: f, t: 1}", "Q?")],
        ["'q1'", "'other'"],
    ),
    "live past the window": (
        [quiz_block("q1", "type: numeric\nlive: {lab: walk, quantity: f, t: 99}", "Q?")],
        ["'q1'", "15 time steps"],
    ),
    "live ranges leaving a gap": (
        [
            quiz_block(
                "q1",
                "type: single\nlive: {lab: walk, quantity: f, t: 1}\nranges: [[0, 0.4], [0.5, 1]]",
                "Q\n\n- [ ] low\n- [ ] high",
            )
        ],
        ["'q1'", "cover [0, 1]"],
    ),
}


@pytest.mark.parametrize("blocks, words", BAD.values(), ids=BAD.keys())
def test_a_bad_quiz_stops_the_lesson_with_a_useful_message(tmp_path, blocks, words):
    with pytest.raises(LessonError) as error:
        load(tmp_path, *blocks)
    for word in words:
        assert word in str(error.value)


def test_a_live_quantity_of_another_cell_kind_is_refused(tmp_path):
    gru = "\n/// lab | gates\n    model: gru\n    layers: 1\n    hidden: 2\n///\n"
    block = quiz_block("q1", "type: numeric\nlive: {lab: gates, quantity: f, t: 1}", "f?")
    with pytest.raises(LessonError, match="a gru cell has no 'f'"):
        load(tmp_path, gru, block)


def test_check_lessons_counts_quizzes_and_reports_a_bad_one(tmp_path, capsys):
    assert cli.main(["check-lessons"]) == 0
    training = LessonRegistry.load(Path(__file__).resolve().parents[2] / "lessons").get("training")
    counts = f"{len(training.labs)} lab(s), 0 playground(s), {len(training.quizzes)} quiz(zes)"
    assert f"ok  training  (module 3, {counts}" in capsys.readouterr().out
    load(tmp_path, FORGET)
    (tmp_path / "02-bad.md").write_text(
        FRONT.format(id="bad") + quiz_block("broken", "type: single", "Q\n\n- [ ] a\n- [ ] b"),
        encoding="utf-8",
    )
    assert cli.main(["check-lessons", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "02-bad.md" in err and "'broken'" in err


# -- nothing secret reaches the page or the public view ------------------------------

CANARY_BLOCKS = [
    quiz_block(
        "c-single",
        "type: single",
        """
        CANARY-PROMPT-7f3a

        - [ ] CANARY-WRONG-7f3a
            > FEEDBACK-CANARY-wrong-9c1e
        - [x] CANARY-RIGHT-7f3a
            > FEEDBACK-CANARY-right-9c1e

        > EXPLANATION-CANARY-5d2b
        """,
    ),
    quiz_block(
        "c-multiple",
        "type: multiple\nfeedback: after-last",
        """
        Pick.

        - [x] MULTI-A
            > FEEDBACK-CANARY-multi-a-0b7e
        - [ ] MULTI-B
        - [x] MULTI-C
        """,
    ),
    quiz_block(
        "c-numeric",
        "type: numeric\nanswer: 0.123456789\ntolerance: 0.000314159",
        "How much?\n\n> EXPLANATION-CANARY-numeric-44aa",
    ),
    quiz_block(
        "c-text",
        "type: text\nanswers: [TEXT-ANSWER-CANARY-e8d1]\npattern: 'PATTERN-CANARY-[0-9]{3}'",
        "Say it.",
    ),
    quiz_block(
        "c-live",
        "type: single\nlive: {lab: walk, quantity: c, t: 2, layer: 1, unit: 1}\n"
        "ranges: [[-.inf, 0.271828], [0.271828, .inf]]",
        "\nWhere?\n\n- [ ] LIVE-LOW\n    > FEEDBACK-CANARY-live-f00d\n- [ ] LIVE-HIGH\n",
    ),
    quiz_block("c-order", "type: ordering", "Order.\n\n- ORDER-1\n- ORDER-2\n- ORDER-3"),
    quiz_block("c-match", "type: matching", "Match.\n\n- LEFT-1 :: RIGHT-1\n- LEFT-2 :: RIGHT-2"),
]
SECRETS = [
    "FEEDBACK-CANARY-wrong-9c1e",
    "FEEDBACK-CANARY-right-9c1e",
    "FEEDBACK-CANARY-multi-a-0b7e",
    "FEEDBACK-CANARY-live-f00d",
    "EXPLANATION-CANARY-5d2b",
    "EXPLANATION-CANARY-numeric-44aa",
    "TEXT-ANSWER-CANARY-e8d1",
    "PATTERN-CANARY-[0-9]{3}",
    "0.123456789",
    "0.000314159",
    "0.271828",
]
FRAGMENTS = ["FEEDBACK-CANARY", "EXPLANATION-CANARY", "PATTERN-CANARY", "0.12345", "0.000314"]
MARKS = ["[x]", "[ ]", "correct", "tolerance", "ranges"]


def hashes(text: str) -> list[str]:
    data = text.encode()
    return [hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest()] + [
        hashlib.sha256(data).hexdigest()
    ]


def leaks(text: str, secrets: list[str]) -> list[str]:
    """The secrets found in ``text``, as written or as an md5/sha1/sha256 hex digest."""
    return [s for s in secrets for form in [s, *hashes(s)] if form.lower() in text.lower()]


def test_the_lesson_html_holds_no_quiz_content(tmp_path):
    html = load(tmp_path, *CANARY_BLOCKS).get("small").html
    contents = ["CANARY", "MULTI-", "LIVE-", "ORDER-", "LEFT-", "RIGHT-"]  # not even prompts
    assert leaks(html, SECRETS + FRAGMENTS + MARKS + contents) == []
    assert html.count('class="quiz-slot"') == len(CANARY_BLOCKS)


def test_the_public_views_hold_no_key_feedback_or_ranges(tmp_path):
    lesson = load(tmp_path, *CANARY_BLOCKS).get("small")
    for quiz in lesson.quizzes.values():
        key = quiz_key(lesson.id, quiz.id)
        for learner in ("1", "2", "3"):
            shown = public_view(quiz, key=key, learner=learner, secret=SECRET)
            text = json.dumps(shown, ensure_ascii=False).replace(
                '"live": {"lab": "walk", "kind": "lab"}', ""
            )
            assert leaks(text, SECRETS + FRAGMENTS + MARKS) == [], quiz.id
            secret_hashes = hashes(SECRET.decode()) + [SECRET.decode()]
            assert not [h for h in secret_hashes if h in text]
    right = public_view(
        lesson.quizzes["c-single"], key="small/c-single", learner="1", secret=SECRET
    )
    assert "CANARY-RIGHT-7f3a" in json.dumps(right)  # the choice itself is shown, not its mark


# -- the real lesson ------------------------------------------------------------------


@pytest.fixture(scope="module")
def lstm_lesson():
    return LessonRegistry.load(Path(__file__).resolve().parents[2] / "lessons").get("lstm-cell")


# What each item of the LSTM lesson's ordering quiz computes, and what it needs (the
# cell's equations): (text in the item, needs, makes).
DATA_FLOW = [
    ("the input", set(), {"x", "h_prev", "c_prev"}),
    ("the forget gate", {"x", "h_prev"}, {"f"}),
    ("the new cell state", {"f", "c_prev"}, {"c"}),
    ("the output", {"c"}, {"h"}),
    ("layer 2 reads", {"h"}, {"next"}),
]


def orders_the_data_flow_allows(flow):
    """Every order of the items in which each one comes after what makes its inputs."""
    if not flow:
        return [[]]
    made = set().union(*(makes for _, _, makes in flow))
    ready = [item for item in flow if not (item[1] & made)]
    return [
        [item[0], *rest]
        for item in ready
        for rest in orders_the_data_flow_allows([other for other in flow if other is not item])
    ]


def test_the_lstm_lessons_ordering_quiz_grades_only_what_the_data_flow_forces(lstm_lesson):
    quiz = lstm_lesson.quizzes["compute-order"]
    assert len(quiz.choices) == len(DATA_FLOW)
    for (text, _, _), choice in zip(DATA_FLOW, quiz.choices, strict=True):
        assert text in choice.html
    # the key is the one order the equations allow, so no convention is being graded
    assert orders_the_data_flow_allows(DATA_FLOW) == [[text for text, _, _ in DATA_FLOW]]


def test_the_lstm_lessons_quizzes(lstm_lesson):
    single = lstm_lesson.quizzes["forget-gate"]
    ids = item_ids(single, key=quiz_key(lstm_lesson.id, single.id), secret=SECRET)
    picked = ids.items[[c.correct for c in single.choices].index(True)]
    assert grade(single, {"choice": picked}, item_ids=ids).correct
    live = lstm_lesson.quizzes["forget-now"]
    assert live.live is not None and live.live.lab in lstm_lesson.labs
    assert (live.live.quantity, live.live.t, live.live.layer, live.live.unit) == ("f", 3, 1, 0)
