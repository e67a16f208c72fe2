"""A cell's arithmetic for one unit (engine.arithmetic, via Lab.cell_terms and
Lab.backward_terms) against the float64 NumPy reference: every term is the reference's
W_x·x, W_h·h, b of that gate's row, their sum is the pre-activation, the activation of
it is the trace's value, and a quantity not yet computed has no terms.

Tolerance: 1e-5 absolute (float32 engine vs float64 reference on small labs)."""

from __future__ import annotations

import numpy as np
import pytest
import reference as ref

from engine import Lab, LabConfig, ModelConfig, TrainSpec

TOL = 1e-5


def lab_of(cell: str, activation: str = "tanh", **kw) -> Lab:
    model = ModelConfig(cell=cell, layers=2, hidden=4, activation=activation)
    train = TrainSpec(window=5, sequences=10, batch_size=5)
    return Lab(LabConfig(model=model, train=train, continuation=8, **kw))


LABS = {
    "rnn": lambda: lab_of("rnn"),
    "rnn-relu": lambda: lab_of("rnn", "relu", seed=3),
    "lstm": lambda: lab_of("lstm", seed=1, noise=0.1),
    "gru": lambda: lab_of("gru", seed=2, noise=0.1, start=1.3),
}
CELLS = {"rnn": "rnn", "rnn-relu": "rnn", "lstm": "lstm", "gru": "gru"}
PLACES = [(0, 0, 1), (2, 1, 3), (4, 0, 0), (3, 1, 2)]  # (t, layer, unit)


@pytest.fixture(scope="module", params=list(LABS))
def case(request: pytest.FixtureRequest) -> tuple[str, Lab, dict]:
    lab = LABS[request.param]()
    layers = [ref.f64(p) for p in lab.params.layers]
    _, traces = ref.run_stack(
        lab.config.model.cell, layers, lab.params.W_y, lab.params.b_y, lab.trace.xs,
        lab.config.model.activation,
    )  # fmt: skip
    return request.param, lab, {"layers": layers, "traces": traces}


def reference_terms(cell: str, p: dict, x: np.ndarray, h: np.ndarray, unit: int, name: str):
    """(terms, pre) of gate ``name`` of ``unit``, straight from the equations."""
    H = h.shape[0]
    block = {"lstm": "ifgo", "gru": "rzn", "rnn": "a"}[cell].index(name)
    k = block * H + unit
    wx, wh = p["W_x"][k] @ x, p["W_h"][k] @ h
    if cell != "gru":
        return {"wx": wx, "wh": wh, "b": p["b"][k]}, wx + wh + p["b"][k]
    terms = {"wx": wx, "b_x": p["b_x"][k], "wh": wh, "b_h": p["b_h"][k]}
    if name != "n":
        return terms, wx + p["b_x"][k] + wh + p["b_h"][k]
    r = ref.sigmoid(
        p["W_x"][unit] @ x + p["b_x"][unit] + p["W_h"][unit] @ h + p["b_h"][unit]
    )  # the r gate of the same unit: block 0
    return terms | {"r": r}, wx + p["b_x"][k] + r * (wh + p["b_h"][k])


def inputs_of(lab: Lab, traces: list[dict], t: int, layer: int) -> tuple[np.ndarray, ...]:
    H = lab.config.model.hidden
    x = np.asarray(lab.trace.xs[t], np.float64) if layer == 0 else traces[layer - 1]["h"][t]
    h = traces[layer]["h"][t - 1] if t else np.zeros(H)
    c = traces[layer]["c"][t - 1] if t and "c" in traces[layer] else np.zeros(H)
    return x, h, c


