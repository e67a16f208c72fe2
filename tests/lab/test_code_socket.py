"""The code panel over /lab follows the cursor as the arithmetic panel does: every
step, jump (the scrubber's too), unit choice and change of cell kind answers with the
lines of the cell the frame is at, its loops saying where, the frame's step marked and
the arithmetic panel's own numbers beside them; the table of lines goes once per cell
kind, and again when the kind changes."""

from __future__ import annotations

from typing import Any

from labkit import GRU, GRU_STEPS, LAB, LSTM_STEPS, open_lab, step
from socketkit import ok

from engine.snippets import backward_lines, forward_lines, spell


def code_of(ack: dict[str, Any], table: dict[str, Any], flavour: str = "jax") -> list[str]:
    """The current lines of an ack, as the page writes them."""
    tokens = table["tokens"][flavour]
    lines = ack["sources"]["cell_code"]["lines"]
    return ["".join(t for t, _ in tokens[line["id"]]) for line in lines if line["current"]]


def expected(cell: str, name: str, frame: dict[str, Any], layers: int) -> list[str]:
    top = frame["layer"] == layers - 1
    lines = backward_lines(cell, name, top=top) if name.startswith("d") else (
        forward_lines(cell, name, top=top))  # fmt: skip
    return [spell(line.code, "jax") for line in lines]


def arithmetic_values(ack: dict[str, Any]) -> dict[str, float]:
    """The arithmetic panel's numbers by what they are: f's value, f's pre, …"""
    out = {}
    for row in ack["sources"]["cell_arithmetic"]["rows"]:
        out[row["name"]] = row["terms"]["value"]
        if "pre" in row["terms"]:
            out[f"pre_{row['name']}"] = row["terms"]["pre"]
    return out


def check(
    ack: dict[str, Any], table: dict[str, Any], cell: str, unit: int, layers: int = 3
) -> None:
    frame = ack["frame"]
    code = ack["sources"]["cell_code"]
    assert code_of(ack, table) == expected(cell, frame["step"], frame, layers)
    loops = [line["note"] for line in code["lines"][:2]]
    assert loops[0].startswith(f"# t = {frame['t']}:") and f"layer {frame['layer'] + 1}" in loops[1]
    assert f"Layer {frame['layer'] + 1} at t = {frame['t'] + 1}, unit {unit}" in code["heading"]
    numbers = arithmetic_values(ack)
    for line in code["lines"]:
        for value in line["values"]:
            name, index = value["expr"].rstrip("]").split("[")
            if name in numbers:
                assert value["value"] == numbers[name], value
                assert int(index) == unit


def test_the_panel_follows_steps_jumps_and_the_unit(lab_client) -> None:
    ack = open_lab(lab_client)
    table = ack["sources"]["cell_code_table"]
    unit = 5
    ack = ok(lab_client, "select", {"lab": LAB, "unit": unit})
    ack = ok(lab_client, "jump", {"lab": LAB, "phase": "forward", "t": 6})  # the scrubber
    assert "cell_code_table" not in ack["sources"]
    assert ack["frame"]["step"] == "x"
    check(ack, table, "lstm", unit)
    for name in LSTM_STEPS[1:]:
        ack = step(lab_client)
        assert ack["frame"]["step"] == name
        check(ack, table, "lstm", unit)
        assert "cell_code_table" not in ack["sources"]
    # On h of layer 1 there is no readout; the top layer's h has it.
    assert not any("y_hat" in line for line in code_of(ack, table))
    ack = ok(lab_client, "jump", {"lab": LAB, "phase": "backward", "t": 3})
    assert code_of(ack, table)[-1] == "dh = W_y[0] * dy[t] + from_next[l]"
    check(ack, table, "lstm", unit)
    for _ in range(2):
        check(step(lab_client), table, "lstm", unit)
    ack = ok(lab_client, "select", {"lab": LAB, "unit": 2})
    check(ack, table, "lstm", 2)
    ack = ok(lab_client, "jump", {"lab": LAB, "phase": "validate"})
    assert code_of(ack, table, "numpy")[1] == "L = np.mean(e ** 2)"
    assert ack["sources"]["cell_code"]["lines"][1]["values"][0]["value"] == ack["frame"]["mse"]
    ack = ok(lab_client, "jump", {"lab": LAB, "phase": "update"})
    assert ack["sources"]["cell_code"]["lines"] == []


def test_a_new_cell_kind_sends_its_table(lab_client) -> None:
    open_lab(lab_client)
    ack = open_lab(lab_client, config=GRU)  # the learner's GRU: another set of lines
    table = ack["sources"]["cell_code_table"]
    for name in GRU_STEPS[1:]:
        ack = step(lab_client)
        assert ack["frame"]["step"] == name
        check(ack, table, "gru", 0, layers=1)
    assert code_of(ack, table)[0] == "h = (1 - z) * n + z * h_prev"
