"""Bokeh views of a lab: figures built here, embedded with ``json_item``, then
updated in the browser by replacing the data of their named sources.

Per frame only what changed goes out. Data that depends on the weights (the
window's trace, the gradients) is sent again only when the weights changed since
the last payload built with the same ``held`` record (what that browser already
holds; it belongs to the session sending the frames), or on a ``full`` payload; so
every payload built here must reach the browser (the client merges coalesced
payloads, see lab.js).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from typing import Any

import numpy as np
from bokeh.embed import json_item
from bokeh.models import ColumnDataSource, FixedTicker

from course.figures.base import empty_columns, on_card
from course.lab.owndata import title
from course.lab.spec import VIEWS, LabSpec, to_lab_config
from course.lab.views import gates, gradients, overview, tables, unrolled, weightmap
from course.lab.views.arithmetic import arithmetic_data
from course.lab.views.cell import box_data, diagram_figures
from course.lab.views.code import code_data, table_data
from course.lab.views.cursor import Cursor
from course.lab.views.heatmap import HEATMAP_FIXED, heatmap_data, heatmap_figure
from course.lab.views.loss import hint_data, loss_data, loss_figure, ticks_data
from course.lab.views.neighbours import neighbour_data
from course.lab.views.sequence import Progress, cursor_data, sequence_data, sequence_figure
from engine import Lab, LabConfig
from engine.data import FUNCTIONS
from engine.frames import update_frame
from engine.series import OWN

# Diagrams of white boxes with ink inside: on a light card in the dark theme too.
CARDS = frozenset({"overview", "cell", "cell_narrow", "heatmap"})

# What a browser already holds of a lab's weight-dependent views: view → (the trace
# it was computed from, the detail shown). One per session that sends frames.
Held = dict[str, tuple[Any, Any]]


def figures(spec: LabSpec, *, drawn: bool = False) -> dict[str, str]:
    """JSON (as text, key order kept for BokehJS) of each figure, by element role.

    With ``drawn``, the figures hold the first frame of a new lab of this spec (what
    ``open`` answers when there is no shared link), so a lesson page shows its views
    before its socket has connected. Built once per distinct lab (views, settings,
    drawn) and kept: building Bokeh figures costs ~100 ms a lab, and every page view
    of a lesson needs the same ones."""
    key = (spec.id, spec.views, json.dumps(spec.options, sort_keys=True), drawn)
    with _figures_lock:
        found = _figures.get(key)
        if found is not None:
            return found
        building = _building.setdefault(key, threading.Lock())
    # One build per distinct lab: learners opening the same new settings at once (a
    # class told to try 7 layers) wait for the first one's figures instead of each
    # building them, all holding the interpreter lock that everyone's clicks need.
    with building:
        with _figures_lock:
            found = _figures.get(key)
        if found is None:
            try:
                found = _build_figures(spec, drawn)
                with _figures_lock:
                    _figures[key] = found
            finally:
                with _figures_lock:
                    _building.pop(key, None)
    return found


FiguresKey = tuple[str, tuple[str, ...], str, bool]
_figures: dict[FiguresKey, dict[str, str]] = {}
_building: dict[FiguresKey, threading.Lock] = {}  # the figures being built, by key
_figures_lock = threading.Lock()


def _draw(built: Iterable[Any], data: dict[str, dict[str, list[Any]]]) -> None:
    """Put source data into built figures (image rows become arrays, None → NaN), and
    the ticks of log axes into their named tickers."""
    for fig in built:
        for ticker in fig.select({"type": FixedTicker}):
            if ticker.name in data:
                ticker.ticks = data[ticker.name]["ticks"]
        for source in fig.select({"type": ColumnDataSource}):
            columns = data.get(source.name)
            if columns is None:
                continue
            if "_layout" in columns:  # its places from a layout sent beside it (see _weights)
                keys = columns["_layout"]  # [key], or [] for none
                columns = {k: v for k, v in columns.items() if k != "_layout"}
                columns |= {k: v for key in keys for k, v in data[f"{source.name}@{key}"].items()}
            if "image" in columns:
                images = [np.array(rows, dtype=float) for rows in columns["image"]]
                columns = columns | {"image": images}
            source.data = dict(source.data) | columns


def _shape_config(spec: LabSpec) -> LabConfig:
    """The config the figures are drawn for: they depend on the network's shape, not on
    the data, so a lab on the learner's own series (which ``spec.options`` does not
    hold) is drawn as the same network on the first function; only the sequence plot's
    axis differs."""
    if spec.options["dataset"] == OWN:
        return to_lab_config(spec.options | {"dataset": next(iter(FUNCTIONS))})
    return spec.config


def _build_figures(spec: LabSpec, drawn: bool) -> dict[str, str]:
    config = _shape_config(spec)
    built: dict[str, Any] = {}
    if "overview" in spec.views:
        built["overview"] = overview.overview_figure()
    if "cell" in spec.views:
        built |= diagram_figures(config.model.cell)
        built["heatmap"] = heatmap_figure(config.model.cell, config.model.hidden)
    if "weights" in spec.views:
        built["weights"] = weightmap.weights_figure(config.model.cell, config.model.hidden)
        built["weights_delta"] = weightmap.weights_figure(
            config.model.cell, config.model.hidden, delta=True
        )
    if "unrolled" in spec.views:
        built["unrolled"] = unrolled.unrolled_figure(config)
    if "sequence" in spec.views:
        built["sequence"] = sequence_figure(own=spec.options["dataset"] == OWN)
    if "gates" in spec.views:
        built["gates"] = gates.gates_figure(config)
    if "gradients" in spec.views:
        built["gradients"] = gradients.gradient_figure(config)
    if "loss" in spec.views:
        built["loss"] = loss_figure()
    if drawn:
        _draw(built.values(), sources(Lab(config), 0, full=True, views=spec.views))
    for fig in built.values():
        empty_columns(fig)
    tables.add_all(built)  # the numbers of each view as tables (screen readers)
    for role in CARDS.intersection(built):
        on_card(built[role])
    # "</" is escaped so the JSON can sit inside a <script type="application/json">.
    return {role: json.dumps(json_item(fig)).replace("</", "<\\/") for role, fig in built.items()}


def sources(
    lab: Lab,
    unit: int,
    *,
    full: bool,
    views: Iterable[str] | None = None,
    layer: int | None = None,
    held: Held | None = None,
) -> dict[str, dict[str, list[Any]]]:
    """New data for the named sources of ``views`` (all views when None): what changes
    every frame always; the rest when ``full`` or when the weights changed since the
    last payload built with ``held`` (updated here; None: the browser holds nothing).
    ``layer`` is the layer the learner zoomed into (None: the cell view follows the
    stepper)."""
    shown = set(VIEWS if views is None else views)
    frame = lab.frame()
    sent: Held = {} if held is None else held
    if full:
        sent.clear()
    out: dict[str, dict[str, list[Any]]] = {}
    if "overview" in shown:
        out |= overview.overview_data(lab, frame, layer)
    if "cell" in shown:
        out |= _cell(lab, _zoomed(lab, frame, layer), unit, sent)
    if "weights" in shown:
        out |= _weights(lab, frame, layer, sent)
    if "sequence" in shown:
        seq = lab.sequence()
        progress = Progress.of(Cursor.of(frame), lab.config.train.window, lab.config.model.layers)
        out["seq_cursor"] = cursor_data(seq, progress, frame["t"])
        if _changed(sent, "sequence", lab.trace, progress):
            series = lab.config.series
            out |= sequence_data(seq, progress, title(series) if series is not None else "")
    if "loss" in shown and full:
        out["loss"] = loss_data(lab.losses)
        out["loss_hint"] = hint_data(lab.losses)
        out["loss_ticks"] = ticks_data(lab.losses)
    cursor = Cursor.of(frame)
    if "unrolled" in shown:
        out |= _unrolled(lab, cursor, sent)
    if "gates" in shown:
        out |= _gates(lab, cursor, sent)
    if "gradients" in shown:
        out |= _gradients(lab, cursor, sent)
    return out


def _changed(sent: Held, key: str, trace: Any, detail: Any = None) -> bool:
    """True (and remember) unless ``key`` was last sent for this very trace and detail."""
    old = sent.get(key)
    same = old is not None and old[0] is trace and old[1] == detail
    sent[key] = (trace, detail)
    return not same


def _zoomed(lab: Lab, frame: dict[str, Any], layer: int | None) -> dict[str, Any]:
    """The frame as the chosen layer's cell sees it during the forward pass: a layer
    below the stepper is done with this time step, one above has only what it carried
    from the previous step. Other phases show the stepper's own layer."""
    if layer is None or frame["phase"] != "forward" or layer == frame["layer"]:
        return frame
    t = frame["t"]
    if layer < frame["layer"]:
        done = len(lab.steps) - 1
        values = lab.cell_values(t, layer, done)
        return frame | {"layer": layer, "values": values, "step": None, "step_index": done}
    carried = lab.cell_values(t, layer, 0)
    carried.pop("x")
    return frame | {"layer": layer, "values": carried, "step": None, "step_index": 0}


