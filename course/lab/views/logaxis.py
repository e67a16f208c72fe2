"""Log axes whose tick labels stay readable at every range.

Bokeh's own LogTicker shows powers of ten over two decades or more and falls back to
linear ticks below that, which on a log axis bunch up, leave a bare axis when no
"nice" number falls in the range, and are mislabelled by LogTickFormatter (0.05 shown
as 10⁻¹). So the server chooses the ticks for the data it sends: powers of ten (every
k-th decade on a wide range), then 1–3, 1–2–5 or 1…9 steps per decade as the range
narrows, then plain linear steps on a very narrow one; a ``FixedTicker`` named after
the view takes them (static/js/views.js sets a named ticker's ``ticks``), and every
label is the number itself (``%g``: 0.05, 1e-7).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from bokeh.models import FixedTicker, PrintfTickFormatter

MOST = 7  # ticks on a range before a coarser kind is chosen
MANTISSAS = ((1,), (1, 3), (1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9))
DEFAULT = [0.1, 1.0, 10.0]  # before there is any data (the views' hints sit at 1)


def log_axis(p: Any, name: str) -> None:
    """Give figure ``p`` (``y_axis_type="log"``) a y ticker the server sets, by ``name``."""
    p.yaxis.ticker = FixedTicker(name=name, ticks=DEFAULT, minor_ticks=[])
    p.yaxis.formatter = PrintfTickFormatter(format="%g")


def tick_data(values: Iterable[Any], *, least: int = 3) -> dict[str, list[float]]:
    """The ticker's new ticks for the positive finite ``values`` a view draws."""
    return {"ticks": log_ticks(values, least=least)}


def log_ticks(values: Iterable[Any], *, least: int = 3) -> list[float]:
    """Ticks for a log axis showing ``values``: the coarsest kind that puts at least
    ``least`` ticks inside the data's range (a power-of-ten kind needs only two), with
    the next tick beyond each end for the axis's padding."""
    shown = [float(v) for v in values if v is not None and math.isfinite(v) and v > 0]
    if not shown:
        return list(DEFAULT)
    lo, hi = min(shown), max(shown)
    if hi == lo:  # one value: the axis (Bokeh's DataRange1d) spans two decades around it
        lo, hi = lo / 10, hi * 10
    span = math.log10(hi / lo)
    every = max(1, math.ceil(span / (MOST - 1)))
    kinds = [_powers(lo, hi, every)] + [_decades(lo, hi, m) for m in MANTISSAS[1:]]
    for k, ticks in enumerate(kinds):
        need = min(least, 2) if k == 0 else least
        if len(_inside(ticks, lo, hi)) >= need:
            if len(_inside(ticks, lo, hi)) > MOST + 2 and k > 0:
                return _clean(kinds[k - 1])
            return _clean(ticks)
    return _clean(_linear(lo, hi))


def _inside(ticks: list[float], lo: float, hi: float) -> list[float]:
    return [t for t in ticks if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]


def _around(ticks: list[float], lo: float, hi: float) -> list[float]:
    """The ticks inside [lo, hi] and the nearest one beyond each end."""
    below = [t for t in ticks if t < lo * (1 - 1e-9)]
    above = [t for t in ticks if t > hi * (1 + 1e-9)]
    return below[-1:] + _inside(ticks, lo, hi) + above[:1]


def _powers(lo: float, hi: float, every: int) -> list[float]:
    first = math.floor(math.log10(lo) / every) * every - every
    last = math.ceil(math.log10(hi) / every) * every + every
    return _around([10.0**k for k in range(first, last + 1, every)], lo, hi)


def _decades(lo: float, hi: float, mantissas: tuple[int, ...]) -> list[float]:
    first, last = math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1
    ticks = [float(f"{m}e{k}") for k in range(first, last + 1) for m in mantissas]
    return _around(sorted(ticks), lo, hi)


def _linear(lo: float, hi: float) -> list[float]:
    """Evenly spaced round numbers across a narrow range: the largest 1, 2 or 5 step
    that fits three times (so three to eight of them fall inside)."""
    most = (hi - lo) / 3
    magnitude = 10.0 ** math.floor(math.log10(most))
    step = max(m * magnitude for m in (1, 2, 5) if m * magnitude <= most)
    first, last = math.floor(lo / step), math.ceil(hi / step)
    return [k * step for k in range(first, last + 1) if k * step > 0]


def _clean(ticks: list[float]) -> list[float]:
    """Ticks as the short decimals they are (3 × 0.1 is 0.3, not 0.30000000000000004)."""
    return [float(f"{t:.6g}") for t in ticks]
