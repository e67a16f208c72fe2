"""The whole instructor's day in Chromium, by three browser contexts: the teacher (in
Paris) creates a class and assigns the LSTM module; two students (one in New York)
join, see the due date in their own time, and answer the lesson's question (Ben
asks to see the answer); the teacher runs a live session with a poll and reveals it;
the gradebook shows it all, sorts by keyboard and fits a laptop and a phone.

Each step is a small function, so a change in how a step is done (joining a class's
session in one click, lettered polls) changes one function."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from pagekit import ARTIFACTS, browsing, sign_in
from playwright.sync_api import Browser, Page, expect
from servers import create_instructor

EMAIL, PASSWORD = "day@example.org", "a whole day's password"
CLASS = "Recurrent networks, spring"
QUIZ = 'section.quiz[data-quiz="forget-gate"]'
QUESTION = "Which quantity does the forget gate f scale?"
MY_CLASSES = "/classes"
WAIT = 120_000  # ms: a busy machine loads and compiles the lab slowly


@pytest.fixture(autouse=True)
def patient() -> Iterator[None]:
    """Every expectation waits as long as a loaded machine needs (states, not clocks)."""
    expect.set_options(timeout=WAIT)
    yield
    expect.set_options(timeout=5_000)


def slow(page: Page) -> Page:
    page.set_default_timeout(WAIT)
    page.set_default_navigation_timeout(WAIT)
    return page


def create_class(teacher: Page, zone: str) -> str:
    """A class in the browser's zone (preselected); its join code."""
    expect(teacher.get_by_label("Time zone")).to_have_value(zone)
    teacher.get_by_label("New class").fill(CLASS)
    teacher.get_by_role("button", name="Create class").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text(CLASS)
    return teacher.locator("[data-join-code]").inner_text()


def assign_module(teacher: Page, module: int, due: str, zone: str) -> None:
    teacher.get_by_label("Assign").select_option(f"module:{module}")
    teacher.locator("#assignments").get_by_label(f"Due ({zone})").fill(due)
    teacher.get_by_role("button", name="Assign", exact=True).click()
    expect(teacher.get_by_role("status")).to_contain_text("Assigned")


def join_class(student: Page, code: str, name: str) -> None:
    student.goto(f"/join?code={code}")
    student.get_by_label("Your name").fill(name)
    student.get_by_role("button", name="Join").click()
    expect(student.get_by_role("status")).to_contain_text(CLASS)


def due_shown(student: Page) -> str:
    return student.locator("article.my-class td[data-due] time").first.inner_text()


def answer_quiz(student: Page, choice: str, *, reveal: bool = False) -> None:
    student.goto("/lessons/lstm-cell")
    expect(student.locator("article.lesson")).to_have_attribute(
        "data-quizzes-ready", "true", timeout=WAIT
    )
    quiz = student.locator(QUIZ)
    quiz.scroll_into_view_if_needed()
    quiz.get_by_label(choice).check()
    quiz.get_by_role("button", name="Check").click()
    expect(quiz.locator('[data-role="feedback"]')).not_to_be_empty()
    if reveal:
        student.once("dialog", lambda dialog: dialog.accept())  # "the question closes"
        quiz.get_by_role("button", name="Show answer").click()
        expect(quiz.locator('[data-role="attempts"]')).to_have_text("Answer revealed.")


def start_live(teacher: Page, class_url: str) -> str:
    teacher.goto(class_url)
    teacher.locator("#live select[name=lab]").select_option("lstm-cell/cell-walk")
    teacher.get_by_role("button", name="Start a live session").click()
    expect(teacher).to_have_url(re.compile(r"/live/[A-Z0-9]{6}/present$"))
    expect(teacher.locator("article.lesson")).to_have_attribute(
        "data-live-joined", "true", timeout=WAIT
    )
    return teacher.url.split("/")[-2]


def join_live(student: Page, code: str, name: str) -> None:
    """A member of the class: from My classes, in one click, under their class name."""
    student.goto(MY_CLASSES)
    student.locator(f'[data-live-now="{code}"]').get_by_role(
        "link", name="Join the live session"
    ).click(timeout=WAIT)
    expect(student.locator("article.lesson")).to_have_attribute(
        "data-live-joined", "true", timeout=WAIT
    )
    expect(student.locator('[data-role="seat"]')).to_have_text(f"as {name}")


def open_poll(teacher: Page, quiz: str) -> None:
    teacher.locator('[data-role="poll-pick"]').select_option(quiz)
    teacher.locator('[data-live="poll-open"]').click()


def vote(student: Page, text: str) -> None:
    choice = student.locator('[data-role="poll-choices"] li').filter(has_text=text)
    expect(choice.locator(".poll-choice")).to_be_enabled(timeout=WAIT)
    choice.locator(".poll-choice").click()
    expect(student.locator('[data-role="poll-status"]')).to_contain_text("Vote recorded")


def reveal_poll(teacher: Page, answered: int) -> None:
    expect(teacher.locator('[data-role="answered"]')).to_contain_text(f"{answered} answered")
    teacher.locator('[data-live="poll-answer"]').click()


