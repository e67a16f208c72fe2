"""Where the stepper is, as the time views need it: which cells of the window are
computed (forward), which time step the gradient has reached (backward), and
small helpers that keep numbers finite and short on the wire."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Cursor:
    """The stepper's position: ``step`` indexes the phase's compute steps."""

    phase: str
    t: int | None = None
    layer: int | None = None
    step: int | None = None
    steps: tuple[str, ...] = ()

    @classmethod
    def of(cls, frame: dict[str, Any]) -> Cursor:
        return cls(
            frame["phase"],
            frame["t"],
            frame["layer"],
            frame.get("step_index"),
            tuple(frame["steps"]),
        )

    @property
    def forward(self) -> bool:
        return self.phase == "forward" and self.t is not None and self.layer is not None

    @property
    def cell_done(self) -> bool:
        """In the forward phase: the current cell's output h is computed."""
        return self.forward and self.step is not None and self.step == len(self.steps) - 1

    def revealed(self) -> tuple[str, ...]:
        """Quantities of the current cell computed so far (forward phase)."""
        if not self.forward or self.step is None:
            return ()
        return self.steps[1 : self.step + 1]


def finite(values: Any, digits: int = 4) -> list[Any]:
    """A flat or nested list of rounded floats; non-finite entries become None."""
    array = np.round(np.asarray(values, np.float64), digits)
    if np.all(np.isfinite(array)):
        return array.tolist()  # type: ignore[no-any-return]
    return _none_for_nan(array.tolist())


def _none_for_nan(value: Any) -> Any:
    if isinstance(value, list):
        return [_none_for_nan(v) for v in value]
    return value if math.isfinite(value) else None


def positive(values: Any) -> list[float | None]:
    """Values for a log axis: anything not finite and positive becomes None (a gap)."""
    array = np.asarray(values, np.float64).ravel()
    return [float(v) if math.isfinite(v) and v > 0 else None for v in array]
