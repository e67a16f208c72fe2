"""The words for the engine's compute steps, written once: each quantity a cell
computes or reads has a symbol and a name (``QUANTITIES``), and every label a view
shows is built from those two, so the readout, the cell diagram, the gates view and
the GIF cannot drift apart.

Keys are the engine's names: the forward steps (``engine.model.COMPUTE_STEPS``, trace
fields), the previous state a cell reads (``h_prev``, ``c_prev``), the backward steps
(``engine.backward.BACKWARD_STEPS``: ``d`` + the quantity) and the update phase's
``update`` and ``readout``. tests/test_steps.py holds the table to what the engine emits.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.backward import BACKWARD_STEPS
from engine.model import CELL_KINDS, COMPUTE_STEPS


@dataclass(frozen=True)
class Quantity:
    """A quantity of a cell as the lessons write it."""

    symbol: str  # "f"; the states carry their time step, as in the equations: "cₜ"
    name: str  # "forget gate"

    @property
    def box(self) -> str:
        """The cell diagram's box: ``f forget gate``."""
        return f"{self.symbol} {self.name}"

    @property
    def line(self) -> str:
        """A line of text (the readout, the GIF): ``forget gate f``."""
        return f"{self.name} {self.symbol}"


QUANTITIES = {
    "x": Quantity("xₜ", "layer input"),
    "h_prev": Quantity("hₜ₋₁", "last output"),
    "c_prev": Quantity("cₜ₋₁", "cell state"),
    "a": Quantity("a", "pre-activation"),
    "f": Quantity("f", "forget gate"),
    "i": Quantity("i", "input gate"),
    "g": Quantity("g", "candidate"),
    "o": Quantity("o", "output gate"),
    "c": Quantity("cₜ", "cell state"),
    "h": Quantity("hₜ", "output"),
    "r": Quantity("r", "reset gate"),
    "z": Quantity("z", "update gate"),
    "n": Quantity("n", "candidate"),
}
STATES = ("c", "h")  # ∂L/∂cₜ and ∂L/∂hₜ say what they are; a gate's ∂L/∂f needs its name
UPDATES = {"update": "weight change ΔW", "readout": "readout change ΔW_y"}


def gradient_of(symbol: str) -> str:
    """The gradient of the loss with respect to ``symbol``: ``∂L/∂f``."""
    return f"∂L/∂{symbol}"


def _forward(step: str) -> str:
    if step == "x":  # the step that shows the layer input shows the last output with it
        return f"{QUANTITIES['x'].line} with {QUANTITIES['h_prev'].symbol}"
    return QUANTITIES[step].line


def _backward(step: str) -> str:
    name = step.removeprefix("d")
    quantity = QUANTITIES[name]
    symbol = gradient_of(quantity.symbol)
    return symbol if name in STATES else f"{symbol} ({quantity.name})"


# The readout's label of every step name the engine has, for any cell kind.
STEP_LABELS: dict[str, str] = (
    {name: _forward(name) for cell in CELL_KINDS for name in COMPUTE_STEPS[cell]}
    | {name: _backward(name) for cell in CELL_KINDS for name in BACKWARD_STEPS[cell]}
    | UPDATES
)


def step_labels(cell: str) -> dict[str, str]:
    """The labels of the steps a lab of ``cell`` goes through, in order: what the page
    shows in its readout (``lab_info``)."""
    names = (*COMPUTE_STEPS[cell], *BACKWARD_STEPS[cell], *UPDATES)
    return {name: STEP_LABELS[name] for name in names}
