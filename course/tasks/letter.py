"""A letter through a cell: the views of a next-character task's walk (``engine.letter``).

The cell is the function labs' own diagram and "Check it by hand" panel
(``course.lab.views.cell`` and ``arithmetic``: the sources ``cell_boxes``,
``cell_neighbours`` and the pseudo-source ``cell_arithmetic``); around it, what only text
has: the characters read with the network's guess after each (``lw_chars``,
``lw_guess``), the input x_t the character becomes (``lw_input``), the scores ŷ_t
(``lw_scores``) and the softmax p_t with its arg max in orange and the character that
really comes next marked (``lw_probs``, ``lw_next``).
"""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any

import numpy as np
from bokeh.core.properties import field
from bokeh.embed import json_item
from bokeh.models import DataRange1d, FixedTicker, HoverTool, Range1d

from course.figures.base import empty_columns, on_card
from course.figures.ids import renamed
from course.figures.palette import BLUE, GREY, INK, LIGHT, ORANGE, VERMILION
from course.lab.steps import STEP_LABELS
from course.lab.views import tables as lab_tables
from course.lab.views.arithmetic import arithmetic_data, tokens
from course.lab.views.cell import box_data, diagram_figures
from course.lab.views.neighbours import neighbour_data
from course.tasks import tables, views
from course.tasks.views import empty_source, task_figure
from engine.letter import LetterWalk

Columns = dict[str, list[Any]]

# name → (label, equation, the same with numbers); {key} is a term of readout_terms.
READOUT_ROWS = {
    "y": ("score", "ŷ = W_y·hₜ + b_y", "{wh} + {b} = {value}"),
    "p": (
        "probability",
        "p = exp(ŷ/τ − m) / Σⱼ exp(ŷⱼ/τ − m),  m = maxⱼ ŷⱼ/τ",
        "exp({y}/{tau} − {m}) / {sum} = exp({shifted}) / {sum} = {e} / {sum} = {value}",
    ),
}
READOUT_EXPLAIN = {
    "y": r"Score \(\hat y_k = W_{y,k} h_t + b_{y,k}\): the readout gives every character one "
    r"number from the top layer's output \(h_t\).",
    "p": r"Softmax \(p_k = \exp(\hat y_k/\tau) / \sum_j \exp(\hat y_j/\tau)\): the scores "
    r"become probabilities that add up to 1. Subtracting the largest \(m\) first changes "
    r"nothing and keeps every exponential at most 1.",
}
STEP_NAMES = {"y": "the scores ŷ", "p": "the softmax p"}


def shown(c: str) -> str:
    """A character as a label: a space is drawn as ␣."""
    return "␣" if c == " " else c


# -- figures ----------------------------------------------------------------------------------


def chars_figure() -> Any:
    """The characters read, a box each (the current one orange), and under each the
    network's guess for the next one once its softmax is computed."""
    p = task_figure("fig_lw_chars", 130, y_range=Range1d(start=-0.6, end=1.6))
    reads = empty_source("lw_chars", "x", "char", "fill", "line")
    guess = empty_source("lw_guess", "x", "char", "line", "tip")
    p.rect(x="x", y=1, width=0.86, height=0.86, source=reads, fill_color="fill",
           line_color="line", line_width=2)  # fmt: skip
    boxes = p.rect(x="x", y=0, width=0.86, height=0.86, source=guess, fill_color="white",
                   line_color="line", line_width=2.5)  # fmt: skip
    for y, source in ((1, reads), (0, guess)):
        p.text(x="x", y=y, text="char", source=source, text_align="center",
               text_baseline="middle", text_font_size="16px", text_color=INK)  # fmt: skip
    p.add_tools(HoverTool(renderers=[boxes], tooltips="@tip"))
    p.yaxis.ticker = FixedTicker(ticks=[0, 1])
    p.yaxis.major_label_overrides = {0: "guess", 1: "reads"}  # type: ignore[assignment]
    p.yaxis.major_tick_line_color = None
    p.xaxis.visible = False
    return p


def input_figure() -> Any:
    """x_t, the vector the character becomes: its embedding row E[c_t] (or one-hot)."""
    p = task_figure("fig_lw_input", 170, x_axis_label="component of xₜ", y_range=DataRange1d())
    src = empty_source("lw_input", "x", "value", "color", "line")
    bars = p.vbar(x="x", top="value", width=0.8, source=src, fill_color="color",
                  line_color="line", line_width=2.5)  # fmt: skip
    p.add_tools(HoverTool(renderers=[bars], tooltips="xₜ[@x] = @value{+0.000}"))
    return p