ACT = {"sigmoid": ref.sigmoid, "tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0)}


@pytest.mark.parametrize(("t", "layer", "unit"), PLACES)
def test_each_gate_is_its_terms_summed_then_activated(case, t, layer, unit) -> None:
    name, lab, refs = case
    cell = CELLS[name]
    p, traces = refs["layers"][layer], refs["traces"]
    x, h, c = inputs_of(lab, traces, t, layer)
    last = len(lab.steps) - 1
    shown = lab.cell_terms(t, layer, last, unit)
    assert list(shown) == list(lab.steps[1:])
    for gate in {"lstm": "ifgo", "gru": "rzn", "rnn": "a"}[cell]:
        terms, pre = reference_terms(cell, p, x, h, unit, gate)
        got = shown[gate]
        for key, value in terms.items():
            assert got[key] == pytest.approx(value, abs=TOL), (gate, key)
        assert got["pre"] == pytest.approx(pre, abs=TOL)
        sums = [k for k in ("wx", "b_x", "b", "wh", "b_h") if k in got]
        if gate == "n":  # n's hidden part is scaled by r: r·(W_hn·h + b_hn)
            assert got["r_h"] == pytest.approx(got["r"] * (got["wh"] + got["b_h"]), abs=1e-12)
            sums = ["wx", "b_x", "r_h"]
        assert got["pre"] == pytest.approx(sum(got[k] for k in sums), abs=1e-12)
        act = activation_of(cell, gate, lab.config.model.activation)
        assert got["value"] == pytest.approx(traces[layer][gate][t][unit], abs=TOL)
        if gate != "a":
            assert got["value"] == pytest.approx(ACT[act](pre), abs=TOL)
    if cell == "lstm":
        tr = {k: traces[layer][k][t][unit] for k in "figoch"}
        assert shown["c"]["fc"] == pytest.approx(tr["f"] * c[unit], abs=TOL)
        assert shown["c"]["ig"] == pytest.approx(tr["i"] * tr["g"], abs=TOL)
        assert shown["c"]["value"] == pytest.approx(tr["c"], abs=TOL)
        assert shown["h"]["tanh_c"] == pytest.approx(np.tanh(tr["c"]), abs=TOL)
        assert shown["h"]["value"] == pytest.approx(tr["o"] * np.tanh(tr["c"]), abs=TOL)
    if cell == "gru":
        z, n = traces[layer]["z"][t][unit], traces[layer]["n"][t][unit]
        assert shown["h"]["zn"] == pytest.approx((1 - z) * n, abs=TOL)
        assert shown["h"]["zh"] == pytest.approx(z * h[unit], abs=TOL)
        assert shown["h"]["value"] == pytest.approx((1 - z) * n + z * h[unit], abs=TOL)
    if cell == "rnn":
        a = traces[layer]["a"][t][unit]
        assert shown["h"]["pre"] == pytest.approx(a, abs=TOL)
        act = ACT[lab.config.model.activation]
        assert shown["h"]["value"] == pytest.approx(act(a), abs=TOL)


def activation_of(cell: str, gate: str, activation: str) -> str:
    if cell == "rnn":
        return activation
    return "tanh" if gate in ("g", "n") else "sigmoid"


def test_a_quantity_not_yet_computed_has_no_terms(case) -> None:
    _, lab, _ = case
    for upto in range(len(lab.steps)):
        shown = lab.cell_terms(2, 1, upto, 0)
        assert list(shown) == list(lab.steps[1 : upto + 1])  # "x" shows inputs, no arithmetic


@pytest.mark.parametrize(("t", "layer", "unit"), PLACES)
def test_each_gradient_is_the_product_of_its_factors(case, t, layer, unit) -> None:
    name, lab, refs = case
    cell, model = CELLS[name], lab.config.model
    T = lab.config.train.window
    bp = ref.bptt(cell, refs["layers"], lab.params.W_y, lab.params.b_y, lab.trace.xs,
                  lab.targets()[:T], model.activation)  # fmt: skip
    gates = {k: v[t][unit] for k, v in bp["gates"][layer].items()}
    steps = lab.backward_steps
    for step in range(len(steps)):
        assert list(lab.backward_terms(t, layer, step, unit)) == list(steps[: step + 1])
    shown = lab.backward_terms(t, layer, len(steps) - 1, unit)
    for key, value in gates.items():
        assert shown[key]["value"] == pytest.approx(value, abs=TOL), key
    tr = {k: v[t][unit] for k, v in refs["traces"][layer].items()}
    _, h, c = inputs_of(lab, refs["traces"], t, layer)
    if cell == "lstm":
        dc = shown["dc"]
        assert dc["dc_next"] == pytest.approx(bp["dc_future"][layer, t, unit], abs=TOL)
        assert dc["value"] == pytest.approx(dc["dc_next"] + dc["dh"] * dc["o"] * dc["slope"],
                                            abs=TOL)  # fmt: skip
        assert shown["df"]["c_prev"] == pytest.approx(c[unit], abs=TOL)
        assert shown["df"]["value"] == pytest.approx(shown["df"]["dc"] * c[unit], abs=TOL)
        assert shown["di"]["g"] == pytest.approx(tr["g"], abs=TOL)
        assert shown["dg"]["i"] == pytest.approx(tr["i"], abs=TOL)
        assert shown["do"]["tanh_c"] == pytest.approx(np.tanh(tr["c"]), abs=TOL)
    elif cell == "gru":
        p, H = refs["layers"][layer], model.hidden
        hn = p["W_h"][2 * H + unit] @ h + p["b_h"][2 * H + unit]
        dr = shown["dr"]
        assert dr["hn"] == pytest.approx(hn, abs=TOL)
        assert dr["value"] == pytest.approx(dr["dn"] * (1 - tr["n"] ** 2) * hn, abs=TOL)
        dz = shown["dz"]
        assert dz["value"] == pytest.approx(dz["dh"] * (h[unit] - tr["n"]), abs=TOL)
        assert shown["dn"]["value"] == pytest.approx(gates["dh"] * (1 - tr["z"]), abs=TOL)
    else:
        da = shown["da"]
        assert da["value"] == pytest.approx(da["dh"] * da["slope"], abs=TOL)
