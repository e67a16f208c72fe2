"""In Chromium, the LSTM lesson's arithmetic can be checked by hand: at the forget gate
the shown W_x·x, W_h·h and b add up to the shown pre-activation, σ of it is the shown f,
and b is the weights view's own b; hovering or focusing a box lights its line.

Display precision: the panel rounds every engine number to 3 decimals on its own, so
the sum of the three shown terms may miss the shown pre-activation by 3 × 0.0005 plus
0.0005 for the pre-activation's own rounding; σ′ ≤ 1/4 keeps σ(shown pre) within
0.0005 / 4 + 0.0005 of the shown f."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from pagekit import ARTIFACTS, PageWatch, widget_source
from playwright.sync_api import Browser, Locator, Page, expect

LESSON = "/lessons/lstm-cell"
LAB = "section.lab[data-lab='cell-walk']"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def shown(text: str) -> float:
    return float(text.strip("()").replace("−", "-"))


def terms(row: Locator) -> dict[str, float]:
    spans = row.locator("[data-term]")
    return {
        spans.nth(k).get_attribute("data-term") or "": shown(spans.nth(k).inner_text())
        for k in range(spans.count())
    }


def open_lab(page: Page) -> Locator:
    page.goto(LESSON)
    lab = page.locator(LAB)
    expect(lab.locator("[data-readout=status]")).to_have_text("Ready", timeout=30_000)
    return lab


def step_to_forget_gate(lab: Locator) -> None:
    """Past the first time step (x₀ = 0 and h₋₁ = 0 would make two terms zero), to the
    forget gate of layer 1 at t = 2."""
    lab.locator("[data-control=granularity]").select_option("timestep")
    lab.locator("[data-action=step]").click()
    expect(lab.locator("[data-readout=t]")).to_have_text("1 of 15")
    expect(lab.locator("[data-readout=layer]")).to_have_text("3 of 3")
    lab.locator("[data-control=granularity]").select_option("compute")
    for step in ("x", "f"):
        lab.locator("[data-action=step]").click()
        expect(lab).to_have_attribute("data-step", step)
    expect(lab.locator("[data-readout=t]")).to_have_text("2 of 15")


@pytest.fixture(params=list(SIZES))
def sized(request: pytest.FixtureRequest, browser: Browser, server: str) -> Iterator[Page]:
    phone = request.param == "phone"
    context = browser.new_context(viewport=SIZES[request.param], base_url=server,  # type: ignore[arg-type]
                                  device_scale_factor=2 if phone else 1, is_mobile=phone,
                                  has_touch=phone)  # fmt: skip
    page = context.new_page()
    watch = PageWatch(page, server)
    page.size = request.param  # type: ignore[attr-defined]
    yield page
    context.close()
    assert not watch.problems, "\n".join(watch.problems)


@pytest.mark.browser
def test_the_forget_gate_adds_up_and_its_bias_is_the_weights_views(sized: Page) -> None:
    page = sized
    lab = open_lab(page)
    step_to_forget_gate(lab)
    row = lab.locator("[data-arith-rows] li[data-name=f]")
    expect(row).to_have_class("current")
    got = terms(row)
    assert set(got) == {"wx", "wh", "b", "pre", "value"}
    assert got["wx"] != 0 and got["wh"] != 0  # a real check, not zeros
    assert abs(got["wx"] + got["wh"] + got["b"] - got["pre"]) <= 4 * 0.0005 + 1e-9
    assert abs(1 / (1 + math.exp(-got["pre"])) - got["value"]) <= 0.0005 / 4 + 0.0005 + 1e-9
    # The diagram's f box shows the same number.
    boxes = widget_source(lab, "cell_boxes")
    assert shown(boxes["value"][boxes["name"].index("f")]) == pytest.approx(got["value"], abs=1e-9)
    # Nothing ahead of the step: the gates after f have no line yet.
    names = lab.locator("[data-arith-rows] li").evaluate_all("els => els.map(e => e.dataset.name)")
    assert names == ["f"]
    # b is the weights view's b of unit 0 of the forget gate (shown to 4 decimals there).
    weights = widget_source(lab, "weights")
    b = weights["value"][weights["name"].index("b[f 0]")]
    assert abs(b - got["b"]) <= 0.0005 + 0.00005
    # W_x·x is unit 0's row of W_x times the input box's x (layer 1 reads one number).
    x = shown(boxes["value"][boxes["name"].index("x")])
    w = weights["value"][weights["name"].index("Wₓ[f 0, x 0]")]
    assert abs(w * x - got["wx"]) <= 0.0005 + 0.00005 * abs(x) + 0.0005 * abs(w) + 1e-9
    lab.locator(".view-cell").screenshot(path=str(ARTIFACTS / f"arithmetic-{page.size}.png"))  # type: ignore[attr-defined]
    lab.locator(".view-weights").screenshot(path=str(ARTIFACTS / f"weights-{page.size}.png"))  # type: ignore[attr-defined]


@pytest.mark.browser
def test_hovering_or_focusing_a_box_lights_its_line(page: Page) -> None:
    lab = open_lab(page)
    step_to_forget_gate(lab)
    box = lab.locator("[data-cell-overlay] [data-box=f]")
    box.hover()
    expect(lab.locator("[data-arith-rows] li[data-name=f]")).to_have_class("current lit")
    explain = lab.locator("[data-arith-explain]")
    expect(explain).to_contain_text("f forget gate = ")
    expect(explain).to_contain_text("how much of")
    lab.locator(".view-cell").screenshot(path=str(ARTIFACTS / "arithmetic-hover.png"))
    page.mouse.move(0, 0)
    expect(lab.locator("[data-arith-rows] li.lit")).to_have_count(0)
    # By keyboard: Tab reaches the boxes; the focused one says what it is.
    box.focus()
    expect(box).to_be_focused()
    expect(lab.locator("[data-arith-rows] li[data-name=f]")).to_have_class("current lit")
    lab.locator("[data-cell-overlay] [data-box=g]").focus()
    expect(explain).to_contain_text("not computed yet")


@pytest.mark.browser
def test_backward_lines_multiply_out_and_the_update_shows_delta_w(page: Page) -> None:
    lab = open_lab(page)
    lab.locator("[data-control=phase]").select_option("backward")
    expect(lab.locator("[data-readout=phase]")).to_have_text("backward")
    for step in ("dc", "do", "df"):
        lab.locator("[data-action=step]").click()
        expect(lab).to_have_attribute("data-step", step)
    row = lab.locator("[data-arith-rows] li[data-name=df]")
    expect(row).to_have_class("current")
    got = terms(row)
    assert got["value"] == pytest.approx(got["dc"] * got["c_prev"], rel=0.01, abs=1e-6)
    lab.locator(".cell-arithmetic").screenshot(path=str(ARTIFACTS / "arithmetic-backward.png"))
    delta = widget_source(lab, "weights_delta")
    assert delta["shade"] == []  # ΔW is not computed before the update phase: not drawn
    lab.locator("[data-control=phase]").select_option("update")
    expect(lab.locator("[data-readout=phase]")).to_have_text("update")
    page.wait_for_function(
        """lab => {
          const src = document.querySelector(lab).figures.source("weights_delta");
          return src && Array.from(src.data.text).some(t => t !== "–");
        }""",
        arg=LAB,
    )
    lab.locator(".view-weights").screenshot(path=str(ARTIFACTS / "weights-update.png"))
