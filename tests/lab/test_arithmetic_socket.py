"""The cell view's arithmetic panel and weights view over /lab: what a step's ack
carries is the float64 NumPy reference's arithmetic of the chosen unit, shown to 3
decimals, only for the quantities computed so far; the weights go again only when
the weights or the layer change, and ΔW only once the update phase computed it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from labkit import GRU, LAB, open_lab, step
from socketkit import ok

from engine import Lab, LabConfig
from tests.engine import reference as ref  # the float64 reference of the equations

LSTM_GATES = "ifgo"


@pytest.fixture
def spec(app):
    return app.extensions["lessons"].get("lstm-cell").labs["cell-walk"]


def twin(config: LabConfig) -> tuple[Lab, list[dict], list[dict]]:
    """The same lab in this process, with the reference's float64 params and trace."""
    lab = Lab(config)
    layers = [ref.f64(p) for p in lab.params.layers]
    model = config.model
    _, traces = ref.run_stack(
        model.cell, layers, lab.params.W_y, lab.params.b_y, lab.trace.xs, model.activation
    )
    return lab, layers, traces


def shown(text: str) -> float:
    return float(text.strip("()").replace("−", "-"))


def numbers(row: dict[str, Any]) -> dict[str, float]:
    return {term: shown(text) for text, term in row["numbers"] if term is not None}


def reference_gate(cell, p, x, h, unit, gate) -> dict[str, float]:
    H = h.shape[0]
    k = {"lstm": LSTM_GATES, "gru": "rzn"}[cell].index(gate) * H + unit
    wx, wh = p["W_x"][k] @ x, p["W_h"][k] @ h
    if cell == "lstm":
        pre = wx + wh + p["b"][k]
        act = np.tanh(pre) if gate == "g" else ref.sigmoid(pre)
        return {"wx": wx, "wh": wh, "b": p["b"][k], "pre": pre, "value": act}
    if gate == "n":
        r = ref.sigmoid(p["W_x"][unit] @ x + p["b_x"][unit] + p["W_h"][unit] @ h + p["b_h"][unit])
        pre = wx + p["b_x"][k] + r * (wh + p["b_h"][k])
        return {"wx": wx, "b_x": p["b_x"][k], "wh": wh, "b_h": p["b_h"][k], "r": r, "pre": pre,
                "value": np.tanh(pre)}  # fmt: skip
    pre = wx + p["b_x"][k] + wh + p["b_h"][k]
    return {"wx": wx, "b_x": p["b_x"][k], "wh": wh, "b_h": p["b_h"][k], "pre": pre,
            "value": ref.sigmoid(pre)}  # fmt: skip


def check_rows(ack, lab, layers, traces, steps) -> None:
    """The panel of ``ack`` against the reference at the ack's own position."""
    frame = ack["frame"]
    t, layer, index = frame["t"], frame["layer"], frame["step_index"]
    rows = ack["sources"]["cell_arithmetic"]["rows"]
    revealed = steps[1 : index + 1]
    assert [row["name"] for row in rows] == revealed  # nothing ahead of the step
    assert [row["current"] for row in rows] == [n == frame["step"] for n in revealed]
    H = lab.config.model.hidden
    x = np.asarray(lab.trace.xs[t], np.float64) if layer == 0 else traces[layer - 1]["h"][t]
    h = traces[layer]["h"][t - 1] if t else np.zeros(H)
    cell = lab.config.model.cell
    for row in rows:
        if row["name"] not in (LSTM_GATES if cell == "lstm" else "rzn"):
            continue
        expected = reference_gate(cell, layers[layer], x, h, UNIT, row["name"])
        for term, value in expected.items():
            assert row["terms"][term] == pytest.approx(value, abs=1e-5), (row["name"], term)
            if term in numbers(row):  # shown to 3 decimals, rounded from the engine's number
                assert numbers(row)[term] == pytest.approx(value, abs=0.0005 + 1e-5)
        sums = {"lstm": ("wx", "wh", "b"), "gru": ("wx", "b_x", "wh", "b_h")}[cell]
        if row["name"] != "n":
            assert abs(sum(numbers(row)[k] for k in sums) - numbers(row)["pre"]) <= 0.0025


UNIT = 3


def test_each_step_shows_the_reference_arithmetic_of_what_is_computed(lab_client, spec) -> None:
    lab, layers, traces = twin(spec.config)
    open_lab(lab_client)
    ok(lab_client, "select", {"lab": LAB, "unit": UNIT})
    steps = list(lab.steps)
    ok(lab_client, "jump", {"lab": LAB, "phase": "forward", "t": 4})
    for _ in range(len(steps) * 2):  # layer 1 and layer 2 at t = 5
        check_rows(step(lab_client), lab, layers, traces, steps)


