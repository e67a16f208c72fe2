"""A live classroom session in Chromium: the instructor presents the LSTM cell; two
students in their own browsers see the same values at every step; one reloads in
the middle and is in step again at once; a poll's counts reach only the presenter."""

from __future__ import annotations

import re

from conftest import ARTIFACTS
from playwright.sync_api import Browser, Page, expect
from servers import create_instructor
from test_teaching import browsing

EMAIL, PASSWORD = "presenter@example.org", "a live password"
LAB = 'section.lab[data-lab="cell-walk"]'


def cell_values(page: Page) -> list[str]:
    """The numbers in the cell diagram's boxes, as the browser holds them."""
    return page.evaluate(
        """(selector) => {
            const source = document.querySelector(selector).figures.source("cell_boxes");
            return source.data.value.map(String);
        }""",
        LAB,
    )


def readout(page: Page) -> dict[str, str]:
    names = ("epoch", "phase", "layer", "t", "step")
    return {n: page.locator(f'{LAB} [data-readout="{n}"]').inner_text() for n in names}


def start_session(teacher: Page) -> str:
    teacher.goto("/login")
    teacher.get_by_label("Email").fill(EMAIL)
    teacher.get_by_label("Password").fill(PASSWORD)
    teacher.get_by_role("button", name="Sign in").click()
    teacher.get_by_label("New class").fill("Live class")
    teacher.get_by_role("button", name="Create class").click()
    teacher.locator("#live select").select_option("lstm-cell/cell-walk")
    teacher.get_by_role("button", name="Start a live session").click()
    expect(teacher).to_have_url(re.compile(r"/live/[A-Z0-9]{6}/present$"))
    expect(teacher.locator("article.lesson")).to_have_attribute("data-live-joined", "true")
    return teacher.url.split("/")[-2]


def join(student: Page, code: str, name: str) -> None:
    student.goto("/live")
    student.get_by_label("Session code").fill(code.lower())
    student.get_by_role("button", name="Join").click()
    student.get_by_label("Your name for this session").fill(name)
    student.get_by_role("button", name="Join").click()
    status = student.locator('[data-role="live-status"]')
    expect(status).to_have_text("Following the class.", timeout=20000)
    expect(student.locator("article.lesson")).to_have_attribute("data-live-joined", "true")


def in_step(seq: int, teacher: Page, *students: Page) -> None:
    """Everyone shows state ``seq``, with the same readout and the same cell numbers."""
    for page in (teacher, *students):
        expect(page.locator("article.lesson")).to_have_attribute("data-live-seq", str(seq))
    for student in students:
        assert readout(student) == readout(teacher)
        assert cell_values(student) == cell_values(teacher)


def test_students_follow_the_presenter_step_by_step(
    browser: Browser, server: str, server_database: str
) -> None:
    create_instructor({"UNROLLED_DATABASE_URL": server_database}, EMAIL, PASSWORD)
    with (
        browsing(browser, server) as teacher,
        browsing(browser, server) as ana,
        browsing(browser, server) as ben,
    ):
        code = start_session(teacher)
        join(ana, code, "Ana")
        join(ben, code, "Ben")
        expect(teacher.locator('[data-role="presence-count"]')).to_have_text("2")

        step = teacher.locator(f'{LAB} [data-action="step"]')
        for seq in range(1, 5):  # from x: f, i, o, g of the first cell
            step.click()
            in_step(seq, teacher, ana, ben)
        assert readout(ana)["step"].startswith("candidate g")
        expect(ana.locator(f'{LAB} [data-action="step"]')).to_be_disabled()  # students follow
        ana.screenshot(path=str(ARTIFACTS / "live-student.png"), full_page=False)

        ben.reload()  # mid-session: back in step at once, from the join ack
        expect(ben.locator("article.lesson")).to_have_attribute("data-live-joined", "true")
        in_step(4, teacher, ben)
        step.click()
        in_step(5, teacher, ana, ben)

        teacher.locator('[data-role="poll-pick"]').select_option("forget-gate")
        teacher.get_by_role("button", name="Open").click()
        choice = ana.locator('[data-role="poll-choices"] li').first
        expect(choice.locator(".poll-choice")).to_be_enabled()
        picked = choice.get_attribute("data-item")
        choice.locator(".poll-choice").click()
        expect(ana.locator('[data-role="poll-status"]')).to_contain_text("Vote recorded")
        expect(teacher.locator('[data-role="answered"]')).to_contain_text("1 answered: Ana")
        expect(ben.locator('[data-role="answered"]')).to_have_count(0)  # counts are staff-only
        teacher.screenshot(path=str(ARTIFACTS / "live-presenter.png"), full_page=False)
        teacher.get_by_role("button", name="Show results").click()
        expect(ben.locator(f'[data-role="poll-choices"] li[data-item="{picked}"]')).to_contain_text(
            "1 (100 %)"
        )
