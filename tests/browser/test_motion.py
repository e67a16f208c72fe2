"""Motion in Chromium: after an epoch of training the sequence plot's error bars glide
from the old predictions to the new ones (static/js/tween.js) and end on the server's
numbers; with reduced motion asked for, they jump straight there."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from course.lab.views.cursor import Cursor
from course.lab.views.sequence import Progress, sequence_data
from course.lessons.registry import LessonRegistry
from engine import Lab

LESSON = "/lessons/lstm-cell"
LAB = "section.lab[data-lab='cell-walk']"

# Records seq_error's y1 at every animation frame where it changed, with the time.
SAMPLE = """lab => {
  const source = document.querySelector(lab).figures.source("seq_error");
  const samples = (window.__samples = []);
  let last = null;
  const look = (time) => {
    const y1 = Array.from(source.data.y1);
    const text = JSON.stringify(y1);
    if (text !== last) samples.push({ time, y1 });
    last = text;
    if (!window.__stop) requestAnimationFrame(look);
  };
  window.__stop = false;
  requestAnimationFrame(look);
}"""


@pytest.fixture(scope="module")
def trained() -> dict[str, list[Any]]:
    """The error bars after one epoch, as the engine computes them."""
    spec = LessonRegistry.load("lessons").get("lstm-cell").labs["cell-walk"]
    lab = Lab(spec.config)
    lab.train(1)  # ends on the validated window
    config = spec.config
    progress = Progress.of(Cursor.of(lab.frame()), config.train.window, config.model.layers)
    return sequence_data(lab.sequence(), progress)["seq_error"]


def train_one_epoch(page: Page) -> list[dict[str, Any]]:
    """Samples of y1 from just before the click until the bars have settled."""
    page.goto(LESSON)
    lab = page.locator(LAB)
    expect(lab.locator("[data-readout=status]")).to_have_text("Ready", timeout=60_000)
    lab.scroll_into_view_if_needed()
    lab.locator("[data-control=phase]").select_option("validate")  # the bars are drawn
    expect(lab.locator("[data-readout=phase]")).to_have_text("validate")
    page.wait_for_function(
        "lab => document.querySelector(lab).figures.source('seq_error').data.y1.length > 0",
        arg=LAB,
    )
    page.evaluate(SAMPLE, LAB)
    lab.locator("[data-action=train]").click()
    expect(lab.locator("[data-readout=epoch]")).to_have_text("1", timeout=60_000)
    page.wait_for_timeout(600)  # the tween takes 250 ms
    page.evaluate("window.__stop = true")
    return page.evaluate("window.__samples")


@pytest.mark.browser
def test_the_error_bars_glide_to_the_new_predictions(page: Page, trained) -> None:
    samples = train_one_epoch(page)
    old, new = samples[0]["y1"], samples[-1]["y1"]
    assert new == pytest.approx(trained["y1"], abs=1e-6)  # ends exactly on the server's values
    moving = samples[1:-1]
    assert len(moving) >= 3, samples  # several frames in between, not one jump
    changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if abs(a - b) > 1e-3]
    assert changed
    for sample in moving:
        for i in changed:
            low, high = sorted((old[i], new[i]))
            assert low <= sample["y1"][i] <= high  # between the old value and the new
    i = changed[0]
    assert any(min(abs(s["y1"][i] - old[i]), abs(s["y1"][i] - new[i])) > 1e-4 for s in moving)
    took = samples[-1]["time"] - samples[1]["time"]
    assert 150 <= took <= 800, took  # about a quarter of a second (slow frames stretch it)
    first = (moving[0]["y1"][i] - old[i]) / (new[i] - old[i])
    last = (moving[-1]["y1"][i] - old[i]) / (new[i] - old[i])
    assert first < last  # moving towards the new value, frame after frame


@pytest.mark.browser
def test_reduced_motion_sets_the_new_values_at_once(page: Page, trained) -> None:
    page.emulate_media(reduced_motion="reduce")
    samples = train_one_epoch(page)
    assert len(samples) == 2, samples  # the old values, then the new: no frame in between
    assert samples[-1]["y1"] == pytest.approx(trained["y1"], abs=1e-6)