def _cell(
    lab: Lab, frame: dict[str, Any], unit: int, sent: Held
) -> dict[str, dict[str, list[Any]]]:
    model = lab.config.model
    cell, hidden = model.cell, model.hidden
    values, current = frame.get("values", {}), frame.get("step")
    gradient = frame["phase"] == "backward"
    if gradient:  # "df" is ∂L/∂f: show it on the f box
        values = {name[1:]: v for name, v in values.items()}
        current = current[1:] if current else None
    terms = _terms(lab, frame, unit)
    heatmap = heatmap_data(cell, hidden, values, unit, gradient=gradient)
    if not _changed(sent, "cell_heatmap", None, (cell, hidden, unit)):
        for fixed in HEATMAP_FIXED:  # the page keeps them: half the heatmap's numbers
            del heatmap[fixed]
    out = {
        "cell_boxes": box_data(cell, values, current, unit, gradient=gradient),
        "cell_heatmap": heatmap,
        "cell_neighbours": neighbour_data(
            cell, frame["t"], frame["layer"], window=lab.config.train.window, layers=model.layers
        ),
        "cell_arithmetic": _arithmetic(lab, frame, unit, terms),
        "cell_code": code_data(cell, model.activation, frame, terms, unit=unit,
                               layers=model.layers, window=lab.config.train.window),
    }  # fmt: skip
    if _changed(sent, "cell_code_table", None, (cell, model.activation)):
        out["cell_code_table"] = table_data(cell, model.activation)
    return out


