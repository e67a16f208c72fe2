"""The presenter's poll panel on a laptop, in Chromium: with a lesson question of four
long options open at 1280×900, and a typed question of four at 1366×768, every
option's letter, text and count is on the screen (or in the poll's own scroll box,
reachable), the panel takes less than half the screen, and the lab's main figure is
in view under it. Folding the session's controls leaves the poll whole."""

from __future__ import annotations

import pytest
from pagekit import ARTIFACTS, browsing, start_session
from playwright.sync_api import Browser, Page, expect
from servers import create_instructor

EMAIL, PASSWORD = "laptop@example.org", "a laptop presenter's password"
LAB = 'section.lab[data-lab="cell-walk"]'
SLOW = 90000  # the first session compiles the lab; the machine may be busy

# Where each option's letter, text and counts are, and whether each is inside both the
# window and the poll's scroll box once the box is scrolled to it (what a person can
# reach without scrolling the page).
OPTIONS = """() => {
  const box = document.querySelector('[data-role="poll"]');
  const inside = (r, b) => r.top >= b.top - 1 && r.bottom <= b.bottom + 1
    && r.left >= b.left - 1 && r.right <= b.right + 1 && r.width > 0 && r.height > 0;
  const view = { top: 0, left: 0, bottom: innerHeight, right: innerWidth };
  return [...box.querySelectorAll('[data-role="poll-choices"] li')].map((li) => {
    li.scrollIntoView({ block: "nearest" });  // only the poll's box scrolls: the panel sticks
    const frame = box.getBoundingClientRect();
    const parts = [".poll-letter", ".poll-text", ".poll-count"].map((s) => li.querySelector(s));
    return {
      letter: li.dataset.letter,
      text: li.querySelector(".poll-text").textContent.trim(),
      seen: parts.filter(Boolean).every((el) => {
        const r = el.getBoundingClientRect();
        return inside(r, view) && inside(r, frame);
      }),
      counted: Boolean(parts[2]),
    };
  });
}"""


def uncovered(page: Page, selector: str) -> bool:
    """Whether what the page shows at the middle of ``selector``'s part visible under the
    live panel (sticky at the top) is in it."""
    return page.evaluate(
        """(selector) => {
            const el = document.querySelector(selector);
            const box = el.getBoundingClientRect();
            const panel = document.querySelector("[data-live-panel]");
            const under = panel.getBoundingClientRect().bottom;
            const top = Math.max(box.top, under, 0), bottom = Math.min(box.bottom, innerHeight);
            const hit = document.elementFromPoint(box.left + box.width / 2, (top + bottom) / 2);
            return bottom > top && el.contains(hit);
        }""",
        selector,
    )


def check_room(page: Page, letters: str, shot: str) -> None:
    """Every option whole and reachable, the panel under half the screen, the lab's cell
    figure partly in view below it."""
    height = page.viewport_size["height"] if page.viewport_size else 0
    found = page.evaluate(OPTIONS)
    assert "".join(o["letter"] for o in found) == letters
    assert all(o["text"] for o in found), found
    assert all(o["seen"] and o["counted"] for o in found), found
    panel = page.locator("[data-live-panel]").bounding_box()
    assert panel and panel["height"] < height / 2, f"the panel is {panel} in a {height} px window"
    page.locator(f"{LAB} .view-cell").scroll_into_view_if_needed()
    cell = page.locator(f"{LAB} .view-cell").bounding_box()
    assert cell and cell["y"] < height and cell["y"] + cell["height"] > panel["height"]
    assert uncovered(page, f"{LAB} .view-cell")
    page.screenshot(path=str(ARTIFACTS / shot))


@pytest.mark.browser
def test_a_four_option_poll_fits_the_presenters_laptop_beside_the_lab(
    browser: Browser, server: str, server_database: str
) -> None:
    create_instructor({"UNROLLED_DATABASE_URL": server_database}, EMAIL, PASSWORD, "Ms Laptop")
    with browsing(browser, server) as teacher, browsing(browser, server) as ana:
        for page in (teacher, ana):
            page.set_default_timeout(SLOW)
        code = start_session(teacher, EMAIL, PASSWORD, class_name="Laptop class", timeout=SLOW)
        ana.goto(f"/live/{code}")
        ana.get_by_label("Your name for this session").fill("Ana")
        ana.get_by_role("button", name="Join").click()
        expect(ana.locator("article.lesson")).to_have_attribute("data-live-joined", "true")

        # the lesson's question with four long options, one vote in: counts on every row
        teacher.locator('[data-role="poll-pick"]').select_option("why-gates")
        teacher.get_by_role("button", name="Open", exact=True).click()
        expect(ana.locator('[data-role="poll"]')).to_be_visible()
        ana.locator('[data-role="poll-choices"] li[data-letter="C"] .poll-choice').click()
        answered = teacher.locator('[data-role="answered"]')
        expect(answered).to_have_text("1 answered: Ana (guest)", timeout=SLOW)
        check_room(teacher, "ABCD", "live-laptop-poll-1280.png")

        # folded controls: the poll stays whole, the panel smaller still
        before = teacher.locator("[data-live-panel]").bounding_box()
        teacher.get_by_text("Session controls").click()
        expect(teacher.get_by_role("button", name="Show results")).to_be_hidden()
        after = teacher.locator("[data-live-panel]").bounding_box()
        assert before and after and after["height"] <= before["height"]
        check_room(teacher, "ABCD", "live-laptop-poll-folded.png")
        teacher.get_by_text("Session controls").click()

        # a typed question of four, on a 1366×768 laptop
        teacher.set_viewport_size({"width": 1366, "height": 768})
        teacher.get_by_role("button", name="Type a question…").click()
        form = teacher.locator('[data-role="poll-ask"]')
        form.get_by_label("Your question").fill("Which gate decides what the cell forgets?")
        form.get_by_label("Options, one per line").fill(
            "The forget gate f, which scales the previous cell state\n"
            "The input gate i, which scales the candidate\n"
            "The output gate o, which scales what the cell shows\n"
            "The candidate g, which proposes new content"
        )
        form.get_by_role("button", name="Ask the class").click()
        expect(teacher.locator('[data-role="poll-prompt"]')).to_contain_text("Which gate")
        expect(teacher.locator('[data-role="poll-choices"] li')).to_have_count(4)
        ana.locator('[data-role="poll-choices"] li[data-letter="A"] .poll-choice').click()
        expect(answered).to_have_text("1 answered: Ana (guest)", timeout=SLOW)
        check_room(teacher, "ABCD", "live-laptop-poll-1366.png")
