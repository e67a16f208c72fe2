"""A live classroom session in Chromium: the instructor presents the LSTM cell; two
students in their own browsers see the same values at every step; one reloads in
the middle and is in step again at once; a poll's counts reach only the presenter.
When the presenter changes the network's shape, every student's figures change with it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from livepages import LAB, in_step, join, readout
from pagekit import ARTIFACTS, browsing, start_session
from playwright.sync_api import Browser, Page, expect
from servers import CourseServer, create_instructor

from course.lab.views.cell_layout import LAYOUTS
from course.lab.views.heatmap import HEAT_ROWS

EMAIL, PASSWORD = "presenter@example.org", "a live password"


def test_students_follow_the_presenter_step_by_step(
    browser: Browser, server: str, server_database: str
) -> None:
    create_instructor({"UNROLLED_DATABASE_URL": server_database}, EMAIL, PASSWORD)
    with (
        browsing(browser, server) as teacher,
        browsing(browser, server) as ana,
        browsing(browser, server) as ben,
    ):
        code = start_session(teacher, EMAIL, PASSWORD, class_name="Live class")
        join(ana, code, "Ana")
        join(ben, code, "Ben")
        expect(teacher.locator('[data-role="presence-count"]')).to_have_text("2")

        step = teacher.locator(f'{LAB} [data-action="step"]')
        for seq in range(1, 5):  # from x: f, i, o, g of the first cell
            step.click()
            in_step(seq, teacher, ana, ben)
        assert readout(ana)["step"].startswith("candidate g")
        expect(ana.locator(f'{LAB} [data-action="step"]')).to_be_disabled()  # students follow
        ana.locator(f'{LAB} [data-action="help"]').click()  # but may read what the controls do
        expect(ana.locator(f"{LAB} dialog")).to_be_visible()
        ana.locator(f'{LAB} [data-action="help-close"]').click()
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


# A lab whose network the presenter can reshape from its controls (no lesson offers
# hidden size and cell kind together, so this test serves a lesson of its own).
SHAPES_LESSON = """---
id: shapes
title: Reshaping a network
module: 4
order: 1
minutes: 5
summary: The presenter changes the network; the class sees the new one.
objectives:
  - See a wider network, then a GRU.
---

/// lab | reshape
    title: A network the presenter reshapes
    model: lstm
    layers: 1
    hidden: 4
    window: 4
    views: [cell, sequence]
    granularity: compute
    controls: [hidden, model]
///
"""
RESHAPE = 'section.lab[data-lab="reshape"]'
HIDDEN, CELL = "Hidden size: units per layer", "Cell kind"  # the controls' labels


@pytest.fixture(scope="module")
def shapes_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server on the shapes lesson alone, with a database of its own: (url, database)."""
    root = tmp_path_factory.mktemp("shapes")
    (root / "lessons").mkdir()
    (root / "lessons" / "01-shapes.md").write_text(SHAPES_LESSON)
    database = f"sqlite:///{root / 'unrolled.sqlite3'}"
    env = {"UNROLLED_DATABASE_URL": database, "UNROLLED_LESSONS_DIR": str(root / "lessons")}
    ARTIFACTS.mkdir(exist_ok=True)
    server = CourseServer(env, ARTIFACTS / "server-shapes.log")
    yield server.url, database
    server.stop()


def shape(page: Page) -> dict[str, Any]:
    """The cell view's shape as the page draws it: every heatmap figure in the page's
    Bokeh documents (a stale one left behind would show here), the heatmap's units and
    rows, and the cell diagram's boxes."""
    return page.evaluate(
        """(selector) => {
            const section = document.querySelector(selector);
            const heatmaps = window.Bokeh.documents.flatMap((doc) => {
                const figure = doc.get_model_by_name("fig_heatmap");
                return figure ? [figure] : [];
            });
            const heat = section.figures.source("cell_heatmap").data;
            return {
                figures: heatmaps.map((f) => ({
                    units: f.x_range.end + 0.5,
                    rows: [...f.y_range.factors].reverse(),
                })),
                units: new Set(heat.unit).size,
                rows: [...new Set(heat.row)],
                boxes: [...section.figures.source("cell_boxes").data.name],
            };
        }""",
        RESHAPE,
    )


def drawn(cell: str, hidden: int) -> dict[str, Any]:
    return {
        "figures": [{"units": hidden, "rows": HEAT_ROWS[cell]}],
        "units": hidden,
        "rows": HEAT_ROWS[cell],
        "boxes": list(LAYOUTS[cell]),
    }


def values(page: Page) -> dict[str, list[str]]:
    """The cell diagram's numbers and the heatmap's values, as the browser holds them."""
    return page.evaluate(
        """(selector) => {
            const figures = document.querySelector(selector).figures;
            return {
                boxes: figures.source("cell_boxes").data.value.map(String),
                heatmap: figures.source("cell_heatmap").data.text.map(String),
            };
        }""",
        RESHAPE,
    )