def _terms(lab: Lab, frame: dict[str, Any], unit: int) -> dict[str, dict[str, float | None]]:
    """The chosen unit's arithmetic in the cell shown (``engine.arithmetic``): what the
    engine has computed there so far, forward or backward; nothing in other phases."""
    phase, t, layer, upto = frame["phase"], frame["t"], frame["layer"], frame.get("step_index")
    if phase not in ("forward", "backward") or upto is None:
        return {}
    if phase == "backward":
        return lab.backward_terms(t, layer, upto, unit)
    return lab.cell_terms(t, layer, upto, unit)


def _arithmetic(
    lab: Lab, frame: dict[str, Any], unit: int, terms: dict[str, dict[str, float | None]]
) -> dict[str, Any]:
    """The arithmetic panel of the cell shown: its ``terms``, under a heading."""
    model = lab.config.model
    phase, t, layer, upto = frame["phase"], frame["t"], frame["layer"], frame.get("step_index")
    if phase not in ("forward", "backward") or upto is None:
        heading = f"Unit {unit}: no cell is computed in the {phase} phase."
        return arithmetic_data(model.cell, model.activation, {}, None, backward=False,
                               heading=heading)  # fmt: skip
    backward = phase == "backward"
    where = f"Unit {unit} of layer {layer + 1} at t = {t + 1}"
    if backward:
        heading = f"{where}, backward pass: the gradients computed so far."
    else:
        heading = f"{where}: each quantity computed so far, with its numbers."
        if not terms:
            heading = f"{where}: the cell has read its inputs; the gates come next."
    return arithmetic_data(model.cell, model.activation, terms, frame.get("step"),
                           backward=backward, heading=heading)  # fmt: skip


