"""A lab's forward pass as an animated GIF, in Chromium: after training, the learner
chooses frames, width and frame time beside the lab, and the GIF that downloads is of
their own trained lab, with as many frames as they chose; the lab's status line says
what happens meanwhile."""

from __future__ import annotations

import io

import pytest
from pagekit import ARTIFACTS, browsing
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect

LESSON = "/lessons/lstm-cell"  # a lab without the unrolled view: every lab offers the GIF
LAB = "section.lab[data-lab='cell-walk']"
SCREENS = ARTIFACTS / "gif"


def status(lab: Locator) -> Locator:
    return lab.locator("[data-readout=status]")


def shoot(page: Page, lab: Locator, name: str) -> None:
    """The lab's head, controls and GIF form, as the learner sees them."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    lab.locator(".lab-head").evaluate("head => head.scrollIntoView({ block: 'start' })")
    page.evaluate("document.activeElement?.blur()")
    top = lab.locator(".lab-head").bounding_box()
    bottom = lab.locator(".lab-gif").bounding_box()
    assert top and bottom
    y = top["y"] - 8
    clip = {"x": 0, "y": y, "width": page.viewport_size["width"],  # type: ignore[index]
            "height": bottom["y"] + bottom["height"] + 8 - y}  # fmt: skip
    page.screenshot(path=str(SCREENS / name), clip=clip)


@pytest.mark.browser
def test_the_gif_of_a_trained_lab_downloads_with_the_frames_chosen(page: Page) -> None:
    page.goto(LESSON)
    lab = page.locator(LAB)
    expect(status(lab)).to_have_text("Ready", timeout=60_000)
    for epoch in ("1", "2"):
        lab.locator("[data-action=train]").click()
        expect(lab.locator("[data-readout=epoch]")).to_have_text(epoch, timeout=60_000)
        expect(status(lab)).to_have_text("Ready", timeout=60_000)

    form = lab.locator(".lab-gif")
    steps = form.get_by_label("frames")
    assert steps.get_attribute("max") == "120"  # 15 × 3 layers × 7 steps, capped
    steps.fill("6")
    form.get_by_label("width").fill("480")
    form.get_by_label("frame time").fill("100")
    with page.expect_download(timeout=60_000) as download_info:
        form.get_by_role("button", name="Download as GIF").click()
    download = download_info.value
    assert download.suggested_filename == "unrolled-lstm-cell-cell-walk-epoch2.gif"
    expect(status(lab)).to_have_text(f"GIF ready: {download.suggested_filename}")
    shoot(page, lab, "gif-controls-1280.png")
    path = download.path()
    assert path is not None
    image = Image.open(io.BytesIO(path.read_bytes()))
    assert image.format == "GIF" and image.is_animated
    assert (image.n_frames, image.width) == (6, 480)
    assert image.info["duration"] == 100

    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, lab, "gif-controls-390.png")
    box = form.bounding_box()
    assert box and box["x"] + box["width"] <= 390  # the form wraps, nothing off screen


@pytest.mark.browser
def test_a_refused_gif_says_why_in_the_status_line(browser: Browser, server: str) -> None:
    with browsing(browser, server) as page:
        page.goto(LESSON)
        lab = page.locator(LAB)
        expect(status(lab)).to_have_text("Ready", timeout=60_000)
        form = lab.locator(".lab-gif")
        # The page holds the server's limits; one left open across a change of them
        # would ask for what the server refuses, and the learner reads its reason.
        width = form.get_by_label("width")
        width.evaluate("input => { input.max = '99999'; input.value = '5000'; }")
        form.get_by_role("button", name="Download as GIF").click()
        expect(status(lab)).to_have_text(
            "Could not make the GIF: size must be a whole number from 320 to 1600", timeout=30_000
        )
        expect(status(lab)).to_have_class("lab-status alarm")
        watch = page.watch  # type: ignore[attr-defined]
        assert [p for p in watch.problems if "400 (BAD REQUEST)" in p]  # the refusal, logged
        watch.problems.clear()
