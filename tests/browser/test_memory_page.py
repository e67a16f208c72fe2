"""A learner in Chromium on lesson 4's memory task: trains the vanilla RNN, the LSTM and
the GRU side by side and sees three accuracy curves grow; a new length starts afresh;
screenshots on a desktop and a 390 px phone."""

from __future__ import annotations

import pytest
from pagekit import ARTIFACTS
from pagekit import widget_source as source
from playwright.sync_api import Page, expect

LESSON = "/lessons/lstm-cell"
TRAIN_MS = 600_000  # a first train compiles three networks' programs (minutes on a busy machine)


@pytest.mark.browser
def test_a_learner_trains_three_cells_and_sees_three_curves(page: Page) -> None:
    page.goto(LESSON, timeout=120_000)  # the server may be compiling its warm-up
    widget = page.locator("section.task[data-task='recall']")
    expect(widget.locator("[data-readout=status]")).to_have_text("Ready", timeout=120_000)
    widget.scroll_into_view_if_needed()
    assert source(widget, "tk_recall") == {"epoch": [], "rnn": [], "lstm": [], "gru": []}
    expect(widget.locator("[data-readout=letters] mark")).to_have_count(1)
    marked = widget.locator("[data-readout=letters] mark").inner_text()
    expect(widget.locator("[data-readout=marked-letter]")).to_have_text(marked)

    widget.locator("select[data-control=epochs]").select_option("5")
    widget.locator("[data-action=train]").click()
    expect(widget).to_have_attribute("data-epoch", "5", timeout=TRAIN_MS)
    expect(widget.locator("[data-readout=status]")).to_contain_text("Trained", timeout=TRAIN_MS)
    curves = source(widget, "tk_recall")
    assert curves["epoch"] == [1, 2, 3, 4, 5]
    assert all(len(curves[cell]) == 5 for cell in ("rnn", "lstm", "gru"))
    assert curves["lstm"][-1] >= 0.9 and curves["rnn"][-1] < 0.35  # the lesson's fifth epoch
    expect(widget.locator("[data-readout=acc-lstm]")).to_have_text(
        f"{100 * curves['lstm'][-1]:.0f} %"
    )
    expect(widget.locator("[data-readout=acc-rnn]")).to_have_text(
        f"{100 * curves['rnn'][-1]:.0f} %"
    )
    key = widget.locator(".view").first.inner_text()
    assert "vanilla RNN" in key and "LSTM" in key and "GRU" in key and "chance" in key
    widget.screenshot(path=str(ARTIFACTS / "memory-task-desktop.png"))

    page.set_viewport_size({"width": 390, "height": 844})
    widget.scroll_into_view_if_needed()
    box = widget.bounding_box()
    assert box and box["x"] + box["width"] <= 390
    widget.screenshot(path=str(ARTIFACTS / "memory-task-390.png"))

    slider = widget.locator("input[data-control=seq-length]")
    slider.focus()
    for _ in range(8):  # 16 → 8 with the keyboard
        slider.press("ArrowLeft")
    expect(widget.locator("[data-output=seq-length]")).to_have_text("8")
    widget.locator("form[data-action=set_length] button[type=submit]").click()
    expect(widget).to_have_attribute("data-epoch", "0", timeout=30_000)
    expect(widget.locator("[data-readout=seq-length]")).to_have_text("8")
    expect(
        widget.locator("[data-readout=letters] span, [data-readout=letters] mark")
    ).to_have_count(8)
    assert source(widget, "tk_recall")["epoch"] == []
