"""The controls a learner expects, in Chromium: switching the LSTM-cell lab to a GRU
of 8 units gives the GRU's cell diagram with 8 units; the time-step scrubber takes the
stepper to the t it is dragged to, in the forward or the backward pass; clipping and
the optimizer change from their own controls and say what they did."""

from __future__ import annotations

from typing import Any

import pytest
from pagekit import ARTIFACTS
from playwright.sync_api import Locator, Page, expect

CELL_LAB = "section.lab[data-lab='cell-walk']"
RNN_LAB = "section.lab[data-lab='rnn-window']"
RESHAPE = 120_000  # a new shape compiles its programs: seconds, more on a busy machine

# A named source of a lab's figures, once nothing glides to new values (tween.js).
SOURCE = """([selector, name]) => {
  const section = document.querySelector(selector);
  for (const doc of section.figures.docs) {
    const model = doc.get_model_by_name(name);
    if (!model) continue;
    return Object.fromEntries(Object.entries(model.data).map(([k, v]) => [k, Array.from(v)]));
  }
  return null;
}"""


def source(page: Page, lab: str, name: str) -> dict[str, list[Any]]:
    page.wait_for_function("s => !document.querySelector(s).figures.moving()", arg=lab)
    found = page.evaluate(SOURCE, [lab, name])
    assert found is not None, name
    return dict(found)


def ready(page: Page, path: str, lab: str) -> Locator:
    page.goto(path)
    section = page.locator(lab)
    expect(section.locator("[data-readout=status]")).to_have_text("Ready", timeout=30_000)
    return section


@pytest.mark.browser
def test_a_gru_of_eight_units_shows_its_own_cell_with_eight_units(page: Page) -> None:
    lab = ready(page, "/lessons/lstm-cell", CELL_LAB)
    note = lab.locator("[data-readout=config]")
    lab.get_by_label("Cell kind").select_option("gru")
    expect(note).to_contain_text("Changing the cell kind resets training", timeout=RESHAPE)
    lab.get_by_label("Hidden size: units per layer").select_option("8")
    expect(note).to_contain_text("Now 3 layers × 8 units", timeout=RESHAPE)
    expect(note).to_contain_text("Changing the hidden size resets training")
    # Only the sizes the server allows are offered.
    options = lab.get_by_label("Hidden size: units per layer").locator("option")
    expect(options).to_have_text(["2", "4", "8", "16"])

    boxes = source(page, CELL_LAB, "cell_boxes")
    assert {"r", "z", "n", "h"} <= set(boxes["name"])
    assert not {"f", "i", "o", "c"} & set(boxes["name"])  # no LSTM gate left over
    assert set(source(page, CELL_LAB, "cell_heatmap")["unit"]) == set(range(8))
    expect(lab.locator("[data-control=unit]")).to_have_attribute("max", "7")

    lab.get_by_role("button", name="Step ▸").click()
    expect(lab.locator("[data-readout=step]")).to_have_text("reset gate r")
    lab.screenshot(path=str(ARTIFACTS / "settings-gru-8.png"))


