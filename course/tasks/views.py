"""Views of module 5's tasks, built once per kind and embedded with ``json_item``.

Every figure draws from named ``tk_*`` sources that the ``/task`` acks refill:
text — the softmax bars over the next character; sentiment — the hidden state after
each word, the class probabilities and the embedding scatter; translation — the
attention heatmap (output × source characters), the encoder states, the context
vector per decoder step and the decoder's choice; memory — the held-out accuracy of
the vanilla RNN, the LSTM and the GRU per epoch, against chance (``memory_view``); every
other kind — the loss per epoch.
"""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any

import numpy as np
from bokeh.embed import json_item
from bokeh.models import ColumnDataSource, DataRange1d, HoverTool, Range1d
from bokeh.palettes import Blues9
from bokeh.transform import linear_cmap

from course.figures.base import plain_figure
from course.figures.ids import renamed as _renamed
from course.figures.palette import (
    BLUE,
    DIVERGING,
    GREY,
    INK,
    ORANGE,
    PURPLE,
    VERMILION,
)
from course.tasks import tables
from course.tasks.memory_view import recall_figure

Columns = dict[str, list[Any]]

SEQUENTIAL = list(reversed(Blues9))  # white → dark blue, for weights in [0, 1]
CLASS_COLOURS = (VERMILION, GREY, BLUE)  # negative, neutral, positive
GROUP_COLOURS = {
    "positive": BLUE,
    "negative": VERMILION,
    "negation": PURPLE,
    "intensifier": ORANGE,
    "other": GREY,
}
FIGURES = {
    "text": ("probs", "loss"),
    "sentiment": ("hidden", "classes", "embedding", "loss"),
    "translation": ("attention", "choice", "context", "encoder", "loss"),
    "memory": ("recall",),
}


def shown_char(c: str) -> str:
    """A character as a label: a space is drawn as ␣, the end token as ⟨end⟩."""
    return {" ": "␣", "</s>": "end"}.get(c, c)


def task_figure(name: str, height: int, **kwargs: Any) -> Any:
    """A task's figure: no grid or outline, ``height`` px high, named ``name``."""
    return plain_figure(name, grid=False, outline=False, height=height, **kwargs)


def empty_source(name: str, *columns: str) -> ColumnDataSource:
    """A source of ``columns`` the task fills over the socket."""
    return ColumnDataSource(name=name, data={c: [] for c in columns})


def _labels(p: Any, source: ColumnDataSource, align: str = "center", size: str = "12px") -> None:
    p.text(
        x="x",
        y="y",
        text="text",
        source=source,
        text_align=align,
        text_baseline="middle",
        text_font_size=size,
        text_color=INK,
    )


# -- figures ---------------------------------------------------------------------------------


def loss_figure() -> Any:
    p = task_figure("fig_tk_loss", 170, x_axis_label="epoch", y_axis_label="loss")
    src = empty_source("tk_loss", "epoch", "loss")
    p.line("epoch", "loss", source=src, line_color=ORANGE, line_width=2.5)
    dots = p.scatter("epoch", "loss", source=src, size=6, fill_color=ORANGE, line_color=INK)
    p.add_tools(HoverTool(renderers=[dots], tooltips="epoch @epoch: loss @loss{0.000}"))
    p.xaxis.ticker.min_interval = 1  # whole epochs only
    return p


def probs_figure(name: str = "tk_probs") -> Any:
    """The softmax as bars over the characters, the most probable orange (source ``name``)."""
    p = task_figure(
        f"fig_{name}",
        240,
        x_range=DataRange1d(min_interval=12),  # two characters do not make two walls of colour
        y_range=Range1d(start=-0.12, end=1.1),
        y_axis_label="p(next)",
    )
    src = empty_source(name, "x", "p", "char", "color")
    bars = p.vbar(x="x", top="p", width=0.8, source=src, fill_color="color", line_color=None)
    p.text(
        x="x",
        y=-0.06,
        text="char",
        source=src,
        text_align="center",
        text_baseline="middle",
        text_font_size="13px",
        text_color=INK,
    )
    p.xaxis.visible = False
    p.add_tools(HoverTool(renderers=[bars], tooltips="'@char': @p{0.000}"))
    return p


def _heatmap(name: str, height: int, low: float, palette: list[str], tip: str) -> Any:
    p = task_figure(f"fig_{name}", height)
    cells = empty_source(name, "x", "y", "value", "row", "col")
    r = p.rect(
        x="x",
        y="y",
        width=0.95,
        height=0.95,
        source=cells,
        fill_color=linear_cmap("value", palette, low, 1.0),
        line_color=None,
    )
    p.add_tools(HoverTool(renderers=[r], tooltips=tip))
    p.axis.visible = False
    return p


