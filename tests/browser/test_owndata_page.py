"""A learner's own data in Chromium: paste a series into lesson 2's lab, train on it,
and see it in the sequence plot, named as theirs; a bad series says which line is at
fault and leaves the plot as it was; a CSV file with a position column loads too.
Screenshots (desktop and phone) go to test-artifacts/owndata/."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from pagekit import ARTIFACTS, PageWatch, widget_source
from playwright.sync_api import Browser, Locator, Page, expect

LESSON = "/lessons/data"
LAB = "section.lab[data-lab='feed']"
SCREENS = ARTIFACTS / "owndata"
VALUES = [round(10 + 0.2 * k + 3 * math.sin(0.5 * k), 3) for k in range(120)]
LOW, HIGH = min(VALUES), max(VALUES)


def scaled(v: float) -> float:
    return 2 * (v - LOW) / (HIGH - LOW) - 1


def source(lab: Locator, name: str) -> dict[str, list[Any]]:
    lab.page.wait_for_function("s => !document.querySelector(s).figures.moving()", arg=LAB)
    return widget_source(lab, name)


AXIS = """s => {
  for (const doc of document.querySelector(s).figures.docs) {
    const fig = doc.get_model_by_name("fig_sequence");
    if (fig) return fig.below[0].axis_label;
  }
  return null;
}"""


def axis(lab: Locator) -> str:
    return str(lab.page.evaluate(AXIS, LAB))


def opened(page: Page) -> Locator:
    page.goto(LESSON)
    lab = page.locator(LAB)
    expect(lab.locator("[data-readout=status]")).to_have_text("Ready", timeout=90_000)
    lab.locator(".lab-own-data summary").click()
    return lab


def shoot(page: Page, lab: Locator, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    lab.locator(".lab-own-data").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENS / f"{name}-box.png"))
    lab.locator(".view-sequence").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENS / f"{name}-plot.png"))


@pytest.mark.browser
def test_pasted_numbers_train_and_show_in_the_sequence_plot(page: Page) -> None:
    lab = opened(page)
    own = lab.locator("[data-readout=own]")
    expect(own).to_contain_text("No data of yours yet")
    lab.locator("[data-own=text]").fill("level\n" + "\n".join(map(str, VALUES)))
    lab.locator("[data-own=use]").click()
    expect(own).to_contain_text("Training on your data (level): 120 points", timeout=60_000)
    expect(own).to_contain_text(f"2·(x − {LOW:g}) / ({HIGH:g} − {LOW:g}) − 1")
    expect(lab.locator("select[data-config=dataset]")).to_have_value("own")
    expect(lab.locator("[data-readout=data-now]")).to_have_text(
        "Now reading your data (level), not the data the title names."
    )  # the title still names the sine
    expect(lab.locator("[data-own=scale]")).to_be_checked()
    page.wait_for_function(
        """s => { const el = document.querySelector(s + " [data-readout=status]");
                  return el.textContent.startsWith("Loaded") || el.textContent === "Ready"; }""",
        arg=LAB,
        timeout=60_000,
    )
    assert source(lab, "seq_name")["text"] == ["your data (level)"]
    assert axis(lab).startswith("position in your data")
    target = source(lab, "seq_target")
    assert target["y"][:10] == pytest.approx([scaled(v) for v in VALUES[1:11]], abs=1e-5)

    lab.locator("[data-action=train]").click()
    try:
        expect(lab.locator("[data-readout=epoch]")).to_have_text("1", timeout=120_000)
    except AssertionError:
        shoot(page, lab, "train-failed")
        raise AssertionError(lab.locator("[data-readout=status]").inner_text()) from None
    expect(lab.locator("[data-readout=status]")).to_have_text("Ready", timeout=60_000)
    inputs = source(lab, "seq_input")
    assert inputs["y"] == pytest.approx([scaled(v) for v in VALUES[:15]], abs=1e-5)
    prediction = source(lab, "seq_prediction")
    assert len(prediction["y"]) == 15 + 32 and all(v is not None for v in prediction["y"])
    shoot(page, lab, "desktop")

    # A bad series: the line at fault is named, and the plot keeps the data in use.
    lab.locator("[data-own=text]").fill("1\n2\nthree\n" + "\n".join(["4"] * 20))
    lab.locator("[data-own=use]").click()
    expect(own).to_contain_text("Not loaded: Line 3: 'three' is not a number", timeout=60_000)
    expect(lab.locator("[data-readout=status]")).to_have_class("lab-status alarm")
    assert source(lab, "seq_target")["y"] == target["y"]
    assert lab.locator("[data-readout=epoch]").inner_text() == "1"
    shoot(page, lab, "desktop-refused")

    # Back to the lesson's function.
    lab.locator("[data-own=back]").click()
    expect(own).to_contain_text("No data of yours yet", timeout=60_000)
    expect(lab.locator("select[data-config=dataset]")).to_have_value("sine")
    expect(lab.locator("[data-readout=data-now]")).to_be_hidden()
    page.wait_for_function(
        "s => !document.querySelector(s).figures.moving()", arg=LAB, timeout=60_000
    )
    assert axis(lab) == "s (where the function is sampled)"
    assert source(lab, "seq_name")["text"] == []


@pytest.mark.browser
def test_a_csv_file_loads_on_a_phone(browser: Browser, server: str, tmp_path: Path) -> None:
    rows = "\n".join(f"{1950 + k},{v}" for k, v in enumerate(VALUES[:60]))
    csv = tmp_path / "levels.csv"
    csv.write_text("year,level\n" + rows + "\n")
    phone = {"width": 390, "height": 844}
    context = browser.new_context(
        viewport=phone, base_url=server, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    watch = PageWatch(page, server)
    try:
        lab = opened(page)
        lab.locator("[data-own=file]").set_input_files(str(csv))
        own = lab.locator("[data-readout=own]")
        expect(own).to_contain_text("your data (levels.csv: level): 60 points", timeout=60_000)
        page.wait_for_function(
            """s => document.querySelector(s + " [data-readout=status]").textContent
                   .startsWith("Loaded")""",
            arg=LAB,
            timeout=60_000,
        )
        assert source(lab, "seq_target")["x"][:2] == [1951.0, 1952.0]
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways ({width} px)"
        shoot(page, lab, "phone")
    finally:
        context.close()
    assert not watch.problems, "\n".join(watch.problems)
