"""A learner in Chromium on the training lesson: stepping fills in the unrolled network,
the backward pass draws the gradient through time with the engine's numbers, and the
update sends a new picture."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pagekit import ARTIFACTS
from playwright.sync_api import Locator, Page, expect

from course.lab.views.unrolled import Layout, edge_data
from course.lessons.registry import LessonRegistry
from engine import Lab

LESSON = "/lessons/training"
RNN = "section.lab[data-lab='rnn-window']"
LSTM = "section.lab[data-lab='lstm-window']"

# Each lab section carries its FigureSet (lab.js): two labs may name sources alike.
READ_SOURCE = """([lab, name]) => {
  const model = document.querySelector(lab).figures.source(name);
  if (!model) return null;
  const out = {};
  for (const [k, v] of Object.entries(model.data)) out[k] = Array.from(v);
  return out;
}"""


def source(page: Page, lab: str, name: str) -> dict[str, list[Any]]:
    """A source's data once nothing is gliding to new values (static/js/tween.js)."""
    page.wait_for_function("lab => !document.querySelector(lab).figures.moving()", arg=lab)
    data = page.evaluate(READ_SOURCE, [lab, name])
    assert data is not None, name
    return data


@pytest.fixture(scope="module")
def engine_labs() -> dict[str, Lab]:
    """The lesson's labs computed in this process, to compare the browser's numbers with."""
    lesson = LessonRegistry.load("lessons").get("training")
    return {lab_id: Lab(spec.config) for lab_id, spec in lesson.labs.items()}


def step(lab: Locator) -> None:
    """Press Step and wait for the lab to show the new position."""
    before = lab.get_attribute("data-position")
    lab.locator("[data-action=step]").click()
    expect(lab).not_to_have_attribute("data-position", before or "")


def open_lesson(page: Page) -> tuple[Locator, Locator]:
    page.goto(LESSON)
    rnn, lstm = page.locator(RNN), page.locator(LSTM)
    for lab in (rnn, lstm):
        expect(lab.locator("[data-readout=status]")).to_have_text("Ready", timeout=60_000)
    return rnn, lstm


@pytest.mark.browser
def test_stepping_fills_the_unrolled_network_column_by_column(page: Page, engine_labs) -> None:
    rnn, _ = open_lesson(page)
    engine = engine_labs["rnn-window"]
    engine.reset()
    values = source(page, RNN, "unrolled_nodes")["value"]
    assert len(values) == 15 * (2 * 8 + 2) and None not in values
    expected_h = float(engine.trace.traces[1].h[4, 3])  # layer 2, t = 5, unit 3
    node = source(page, RNN, "unrolled_nodes")
    keys = list(zip(node["t"], node["kind"], node["unit"], strict=True))
    index = keys.index((5, "layer 2 h", 3))
    assert values[index] == pytest.approx(expected_h, abs=6e-4)
    for t in (1, 2, 3):
        step(rnn)
        expect(rnn.locator("[data-readout=t]")).to_have_text(f"{t} of 15")
        fog = source(page, RNN, "unrolled_fog")
        assert fog["left"] == [t + 0.5]  # columns 1 … t are clear, the rest faded
        cursor = source(page, RNN, "unrolled_cursor")
        assert cursor["left"][0] < t + 0.5 < cursor["right"][0] + 1
    rnn.screenshot(path=str(ARTIFACTS / "time-unrolled-forward.png"))


@pytest.mark.browser
def test_every_column_draws_the_shared_weights(page: Page, engine_labs) -> None:
    """The wire and the page carry one column's edges; the page draws them in each
    column (the recurrent ones from column 2 on): weights are shared across time."""
    open_lesson(page)
    engine = engine_labs["rnn-window"]
    engine.reset()
    layout = Layout.of(engine.config)
    one, loops = edge_data(layout, engine.config.model.cell, engine.params)
    for name, template, columns in (
        ("unrolled_edges", one, range(1, 16)),
        ("unrolled_recurrent", loops, range(2, 16)),
    ):
        drawn = source(page, RNN, name)
        n = len(template["x0"])
        assert n == (8 + 8 * 8 + 8 if name == "unrolled_edges" else 2 * 8 * 8)
        assert len(drawn["x0"]) == n * len(columns)
        for k, column in enumerate(columns):
            rows = slice(k * n, (k + 1) * n)
            assert drawn["x0"][rows] == pytest.approx([x + column for x in template["x0"]])
            assert drawn["x1"][rows] == pytest.approx([x + column for x in template["x1"]])
            for key in ("y0", "y1", "color", "width", "alpha"):
                assert drawn[key][rows] == template[key], (name, column, key)


