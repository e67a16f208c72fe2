"""Helpers for live-session pages in Chromium: joining as a student, and checking
that everyone shows the same state of the presented lab."""

from __future__ import annotations

from playwright.sync_api import Page, expect

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


def readout(page: Page, lab: str = LAB) -> dict[str, str]:
    names = ("epoch", "phase", "layer", "t", "step")
    return {n: page.locator(f'{lab} [data-readout="{n}"]').inner_text() for n in names}


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
