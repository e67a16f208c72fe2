"""A learner uses the lab's controls on the Data lesson: the learning-rate slider,
the network overview (add, remove, zoom into a layer), the keyboard shortcuts and
the help dialog; screenshots in light and dark."""

from __future__ import annotations

import pytest
from pagekit import ARTIFACTS
from playwright.sync_api import Page, expect

LESSON = "/lessons/data"
LAB = "section.lab[data-lab='feed']"

READ_LAYERS = """() => {
  for (const doc of Bokeh.documents) {
    const model = doc.get_model_by_name("overview_layers");
    if (model) return model.data.x.length;
  }
  return null;
}"""


def open_lesson(page: Page) -> None:
    page.goto(LESSON)
    expect(page.locator(f"{LAB} [data-readout=status]")).to_have_text("Ready", timeout=30_000)


def type_key(page: Page, key: str) -> None:
    """A key pressed with nothing focused, as a learner reading the page would."""
    page.evaluate("document.activeElement?.blur()")
    page.keyboard.type(key) if len(key) == 1 else page.keyboard.press(key)


@pytest.mark.browser
def test_sliders_overview_keys_and_help(page: Page) -> None:
    open_lesson(page)
    lab = page.locator(LAB)
    note = lab.locator("[data-readout=config]")
    layer = lab.locator("[data-readout=layer]")

    # The learning rate, on a log scale: one notch left of 0.01 is 0.001, no reset.
    rate = lab.get_by_label("Learning rate (log scale, 0.0001 to 1)")
    rate.fill("-3")
    expect(lab.locator("[data-config-value=learning_rate]")).to_have_text("0.001")
    expect(note).to_contain_text("Changed the learning rate; training goes on")

    # Add a layer between layers 1 and 2 in the overview: four layers, training restarts.
    lab.get_by_role(
        "button", name="Add a layer between layers 1 and 2 (training starts again)"
    ).click()
    expect(note).to_contain_text("Now 4 layers", timeout=30_000)  # a new shape compiles once
    expect(note).to_contain_text("resets training")
    expect(layer).to_have_text("1 of 4")
    assert page.evaluate(READ_LAYERS) == 4
    expect(lab.locator("[data-config-value=learning_rate]")).to_have_text("0.001")  # kept
    page.screenshot(path=str(ARTIFACTS / "controls-four-layers.png"), full_page=False)
    lab.screenshot(path=str(ARTIFACTS / "controls-lab-light.png"))

    # Hover a layer to reveal its remove button.
    third = lab.locator(".ov-layer").nth(2)
    third.hover()
    remove = third.get_by_role("button", name="Remove layer 3 (training starts again)")
    expect(remove).to_have_css("opacity", "1")
    remove.click()
    expect(layer).to_have_text("1 of 3")

    # Zoom into layer 2's cell, then click outside it to zoom out.
    lab.get_by_role("button", name="Layer 2 of 3, 16 units: open its cell").click()
    expect(lab).to_have_attribute("data-level", "cell")
    expect(lab.locator(".view-cell")).to_be_visible()
    lab.screenshot(path=str(ARTIFACTS / "controls-cell-level.png"))
    lab.locator(".view-sequence").click()
    expect(lab).to_have_attribute("data-level", "overview")
    expect(lab.locator(".view-cell")).to_be_hidden()

    # Keyboard: → steps a time step, + and − change the layers, Space plays and pauses,
    # Backspace resets, o zooms, ? opens the help and Esc closes it.
    t = lab.locator("[data-readout=t]")
    type_key(page, "ArrowRight")  # the first time step, through all three layers
    expect(layer).to_have_text("3 of 3")
    expect(t).to_have_text("1 of 15")
    type_key(page, "ArrowRight")
    expect(t).to_have_text("2 of 15")
    type_key(page, "+")
    expect(layer).to_have_text("1 of 4")
    type_key(page, "-")
    expect(layer).to_have_text("1 of 3")
    type_key(page, " ")
    expect(lab.locator("[data-action=play]")).to_have_attribute("aria-pressed", "true")
    type_key(page, " ")
    expect(lab.locator("[data-action=play]")).to_have_attribute("aria-pressed", "false")
    type_key(page, "Backspace")
    expect(t).to_have_text("1 of 15")
    expect(lab.locator("[data-readout=epoch]")).to_have_text("0")
    type_key(page, "o")
    expect(lab).to_have_attribute("data-level", "cell")
    type_key(page, "o")
    expect(lab).to_have_attribute("data-level", "overview")
    type_key(page, "?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("add or remove a layer")
    dialog.screenshot(path=str(ARTIFACTS / "controls-help-light.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Every control can be reached with Tab and has a name.
    for control in lab.locator(".lab-settings input, .lab-settings select").all():
        if control.is_visible():
            assert control.get_attribute("aria-label"), control.evaluate("e => e.outerHTML")

    page.emulate_media(color_scheme="dark")
    lab.screenshot(path=str(ARTIFACTS / "controls-lab-dark.png"))
    type_key(page, "?")
    dialog.screenshot(path=str(ARTIFACTS / "controls-help-dark.png"))
    page.keyboard.press("Escape")


@pytest.mark.browser
def test_a_refused_value_leaves_the_lab_as_it_was(page: Page) -> None:
    open_lesson(page)
    lab = page.locator(LAB)
    reply = page.evaluate(
        """async () => new Promise((resolve) => {
          const socket = window.io("/lab", { transports: ["websocket"] });
          socket.emit("open", { lesson: "data", lab: "feed" }, () =>
            socket.emit("configure", { lab: "feed", config: { layers: 8 } }, (ack) => {
              socket.close();
              resolve(ack);
            }));
        })"""
    )
    assert reply["ok"] is False and reply["error"]["field"] == "config.layers"
    expect(lab.locator("[data-readout=layer]")).to_have_text("1 of 3")