def scores_figure() -> Any:
    """The scores ŷ_t, a bar per character, labelled at the bar's tip."""
    p = task_figure("fig_lw_scores", 190, y_range=DataRange1d(range_padding=0.25),
                y_axis_label="score ŷ")  # fmt: skip
    src = empty_source("lw_scores", "x", "y", "char", "color", "baseline")
    bars = p.vbar(x="x", top="y", width=0.8, source=src, fill_color="color", line_color=None)
    p.text(x="x", y="y", text="char", source=src, text_align="center",
           text_baseline=field("baseline"), text_font_size="13px", text_color=INK)  # fmt: skip
    p.add_tools(HoverTool(renderers=[bars], tooltips="ŷ['@char'] = @y{+0.000}"))
    p.xaxis.visible = False
    _hint(p, "lw_scores_hint")
    return p


def probs_figure() -> Any:
    """The softmax p_t: the task's own bars (``views.probs_figure``), with a triangle
    under the character that really comes next."""
    p = views.probs_figure("lw_probs")
    nxt = empty_source("lw_next", "x", "y")
    p.scatter(x="x", y="y", source=nxt, marker="triangle", size=11, fill_color=INK,
              line_color=None)  # fmt: skip
    _hint(p, "lw_probs_hint")
    return p


def _hint(p: Any, name: str) -> None:
    """Words where a view's numbers will be, until the walk computes them."""
    p.text(x="x", y="y", text="text", source=empty_source(name, "x", "y", "text"),
           text_align="center", text_baseline="middle", text_font_size="13px",
           text_color=GREY, text_font_style="italic")  # fmt: skip


def figures(cell: str) -> dict[str, str]:
    """JSON text of the walk's figures by role, ids renamed per call (see
    ``views.figures``)."""
    suffix = "-" + uuid.uuid4().hex[:8]
    return {role: json.dumps(renamed(item, suffix)) for role, item in _items(cell)}


@functools.cache
def _items(cell: str) -> tuple[tuple[str, Any], ...]:
    built = diagram_figures(cell) | {
        "lw_chars": chars_figure(),
        "lw_input": input_figure(),
        "lw_scores": scores_figure(),
        "lw_probs": probs_figure(),
    }
    for fig in built.values():
        empty_columns(fig)
    lab_tables.add_all({role: built[role] for role in ("cell", "cell_narrow")})
    tables.add_all({role: fig for role, fig in built.items() if role.startswith("lw_")})
    for role in ("cell", "cell_narrow", "lw_chars"):  # white boxes, ink inside: dark theme too
        on_card(built[role])
    return tuple((role, json_item(fig)) for role, fig in built.items())


# -- data -------------------------------------------------------------------------------------


def walk_data(walk: LetterWalk, unit: int) -> dict[str, Any]:
    """The walk's sources at its cursor, and a summary for the page's readouts."""
    frame = walk.frame()
    model = walk.config.model
    cell, t, layer = model.cell, frame["t"], frame["layer"]
    current = frame["step"] if layer is not None else None
    values = dict(frame["values"])
    if frame["cell_layer"] == 0:  # the character's vector: the chosen unit's component, if any
        x = values["x"]
        values["x"] = [x[unit] if unit < len(x) else None]
    sources: dict[str, Any] = {
        "cell_boxes": box_data(cell, values, current, unit),
        "cell_neighbours": neighbour_data(
            cell, t, frame["cell_layer"], window=frame["n"], layers=model.layers
        ),
        "cell_arithmetic": _arithmetic(walk, frame, unit),
        "lw_input": _input(walk, frame, unit),
        "lw_scores": _scores(frame),
        "lw_next": {"x": [], "y": []},
    }
    sources |= _chars(walk, frame)
    probs = frame["probs"]
    vocab = frame["vocab"]
    middle = (len(vocab) - 1) / 2
    sources["lw_scores_hint"] = _hint_data(frame["scores"] is None, middle, 0.0)
    sources["lw_probs_hint"] = _hint_data(probs is None, middle, 0.5)
    sources["lw_probs"] = {
        "x": list(range(len(vocab))),
        "p": probs if probs is not None else [0.0] * len(vocab),
        "char": [shown(c) for c in vocab],
        "color": [ORANGE if c == frame["choice"] else BLUE for c in vocab],
    }
    if probs is not None and frame["next"] is not None:
        sources["lw_next"] = {"x": [vocab.index(frame["next"])], "y": [-0.115]}
    summary = {k: frame[k] for k in ("t", "n", "char", "next", "layer", "layers", "step",
                                     "position", "positions", "choice", "chars")}  # fmt: skip
    summary["label"] = _step_label(walk, frame)
    return {"sources": sources, "walk": summary}


def _hint_data(shown: bool, x: float, y: float) -> Columns:
    if not shown:
        return {"x": [], "y": [], "text": []}
    return {"x": [x], "y": [y], "text": ["not computed yet at this step"]}