def test_a_gru_shows_both_biases_and_n_scales_its_hidden_part_by_r(lab_client) -> None:
    from course.lab.spec import to_lab_config

    ack = open_lab(lab_client, config=GRU)
    config = to_lab_config(ack["info"]["config"])
    lab, layers, traces = twin(config)
    ok(lab_client, "select", {"lab": LAB, "unit": UNIT})
    ok(lab_client, "jump", {"lab": LAB, "phase": "forward", "t": 2})
    for _ in range(len(lab.steps) - 1):
        check_rows(step(lab_client), lab, layers, traces, list(lab.steps))


def test_backward_shows_the_gradients_computed_so_far(lab_client) -> None:
    open_lab(lab_client)
    ack = ok(lab_client, "jump", {"lab": LAB, "phase": "backward"})
    assert [r["name"] for r in ack["sources"]["cell_arithmetic"]["rows"]] == ["dh"]
    for expected in (["dh", "dc"], ["dh", "dc", "do"], ["dh", "dc", "do", "df"]):
        rows = step(lab_client)["sources"]["cell_arithmetic"]["rows"]
        assert [r["name"] for r in rows] == expected
    df = rows[-1]["terms"]
    assert df["value"] == pytest.approx(df["dc"] * df["c_prev"], rel=1e-5, abs=1e-12)
    assert rows[-1]["box"] == "f" and rows[-1]["current"]


def test_validate_and_update_have_no_cell_arithmetic(lab_client) -> None:
    open_lab(lab_client)
    for phase in ("validate", "update"):
        ack = ok(lab_client, "jump", {"lab": LAB, "phase": phase})
        assert ack["sources"]["cell_arithmetic"]["rows"] == []


class Page:
    """The sources as the page draws them: a layout ("name@key") is kept once sent, and
    a source naming it (``_layout``) takes its places from it (static/js/views.js)."""

    def __init__(self) -> None:
        self.layouts: dict[str, dict[str, Any]] = {}

    def drawn(self, sources: dict[str, Any], name: str) -> dict[str, Any]:
        self.layouts |= {k: v for k, v in sources.items() if "@" in k}
        columns = dict(sources[name])
        for key in columns.pop("_layout", []):
            columns |= self.layouts[f"{name}@{key}"]
        return columns


def test_the_weights_go_only_when_they_or_the_layer_change(app, lab_client) -> None:
    from course.lessons.registry import LessonRegistry

    spec = LessonRegistry.load("lessons").get("lstm-cell").labs["cell-walk"]
    assert "weights" in spec.views
    lab, _, _ = twin(spec.config)
    page = Page()
    ack = open_lab(lab_client)
    weights = page.drawn(ack["sources"], "weights")
    H = lab.config.model.hidden
    W = np.asarray(lab.params.layers[0].b)
    b_f0 = weights["value"][weights["name"].index("b[f 0]")]
    assert b_f0 == pytest.approx(float(W[H]), abs=5e-5)  # block order i, f, g, o
    assert ack["sources"]["weights_delta"]["shade"] == []  # ΔW: not computed, not drawn
    for _ in range(len(lab.steps) - 1):  # within layer 1's cell: nothing to send again
        assert "weights" not in step(lab_client)["sources"]
    moved = step(lab_client)  # layer 2: its weights, laid out for its 16 inputs
    assert moved["frame"]["layer"] == 1
    assert len(page.drawn(moved["sources"], "weights")["x"]) == 4 * H * (H + H + 1)
    for _ in range(len(lab.steps) * 2):  # on to layer 1 of the next time step
        back = step(lab_client)
    assert (back["frame"]["t"], back["frame"]["layer"]) == (1, 0)
    assert "_layout" in back["sources"]["weights"]  # its values, in the layout it holds
    assert not [name for name in back["sources"] if "@" in name]  # not sent again
    # The update phase computes ΔW of the layer it reaches: the engine's own numbers.
    ack = ok(lab_client, "jump", {"lab": LAB, "phase": "update"})
    assert ack["frame"]["layer"] == 0
    delta = page.drawn(ack["sources"], "weights_delta")
    lab.jump("update")
    expected = np.asarray(lab.frame()["delta"]["b"][0])
    got = delta["text"][delta["name"].index("Δb[f 0]")]
    assert float(got) == pytest.approx(float(expected[H]), rel=1e-3, abs=1e-9)
