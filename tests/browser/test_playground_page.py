"""A learner in Chromium on module 1: the one-unit playground steps, takes a new w_h,
shows the engine's numbers on its diagram, scales and unscales Fibonacci, in light and dark."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pagekit import ARTIFACTS
from pagekit import widget_source as source
from playwright.sync_api import Locator, Page, expect

from course.playground.views import number
from engine.playground import PlaygroundConfig, make_sequence, simulate

LESSON = "/lessons/why-recurrence"
SINE = "section.playground[data-playground='sine']"
FIBONACCI = "section.playground[data-playground='fibonacci']"
SINE_CONFIG = PlaygroundConfig(w_x=1, w_h=0, b=0, activation="tanh", sequence="sine", length=13)


def box(widget: Locator, name: str) -> str:
    boxes = source(widget, "pg_boxes")
    return boxes["value"][boxes["name"].index(name)]


def open_lesson(page: Page) -> Locator:
    page.goto(LESSON)
    widget = page.locator(SINE)
    expect(widget.locator("[data-readout=status]")).to_have_text("Ready", timeout=30_000)
    expect(page.locator(f"{FIBONACCI} [data-readout=status]")).to_have_text("Ready")
    return widget


def set_slider(widget: Locator, name: str, value: float) -> None:
    """Drag a slider the way the keyboard does: focus it and press keys until it reads value."""
    slider = widget.locator(f"input[data-control={name}]")
    slider.focus()
    current = float(slider.input_value())
    key = "ArrowRight" if value > current else "ArrowLeft"
    for _ in range(round(abs(value - current) / float(slider.get_attribute("step") or 1))):
        slider.press(key)
    assert float(slider.input_value()) == pytest.approx(value)


@pytest.mark.browser
def test_stepping_shows_the_engines_numbers_and_w_h_changes_them(page: Page) -> None:
    widget = open_lesson(page)
    expect(widget.locator("[data-readout=t]")).to_have_text("0")
    assert box(widget, "h") == "0.000"  # h_0
    widget.locator("[data-action=step]").click()
    expect(widget).to_have_attribute("data-t", "1")
    no_memory = simulate(SINE_CONFIG)
    assert box(widget, "h") == number(no_memory.h[0]) == "0.462"
    assert box(widget, "x") == "0.500"
    # → steps while the widget has focus (here: its Step button)
    for t in range(2, 7):
        page.keyboard.press("ArrowRight")
        expect(widget).to_have_attribute("data-t", str(t))
    assert box(widget, "h") == number(no_memory.h[5]) == "0.000"
    page.screenshot(path=str(ARTIFACTS / "playground-no-memory.png"), full_page=False)
    widget.screenshot(path=str(ARTIFACTS / "playground-t6-light.png"))

    set_slider(widget, "w_h", 0.5)
    expect(widget.locator("[data-output=w_h]")).to_have_text("0.50")
    memory = simulate(replace(SINE_CONFIG, w_h=0.5))
    expect(widget.locator("[data-readout=equation]")).to_contain_text(number(memory.h[5]))
    assert widget.get_attribute("data-t") == "6"  # the learner keeps their place
    assert box(widget, "h") == number(memory.h[5]) == "0.350"
    assert source(widget, "pg_h")["y"] == pytest.approx([0.0, *memory.h[:6]])

    # Backspace resets when the widget has focus (not on a slider, which keeps its keys)
    widget.locator("[data-action=step]").focus()
    page.keyboard.press("Backspace")
    expect(widget).to_have_attribute("data-t", "0")
    assert source(widget, "pg_h")["t"] == [0]
    # a click on the diagram gives the widget focus, and → steps
    widget.locator("[data-figure=diagram]").click()
    page.keyboard.press("ArrowRight")
    expect(widget).to_have_attribute("data-t", "1")
    page.screenshot(path=str(ARTIFACTS / "lesson-why-recurrence-light.png"), full_page=True)


@pytest.mark.browser
def test_run_fills_the_plot_and_unscaled_fibonacci_saturates(page: Page) -> None:
    open_lesson(page)
    widget = page.locator(FIBONACCI)
    widget.scroll_into_view_if_needed()
    caption = widget.locator("[data-readout=describe]")
    expect(caption).to_have_text(make_sequence("fibonacci", 10).description)
    widget.locator("[data-action=run]").click()
    expect(widget).to_have_attribute("data-t", "10", timeout=10_000)
    expect(widget.locator("[data-action=run]")).to_have_attribute("aria-pressed", "false")
    scaled = simulate(PlaygroundConfig())
    assert source(widget, "pg_h")["y"] == pytest.approx([0.0, *scaled.h])
    assert box(widget, "h") == "0.874"
    assert source(page.locator(SINE), "pg_h")["t"] == [0]  # each widget draws its own figures
    widget.screenshot(path=str(ARTIFACTS / "playground-fibonacci-scaled.png"))

    widget.get_by_label("scale inputs into [0, 1]").uncheck()
    expect(caption).to_have_text(make_sequence("fibonacci", 10, scaled=False).description)
    raw = simulate(PlaygroundConfig(scaled=False))
    expect(widget.locator("[data-readout=equation]")).to_contain_text("tanh(55.500) = 1.000")
    assert source(widget, "pg_inputs")["x"] == [1, 1, 2, 3, 5, 8, 13, 21, 34, 55]
    assert source(widget, "pg_h")["y"] == pytest.approx([0.0, *raw.h])
    assert box(widget, "h") == number(raw.h[-1]) == "1.000"
    widget.screenshot(path=str(ARTIFACTS / "playground-fibonacci-unscaled.png"))

    widget.locator("select[data-control=activation]").select_option("relu")
    expect(widget.locator("[data-readout=equation]")).to_contain_text("ReLU(79.600) = 79.600")


@pytest.mark.browser
def test_dark_theme_and_reduced_motion(page: Page) -> None:
    page.emulate_media(color_scheme="dark", reduced_motion="reduce")
    open_lesson(page)
    widget = page.locator("section.playground[data-playground='memory']")
    widget.scroll_into_view_if_needed()
    widget.locator("[data-action=run]").click()  # reduced motion: straight to the end
    expect(widget).to_have_attribute("data-t", "30")
    widget.locator("select[data-control=activation]").select_option("relu")
    set_slider(widget, "w_h", 1.5)
    expect(widget.locator("[data-readout=equation]")).to_contain_text("1.92×10⁵")
    widget.screenshot(path=str(ARTIFACTS / "playground-relu-dark.png"))
    page.locator(SINE).screenshot(path=str(ARTIFACTS / "playground-t0-dark.png"))
    page.screenshot(path=str(ARTIFACTS / "lesson-why-recurrence-dark.png"), full_page=True)


@pytest.mark.browser
def test_on_a_phone_the_settings_stack_above_the_diagram(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    widget = open_lesson(page)
    widget.locator("[data-action=step]").click()
    expect(widget).to_have_attribute("data-t", "1")
    settings = widget.locator(".pg-controls").bounding_box()
    diagram = widget.locator("[data-figure=diagram]").bounding_box()
    assert settings and diagram and diagram["y"] >= settings["y"] + settings["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing spills sideways
    assert diagram["width"] <= 390  # the diagram takes its phone variant rather than scroll
    widget.screenshot(path=str(ARTIFACTS / "playground-phone.png"))


@pytest.mark.browser
def test_on_a_phone_every_playground_figure_fits_the_screen(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_lesson(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    widgets = page.locator("section.playground").all()
    assert len(widgets) >= 3
    for widget in widgets:
        # the diagram takes its phone variant (lower, smaller type) just after it is drawn
        diagram = widget.locator("[data-figure=diagram]")
        for _ in range(50):
            box = diagram.bounding_box()
            if box and box["height"] < 300:
                break
            page.wait_for_timeout(100)
        else:
            raise AssertionError(f"the diagram kept its desktop height: {box}")
        for role in ("diagram", "series"):
            # Playwright's CSS locators reach into Bokeh's shadow DOM
            canvases = widget.locator(f"[data-figure={role}] canvas").all()
            assert canvases, f"{role}: no canvas drawn"
            for canvas in canvases:
                box = canvas.bounding_box()
                assert box and box["width"] > 0
                assert box["x"] >= 0 and box["x"] + box["width"] <= 390, f"{role}: {box}"
    page.locator(FIBONACCI).screenshot(path=str(ARTIFACTS / "playground-phone-fibonacci.png"))
