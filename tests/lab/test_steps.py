"""The words for the compute steps (course/lab/steps.py): one label for every step
name the engine emits, for every cell kind and phase, and none for a name it never
emits; the readout, the cell diagram, the gates view and the GIF all use them."""

from __future__ import annotations

import json

import pytest
from labkit import GRU, LAB, ok, open_lab

from course.lab.explanations import explain
from course.lab.gif import status_line
from course.lab.steps import QUANTITIES, STEP_LABELS, gradient_of, step_labels
from course.lab.views import cell as view
from course.lab.views import gates
from course.lab.views.cell_layout import LAYOUTS
from engine import Lab, LabConfig, ModelConfig, TrainSpec
from engine.model import CELL_KINDS

PHASES = ("forward", "validate", "backward", "update")


@pytest.fixture(scope="module")
def emitted() -> dict[str, dict[str, list[str | None]]]:
    """What ``frame["step"]`` is at every position of a small lab of each cell kind,
    per phase, in order of first appearance."""
    seen: dict[str, dict[str, list[str | None]]] = {}
    for cell in CELL_KINDS:
        config = LabConfig(
            model=ModelConfig(cell=cell, layers=2, hidden=1), train=TrainSpec(window=2)
        )
        lab = Lab(config)
        steps: dict[str, list[str | None]] = {phase: [] for phase in PHASES}
        for position in range(lab.total_positions):
            lab.position = position
            frame = lab.frame()
            if frame["step"] not in steps[frame["phase"]]:
                steps[frame["phase"]].append(frame["step"])
            assert explain(cell, frame), frame  # every step the readout names, it explains
        seen[cell] = steps
    return seen


@pytest.mark.parametrize("cell", CELL_KINDS)
def test_every_step_a_lab_goes_through_has_its_label_in_order(cell, emitted):
    steps = emitted[cell]
    assert steps["validate"] == [None]  # the readout shows "–"
    names = steps["forward"] + steps["backward"] + steps["update"]
    assert list(step_labels(cell)) == names


def test_the_table_labels_no_step_the_engine_never_emits(emitted):
    every = {name for steps in emitted.values() for phase in steps.values() for name in phase}
    assert set(STEP_LABELS) == every - {None}


def test_every_quantity_is_a_box_of_the_cell_diagram_and_every_box_has_words():
    boxes = {name for layout in LAYOUTS.values() for name in layout}
    assert set(QUANTITIES) == boxes


def test_the_labels_people_read_are_the_lessons_words():
    assert STEP_LABELS["x"] == "layer input xₜ with hₜ₋₁"
    assert STEP_LABELS["f"] == "forget gate f"
    assert STEP_LABELS["c"] == "cell state cₜ"
    assert STEP_LABELS["dh"] == "∂L/∂hₜ"  # a state's symbol says what it is
    assert STEP_LABELS["df"] == "∂L/∂f (forget gate)"  # a gate's letter needs its name
    assert STEP_LABELS["readout"] == "readout change ΔW_y"
    assert QUANTITIES["f"].box == "f forget gate"
    assert gates.NAMES["c"] == "c cell state"  # a row over all of t: no subscript


@pytest.mark.parametrize("cell", CELL_KINDS)
@pytest.mark.parametrize("gradient", [False, True])
def test_the_cell_diagram_boxes_use_the_table(cell, gradient):
    values = {name: [0.5] for name in LAYOUTS[cell] if name != "x"}
    data = view.box_data(cell, values, None, 0, gradient=gradient)
    for name, label, short in zip(data["name"], data["label"], data["label_short"], strict=True):
        words = QUANTITIES[name]
        if gradient and name in values:
            assert label == short == gradient_of(words.symbol)
        else:
            assert (label, short) == (words.box, words.symbol)


@pytest.mark.parametrize("cell", CELL_KINDS)
def test_the_gates_view_names_its_rows_with_the_table(cell):
    for name in gates.ROWS[cell]:
        assert gates.NAMES[name] == f"{name} {QUANTITIES[name].name}"


def test_the_gif_header_names_the_step_as_the_readout_does():
    config = LabConfig(model=ModelConfig(cell="gru", layers=2))
    assert status_line(config, 3, 1, "z") == (
        "Forward pass: t = 4 of 15, layer 2 of 2, " + STEP_LABELS["z"]
    )


def test_the_page_gets_the_labels_of_its_labs_cell_kind(lab_client):
    info = open_lab(lab_client)["info"]
    assert info["step_labels"] == json.loads(json.dumps(step_labels("lstm")))
    changed = ok(lab_client, "configure", {"lab": LAB, "config": GRU})["info"]
    assert changed["step_labels"] == step_labels("gru")
    assert "f" not in changed["step_labels"] and changed["step_labels"]["dz"]
