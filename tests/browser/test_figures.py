"""How a lesson page builds its figures (static/js/views.js): a lab is ready with the
views it shows on screen, and builds the others after; one built late shows the
numbers the lab sent while it waited."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

# A FigureSet of its own on the data lesson's page: the loss figure waits, the page
# sends it new numbers, then it is built.
LATE = """async () => {
  const { FigureSet } = await import("/static/js/views.js");
  const lab = document.querySelector('section.lab[data-lab="feed"]');
  const item = JSON.parse(lab.querySelector('script[data-figure-json="loss"]').textContent);
  const section = document.createElement("section");
  section.innerHTML = '<div data-figure="loss" id="late-loss" style="width: 600px"></div>';
  document.body.append(section);
  const figures = new FigureSet();
  figures.waiting = await figures.place(section, [["loss", item]], () => true);
  const before = { built: Boolean(figures.source("loss")), moving: figures.moving() };
  figures.apply({ loss: { epoch: [1, 2, 3], loss: [0.5, 0.25, 0.125] } });
  await figures.finish(section);
  const data = figures.source("loss").data;
  const after = { moving: figures.moving(), epoch: [...data.epoch], loss: [...data.loss] };
  return { before, after, drawn: section.querySelector("[data-figure=loss]").childElementCount };
}"""

# Which of a lab's figure slots hold a built figure.
BUILT = """lab => [...document.querySelectorAll(`${lab} [data-figure]`)]
  .filter((slot) => slot.dataset.rootId).map((slot) => slot.dataset.figure)"""


@pytest.mark.browser
def test_a_figure_built_late_shows_the_numbers_sent_while_it_waited(page: Page) -> None:
    page.goto("/lessons/data")
    lab = page.locator("section.lab[data-lab='feed']")
    expect(lab.locator("[data-readout=status]")).to_have_text("Ready", timeout=60_000)
    result = page.evaluate(LATE)
    assert result["before"] == {"built": False, "moving": True}
    assert result["after"] == {"moving": False, "epoch": [1, 2, 3], "loss": [0.5, 0.25, 0.125]}
    assert result["drawn"] == 1


@pytest.mark.browser
def test_every_view_of_a_lab_is_built_hidden_and_far_ones_too(page: Page) -> None:
    """The data lab shows its overview; its cell view and gate heatmap (shown when the
    learner zooms into a layer) are built after, and zooming in shows them."""
    page.goto("/lessons/data")
    selector = "section.lab[data-lab='feed']"
    lab = page.locator(selector)
    expect(lab.locator("[data-readout=status]")).to_have_text("Ready", timeout=60_000)
    page.wait_for_function("lab => !document.querySelector(lab).figures.moving()", arg=selector)
    built = sorted(page.evaluate(BUILT, selector))
    assert built == ["cell", "heatmap", "loss", "overview", "sequence"]
    lab.get_by_role("button", name="Layer 1 of 3, 16 units: open its cell").click()
    expect(lab).to_have_attribute("data-level", "cell")
    box = lab.locator("[data-figure=cell] canvas").first.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 200


KEYS = """lab => [...document.querySelectorAll(`${lab} .figure-key`)].map((key) => ({
  figure: key.closest("[data-figure]").dataset.figure,
  labels: [...key.querySelectorAll("li")].map((li) => li.textContent),
  inside: [...key.querySelectorAll("li")].every((li) => {
    const box = li.getBoundingClientRect();
    return box.left >= 0 && box.right <= document.documentElement.clientWidth && box.width > 0;
  }),
}))"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_figure_keys_list_every_mark_and_fit_a_phone(page: Page, width: int) -> None:
    """The sequence plot and the gradient view carry their keys as HTML, which wraps on
    a phone (a Bokeh legend was cut off at both ends there)."""
    page.set_viewport_size({"width": width, "height": 844})
    page.goto("/lessons/training")
    selector = "section.lab[data-lab='rnn-window']"
    expect(page.locator(f"{selector} [data-readout=status]")).to_have_text("Ready", timeout=60_000)
    page.wait_for_function("lab => !document.querySelector(lab).figures.moving()", arg=selector)
    keys = {key["figure"]: key for key in page.evaluate(KEYS, selector)}
    assert keys["sequence"]["labels"] == [
        "input", "target", "prediction", "error", "warm-up window", "current step",
    ]  # fmt: skip
    assert keys["gradients"]["labels"] == ["layer 1", "layer 2", "last error only"]
    assert all(key["inside"] for key in keys.values()), keys
