"""The code panel (``cell_code``) as the page gets it: walking a lab compute step by
compute step through a whole forward pass, validate and backward pass, the lines marked
current are run, JAX and NumPy, exactly as shown (the text of their tokens), one after
another in one namespace after the set-up the panel shows; every value written beside
a line is what that line's expression holds there, and its text is that number
rounded as the arithmetic panel rounds it. RNN, LSTM and GRU, two layers, so the layer
input, the readout and the gradient from the layer above all occur."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from course.lab.views import sources
from course.lab.views.arithmetic import number
from engine import Lab, LabConfig, ModelConfig, TrainSpec

T, L, H, UNIT = 3, 2, 4, 2


def lab_of(cell: str, seed: int) -> Lab:
    model = ModelConfig(cell=cell, layers=L, hidden=H)
    train = TrainSpec(window=T, sequences=10, batch_size=5)
    return Lab(LabConfig(model=model, train=train, continuation=8, seed=seed, noise=0.1))


def shown_code(table: dict[str, Any], flavour: str, line: dict[str, Any]) -> str:
    """The line as the page writes it (its tokens in the table the page keeps), without
    the note (its # value) and the indent."""
    return "".join(text for text, _ in table["tokens"][flavour][line["id"]]).strip()


def namespace(lab: Lab, flavour: str) -> dict[str, Any]:
    as_array = jnp.asarray if flavour == "jax" else np.asarray
    params = lab.host_params
    return {
        "np": np, "jnp": jnp, "jax": jax,
        "layers": [jax.tree_util.tree_map(as_array, p) for p in params.layers],
        "W_y": as_array(params.W_y), "b_y": as_array(params.b_y),
        "xs": as_array(lab.trace.xs), "y": as_array(lab.targets()[:T]),
    }  # fmt: skip


def run(scope: dict[str, Any], code: str, line: dict[str, Any], flavour: str, where: str) -> int:
    backward = where.startswith("backward")
    exec(code, scope)  # noqa: S102
    for value in line["values"]:
        got = float(np.asarray(eval(value["expr"], scope)))  # noqa: S307
        assert got == pytest.approx(value["value"], rel=1e-4, abs=1e-6), (flavour, where, value)
        gradient = backward or value["expr"] == "L"
        assert value["text"] == number(value["value"], gradient=gradient)
        assert value["text"] in line["note"]
    return len(line["values"])


@pytest.mark.parametrize(("cell", "seed"), [("lstm", 1), ("gru", 2), ("rnn", 3)])
def test_the_current_lines_run_and_give_the_values_beside_them(cell: str, seed: int) -> None:
    lab = lab_of(cell, seed)
    held: dict = {}
    first = sources(lab, UNIT, full=True, views=("cell",), held=held)
    table, code = first["cell_code_table"], first["cell_code"]
    scopes = {flavour: namespace(lab, flavour) for flavour in ("jax", "numpy")}
    for flavour, scope in scopes.items():
        for k in table["setup"]:
            exec(shown_code(table, flavour, {"id": k}), scope)  # noqa: S102
    checked = {"forward": 0, "validate": 0, "backward": 0}
    while True:
        frame = lab.frame()
        if frame["phase"] == "update":
            assert code["lines"] == []
            break
        where = f"{frame['phase']} t={frame['t']} layer={frame['layer']} {frame['step']}"
        lines = code["lines"]
        for flavour, scope in scopes.items():
            if frame["phase"] != "validate":
                scope |= {"t": frame["t"], "l": frame["layer"]}
                assert f"t = {frame['t']}:" in lines[0]["note"]  # the loops say where
                assert f"l = {frame['layer']}:" in lines[1]["note"]
            current = [line for line in lines if line["current"]]
            assert current, where
            for line in current:
                shown = shown_code(table, flavour, line)
                checked[frame["phase"]] += run(scope, shown, line, flavour, where)
        lab.advance("compute")
        new = sources(lab, UNIT, full=False, views=("cell",), held=held)
        assert "cell_code_table" not in new  # sent once per cell kind
        code = new["cell_code"]
    per_cell = len(lab.steps) - 1 + len(lab.backward_steps)  # every quantity, x's as well
    assert checked["forward"] >= 2 * T * L * (len(lab.steps) - 1)
    assert checked["validate"] == 2
    assert checked["backward"] >= 2 * T * L * len(lab.backward_steps)
    assert per_cell


def test_the_panel_follows_a_jump_and_a_zoom_into_another_layer() -> None:
    lab = lab_of("lstm", 1)
    held: dict = {}
    table = sources(lab, UNIT, full=True, views=("cell",), held=held)["cell_code_table"]
    lab.jump("forward", 2)
    for _ in range(2):  # from x to f, i of layer 1 at t = 2
        lab.advance("compute")
    assert lab.frame()["step"] == "i"
    code = sources(lab, UNIT, full=False, views=("cell",), held=held)["cell_code"]
    assert "Layer 1 at t = 3" in code["heading"]
    current = [shown_code(table, "numpy", line) for line in code["lines"] if line["current"]]
    assert current == ["pre_i = W_x[:H] @ x + W_h[:H] @ h_prev + b[:H]",
                       "i = 1 / (1 + np.exp(-pre_i))"]  # fmt: skip
    jax_current = [shown_code(table, "jax", line) for line in code["lines"] if line["current"]]
    assert jax_current[1] == "i = jax.nn.sigmoid(pre_i)"
    # The values are the arithmetic panel's numbers for the same unit.
    terms = sources(lab, UNIT, full=False, views=("cell",), held=held)["cell_arithmetic"]
    i_row = next(row for row in terms["rows"] if row["name"] == "i")
    values = {v["expr"]: v["value"] for line in code["lines"] for v in line["values"]}
    assert values[f"i[{UNIT}]"] == i_row["terms"]["value"]
    assert values[f"pre_i[{UNIT}]"] == i_row["terms"]["pre"]
    # Zoomed into layer 2, which has read nothing at t = 2 yet: its loops, no lines marked.
    zoomed = sources(lab, UNIT, full=False, views=("cell",), held=held, layer=1)["cell_code"]
    assert "Layer 2 at t = 3" in zoomed["heading"]
    assert not [line for line in zoomed["lines"] if line["current"]]