@pytest.mark.browser
def test_the_scrubber_takes_the_stepper_to_the_time_step_dragged_to(page: Page) -> None:
    lab = ready(page, "/lessons/training", RNN_LAB)
    t, phase = lab.locator("[data-readout=t]"), lab.locator("[data-readout=phase]")
    scrub = lab.get_by_label("Time step: drag to any t of the window")
    expect(scrub).to_have_attribute("max", "15")

    scrub.fill("9")
    expect(t).to_have_text("9 of 15")
    expect(phase).to_have_text("forward")
    # The sequence plot's cursor is at the ninth input.
    cursor = source(page, RNN_LAB, "seq_cursor")
    inputs = source(page, RNN_LAB, "seq_input")
    assert cursor["x"] == [inputs["x"][8]]

    # Dragged with the mouse all the way right: the last time step.
    box = scrub.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 4, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
    page.mouse.move(box["x"] + box["width"] + 20, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    expect(t).to_have_text("15 of 15")
    expect(scrub).to_have_value("15")

    # In the backward pass the scrubber moves through the backward pass.
    lab.get_by_label("Jump to phase").select_option("backward")
    expect(phase).to_have_text("backward")
    scrub.fill("5")
    expect(t).to_have_text("5 of 15")
    expect(phase).to_have_text("backward")

    # Stepping moves the scrubber along.
    lab.get_by_label("Jump to phase").select_option("forward")
    expect(scrub).to_have_value("1")
    lab.get_by_role("button", name="Step ▸").click()
    lab.get_by_role("button", name="Step ▸").click()
    expect(scrub).to_have_value("2")


@pytest.mark.browser
def test_clipping_and_the_optimizer_have_controls_of_their_own(page: Page) -> None:
    lab = ready(page, "/lessons/training", RNN_LAB)
    note = lab.locator("[data-readout=config]")
    clip = lab.get_by_label("Clip the gradient (to global norm 1)")
    expect(clip).to_be_checked()
    clip.uncheck()
    expect(note).to_contain_text("Changed gradient clipping; training goes on")
    expect(clip).not_to_be_checked()
    lab.get_by_label("Optimizer").select_option("adam")
    expect(note).to_contain_text("Changing the optimizer resets training", timeout=RESHAPE)
    expect(clip).not_to_be_checked()  # the new network keeps the other settings


TICKS = """([selector, name]) => {
  const section = document.querySelector(selector);
  for (const doc of section.figures.docs) {
    const model = doc.get_model_by_name(name);
    if (model) return Array.from(model.ticks);
  }
  return null;
}"""


@pytest.mark.browser
def test_the_loss_axis_is_ticked_for_the_losses_it_draws(page: Page) -> None:
    lab = ready(page, "/lessons/lstm-cell", CELL_LAB)
    epoch = lab.locator("[data-readout=epoch]")
    for n in (1, 2, 3):
        lab.get_by_role("button", name="Train 1 epoch").click()
        expect(epoch).to_have_text(str(n), timeout=30_000)
    losses = source(page, CELL_LAB, "loss")["loss"]
    assert len(losses) == 3
    ticks = page.evaluate(TICKS, [CELL_LAB, "loss_ticks"])
    inside = [t for t in ticks if min(losses) <= t <= max(losses)]
    assert len(inside) >= 2, (losses, ticks)
    assert ticks[0] <= min(losses) and ticks[-1] >= max(losses)
    lab.locator(".view-loss").screenshot(path=str(ARTIFACTS / "settings-loss-axis.png"))


NODE = """([selector, layer, unit, t]) => {
  const section = document.querySelector(selector);
  const { view } = section.figures.plotView("unrolled");
  const n = section.figures.source("unrolled_nodes").data;
  const i = n.kind.findIndex(
    (k, j) => k === `layer ${layer} h` && n.unit[j] === unit && n.t[j] === t);
  const box = section.querySelector('[data-figure="unrolled"]').getBoundingClientRect();
  const { x_scale, y_scale } = view.frame;
  return [box.left + x_scale.compute(n.x[i]), box.top + y_scale.compute(n.y[i])];
}"""


def touching(drawn: dict[str, list[Any]], key: str) -> bool:
    return all(key in (s, d) for s, d in zip(drawn["src"], drawn["dst"], strict=True))


@pytest.mark.browser
def test_the_unrolled_view_shows_one_units_connections(page: Page) -> None:
    lab = ready(page, "/lessons/training", RNN_LAB)
    every = len(source(page, RNN_LAB, "unrolled_edges")["x0"])
    assert every == (8 + 8 * 8 + 8) * 15  # the hairball: every weight in every column

    # Chosen in the menu: unit 3 of layer 2, fed by the 8 units below, feeding ŷ.
    menu = lab.get_by_label("Show the connections of one unit")
    menu.select_option(label="layer 2, unit 3")
    expect(lab).to_have_attribute("data-unit-filter", "1:3")
    edges = source(page, RNN_LAB, "unrolled_edges")
    assert len(edges["x0"]) == (8 + 1) * 15 and touching(edges, "1:3")
    loops = source(page, RNN_LAB, "unrolled_recurrent")
    assert len(loops["x0"]) == (8 + 8 - 1) * 14 and touching(loops, "1:3")
    lab.locator(".view-unrolled").screenshot(path=str(ARTIFACTS / "settings-unit-filter.png"))

    # Hovered: a node of layer 1 takes over while the pointer is on it.
    x, y = page.evaluate(NODE, [RNN_LAB, 1, 2, 5])
    page.mouse.move(x, y)
    expect(lab).to_have_attribute("data-unit-filter", "0:2")
    edges = source(page, RNN_LAB, "unrolled_edges")
    assert len(edges["x0"]) == (1 + 8) * 15 and touching(edges, "0:2")  # from x, to layer 2
    page.mouse.move(1, 1)
    expect(lab).to_have_attribute("data-unit-filter", "1:3")  # back to the chosen unit

    # New weights keep the filter; "every unit" lifts it.
    lab.get_by_role("button", name="Train 1 epoch").click()
    expect(lab.locator("[data-readout=epoch]")).to_have_text("1", timeout=30_000)
    assert touching(source(page, RNN_LAB, "unrolled_edges"), "1:3")
    menu.select_option(label="every unit")
    expect(lab).to_have_attribute("data-unit-filter", "")
    assert len(source(page, RNN_LAB, "unrolled_edges")["x0"]) == every
