"""The neighbours of the cell shown, drawn as grey pictograms around its diagram:
the same layer's cell one step earlier (t − 1, which hands over hₜ₋₁ and cₜ₋₁) and
one step later (t + 1, which takes hₜ and cₜ), the layer below (or the data) feeding
xₜ, and the layer above (or the readout ŷₜ) receiving hₜ. One that does not exist,
such as the state before the first step (h₀ = c₀ = 0), is greyed and dashed.
"""

from __future__ import annotations

from typing import Any

from course.figures.palette import GREY, INK, LIGHT
from course.lab.views.cell_layout import NARROW, WIDE, Sizes, neighbour_boxes


def neighbour_data(
    cell: str,
    t: int | None = None,
    layer: int | None = None,
    *,
    window: int = 1,
    layers: int = 1,
) -> dict[str, list[Any]]:
    """Columns of the ``cell_neighbours`` source: one pictogram per neighbour of cell
    (``t``, ``layer``), both 0-based, titled as the readout counts (from 1). A neighbour
    that does not exist (before the first step, after the last) is greyed; with no
    cell (validate, update) all four are, titled by their role."""
    rows = {  # name -> (title, note, exists)
        "prev": ("t − 1", "", False),
        "next": ("t + 1", "", False),
        "below": ("layer below", "", False),
        "above": ("layer above", "", False),
    }
    if t is not None and layer is not None and layer < layers:
        first, last, bottom, top = t == 0, t == window - 1, layer == 0, layer == layers - 1
        rows = {
            "prev": ("h₀, c₀ = 0" if cell == "lstm" else "h₀ = 0", "nothing yet", False)
            if first
            else (f"t = {t}", "previous step", True),
            "next": ("end", "last step", False) if last else (f"t = {t + 2}", "next step", True),
            "below": ("input xₜ", "the data", True)
            if bottom
            else (f"layer {layer}", "layer below", True),
            "above": ("readout ŷₜ", "prediction", True)
            if top
            else (f"layer {layer + 2}", "layer above", True),
        }
    wide, narrow = neighbour_boxes(cell, WIDE), neighbour_boxes(cell, NARROW)
    columns = (
        "name",
        "x",
        "y",
        "w",
        "h",
        "x_narrow",
        "y_narrow",
        "w_narrow",
        "h_narrow",
        "angle_narrow",
        "title",
        "note",
        "fill",
        "line",
        "dash",
        "text_color",
    )
    data: dict[str, list[Any]] = {k: [] for k in columns}
    for name, (title, note, exists) in rows.items():
        side = name in ("prev", "next")
        values = (
            name,
            *wide[name],
            *narrow[name],
            NARROW.side_angle if side else 0.0,
            title,
            note,
            "white" if exists else LIGHT,
            GREY,
            [] if exists else [4, 3],
            INK if exists else GREY,
        )
        for k, v in zip(columns, values, strict=True):
            data[k].append(v)
    return data


def draw_neighbours(p: Any, sizes: Sizes, source: Any) -> None:
    """The neighbours' pictograms: a rounded box and its title (and, when wide, what it is)."""
    s = "" if sizes is WIDE else "_narrow"
    p.rect(
        x="x" + s,
        y="y" + s,
        width="w" + s,
        height="h" + s,
        source=source,
        fill_color="fill",
        line_color="line",
        line_dash="dash",
        line_width=1.5,
        border_radius=8,
    )
    if sizes is WIDE:
        p.text(
            x="x",
            y="y",
            text="title",
            source=source,
            text_align="center",
            text_baseline="bottom",
            y_offset=-1,
            text_font_size="13px",
            text_font_style="bold",
            text_color="text_color",
        )
        p.text(
            x="x",
            y="y",
            text="note",
            source=source,
            text_align="center",
            text_baseline="top",
            y_offset=3,
            text_font_size="10px",
            text_color=GREY,
        )
    else:
        p.text(
            x="x_narrow",
            y="y_narrow",
            text="title",
            source=source,
            angle="angle_narrow",
            text_align="center",
            text_baseline="middle",
            text_font_size="11px",
            text_font_style="bold",
            text_color="text_color",
        )
