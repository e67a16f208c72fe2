"""A live poll in Chromium, as peer instruction: the presenter, two students and the
projector see one lettered order; the lesson's own copy of the question refuses
answers while it is the poll; revealed counts and a student's own vote survive a
reload, and the projector shows them. Screenshots on a laptop and a phone."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from pagekit import ARTIFACTS, browsing, start_session
from playwright.sync_api import Browser, Page, expect
from servers import create_instructor

EMAIL, PASSWORD = "polls@example.org", "a polling password"
QUIZ = "forget-gate"
PHONE = {"width": 390, "height": 844}


def join(student: Page, code: str, name: str) -> None:
    student.goto(f"/live/{code}")
    student.get_by_label("Your name for this session").fill(name)
    student.get_by_role("button", name="Join").click()
    expect(student.locator('[data-role="live-status"]')).to_have_text(
        "Following the class.", timeout=20000
    )


def options(page: Page) -> list[str]:
    """The poll's options as this page shows them: letter and text, in order."""
    rows = page.locator('[data-role="poll-choices"] li')
    expect(rows).to_have_count(3, timeout=20000)
    return [" ".join(t.split()) for t in rows.locator(".poll-letter, .poll-text").all_inner_texts()]


@pytest.fixture(autouse=True)
def patient() -> Iterator[None]:
    """Expectations wait longer than the default 5 s: the machine may be busy."""
    expect.set_options(timeout=60000)
    yield
    expect.set_options(timeout=5000)