def end_live(teacher: Page) -> None:
    teacher.once("dialog", lambda dialog: dialog.accept())  # a confirmation, if any
    teacher.locator('[data-live="end"]').click()


def open_gradebook(teacher: Page, class_url: str) -> None:
    teacher.goto(class_url + "/gradebook")
    expect(teacher.get_by_role("heading", name="Gradebook", level=1)).to_be_visible()


def column_of(teacher: Page, name: str) -> int:
    headers = teacher.locator("table.gradebook thead tr.columns th").all_text_contents()
    return next(n for n, text in enumerate(headers) if text.strip().startswith(name))


def gradebook_cell(teacher: Page, student: str, name: str) -> str:
    row = teacher.locator("table.gradebook tbody tr").filter(
        has=teacher.locator(f'th:text-is("{student}")')
    )
    return row.locator("th, td").nth(column_of(teacher, name)).inner_text()


def students_in_order(teacher: Page) -> list[str]:
    return teacher.locator("table.gradebook tbody th").all_inner_texts()


def fits(page: Page) -> None:
    """Nothing wider than the window: the gradebook scrolls inside its own box."""
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    wide = page.evaluate(
        """() => [...document.querySelectorAll("body *")]
            .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
            .filter((el) => !el.closest(".table-scroll") || el.matches(".table-scroll"))
            .slice(0, 5).map((el) => el.outerHTML.slice(0, 120))"""
    )
    assert widths[0] <= widths[1], (widths, wide)


def test_the_whole_instructors_day(browser: Browser, server: str, server_database: str) -> None:
    create_instructor({"UNROLLED_DATABASE_URL": server_database}, EMAIL, PASSWORD, "Dr Day")
    with (
        browsing(browser, server, timezone_id="Europe/Paris") as teacher,
        browsing(browser, server, timezone_id="America/New_York") as ana,
        browsing(browser, server, timezone_id="Europe/Paris") as ben,
    ):
        for page in (teacher, ana, ben):
            slow(page)
        sign_in(teacher, EMAIL, PASSWORD)
        expect(teacher.get_by_role("heading", name="Your classes")).to_be_visible()
        code = create_class(teacher, "Europe/Paris")
        class_url = teacher.url
        assign_module(teacher, 4, "2030-01-15T18:00", "Europe/Paris")
        expect(teacher.locator("table.assignments")).to_contain_text("2030-01-15 18:00 CET")

        join_class(ana, code, "Ana")
        join_class(ben, code, "Ben")
        assert due_shown(ana) == "2030-01-15 12:00 EST"  # her own zone
        assert due_shown(ben).startswith("2030-01-15 18:00 ")
        expect(ana.locator("[data-local-zone]")).to_contain_text("America/New_York")
        ana.screenshot(path=str(ARTIFACTS / "day-student-classes.png"), full_page=True)

        answer_quiz(ana, "the previous cell state")
        answer_quiz(ben, "the output", reveal=True)

        live = start_live(teacher, class_url)
        join_live(ana, live, "Ana")
        join_live(ben, live, "Ben")
        open_poll(teacher, "forget-gate")
        vote(ana, "the previous cell state")
        vote(ben, "the input")
        reveal_poll(teacher, 2)
        end_live(teacher)

        open_gradebook(teacher, class_url)
        assert students_in_order(teacher) == ["Ana", "Ben"]
        question = QUESTION[:36]
        assert gradebook_cell(teacher, "Ana", "Live polls answered") == "1"
        assert gradebook_cell(teacher, "Ben", "Live polls answered") == "1"
        assert gradebook_cell(teacher, "Ben", f"Inside an LSTM cell · {question}").endswith(
            "(answer shown)"
        )
        assert gradebook_cell(teacher, "Ana", "Inside an LSTM cell · Due") == "2030-01-15 18:00 CET"
        stats = teacher.locator("table.question-stats tbody tr").filter(has_text="live poll")
        expect(stats).to_have_count(1)
        expect(stats.locator("td").nth(1)).to_have_text("2")
        expect(stats.locator("td").nth(2)).to_have_text("50% (1 of 2)")

        # sort by total points, from the keyboard: Ana (1 point) above, then below Ben
        sort = teacher.locator("table.gradebook thead tr.columns th").nth(
            column_of(teacher, "Total points")
        )
        sort.locator("button").focus()
        teacher.keyboard.press("Enter")
        expect(sort).to_have_attribute("aria-sort", "ascending")
        assert students_in_order(teacher) == ["Ben", "Ana"]
        teacher.keyboard.press("Enter")
        expect(sort).to_have_attribute("aria-sort", "descending")
        assert students_in_order(teacher) == ["Ana", "Ben"]

        teacher.set_viewport_size({"width": 1366, "height": 900})
        fits(teacher)
        teacher.screenshot(path=str(ARTIFACTS / "day-gradebook-laptop.png"), full_page=True)
        teacher.set_viewport_size({"width": 390, "height": 844})
        fits(teacher)
        teacher.screenshot(path=str(ARTIFACTS / "day-gradebook-phone.png"), full_page=True)
        teacher.goto(class_url)
        fits(teacher)
        teacher.screenshot(path=str(ARTIFACTS / "day-class-phone.png"), full_page=True)
