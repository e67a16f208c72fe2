"""A learner answers the quizzes of the LSTM lesson in Chromium, reloads, and finds
their answers, feedback and progress where they left them."""

from __future__ import annotations

import re

from pagekit import ARTIFACTS
from playwright.sync_api import Page, expect

from course.lessons.registry import LessonRegistry

LESSON = "/lessons/lstm-cell"


def test_a_learner_answers_reloads_and_finds_everything_restored(page: Page) -> None:
    page.goto(LESSON)
    quiz = page.locator('section.quiz[data-quiz="forget-gate"]')
    quiz.scroll_into_view_if_needed()
    expect(page.locator("article.lesson")).to_have_attribute("data-quizzes-ready", "true")

    # a wrong answer first: feedback for that choice, one attempt left, no solution
    quiz.get_by_label("the output").check()
    quiz.get_by_role("button", name="Check").click()
    expect(quiz.locator('[data-role="feedback"]')).to_contain_text("Not quite")
    expect(quiz.locator('[data-role="attempts"]')).to_have_text("1 attempt left")
    expect(quiz.locator(".quiz-choice.is-wrong")).to_contain_text("the output")
    expect(quiz.locator(".is-answer")).to_have_count(0)

    quiz.get_by_label("the previous cell state").check()
    quiz.get_by_role("button", name="Check").click()
    expect(quiz.locator('[data-role="feedback"]')).to_contain_text("Right.")
    expect(quiz.locator(".quiz-explanation")).to_contain_text("forget gate decides")
    expect(quiz.locator("input").first).to_be_disabled()
    quiz.screenshot(path=str(ARTIFACTS / "quiz-answered.png"))

    # the ordering question, by keyboard only: each item moved up into its place
    order = page.locator('section.quiz[data-quiz="compute-order"]')
    order.scroll_into_view_if_needed()
    steps = ["the input", "the forget gate", "the new cell state", "the output", "layer 2 reads"]
    for position, name in enumerate(steps):
        item = order.locator(".quiz-order-item").filter(has_text=name).first
        item.focus()
        current = order.locator(".quiz-order-item").evaluate_all(
            "(items, name) => items.findIndex(li => li.textContent.includes(name))", name
        )
        for _ in range(current - position):
            page.keyboard.press("Alt+ArrowUp")
    order.get_by_role("button", name="Check").click()
    expect(order.locator('[data-role="feedback"]')).to_contain_text("Right.")

    page.reload()
    quiz = page.locator('section.quiz[data-quiz="forget-gate"]')
    expect(page.locator("article.lesson")).to_have_attribute("data-quizzes-ready", "true")
    expect(quiz.get_by_label("the previous cell state")).to_be_checked()
    expect(quiz.locator('[data-role="feedback"]')).to_contain_text("Right.")
    expect(
        page.locator('section.quiz[data-quiz="compute-order"] [data-role="feedback"]')
    ).to_contain_text("Right.")

    page.goto("/progress")
    row = page.locator(".progress-lesson").filter(has_text="Inside an LSTM cell")
    quizzes = len(LessonRegistry.load("lessons").get("lstm-cell").quizzes)
    expect(row.locator('[data-figure="score"]')).to_contain_text(f"2.0 of {quizzes}")
    page.screenshot(path=str(ARTIFACTS / "progress.png"), full_page=True)


def test_sections_read_are_remembered(page: Page) -> None:
    page.goto(LESSON)
    heading = page.locator("h2#step-through-one-cell")
    heading.scroll_into_view_if_needed()
    expect(heading).to_have_class("seen", timeout=5000)
    page.reload()
    expect(page.locator("article.lesson")).to_have_attribute(
        "data-seen", re.compile(r"\bstep-through-one-cell\b")
    )


def test_a_prediction_is_committed_then_observed_and_kept(page: Page) -> None:
    page.goto(LESSON)
    predict = page.locator('section.predict[data-predict="five-epochs"]')
    predict.scroll_into_view_if_needed()
    observe = predict.locator('[data-role="observe"]')
    expect(observe).to_be_hidden()
    predict.get_by_label("less than a quarter of it").check()
    predict.get_by_role("button", name="Commit my guess").click()
    expect(observe).to_be_visible()
    expect(observe).to_contain_text("What you should see")
    expect(predict.get_by_label("about half of it")).to_be_disabled()
    predict.screenshot(path=str(ARTIFACTS / "predict-committed.png"))
    page.reload()
    predict = page.locator('section.predict[data-predict="five-epochs"]')
    expect(predict.get_by_label("less than a quarter of it")).to_be_checked()
    expect(predict.locator('[data-role="observe"]')).to_contain_text("less than a quarter")


def test_show_answer_waits_for_an_attempt_and_says_why(page: Page) -> None:
    """Issue 17: "Show answer" is disabled, with the reason beside it, until the
    learner has answered once; then it reveals, and the question is closed."""
    page.goto(LESSON)
    expect(page.locator("article.lesson")).to_have_attribute("data-quizzes-ready", "true")
    quiz = page.locator('section.quiz[data-quiz="forget-gate"]')
    quiz.scroll_into_view_if_needed()
    reveal = quiz.get_by_role("button", name="Show answer")
    why = quiz.locator('[data-role="reveal-why"]')
    expect(reveal).to_be_disabled()
    expect(why).to_contain_text("Answer once")
    quiz.screenshot(path=str(ARTIFACTS / "quiz-reveal-waits.png"))

    quiz.get_by_label("the output").check()
    quiz.get_by_role("button", name="Check").click()
    expect(quiz.locator('[data-role="feedback"]')).to_contain_text("Not quite")
    expect(reveal).to_be_enabled()
    expect(why).to_have_text("")

    page.once("dialog", lambda dialog: dialog.accept())
    reveal.click()
    expect(quiz.locator('[data-role="attempts"]')).to_have_text("Answer revealed.")
    expect(quiz.locator(".is-answer")).to_contain_text("the previous cell state")
    expect(quiz.locator("input").first).to_be_disabled()