@pytest.mark.browser
def test_the_backward_pass_draws_the_gradient_through_time(page: Page, engine_labs) -> None:
    rnn, lstm = open_lesson(page)
    assert source(page, RNN, "grad_total")["t"] == []  # not computed before the backward pass
    rnn.locator("[data-control=phase]").select_option("backward")
    expect(rnn.locator("[data-readout=phase]")).to_have_text("backward")
    engine = engine_labs["rnn-window"]
    engine.reset()
    norms = np.linalg.norm(engine.gradients().dh, axis=2)
    lines = source(page, RNN, "grad_total")
    for layer in range(2):
        assert lines[f"h{layer + 1}"] == pytest.approx(norms[layer].tolist(), rel=1e-5)
    dashed = source(page, RNN, "grad_last")["h2"]
    assert dashed[-1] / dashed[0] > 1000  # the vanishing the lesson points at
    assert source(page, RNN, "grad_band")["left"] == [14.5]
    step(rnn)  # to the end of t = 15 (down to layer 1)
    expect(rnn.locator("[data-readout=layer]")).to_have_text("1 of 2")
    for t in (14, 13):
        step(rnn)
        expect(rnn.locator("[data-readout=t]")).to_have_text(f"{t} of 15")
        assert source(page, RNN, "grad_band")["left"] == [t - 0.5]
        assert source(page, RNN, "grad_fog")["right"] == [t - 0.5]
    rnn.screenshot(path=str(ARTIFACTS / "time-gradients-rnn.png"))
    lstm.locator("[data-control=phase]").select_option("backward")
    expect(lstm.locator("[data-readout=phase]")).to_have_text("backward")
    lstm_dashed = source(page, LSTM, "grad_last")["h2"]
    assert lstm_dashed[-2] / lstm_dashed[0] < 10
    images = source(page, LSTM, "gates_images")
    assert images["name"] == ["i", "f", "g", "o", "c", "h"]
    lstm.screenshot(path=str(ARTIFACTS / "time-gradients-lstm.png"))


@pytest.mark.browser
def test_the_update_sends_the_new_weights_picture(page: Page) -> None:
    rnn, _ = open_lesson(page)
    nodes_before = source(page, RNN, "unrolled_nodes")["value"]
    edges_before = source(page, RNN, "unrolled_edges")
    rnn.locator("[data-control=phase]").select_option("validate")  # the whole prediction
    expect(rnn.locator("[data-readout=phase]")).to_have_text("validate")
    prediction_before = source(page, RNN, "seq_prediction")["y"]
    rnn.locator("[data-control=phase]").select_option("update")
    expect(rnn.locator("[data-readout=phase]")).to_have_text("update")
    step(rnn)  # to the readout's change
    step(rnn)  # past it: new weights, next forward pass
    expect(rnn.locator("[data-readout=phase]")).to_have_text("forward")
    page.wait_for_function(
        """([lab, before]) => {
          const now = document.querySelector(lab).figures.source("unrolled_nodes").data.value;
          return Array.from(now).some((v, i) => v !== before[i]);
        }""",
        arg=[RNN, nodes_before],
    )
    assert len(source(page, RNN, "seq_prediction")["y"]) == 1  # by time step: the first ŷ
    rnn.locator("[data-control=phase]").select_option("validate")
    expect(rnn.locator("[data-readout=phase]")).to_have_text("validate")
    page.wait_for_function(
        "lab => document.querySelector(lab).figures.source('seq_prediction').data.y.length > 0",
        arg=RNN,
    )
    after = source(page, RNN, "seq_prediction")["y"]
    assert max(abs(a - b) for a, b in zip(after, prediction_before, strict=True)) > 0.3
    widths = source(page, RNN, "unrolled_edges")["width"]
    assert len(widths) == 15 * 80 and widths != edges_before["width"]  # new weights, every column
    page.screenshot(path=str(ARTIFACTS / "time-lesson.png"), full_page=True)
    # The GIF is of this learner's lab with its new weights (tests/browser/test_gif_export.py
    # drives the form itself).
    action = rnn.locator(".lab-gif").get_attribute("action")
    response = page.request.get(f"{action}?steps=5&size=320")
    assert response.status == 200
    assert response.headers["content-type"] == "image/gif"