def test_one_lettered_poll_for_everyone_and_a_reveal_that_survives_reload(
    browser: Browser, server: str, server_database: str
) -> None:
    create_instructor({"UNROLLED_DATABASE_URL": server_database}, EMAIL, PASSWORD)
    with (
        browsing(browser, server) as teacher,
        browsing(browser, server) as ana,
        browsing(browser, server) as ben,  # on a phone
        browsing(browser, server) as screen,
    ):
        ben.set_viewport_size(PHONE)
        for page in (teacher, ana, ben, screen):
            page.set_default_timeout(90000)  # the machine may be busy (a new lab compiles)
        code = start_session(teacher, EMAIL, PASSWORD, class_name="Poll class")
        join(ana, code, "Ana")
        join(ben, code, "Ben")
        screen.goto(f"/live/{code}/projector")
        expect(screen.locator("article.lesson")).to_have_attribute("data-live-joined", "true")
        inline = ana.locator(f'section.quiz[data-quiz="{QUIZ}"]')
        expect(inline.locator('input[name="choice"]').first).to_be_enabled()  # not a poll yet

        teacher.locator('[data-role="poll-pick"]').select_option(QUIZ)
        teacher.get_by_role("button", name="Open", exact=True).click()
        order = options(teacher)
        assert order[0::2] == ["A", "B", "C"]
        for page in (ana, ben, screen):
            assert options(page) == order

        # The lesson's copy: shut, and the server refuses it even if the page is bypassed.
        expect(inline).to_have_class(re.compile(r"\bis-shut\b"))
        expect(inline.locator('[data-role="feedback"]')).to_contain_text("live poll")
        expect(inline.locator('[data-action="reveal"]')).to_be_hidden()
        token = ana.locator('meta[name="csrf-token"]').get_attribute("content") or ""
        right = inline.locator('input[name="choice"]').nth(1).get_attribute("value")
        refused = ana.request.post(  # with the page's cookies, as its script would send it
            f"/api/lessons/lstm-cell/quizzes/{QUIZ}/attempts",
            data={"submission_id": "bypass-1234", "answer": {"choice": right}},
            headers={"X-CSRF-Token": token, "Origin": server},
        )
        assert (refused.status, refused.json()["error"]["code"]) == (409, "shut")

        ana.locator('[data-role="poll-choices"] li[data-letter="B"] .poll-choice').click()
        expect(ana.locator('[data-role="poll-status"]')).to_contain_text("Vote recorded")
        expect(ana.locator('[data-role="poll-mine"]')).to_have_text("Your vote: B")
        ben.locator('[data-role="poll-choices"] li[data-letter="A"] .poll-choice').click()
        expect(ben.locator('[data-role="poll-status"]')).to_contain_text("Vote recorded")
        expect(ben.locator('[data-role="poll-mine"]')).to_have_text("Your vote: A")
        expect(teacher.locator('[data-role="answered"]')).to_have_text(
            "2 answered: Ana (guest), Ben (guest)"
        )
        expect(screen.locator('[data-role="poll-choices"] .poll-count')).to_have_count(0)
        teacher.screenshot(path=str(ARTIFACTS / "live-poll-presenter.png"))
        ben.screenshot(path=str(ARTIFACTS / "live-poll-phone.png"))

        teacher.locator("[data-live-panel]").get_by_role("button", name="Show results").click()
        b_row = '[data-role="poll-choices"] li[data-letter="B"] .poll-count'
        for page in (teacher, ana, ben, screen):
            expect(page.locator(b_row)).to_have_text("1 (50 %)")
        ana.reload()  # the reveal and her own vote come back with the state
        expect(ana.locator("article.lesson")).to_have_attribute("data-live-joined", "true")
        expect(ana.locator(b_row)).to_have_text("1 (50 %)")
        expect(ana.locator('[data-role="poll-mine"]')).to_have_text("Your vote: B")
        expect(ana.locator(f'section.quiz[data-quiz="{QUIZ}"]')).to_have_class(
            re.compile(r"\bis-shut\b")  # counts shown, answer not yet: still shut
        )
        screen.reload()
        expect(screen.locator(b_row)).to_have_text("1 (50 %)")
        screen.screenshot(path=str(ARTIFACTS / "live-poll-projector.png"))

        teacher.locator("[data-live-panel]").get_by_role("button", name="Reveal answer").click()
        for page in (ana, ben, screen):
            expect(page.locator('[data-role="poll-solution"]')).to_have_text("The answer: B")
        inline = ana.locator(f'section.quiz[data-quiz="{QUIZ}"]')
        expect(inline).not_to_have_class(re.compile(r"\bis-shut\b"))
        expect(inline.locator('input[name="choice"]').first).to_be_enabled()
        ana.screenshot(path=str(ARTIFACTS / "live-poll-student.png"))

        # A question the presenter types, voted on twice: both rounds side by side.
        panel = teacher.locator("[data-live-panel]")
        panel.get_by_role("button", name="Type a question…").click()
        panel.get_by_label("Your question").fill("Will <b>f</b> stay near 1 after training?")
        panel.get_by_label("Options, one per line (2 to 8)").fill("yes\nno\nit depends")
        panel.get_by_role("button", name="Ask the class").click()
        for page in (ana, ben, screen):
            expect(page.locator('[data-role="poll-prompt"]')).to_have_text(
                "Will <b>f</b> stay near 1 after training?"  # shown as typed, not as markup
            )
        ana.locator('[data-role="poll-choices"] li[data-letter="A"] .poll-choice').click()
        expect(ana.locator('[data-role="poll-mine"]')).to_have_text("Your vote: A")
        panel.get_by_role("button", name="Revote").click()
        expect(ana.locator('[data-role="poll-round"]')).to_have_text("Revote · Voting is open")
        ana.locator('[data-role="poll-choices"] li[data-letter="C"] .poll-choice').click()
        expect(ana.locator('[data-role="poll-mine"]')).to_have_text(
            "Your vote: round 1: A · round 2: C"
        )
        panel.get_by_role("button", name="Show results").click()
        row = ana.locator('[data-role="poll-choices"] li[data-letter="A"] .poll-series')
        expect(row).to_have_text(
            [re.compile(r"Round 1\s*1 \(100 %\)"), re.compile(r"Round 2\s*0 \(0 %\)")]
        )
        teacher.screenshot(path=str(ARTIFACTS / "live-poll-revote-presenter.png"))
        ana.screenshot(path=str(ARTIFACTS / "live-poll-revote-student.png"))

        # A number question: the student types the answer.
        panel.get_by_role("button", name="Type a question…").click()
        panel.get_by_label("A number").check()
        panel.get_by_label("Your question").fill("How many gates has an LSTM cell?")
        panel.get_by_label("Right answer (if any)").fill("3")
        panel.get_by_role("button", name="Ask the class").click()
        box = ana.locator('[data-role="poll-number"]')
        expect(box).to_be_visible()
        expect(ana.locator('[data-role="poll-choices"] li')).to_have_count(0)
        box.get_by_label("Your answer").fill("3")
        box.get_by_role("button", name="Vote").click()
        expect(ana.locator('[data-role="poll-mine"]')).to_have_text("Your vote: 3")
        expect(ben.locator('[data-role="poll-number"]')).to_be_visible()
        expect(screen.locator('[data-role="poll-number"]')).to_have_count(0)  # no one votes there
        panel.get_by_role("button", name="Reveal answer").click()
        expect(ana.locator('[data-role="poll-solution"]')).to_have_text("The answer: 3")
        ana.screenshot(path=str(ARTIFACTS / "live-poll-number-student.png"))