def _step_label(walk: LetterWalk, frame: dict[str, Any]) -> str:
    name = STEP_LABELS[frame["step"]] if frame["layer"] is not None else STEP_NAMES[frame["step"]]
    where = f"layer {frame['layer'] + 1}: " if frame["layer"] is not None else "readout: "
    return f"‘{shown(frame['char'])}’ (t = {frame['t'] + 1} of {frame['n']}), {where}{name}"


def _chars(walk: LetterWalk, frame: dict[str, Any]) -> dict[str, Columns]:
    t, chars = frame["t"], frame["chars"]
    fill = [ORANGE if k == t else ("white" if k < t else LIGHT) for k in range(len(chars))]
    line = [INK if k <= t else GREY for k in range(len(chars))]
    done = t if frame["probs"] is None else t + 1  # characters whose softmax is computed
    guesses = [walk.vocab[int(np.argmax(walk.trace.probs[k]))] for k in range(done)]
    tips, lines = [], []
    for k, g in enumerate(guesses):
        nxt = chars[k + 1] if k + 1 < len(chars) else None
        if nxt is None:
            tips.append(f"after ‘{shown(chars[k])}’ the network guesses ‘{shown(g)}’")
            lines.append(GREY)
        else:
            right = "right" if g == nxt else f"‘{shown(nxt)}’ comes next"
            tips.append(f"after ‘{shown(chars[k])}’ it guesses ‘{shown(g)}’: {right}")
            lines.append(BLUE if g == nxt else VERMILION)
    return {
        "lw_chars": {"x": list(range(len(chars))), "char": [shown(c) for c in chars],
                     "fill": fill, "line": line},
        "lw_guess": {"x": list(range(done)), "char": [shown(g) for g in guesses],
                     "line": lines, "tip": tips},
    }  # fmt: skip


def _input(walk: LetterWalk, frame: dict[str, Any], unit: int) -> Columns:
    """x_t's components; the one the cell's xₜ box shows (the chosen unit's) outlined."""
    x = np.asarray(walk.trace.xs[frame["t"]], np.float64)
    return {
        "x": list(range(len(x))),
        "value": [float(v) for v in x],
        "color": [ORANGE if v >= 0 else BLUE for v in x],
        "line": [INK if k == unit else None for k in range(len(x))],
    }


def _scores(frame: dict[str, Any]) -> Columns:
    scores, vocab = frame["scores"], frame["vocab"]
    if scores is None:
        return {"x": [], "y": [], "char": [], "color": [], "baseline": []}
    best = int(np.argmax(scores))
    return {
        "x": list(range(len(vocab))),
        "y": scores,
        "char": [shown(c) for c in vocab],
        "color": [ORANGE if k == best else BLUE for k in range(len(vocab))],
        "baseline": ["bottom" if y >= 0 else "top" for y in scores],
    }


def _arithmetic(walk: LetterWalk, frame: dict[str, Any], unit: int) -> dict[str, Any]:
    """The "Check it by hand" panel: the chosen unit in the cell at the cursor (the labs'
    rows), or in the readout the score and probability of the most likely character and
    of the one that really comes next."""
    model = walk.config.model
    c = shown(frame["char"])
    if frame["layer"] is not None:
        terms = walk.cell_terms(unit)
        where = f"Unit {unit} of layer {frame['layer'] + 1} reading ‘{c}’ (t = {frame['t'] + 1})"
        heading = f"{where}: each quantity computed so far, with its numbers."
        if not terms:
            heading = f"{where}: the cell has read its inputs; the gates come next."
        return arithmetic_data(model.cell, model.activation, terms, frame["step"],
                               backward=False, heading=heading)  # fmt: skip
    scores = frame["scores"]
    best = walk.vocab[int(np.argmax(scores))]
    asked = [best] + [frame["next"]] * (frame["next"] not in (None, best))
    rows = []
    for char in asked:
        why = "the most likely" if char == best else "the one that comes next"
        for name, numbers in walk.readout_terms(char).items():
            label, equation, template = READOUT_ROWS[name]
            rows.append({
                "name": name,
                "box": f"{name}:{char}",
                "label": f"{label} of ‘{shown(char)}’ ({why})",
                "equation": equation.replace("ŷ", f"ŷ[{shown(char)}]", 1),
                "numbers": tokens(template, numbers, backward=False),
                "terms": numbers,
                "explain": READOUT_EXPLAIN[name],
                "current": name == frame["step"],
            })  # fmt: skip
    heading = f"After reading ‘{c}’ (t = {frame['t'] + 1}), the readout: " + (
        "the scores." if frame["step"] == "y" else "the softmax at temperature τ."
    )
    return {"heading": heading, "rows": rows}
