"""The forward pass through the unrolled network as an animated GIF, drawn with
Pillow (no browser): nodes coloured by activation, edges by weight, the cells not
computed yet faded, the current cell outlined, and the input and prediction below.

Frames are evenly spaced over the forward pass's compute steps and end on its
last one, so ``steps = T`` gives one frame per time step and ``steps = T·L`` one
per cell. The picture is drawn twice (complete, and faded) at twice the size,
scaled down for smooth lines, reduced to one shared palette; each frame then
only pastes the computed part of the complete picture onto the faded one.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from course.figures.palette import BLUE, DIVERGING, GREY, INK, ORANGE
from course.lab import owndata
from course.lab.steps import STEP_LABELS
from course.lab.views.unrolled import FOG_ALPHA, Layout, edge_data
from engine import Lab, LabConfig

MIN_STEPS, MAX_STEPS = 2, 120
MIN_SIZE, MAX_SIZE = 320, 1600
MIN_FRAME_MS, MAX_FRAME_MS = 20, 2000  # browsers slow down anything faster than 20 ms
SUPERSAMPLE = 2
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)
CELL_NAMES = {"rnn": "Vanilla RNN", "lstm": "LSTM", "gru": "GRU"}
NAN_COLOUR = "#D9DEE3"


@dataclass(frozen=True)
class GifOptions:
    """What a learner may choose; ``frame_ms`` is kept to GIF's 10 ms resolution."""

    steps: int = 30
    size: int = 800
    frame_ms: int = 120

    def __post_init__(self) -> None:
        for name, low, high in (
            ("steps", MIN_STEPS, MAX_STEPS),
            ("size", MIN_SIZE, MAX_SIZE),
            ("frame_ms", MIN_FRAME_MS, MAX_FRAME_MS),
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise GifError(name, f"{name} must be a whole number from {low} to {high}")
        object.__setattr__(self, "frame_ms", int(round(self.frame_ms / 10) * 10))


class GifError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def check_steps(config: LabConfig, steps: int) -> int:
    """The number of forward compute steps, which ``steps`` (frames) may not exceed."""
    total = config.train.window * config.model.layers * len(config.model.steps)
    if steps > total:
        raise GifError(
            "steps", f"steps must be at most {total}: this forward pass has {total} compute steps"
        )
    return total


def forward_positions(config: LabConfig, steps: int) -> list[int]:
    """``steps`` cursor positions spread evenly over the forward pass, ending on its last."""
    total = check_steps(config, steps)
    return [math.ceil(k * total / steps) - 1 for k in range(1, steps + 1)]


def render_gif(config: LabConfig, options: GifOptions, *, epochs: int = 0) -> bytes:
    """The animated GIF of ``config``'s forward pass (after ``epochs`` of training)."""
    lab = Lab(config)
    if epochs:
        lab.train(epochs)
    return render_lab(lab, options)


def render_lab(lab: Lab, options: GifOptions) -> bytes:
    """The animated GIF of ``lab``'s forward pass, as its weights compute it now. Reads
    the lab only: hand it a copy (``engine.snapshot``) if another thread may change it."""
    positions = forward_positions(lab.config, options.steps)
    picture = Picture(lab, options.size)
    frames = [
        picture.frame(position, k + 1, len(positions)) for k, position in enumerate(positions)
    ]
    out = io.BytesIO()
    frames[0].save(
        out, format="GIF", save_all=True, append_images=frames[1:], duration=options.frame_ms,
        loop=0, optimize=True, disposal=1,
    )  # fmt: skip
    return out.getvalue()


def write_gif(path: str | Path, config: LabConfig, options: GifOptions, *, epochs: int = 0) -> int:
    data = render_gif(config, options, epochs=epochs)
    Path(path).write_bytes(data)
    return len(data)


def title_line(lab: Lab) -> str:
    """The header's first line: which network, on what data, trained how far."""
    cfg = lab.config
    trained = f"epoch {lab.epoch}"
    if lab.updates:  # single-window updates stepped through since
        trained += f" + {lab.updates} update{'s' if lab.updates > 1 else ''}"
    data = owndata.title(cfg.series) if cfg.series is not None else cfg.train.dataset
    return (
        f"{CELL_NAMES[cfg.model.cell]} · {cfg.model.layers} layer(s) × {cfg.model.hidden} units"
        f" · {data} · {trained}"
    )


def status_line(config: LabConfig, t: int, layer: int, step: str) -> str:
    """The header's second line: where the forward pass is, in the readout's words."""
    return (
        f"Forward pass: t = {t + 1} of {config.train.window}, layer {layer + 1} of "
        f"{config.model.layers}, {STEP_LABELS[step]}"
    )


def _font(size: float, bold: bool = False) -> Any:
    path = FONT_FILES[1 if bold else 0]
    try:
        return ImageFont.truetype(path, max(8, round(size)))
    except OSError:
        return ImageFont.load_default(size=max(8, round(size)))


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _node_colour(value: float) -> tuple[int, int, int]:
    """As Bokeh's LinearColorMapper(DIVERGING, low=−1, high=1) colours it."""
    if not math.isfinite(value):
        return _rgb(NAN_COLOUR)
    index = int((min(max(value, -1.0), 1.0) + 1.0) / 2.0 * len(DIVERGING))
    return _rgb(DIVERGING[min(index, len(DIVERGING) - 1)])


class Picture:
    """The unrolled network of one lab at ``width`` px, and its frames."""

    def __init__(self, lab: Lab, width: int) -> None:
        self.lab, self.layout = lab, Layout.of(lab.config)
        self.width = width
        self.s = width / 800  # design px → output px
        self.header = round(58 * self.s)
        self.left, self.right = round(70 * self.s), round(16 * self.s)
        self.plot_h = round(self.layout.frame_height * self.s)
        self.axis_h = round(24 * self.s)
        self.strip_h = round(84 * self.s)
        self.height = self.header + self.plot_h + self.axis_h + self.strip_h + round(8 * self.s)
        complete = self._draw()
        faded = complete.copy()
        box = self._box(0, self.layout.T)
        faded.paste(
            Image.blend(complete.crop(box), Image.new("RGB", _size(box), "white"), FOG_ALPHA), box
        )
        swatch = Image.new("RGB", (64, 8), ORANGE)
        ImageDraw.Draw(swatch).rectangle((32, 0, 64, 8), fill=BLUE)
        source = Image.new("RGB", (width, self.height * 2 + 8))
        source.paste(complete, (0, 0))
        source.paste(faded, (0, self.height))
        source.paste(swatch, (0, self.height * 2))
        self.palette = source.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
        self.complete = complete.quantize(palette=self.palette, dither=Image.Dither.NONE)
        self.faded = faded.quantize(palette=self.palette, dither=Image.Dither.NONE)
        self.orange = self._index(ORANGE)

    # -- geometry (output px) ---------------------------------------------------
    def X(self, x: float, scale: float = 1.0) -> float:
        plot_w = self.width - self.left - self.right
        return (self.left + (x - 0.45) / (self.layout.T + 0.1) * plot_w) * scale

    def Y(self, y: float, scale: float = 1.0) -> float:
        lo, hi = self.layout.y_range
        return (self.header + (hi - y) / (hi - lo) * self.plot_h) * scale

    def _box(self, first: int, last: int, top: float | None = None) -> tuple[int, int, int, int]:
        """Pixels of columns first+1 … last (1-based t), plot and strip, from ``top`` down."""
        bottom = self.header + self.plot_h + self.axis_h + self.strip_h
        top_px = self.header if top is None else top
        return (round(self.X(first + 0.5)), round(top_px), round(self.X(last + 0.5)), bottom)

    def _index(self, colour: str) -> int:
        palette = np.asarray(self.palette.getpalette() or [], np.int32).reshape(-1, 3)
        return int(np.argmin(np.abs(palette - np.asarray(_rgb(colour))).sum(axis=1)))

    # -- the static picture ------------------------------------------------------
    def _draw(self) -> Image.Image:
        k = SUPERSAMPLE
        lab, layout, s = self.lab, self.layout, self.s * k
        image = Image.new("RGB", (self.width * k, self.height * k), "white")
        draw = ImageDraw.Draw(image, "RGBA")
        edges, recurrent = edge_data(layout, lab.config.model.cell, lab.params)
        for columns, template in (
            (range(1, layout.T + 1), edges),
            (range(2, layout.T + 1), recurrent),
        ):
            rows = list(
                zip(
                    *(template[c] for c in ("x0", "y0", "x1", "y1", "color", "width", "alpha")),
                    strict=True,
                )
            )
            for t in columns:
                for x0, y0, x1, y1, colour, width, alpha in rows:
                    draw.line(
                        (self.X(t + x0, k), self.Y(y0, k), self.X(t + x1, k), self.Y(y1, k)),
                        fill=(*_rgb(colour), round(255 * alpha)),
                        width=max(1, round(width * s * 0.8)),
                    )
        trace = lab.trace
        radius = layout.node_size / 2 * s
        big = max(radius, 4.5 * s)
        for t in range(layout.T):
            nodes = [(layout.input_xy, float(trace.xs[t, 0]), big)]
            for layer in range(layout.L):
                h = np.asarray(trace.traces[layer].h[t], np.float64)
                x = layout.offset(layer)
                nodes += [
                    ((x, float(layout.y(layer, u))), float(h[u]), radius) for u in range(layout.H)
                ]
            nodes.append((layout.output_xy, float(trace.ys[t, 0]), big))
            for (x, y), value, r in nodes:
                cx, cy = self.X(t + 1 + x, k), self.Y(y, k)
                draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_node_colour(value),
                             outline=_rgb(GREY), width=max(1, round(0.6 * s)))  # fmt: skip
        self._axes(draw, k)
        self._strip(draw, k)
        return image.resize((self.width, self.height), Image.Resampling.LANCZOS)

    def _axes(self, draw: ImageDraw.ImageDraw, k: int) -> None:
        layout, s = self.layout, self.s * k
        font = _font(11 * s)
        labels = {layout.input_xy[1]: "x", layout.output_xy[1]: "ŷ"}
        labels |= {layout.centre(layer): f"layer {layer + 1}" for layer in range(layout.L)}
        for y, text in labels.items():
            draw.text((self.left * k - 8 * s, self.Y(y, k)), text, fill=INK, font=font, anchor="rm")
        axis_y = (self.header + self.plot_h) * k + 4 * s
        every = max(1, math.ceil(layout.T * 26 / (self.width - self.left)))  # no crowded labels
        for t in range(1, layout.T + 1, every):
            draw.text((self.X(t, k), axis_y), str(t), fill=INK, font=font, anchor="mt")
        draw.text((self.left * k - 8 * s, axis_y), "t", fill=INK, font=font, anchor="rt")

    def _strip(self, draw: ImageDraw.ImageDraw, k: int) -> None:
        """Input x_t (blue), prediction ŷ_t (orange) and its target (grey) per column."""
        layout, s, lab = self.layout, self.s * k, self.lab
        top = (self.header + self.plot_h + self.axis_h) * k
        height = self.strip_h * k

        def v(value: float) -> float:
            return top + (1.6 - min(max(value, -1.6), 1.6)) / 3.2 * height

        target = lab.targets()[: layout.T]
        points = [(self.X(t + 1, k), v(float(target[t]))) for t in range(layout.T)]
        draw.line(points, fill=_rgb(GREY), width=max(1, round(1.5 * s)))
        r = 3.2 * s
        for t in range(layout.T):
            for value, colour, dx in (
                (lab.trace.xs[t, 0], BLUE, -0.12),
                (lab.trace.ys[t, 0], ORANGE, 0.12),
            ):
                if math.isfinite(float(value)):
                    cx, cy = self.X(t + 1 + dx, k), v(float(value))
                    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
        font = _font(10 * s)
        draw.text(
            (self.left * k - 8 * s, top + height / 2), "data", fill=INK, font=font, anchor="rm"
        )

    # -- frames --------------------------------------------------------------
    def frame(self, position: int, number: int, count: int) -> Image.Image:
        layout = self.layout
        phase, t, layer, step = self.lab.locate(position)
        assert phase == "forward" and t is not None and layer is not None and step is not None
        frame = self.faded.copy()
        if t:
            box = self._box(0, t)
            frame.paste(self.complete.crop(box), box)
        done = step == len(self.lab.steps) - 1
        missing = layer + 1 if done else layer
        top = self.header if missing == layout.L else self.Y(layout.band_bottom(missing))
        box = self._box(t, t + 1, top)
        if missing < layout.L:  # the prediction below is not made yet either
            box = (box[0], box[1], box[2], self.header + self.plot_h)
        frame.paste(self.complete.crop(box), box)
        x = t + 1 + layout.offset(layer)
        cursor = (
            self.X(x - 0.11), self.Y(layout.y(layer, layout.H - 1) + 0.9),
            self.X(x + 0.11), self.Y(layout.y(layer, 0) - 0.9),
        )  # fmt: skip
        ImageDraw.Draw(frame).rectangle(
            cursor, outline=self.orange, width=max(2, round(3 * self.s))
        )
        frame.paste(self._header(t, layer, step, number, count), (0, 0))
        return frame

    def _header(self, t: int, layer: int, step: int, number: int, count: int) -> Image.Image:
        cfg, s = self.lab.config, self.s
        strip = Image.new("RGB", (self.width, self.header), "white")
        draw = ImageDraw.Draw(strip)
        title = title_line(self.lab)
        draw.text((12 * s, 8 * s), title, fill=INK, font=_font(14 * s, bold=True))
        status = status_line(cfg, t, layer, self.lab.steps[step])
        draw.text((12 * s, 30 * s), status, fill=INK, font=_font(12 * s))
        draw.text(
            (self.width - 12 * s, 8 * s), "Unrolled", fill=GREY, font=_font(12 * s), anchor="ra"
        )
        bar = max(2, round(3 * s))
        draw.rectangle((0, self.header - bar, self.width * number / count, self.header), fill=BLUE)
        return strip.quantize(palette=self.palette, dither=Image.Dither.NONE)


def _size(box: tuple[int, int, int, int]) -> tuple[int, int]:
    return box[2] - box[0], box[3] - box[1]