def hidden_figure() -> Any:
    p = _heatmap("tk_hidden", 300, -1.0, DIVERGING, "after '@col', unit @row: h = @value{0.000}")
    _labels(p, empty_source("tk_hidden_words", "x", "y", "text"))
    return p


def classes_figure() -> Any:
    p = task_figure(
        "fig_tk_classes", 200, y_range=Range1d(start=-0.16, end=1.15), y_axis_label="p(class)"
    )
    src = empty_source("tk_classes", "x", "p", "label", "color", "text", "text_y")
    p.vbar(x="x", top="p", width=0.7, source=src, fill_color="color", line_color=None)
    for field, y in (("label", -0.08), ("text", "text_y")):
        p.text(
            x="x",
            y=y,
            text=field,
            source=src,
            text_align="center",
            text_baseline="middle",
            text_font_size="13px",
            text_color=INK,
        )
    p.xaxis.visible = False
    return p


def embedding_figure() -> Any:
    p = task_figure("fig_tk_embedding", 400, x_axis_label="component 1", y_axis_label="component 2")
    src = empty_source(
        "tk_embedding", "x", "y", "word", "group", "color", "size", "alpha", "weight"
    )
    dots = p.scatter(
        "x", "y", source=src, size="size", fill_color="color", line_color=INK, fill_alpha="alpha"
    )
    p.text(
        x="x",
        y="y",
        text="word",
        source=src,
        x_offset=5,
        text_baseline="middle",
        text_font_size="10px",
        text_font_style="weight",
        text_color="color",
        text_alpha="alpha",
    )
    p.add_tools(HoverTool(renderers=[dots], tooltips="@word (@group)"))
    return p


def attention_figure() -> Any:
    p = _heatmap("tk_attention", 340, 0.0, SEQUENTIAL, "@row ← '@col': α = @value{0.000}")
    _labels(p, empty_source("tk_attention_src", "x", "y", "text"))
    _labels(p, empty_source("tk_attention_out", "x", "y", "text"), align="right")
    return p


def choice_figure() -> Any:
    p = task_figure(
        "fig_tk_choice", 190, y_range=Range1d(start=-0.16, end=1.2), y_axis_label="p(chosen)"
    )
    src = empty_source("tk_choice", "x", "p", "char", "text", "text_y")
    bars = p.vbar(x="x", top="p", width=0.7, source=src, fill_color=BLUE, line_color=None)
    for field, y in (("char", -0.08), ("text", "text_y")):
        p.text(
            x="x",
            y=y,
            text=field,
            source=src,
            text_align="center",
            text_baseline="middle",
            text_font_size="13px",
            text_color=INK,
        )
    p.xaxis.visible = False
    p.add_tools(HoverTool(renderers=[bars], tooltips="step @x: '@char' with p = @p{0.000}"))
    return p


def context_figure() -> Any:
    p = _heatmap("tk_context", 240, -1.0, DIVERGING, "step @col, unit @row: @value{0.000}")
    _labels(p, empty_source("tk_context_out", "x", "y", "text"), align="right")
    return p


def encoder_figure() -> Any:
    p = _heatmap("tk_encoder", 260, -1.0, DIVERGING, "after '@col', unit @row: @value{0.000}")
    _labels(p, empty_source("tk_encoder_src", "x", "y", "text"))
    return p


BUILDERS = {
    "loss": loss_figure,
    "probs": probs_figure,
    "hidden": hidden_figure,
    "classes": classes_figure,
    "embedding": embedding_figure,
    "attention": attention_figure,
    "choice": choice_figure,
    "context": context_figure,
    "encoder": encoder_figure,
    "recall": recall_figure,
}


def figures(kind: str) -> dict[str, str]:
    """JSON text of the kind's figures by role, ids renamed per call (several tasks on a
    page must not share a BokehJS model id)."""
    suffix = "-" + uuid.uuid4().hex[:8]
    return {role: json.dumps(_renamed(item, suffix)) for role, item in _items(kind)}


@functools.cache
def _items(kind: str) -> tuple[tuple[str, Any], ...]:
    built = {role: BUILDERS[role]() for role in FIGURES[kind]}
    tables.add_all(built)  # each figure's numbers as tables (screen readers)
    return tuple((role, json_item(fig)) for role, fig in built.items())


