"""The tables under each of a lab's figures (course/figures/tables.py): the numbers
each view draws, by role, for a learner who cannot read them off a canvas. They name
the views' own sources and columns, so a view's data change shows in its table."""

from __future__ import annotations

from typing import Any

from course.figures.tables import (
    add_tables,
    columns_table,
    every_column_table,
    image_tables,
    pivot_table,
)

_CELL = (
    "the cell",
    columns_table(
        "The cell's quantities for the chosen unit (… not computed yet)",
        "cell_boxes",
        [("label", "quantity"), ("value", "value")],
    ),
)
TABLES: dict[str, tuple[Any, ...]] = {  # role → (its toggle's caption, *its tables)
    "overview": (
        "the network",
        columns_table("Layers of the network", "overview_layers", [("units", "units")]),
    ),
    "cell": _CELL,
    "cell_narrow": _CELL,
    "heatmap": (
        "every unit",
        pivot_table(
            "Every unit's quantities at this step",
            "cell_heatmap",
            rows=(("row", "quantity"),),
            columns=("unit", "unit"),
            value="text",  # as the hover says it: "not yet computed" where faded
        ),
    ),
    "weights": (
        "the weights",
        columns_table("The layer's weights", "weights", [("name", "weight"), ("value", "value")]),
    ),
    "weights_delta": (
        "the weight change ΔW",
        columns_table(
            "The change ΔW of the update", "weights_delta", [("name", "weight"), ("text", "ΔW")]
        ),
    ),
    "unrolled": (
        "the unrolled network",
        pivot_table(
            "Each node's value per time step (– not computed yet)",
            "unrolled_nodes",
            rows=(("kind", "node"), ("unit", "unit")),
            columns=("t", "t ="),
            value="value",
        ),
    ),
    "sequence": (
        "the sequence",
        columns_table("Inputs read so far", "seq_input", [("x", "time"), ("y", "input")]),
        columns_table("Targets", "seq_target", [("x", "time"), ("y", "target")]),
        columns_table(
            "Predictions made so far", "seq_prediction", [("x", "time"), ("y", "prediction")]
        ),
        columns_table(
            "Errors, once validated",
            "seq_error",
            [("x", "time"), ("y0", "target"), ("y1", "prediction")],
        ),
    ),
    "gates": (
        "the gates over time",
        image_tables("Activation", "gates_images", label="name", rows="unit", columns="t"),
    ),
    "gradients": (
        "the gradients",
        every_column_table("Gradient norm ‖∂L/∂hₜ‖ per layer (h1 = layer 1)", "grad_total", "t"),
        every_column_table("From the last error only", "grad_last", "t"),
    ),
    "loss": (
        "the loss",
        columns_table("Loss per epoch", "loss", [("epoch", "epoch"), ("loss", "loss")]),
    ),
}


def add_all(built: dict[str, Any]) -> None:
    """Tag each built figure (by role) with its tables."""
    for role, fig in built.items():
        if role in TABLES:
            caption, *tables = TABLES[role]
            add_tables(fig, caption, *tables)
