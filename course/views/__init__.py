"""Bokeh views of a lab: figures built here, embedded with ``json_item``, then
updated in the browser by replacing the data of their named sources."""

from __future__ import annotations

import json
from typing import Any

from bokeh.embed import json_item

from course.labs import LabSpec
from course.views.cell import box_data, diagram_figure, heatmap_data, heatmap_figure
from course.views.loss import hint_data, loss_data, loss_figure
from course.views.sequence import cursor_data, sequence_data, sequence_figure
from engine import Lab


def figures(spec: LabSpec) -> dict[str, str]:
    """JSON (as text, key order kept for BokehJS) of each figure, by element role."""
    config = spec.config
    built: dict[str, Any] = {}
    if "cell" in spec.views:
        built["cell"] = diagram_figure(config.model.cell)
        built["heatmap"] = heatmap_figure(config.model.cell, config.model.hidden)
    if "sequence" in spec.views:
        built["sequence"] = sequence_figure()
    if "loss" in spec.views:
        built["loss"] = loss_figure()
    # "</" is escaped so the JSON can sit inside a <script type="application/json">.
    return {role: json.dumps(json_item(fig)).replace("</", "<\\/") for role, fig in built.items()}


def sources(lab: Lab, unit: int, *, full: bool) -> dict[str, dict[str, list[Any]]]:
    """New data for the named sources: the cell's always, the rest when ``full``."""
    frame = lab.frame()
    cell, hidden = lab.config.model.cell, lab.config.model.hidden
    values, current = frame.get("values", {}), frame.get("step")
    gradient = frame["phase"] == "backward"
    if gradient:  # "df" is ∂L/∂f: show it on the f box
        values = {name[1:]: v for name, v in values.items()}
        current = current[1:] if current else None
    seq = lab.sequence()
    out = {
        "cell_boxes": box_data(cell, values, current, unit, gradient=gradient),
        "cell_heatmap": heatmap_data(cell, hidden, values, unit, gradient=gradient),
        "seq_cursor": cursor_data(seq, frame["t"]),
    }
    if full:
        out |= sequence_data(seq, lab.config.train.window)
        out["loss"] = loss_data(lab.losses)
        out["loss_hint"] = hint_data(lab.losses)
    return out
