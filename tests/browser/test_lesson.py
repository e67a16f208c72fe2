"""A learner in Chromium on the LSTM-cell lesson: step, train, reload."""

from __future__ import annotations

from typing import Any

import pytest
from pagekit import ARTIFACTS
from playwright.sync_api import Page, expect

from course.lab.views.cell import box_data
from course.lessons.registry import LessonRegistry
from engine import Lab

LESSON = "/lessons/lstm-cell"
LAB = "section.lab[data-lab='cell-walk']"

READ_SOURCE = """name => {
  for (const doc of Bokeh.documents) {
    const model = doc.get_model_by_name(name);
    if (model) {
      const out = {};
      for (const [k, v] of Object.entries(model.data)) out[k] = Array.from(v);
      return out;
    }
  }
  return null;
}"""


def source(page: Page, name: str) -> dict[str, list[Any]]:
    """The data a Bokeh view draws once nothing is gliding to new values."""
    page.wait_for_function("lab => !document.querySelector(lab).figures.moving()", arg=LAB)
    return page.evaluate(READ_SOURCE, name)


def open_lesson(page: Page) -> None:
    page.goto(LESSON)
    expect(page.locator(f"{LAB} [data-readout=status]")).to_have_text("Ready", timeout=30_000)


@pytest.fixture(scope="module")
def engine_lab() -> Lab:
    """The same lab computed in this process, to compare the browser's numbers with."""
    spec = LessonRegistry.load("lessons").get("lstm-cell").labs["cell-walk"]
    return Lab(spec.config)


@pytest.mark.browser
def test_stepping_one_time_step_highlights_each_compute_step_with_engine_numbers(
    page: Page, engine_lab: Lab
) -> None:
    open_lesson(page)
    lab = page.locator(LAB)
    engine_lab.reset()
    for index, step in enumerate(engine_lab.steps):
        if index:
            lab.locator("[data-action=step]").click()
            engine_lab.advance("compute")
        expect(lab).to_have_attribute("data-step", step)
        boxes = source(page, "cell_boxes")
        current = boxes["name"][boxes["line_width"].index(max(boxes["line_width"]))]
        assert current == step or (step == "x" and current in ("x", "h_prev", "c_prev"))
        frame = engine_lab.frame()
        expected = box_data("lstm", frame["values"], frame["step"], 0)
        assert boxes["value"] == expected["value"], f"numbers differ at step {step}"
        assert lab.locator("[data-readout=layer]").inner_text() == "1 of 3"
        assert lab.locator("[data-readout=t]").inner_text() == "1 of 15"
        page.locator(LAB).screenshot(path=str(ARTIFACTS / f"step-{index}-{step}.png"))
    # One more step leaves layer 1 for layer 2 at the same time step.
    page.keyboard.press("ArrowRight")
    expect(lab.locator("[data-readout=layer]")).to_have_text("2 of 3")
    expect(lab).to_have_attribute("data-step", "x")


@pytest.mark.browser
def test_training_five_epochs_lowers_the_loss_and_moves_the_prediction(page: Page) -> None:
    open_lesson(page)
    lab = page.locator(LAB)
    lab.locator("[data-control=phase]").select_option("validate")  # the whole prediction
    expect(lab.locator("[data-readout=phase]")).to_have_text("validate")
    before = source(page, "seq_prediction")["y"]
    for epoch in range(1, 6):
        lab.locator("[data-action=train]").click()
        expect(lab.locator("[data-readout=epoch]")).to_have_text(str(epoch))
    losses = source(page, "loss")["loss"]
    after = source(page, "seq_prediction")["y"]
    assert len(losses) == 5
    assert losses[-1] < losses[0]
    assert max(abs(a - b) for a, b in zip(after, before, strict=True)) > 0.05
    expect(lab.locator("[data-readout=loss]")).not_to_have_text("–")
    page.screenshot(path=str(ARTIFACTS / "lesson-trained.png"), full_page=True)


@pytest.mark.browser
def test_play_advances_and_pause_stops(page: Page) -> None:
    open_lesson(page)
    lab = page.locator(LAB)
    lab.locator("[data-control=speed]").select_option("8")
    lab.locator("[data-action=play]").click()
    expect(lab.locator("[data-action=play]")).to_have_attribute("aria-pressed", "true")
    expect(lab.locator("[data-readout=layer]")).to_have_text("2 of 3", timeout=10_000)
    lab.locator("[data-action=play]").click()
    expect(lab.locator("[data-action=play]")).to_have_attribute("aria-pressed", "false")
    position = lab.get_attribute("data-position")
    page.wait_for_timeout(600)
    assert lab.get_attribute("data-position") == position


@pytest.mark.browser
def test_reload_gives_a_working_lab_again_where_it_was(page: Page) -> None:
    open_lesson(page)
    lab = page.locator(LAB)
    lab.locator("[data-action=step]").click()
    expect(lab).to_have_attribute("data-step", "f")
    page.reload()
    expect(lab.locator("[data-readout=status]")).to_have_text("Ready", timeout=30_000)
    expect(lab).to_have_attribute("data-step", "f")  # resumed (test_links.py)
    lab.locator("[data-action=step]").click()
    expect(lab).to_have_attribute("data-step", "i")


@pytest.mark.browser
def test_course_home_lists_the_modules_and_leads_to_the_lesson(page: Page) -> None:
    page.goto("/")
    expect(page.locator(".module-card")).to_have_count(5)
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
    page.get_by_role("link", name="Inside an LSTM cell").click()
    expect(page.locator("h1")).to_have_text("Inside an LSTM cell")
    expect(page.locator(".katex").first).to_be_visible()


CELL_FIGURES = """lab => {
  const names = document.querySelector(lab).figures.docs.flatMap((doc) =>
    ["fig_cell", "fig_cell_narrow"].filter((name) => doc.get_model_by_name(name)));
  const boxes = document.querySelector(lab).figures.source("cell_boxes"); // none mid-swap
  return { names, values: boxes ? Array.from(boxes.data.value) : null };
}"""


def source_after_glide(page: Page) -> dict[str, Any]:
    page.wait_for_function("lab => !document.querySelector(lab).figures.moving()", arg=LAB)
    return page.evaluate(CELL_FIGURES, LAB)


@pytest.mark.browser
def test_the_cell_diagram_built_is_the_one_the_width_needs(page: Page) -> None:
    """One variant of the cell diagram is built at a time; crossing the width swaps it
    for the other, showing the same numbers."""
    open_lesson(page)
    lab = page.locator(LAB)
    for _ in range(3):
        lab.locator("[data-action=step]").click()
    expect(lab).to_have_attribute("data-position", "3")
    wide = source_after_glide(page)
    assert wide["names"] == ["fig_cell"]
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function(f"() => ({CELL_FIGURES})({LAB!r}).names[0] === 'fig_cell_narrow'")
    narrow = source_after_glide(page)
    assert narrow == {"names": ["fig_cell_narrow"], "values": wide["values"]}
    lab.locator("[data-action=step]").click()  # updates reach the figure swapped in
    expect(lab).to_have_attribute("data-position", "4")
    assert source_after_glide(page)["values"] != wide["values"]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_function(f"() => ({CELL_FIGURES})({LAB!r}).names[0] === 'fig_cell'")