def test_students_see_the_network_the_presenter_reshapes(
    browser: Browser, shapes_server: tuple[str, str]
) -> None:
    url, database = shapes_server
    create_instructor({"UNROLLED_DATABASE_URL": database}, EMAIL, PASSWORD)
    with (
        browsing(browser, url) as teacher,
        browsing(browser, url) as ana,
        browsing(browser, url) as ben,
    ):
        code = start_session(
            teacher, EMAIL, PASSWORD, class_name="Live class", lab="shapes/reshape"
        )
        join(ana, code, "Ana")
        join(ben, code, "Ben")
        for page in (teacher, ana, ben):
            assert shape(page) == drawn("lstm", 4)

        teacher.locator(RESHAPE).get_by_label(HIDDEN).select_option("8")
        for page in (teacher, ana, ben):
            article = page.locator("article.lesson")  # a new shape compiles: slow when busy
            expect(article).to_have_attribute("data-live-seq", "1", timeout=60000)
            expect(page.locator(RESHAPE).get_by_label(HIDDEN)).to_have_value("8")
            note = page.locator(f'{RESHAPE} [data-readout="config"]')
            expect(note).to_contain_text("Now 1 layer × 8 units.")  # what the change did
            assert shape(page) == drawn("lstm", 8)

        teacher.locator(RESHAPE).get_by_label(CELL).select_option("gru")
        for page in (teacher, ana, ben):
            article = page.locator("article.lesson")  # a new shape compiles: slow when busy
            expect(article).to_have_attribute("data-live-seq", "2", timeout=60000)
            expect(page.locator(RESHAPE).get_by_label(CELL)).to_have_value("gru")
            assert shape(page) == drawn("gru", 8)

        step = teacher.locator(f'{RESHAPE} [data-action="step"]')
        for seq in (3, 4):  # from x: the GRU's reset gate r, then its update gate z
            step.click()
            for page in (teacher, ana, ben):
                expect(page.locator("article.lesson")).to_have_attribute("data-live-seq", str(seq))
            for student in (ana, ben):
                assert readout(student, RESHAPE) == readout(teacher, RESHAPE)
                assert values(student) == values(teacher)
        assert readout(ana, RESHAPE)["step"] == "update gate z"
        z = list(LAYOUTS["gru"]).index("z")
        assert re.fullmatch(r"[+-]\d\.\d{3}", values(ana)["boxes"][z])  # computed, not "…"
        ana.screenshot(path=str(ARTIFACTS / "live-student-reshaped.png"), full_page=False)

        for page in (ben, teacher):  # a reload draws the lesson's figures, then the class's
            page.reload()
            expect(page.locator("article.lesson")).to_have_attribute("data-live-joined", "true")
            expect(page.locator("article.lesson")).to_have_attribute("data-live-seq", "4")
            assert shape(page) == drawn("gru", 8), page.url
            assert values(page) == values(ana)

        teacher.get_by_label("Students may explore on their own").check()
        ana.get_by_role("button", name="Explore on my own").click()
        expect(ana.locator(RESHAPE).get_by_label(HIDDEN)).to_be_enabled()
        ana.locator(RESHAPE).get_by_label(HIDDEN).select_option("2")  # her own copy only
        expect(ana.locator(f'{RESHAPE} [data-readout="config"]')).to_contain_text("× 2 units")
        assert shape(ana) == drawn("gru", 2)
        assert shape(ben) == drawn("gru", 8)
        ana.get_by_role("button", name="Back to the class").click()
        expect(ana.locator('[data-role="live-status"]')).to_have_text("Following the class.")
        expect(ana.locator(RESHAPE).get_by_label(HIDDEN)).to_have_value("8")
        assert shape(ana) == drawn("gru", 8)  # the class's network again, not her own
        step.click()
        for page in (teacher, ana, ben):
            expect(page.locator("article.lesson")).to_have_attribute("data-live-seq", "6")
        assert values(ana) == values(teacher)

        # The presenter ends the class: an explorer keeps her copy working, and a follower
        # may go on from where the class stopped.
        ana.get_by_role("button", name="Explore on my own").click()
        expect(ana.locator(RESHAPE).get_by_label(HIDDEN)).to_be_enabled()
        teacher.once("dialog", lambda dialog: dialog.accept())
        teacher.get_by_role("button", name="End session").click()
        for page in (ana, ben):
            expect(page.locator('[data-role="live-status"]')).to_contain_text("has ended")
        expect(ana.locator(RESHAPE).get_by_label(HIDDEN)).to_be_enabled()
        expect(ben.get_by_role("button", name="Back to the class")).to_be_hidden()
        expect(ben.locator(f'{RESHAPE} [data-action="step"]')).to_be_disabled()
        ben.get_by_role("button", name="Explore on my own").click()
        ben.locator(f'{RESHAPE} [data-action="step"]').click()  # his own copy, from seq 6
        expect(ben.locator(f'{RESHAPE} [data-readout="step"]')).not_to_have_text(
            readout(teacher, RESHAPE)["step"]
        )
        assert shape(ben) == drawn("gru", 8)
