"""Readable by everyone (issue 13, item 8), in Chromium: every view's numbers in a
table a screen reader reaches ("Show as table"), holding what the figure draws after
each step; the figures follow the dark theme; the sine playground's "scale inputs"
switch tells the truth; the network note follows Reset and links; error pages lead
back to the course, with no serious axe violation."""

from __future__ import annotations

from typing import Any

import pytest
from pagekit import ARTIFACTS, PageWatch, axe_report, axe_violations, browsing, widget_source
from playwright.sync_api import Browser, Locator, Page, expect

CELL_LAB = "section.lab[data-lab='cell-walk']"
FEED = "section.lab[data-lab='feed']"
SINE = "section.playground[data-playground='sine']"


def table_rows(widget: Locator, toggle: str, caption: str) -> list[list[str]]:
    """The body rows (header cell first) of the table captioned ``caption`` under the
    toggle named ``toggle``, opened as a learner would."""
    box = widget.locator("details.figure-tables", has_text=f"Show as table: {toggle}")
    if not box.evaluate("el => el.open"):
        box.locator("summary").click()
    table = box.locator("table", has=widget.page.locator("caption", has_text=caption)).first
    expect(table).to_be_visible()
    return [
        [cell.inner_text() for cell in row.locator("th, td").all()]
        for row in table.locator("tbody tr").all()
    ]


def close_to(text: str, value: Any) -> bool:
    """Whether a table's number is the source's value, to the 4 digits it shows."""
    if value is None:
        return text == "–"
    return abs(float(text) - float(value)) <= 1e-3 * max(1.0, abs(float(value)))


def step(lab: Locator, times: int = 1) -> None:
    for _ in range(times):
        before = lab.get_attribute("data-position")
        lab.locator("[data-action=step]").click()
        expect(lab).not_to_have_attribute("data-position", before or "")


@pytest.mark.browser
def test_each_view_table_holds_the_figures_numbers_after_a_step(page: Page) -> None:
    page.goto("/lessons/lstm-cell")
    lab = page.locator(CELL_LAB)
    expect(lab.locator("[data-readout=status]")).to_have_text("Ready", timeout=60_000)
    # The lesson-4 quiz's f: two time steps, then two compute steps (f is computed).
    lab.locator("[data-control=granularity]").select_option("timestep")
    step(lab, 2)
    lab.locator("[data-control=granularity]").select_option("compute")
    step(lab, 2)
    expect(lab.locator("[data-readout=t]")).to_have_text("3 of 15")

    boxes = widget_source(lab, "cell_boxes")
    rows = table_rows(lab, "the cell", "The cell's quantities")
    assert rows == [list(pair) for pair in zip(boxes["label"], boxes["value"], strict=True)]
    forget = next(row for row in rows if row[0].startswith("f "))
    assert forget[1] != "…"  # the quiz's number, readable without the canvas

    # Each unit's quantities, as the heatmap draws them.
    heat = widget_source(lab, "cell_heatmap")
    grid = {row[0]: row[1:] for row in table_rows(lab, "every unit", "Every unit's")}
    for name, unit, text in zip(heat["row"], heat["unit"], heat["text"], strict=True):
        assert grid[name][unit] == text, (name, unit, grid[name][unit], text)
    assert close_to(grid["f"][0], float(forget[1]))
    assert grid["g"][0] == "not yet computed"

    # The sequence plot's inputs so far; one more step, and the open table follows.
    inputs = widget_source(lab, "seq_input")
    shown = table_rows(lab, "the sequence", "Inputs read so far")
    assert len(shown) == len(inputs["x"]) == 3
    assert all(close_to(r[1], y) for r, y in zip(shown, inputs["y"], strict=True))
    step(lab)  # the input gate i: the open table follows the frame
    boxes = widget_source(lab, "cell_boxes")
    cell_table = lab.locator("details.figure-tables", has_text="the cell").locator("tbody")
    expect(cell_table).to_contain_text(boxes["value"][boxes["name"].index("i")])
    rows = table_rows(lab, "the cell", "The cell's quantities")
    assert rows == [list(pair) for pair in zip(boxes["label"], boxes["value"], strict=True)]
    lab.screenshot(path=str(ARTIFACTS / "tables-cell.png"))


