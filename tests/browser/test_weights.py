"""A lab's weights as a file, in Chromium: download them from a trained lab, load them
into the same lab on a fresh page, and it shows the same loss, readout and prediction;
a file that does not fit says why in the lab's status line and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pagekit import ARTIFACTS, PageWatch
from playwright.sync_api import Browser, Locator, Page, expect

LESSON = "/lessons/lstm-cell"
LAB = "section.lab[data-lab='cell-walk']"
SCREENS = ARTIFACTS / "weights"

# A named source of the lab's figures, once nothing glides to new values (tween.js).
SOURCE = """([selector, name]) => {
  const section = document.querySelector(selector);
  for (const doc of section.figures.docs) {
    const model = doc.get_model_by_name(name);
    if (!model) continue;
    return Object.fromEntries(Object.entries(model.data).map(([k, v]) => [k, Array.from(v)]));
  }
  return null;
}"""


def source(page: Page, name: str) -> dict[str, list[Any]]:
    page.wait_for_function("s => !document.querySelector(s).figures.moving()", arg=LAB)
    found = page.evaluate(SOURCE, [LAB, name])
    assert found is not None, name
    return dict(found)


def readout(lab: Locator) -> dict[str, str]:
    cells = lab.locator(".lab-readout dd").all()
    return {str(cell.get_attribute("data-readout")): cell.inner_text() for cell in cells}


def status(lab: Locator) -> Locator:
    return lab.locator("[data-readout=status]")


def opened(page: Page) -> Locator:
    page.goto(LESSON)
    lab = page.locator(LAB)
    expect(status(lab)).to_have_text("Ready", timeout=60_000)
    return lab


@pytest.fixture
def fresh(browser: Browser, server: str) -> Iterator[Page]:
    """A second browser, as on another day or another machine."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server)
    page = context.new_page()
    watch = PageWatch(page, server)
    yield page
    context.close()
    assert not watch.problems, "\n".join(watch.problems)


@pytest.mark.browser
def test_weights_downloaded_from_a_trained_lab_load_into_a_fresh_page(
    page: Page, fresh: Page, tmp_path: Path
) -> None:
    lab = opened(page)
    lab.locator("[data-action=train]").click()
    expect(lab.locator("[data-readout=epoch]")).to_have_text("1", timeout=60_000)
    expect(status(lab)).to_have_text("Ready", timeout=60_000)
    with page.expect_download() as download_info:
        lab.locator("[data-action=export]").click()
    download = download_info.value
    assert download.suggested_filename == "lstm-cell-cell-walk-epoch1.json"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    document = json.loads(saved.read_text())
    assert (document["format"], document["version"], document["training"]["epoch"]) == (
        "unrolled-weights",
        1,
        1,
    )
    expect(status(lab)).to_have_text(f"Saved {download.suggested_filename}")
    trained = {"readout": readout(lab), "loss": source(page, "loss")}
    trained["prediction"] = source(page, "seq_prediction")

    other = opened(fresh)
    assert readout(other)["epoch"] == "0" and readout(other)["loss"] == "–"
    other.locator("[data-action=step]").click()  # somewhere else in the window
    expect(other).to_have_attribute("data-position", "1")
    other.locator("[data-control=weights-file]").set_input_files(saved)
    expect(status(other)).to_have_text("Loaded weights: 3 × LSTM 16, epoch 1.", timeout=60_000)
    expect(other.locator("[data-readout=phase]")).to_have_text("validate")
    assert readout(other) == trained["readout"]
    assert source(fresh, "loss") == trained["loss"]
    assert source(fresh, "seq_prediction") == trained["prediction"]


@pytest.mark.browser
def test_a_file_that_does_not_fit_says_why_and_changes_nothing(page: Page, tmp_path: Path) -> None:
    lab = opened(page)
    with page.expect_download() as download_info:
        lab.locator("[data-action=export]").click()
    document = json.loads(Path(download_info.value.path()).read_text())
    before = readout(lab)
    file_input = lab.locator("[data-control=weights-file]")

    document["config"]["hidden"] = 8
    other_shape = tmp_path / "other-shape.json"
    other_shape.write_text(json.dumps(document))
    file_input.set_input_files(other_shape)
    expect(status(lab)).to_have_text(
        "Could not load other-shape.json: These weights are for 3 layers of 8 LSTM units; "
        "this lab has 3 layers of 16 LSTM units. Weights load only into a lab of the same "
        "cell, layers and units.",
        timeout=30_000,
    )
    expect(status(lab)).to_have_class("lab-status alarm")
    assert readout(lab) == before

    not_json = tmp_path / "notes.json"
    not_json.write_text("W_x = [[0.1, 0.2]]")
    file_input.set_input_files(not_json)
    expect(status(lab)).to_have_text("notes.json is not a JSON file.")
    assert readout(lab) == before


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_screenshot_of_the_weights_controls(browser: Browser, server: str, width: int) -> None:
    """The controls on a lab with settings (lesson 2), saved to be looked at; on a phone
    they wrap rather than scroll sideways."""
    phone = width < 500
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        base_url=server,
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
    )
    page = context.new_page()
    watch = PageWatch(page, server)
    try:
        page.goto("/lessons/data")
        lab = page.locator("section.lab").first
        expect(status(lab)).to_have_text("Ready", timeout=60_000)
        weights = lab.locator(".lab-weights")
        expect(weights.locator("[data-action=export]")).to_be_enabled()
        box = weights.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width + 1
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        lab.locator(".lab-controls").scroll_into_view_if_needed()
        top = lab.locator(".lab-head").bounding_box()
        bottom = lab.locator(".lab-readout").bounding_box()
        assert top is not None and bottom is not None
        scrolled = page.evaluate("window.scrollY")  # boxes are in the viewport, clips in the page
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(SCREENS / f"weights-{width}.png"),
            clip={
                "x": 0,
                "y": top["y"] + scrolled - 8,
                "width": width,
                "height": bottom["y"] + bottom["height"] - top["y"] + 16,
            },
            full_page=True,
        )
    finally:
        context.close()
    assert not watch.problems, "\n".join(watch.problems)