def _weights(lab: Lab, frame: dict[str, Any], layer: int | None, sent: Held) -> dict[str, Any]:
    """The weights of the cell view's layer (the stepper's, or the one zoomed into),
    and their change ΔW once the update phase has computed it for that layer (before,
    nothing is drawn). Each part goes only when it changes: the values with the weights
    or the layer, ΔW when it is computed; where the squares sit (and their names) once
    per layout, which the page keeps (a source "name@key") and the values name
    (``_layout: [key]``, a list like every column; ``[]``: none), so stepping between
    layers of two shapes sends values only."""
    model = lab.config.model
    cell, hidden = model.cell, model.hidden
    shown = gates.shown_layer(Cursor.of(frame), model.layers) if layer is None else layer
    params = lab.params.layers[shown]
    shape = weightmap.shape_of(params)
    key = weightmap.layout_key(cell, hidden, shape)
    held_keys: frozenset[str] = (sent.get("weights_layouts") or (None, frozenset()))[1]
    out: dict[str, Any] = {}

    def placed(name: str, is_delta: bool) -> dict[str, Any]:
        stored = f"{name}@{key}"
        if stored not in held_keys:
            out[stored] = weightmap.layout_data(cell, hidden, shape, delta=is_delta)
        return {"_layout": [key]}

    if _changed(sent, "weights", lab.params, (key, shown)):
        values = _layer_values(lab, shown, shape, sent)
        values["weights"] |= placed("weights", False)
        out |= values
    computed = frame["phase"] == "update" and frame["layer"] >= shown
    if _changed(sent, "weights_delta", lab.params, (key, shown if computed else None)):
        if computed:
            rows = update_frame(lab, shown)["delta"]
            delta = {k: np.asarray(rows[k], np.float64).reshape(n) for k, n in shape.items()}
            values = weightmap.value_data(cell, hidden, delta, shape, delta=True)
            values["weights_delta"] |= placed("weights_delta", True)
        else:  # nothing drawn, in no layout
            values = weightmap.value_data(cell, hidden, None, shape, delta=True)
            values["weights_delta"]["_layout"] = []
        out |= values
    sent["weights_layouts"] = (None, held_keys | {n for n in out if "@" in n})
    return out


def _layer_values(
    lab: Lab, layer: int, shape: dict[str, tuple[int, int]], sent: Held
) -> dict[str, dict[str, list[Any]]]:
    """``weightmap.value_data`` of ``layer``'s weights, built once per set of weights
    and layer (kept in ``sent``): stepping through a window passes from layer to layer
    and back dozens of times, and each build is a few milliseconds."""
    kept = sent.get("weights_values")
    if kept is None or kept[0] is not lab.params:
        kept = sent["weights_values"] = (lab.params, {})
    built = kept[1].get(layer)
    if built is None:
        host = lab.host_params.layers[layer]  # NumPy: no copy from the device
        model = lab.config.model
        built = weightmap.value_data(model.cell, model.hidden, weightmap.matrices(host), shape)
        kept[1][layer] = built
    return {name: dict(columns) for name, columns in built.items()}  # callers add to them


def _unrolled(lab: Lab, cursor: Cursor, sent: Held) -> dict[str, Any]:
    layout = unrolled.Layout.of(lab.config)
    out = {
        "unrolled_fog": unrolled.fog_data(layout, cursor),
        "unrolled_cursor": unrolled.cursor_data(layout, cursor),
    }
    if _changed(sent, "unrolled", lab.trace):
        out["unrolled_nodes"] = unrolled.node_data(layout, lab.trace)
        edges, recurrent = unrolled.edge_data(layout, lab.config.model.cell, lab.host_params)
        out["unrolled_edges"], out["unrolled_recurrent"] = edges, recurrent
    return out


def _gates(lab: Lab, cursor: Cursor, sent: Held) -> dict[str, Any]:
    config = lab.config
    layer = gates.shown_layer(cursor, config.model.layers)
    out = {
        "gates_fog": gates.fog_data(config, cursor),
        "gates_cursor": gates.cursor_data(config, cursor),
    }
    if _changed(sent, "gates", lab.trace, layer):
        out["gates_images"] = gates.image_data(config, lab.trace, layer)
        out["gates_label"] = gates.label_data(config, layer)
    return out


def _gradients(lab: Lab, cursor: Cursor, sent: Held) -> dict[str, Any]:
    config = lab.config
    out = {"grad_fog": gradients.fog_data(config, cursor), "grad_band": gradients.band_data(cursor)}
    shown = cursor.phase in ("backward", "update")
    if _changed(sent, "gradients", lab.trace, shown):
        if shown:
            out["grad_total"] = gradients.line_data(lab.gradients().dh)
            out["grad_last"] = gradients.line_data(gradients.last_error_dh(lab))
        else:
            out["grad_total"] = out["grad_last"] = gradients.empty_lines(config)
        out["grad_ticks"] = gradients.ticks_of(out["grad_total"], out["grad_last"])
        out["grad_hint"] = gradients.hint_data(shown, config.train.window)
    return out