# -- data ------------------------------------------------------------------------------------


def loss_data(state: dict[str, Any]) -> dict[str, Columns]:
    losses = state["loss"]
    return {"tk_loss": {"epoch": list(range(1, len(losses) + 1)), "loss": list(losses)}}


def probs_data(chars: str, p: np.ndarray) -> dict[str, Columns]:
    best = int(np.argmax(p)) if len(p) else -1
    return {
        "tk_probs": {
            "x": list(range(len(chars))),
            "p": [float(v) for v in p],
            "char": [shown_char(c) for c in chars],
            "color": [ORANGE if k == best else BLUE for k in range(len(chars))],
        }
    }


def _grid(values: np.ndarray, cols: list[str], rows: list[str], transpose: bool) -> Columns:
    """Cells of a (n_cols, n_rows) array: x = column index, y = −row (row 0 on top), or the
    array drawn transposed (x = its second index)."""
    n, m = values.shape
    data: Columns = {"x": [], "y": [], "value": [], "row": [], "col": []}
    for i in range(n):
        for j in range(m):
            x, y = (i, -j) if not transpose else (j, -i)
            data["x"].append(x)
            data["y"].append(y)
            data["value"].append(float(values[i, j]))
            data["col"].append(cols[i])
            data["row"].append(rows[j])
    return data


def _row_labels(texts: list[str], y: float) -> Columns:
    return {"x": list(range(len(texts))), "y": [y] * len(texts), "text": texts}


def _column_labels(texts: list[str], x: float) -> Columns:
    return {"x": [x] * len(texts), "y": [-k for k in range(len(texts))], "text": texts}


def sentiment_data(analysis: dict[str, Any], projection: dict[str, Any]) -> dict[str, Columns]:
    tokens: list[str] = analysis["tokens"]
    words = [w if known else f"{w}?" for w, known in zip(tokens, analysis["known"], strict=True)]
    hidden = np.asarray(analysis["hidden"])  # (n, H)
    units = [str(k) for k in range(hidden.shape[1])]
    probs = [float(v) for v in analysis["probs"]]
    in_sentence = set(tokens)
    xy = np.asarray(projection["xy"])
    pw = projection["words"]
    return {
        "tk_hidden": _grid(hidden, words, units, transpose=False),
        "tk_hidden_words": _row_labels(words, 1.0),
        "tk_classes": {
            "x": [0, 1, 2],
            "p": probs,
            "label": ["negative", "neutral", "positive"],
            "color": list(CLASS_COLOURS),
            "text": [f"{100 * v:.0f} %" for v in probs],
            "text_y": [v + 0.07 for v in probs],
        },
        "tk_embedding": {
            "x": [float(v) for v in xy[:, 0]],
            "y": [float(v) for v in xy[:, 1]],
            "word": pw,
            "group": projection["group"],
            "color": [GROUP_COLOURS[g] for g in projection["group"]],
            "size": [13 if w in in_sentence else 6 for w in pw],
            "alpha": [1.0 if w in in_sentence or not in_sentence else 0.45 for w in pw],
            "weight": ["bold" if w in in_sentence else "normal" for w in pw],
        },
    }


def translation_data(out: dict[str, Any]) -> dict[str, Columns]:
    src = [shown_char(c) for c in out["source_tokens"]]
    outs = [shown_char(c) for c in out["output_tokens"]]
    steps = [f"{k + 1}: {c}" for k, c in enumerate(outs)]
    attention = np.asarray(out["attention"])  # (T_out, T_src)
    context = np.asarray(out["context"])  # (T_out, H)
    encoder = np.asarray(out["encoder_states"])  # (T_src, H)
    probs = np.asarray(out["probs"])  # (T_out, V)
    chosen = [float(p.max()) for p in probs]
    units = [str(k) for k in range(context.shape[1])]
    return {
        "tk_attention": _grid(attention.T, src, steps, transpose=False),
        "tk_attention_src": _row_labels(src, 1.0),
        "tk_attention_out": _column_labels(outs, -1.0),
        "tk_context": _grid(context, steps, units, transpose=True),
        "tk_context_out": _column_labels(outs, -1.0),
        "tk_encoder": _grid(encoder, src, units, transpose=False),
        "tk_encoder_src": _row_labels(src, 1.0),
        "tk_choice": {
            "x": list(range(len(outs))),
            "p": chosen,
            "char": outs,
            "text": [f"{p:.2f}" for p in chosen],
            "text_y": [p + 0.08 for p in chosen],
        },
    }