@pytest.mark.browser
def test_the_playground_tables_and_the_truthful_scale_switch(page: Page) -> None:
    page.goto("/lessons/why-recurrence")
    widget = page.locator(SINE)
    expect(widget.locator("[data-readout=status]")).to_have_text("Ready", timeout=60_000)
    scaled = widget.locator("[data-control=scaled]")
    # A sine already lies in [−1, 1]: it is not scaled, and the switch says so.
    expect(scaled).not_to_be_checked()
    expect(scaled).to_be_disabled()
    expect(widget.locator("[data-readout=scaled-note]")).to_contain_text("not scaled")
    widget.locator("[data-control=sequence]").select_option("fibonacci")
    expect(widget.locator("[data-readout=describe]")).to_contain_text("divided by")
    expect(scaled).to_be_checked()
    expect(scaled).to_be_enabled()
    scaled.uncheck()
    expect(widget.locator("[data-readout=describe]")).to_contain_text("fed unscaled")
    widget.locator("[data-control=sequence]").select_option("sine")
    expect(widget.locator("[data-readout=describe]")).to_contain_text("not scaled")
    expect(scaled).not_to_be_checked()
    expect(scaled).to_be_disabled()

    widget.locator("[data-action=step]").click()
    widget.locator("[data-action=step]").click()
    expect(widget).to_have_attribute("data-t", "2")
    h = widget_source(widget, "pg_h")
    rows = table_rows(widget, "the inputs and states", "The hidden state so far")
    assert [int(r[0]) for r in rows] == h["t"] == [0, 1, 2]
    assert all(close_to(r[1], y) for r, y in zip(rows, h["y"], strict=True))


@pytest.mark.browser
def test_the_network_note_follows_reset_and_a_link(
    page: Page, browser: Browser, server: str
) -> None:
    page.goto("/lessons/data")
    lab = page.locator(FEED)
    note = lab.locator("[data-readout=config]")
    expect(lab.locator("[data-readout=status]")).to_have_text("Ready", timeout=60_000)
    lab.get_by_label("Learning rate (log scale, 0.0001 to 1)").fill("-3")
    expect(note).to_contain_text("Changed the learning rate; training goes on")
    lab.locator("[data-config=layers]").evaluate(
        "el => { el.value = '2'; el.dispatchEvent(new Event('change', { bubbles: true })); }"
    )
    expect(note).to_contain_text("Now 2 layers", timeout=60_000)
    lab.locator("[data-action=reset]").click()
    expect(note).to_have_text(
        "Reset: fresh weights, training starts again. Now 2 layers × 16 units."
    )

    lab.locator(".share-button").click()
    expect(lab.locator("[data-readout=status]")).to_have_text("Link copied", timeout=60_000)
    url = lab.locator(".share-link").input_value()
    with browsing(browser, server) as other:
        other.goto(url)
        shared = other.locator(FEED)
        expect(shared.locator("[data-readout=status]")).to_have_text("Ready", timeout=60_000)
        expect(shared.locator("[data-readout=config]")).to_have_text(
            "2 layers × 16 units. The learning rate, noise and gradient clipping change as "
            "training goes on; any other change starts a new network."
        )


AXIS_COLOUR = """slot => {
  const root = document.querySelector(slot)?.dataset.rootId;
  const doc = Bokeh.documents.find((d) => root && d.get_model_by_id(root));
  const axis = [...(doc?.all_models ?? [])].find((m) => "axis_label_text_color" in m.properties);
  return axis?.axis_label_text_color ?? null;
}"""
INK = "() => getComputedStyle(document.documentElement).getPropertyValue('--ink').trim()"


@pytest.mark.browser
def test_the_plots_follow_the_dark_theme(page: Page) -> None:
    page.emulate_media(color_scheme="dark")
    page.goto("/lessons/training")
    lab = page.locator("section.lab[data-lab='rnn-window']")
    expect(lab.locator("[data-readout=status]")).to_have_text("Ready", timeout=60_000)
    slot = "#lab-rnn-window-sequence"
    ink = page.evaluate(INK)
    assert ink == "#e7ecef"  # the dark theme's text colour
    page.wait_for_function(f"() => ({AXIS_COLOUR})({slot!r}) === {ink!r}")
    # No light box behind a plot: the page's card shows through.
    assert page.locator(slot).evaluate("el => getComputedStyle(el).backgroundColor") in (
        "rgba(0, 0, 0, 0)",
        "transparent",
    )
    lab.screenshot(path=str(ARTIFACTS / "theme-training-dark.png"))
    page.emulate_media(color_scheme="light")  # the theme changes: the plots follow
    page.wait_for_function(f"() => ({AXIS_COLOUR})({slot!r}) === '#444444'")
    lab.screenshot(path=str(ARTIFACTS / "theme-training-light.png"))


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_404_page_leads_back_to_the_course(browser: Browser, server: str, scheme: str) -> None:
    with browsing(browser, server, color_scheme=scheme) as page:
        # The page's own 404 is the one console error a missing page may log.
        watch: PageWatch = page.watch  # type: ignore[attr-defined]
        reply = page.goto("/lessons/no-such-lesson")
        assert reply is not None and reply.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("No such page")
        found = axe_violations(page)
        assert not found, axe_report(found)
        watch.problems = [p for p in watch.problems if "404" not in p]
        page.get_by_role("link", name="Back to the course").click()
        expect(page).to_have_url(f"{server}/")
