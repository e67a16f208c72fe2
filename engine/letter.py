"""A letter through a cell: the next-character model, one compute step at a time.

The walk reads a start text c_0 … c_{n−1} (its last ``window`` characters, from a zero
state, as the model reads it) one character at a time, and inside each character it goes
through the model's compute steps:

    x_t = E[c_t]  (or onehot(c_t))          step "x" of layer 1, shown with h_{t−1}
    the gates and state of each layer       engine.model.COMPUTE_STEPS of the cell
    ŷ_t = W_y h^L_t + b_y                   step "y": one score per character
    p_t = softmax(ŷ_t / τ)                  step "p": p_{t,k} = exp(ŷ_{t,k}/τ) / Σ_j exp(ŷ_{t,j}/τ),
                                            with k*_t = arg max_k p_{t,k} marked

The character marked is the arg max, not a sample: a learner can check it by hand, and it
is what generation writes as the temperature goes to 0. Every number is read from one run
of the text model's own forward pass (``engine.text_generation.read_prefix``), copied to the
host once; the cell's values and arithmetic are ``engine.frames``'s, as for the function labs.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import numpy as np

from engine import frames
from engine.model import ModelParams
from engine.text import TextParams
from engine.text_corpus import TextConfig
from engine.text_corpus import text_data as _text_data
from engine.text_generation import MIN_TEMPERATURE, PrefixRead, read_prefix

READOUT = ("y", "p")  # the steps after the last layer's cell
MOVES = ("compute", "character")
Terms = frames.Terms


class LetterWalk:
    """A start text read character by character, with a cursor over its compute steps."""

    def __init__(
        self, params: TextParams, config: TextConfig, prefix: str, temperature: float = 1.0
    ) -> None:
        if not temperature >= MIN_TEMPERATURE:  # NaN too
            raise ValueError("the walk shows a softmax: the temperature must be above 0")
        self.config = config
        self.temperature = float(temperature)
        self.trace: PrefixRead = read_prefix(params, config, prefix, temperature)
        self.host_params: ModelParams = jax.device_get(params.model)
        self.vocab = _text_data(config).vocab.chars
        self.position = 0

    # -- the cursor -------------------------------------------------------------------------
    @property
    def steps(self) -> tuple[str, ...]:
        """The compute steps inside one layer's cell."""
        return self.config.model.steps

    @property
    def chars(self) -> str:
        return self.trace.chars

    @property
    def per_char(self) -> int:
        return self.config.model.layers * len(self.steps) + len(READOUT)

    @property
    def total(self) -> int:
        return len(self.chars) * self.per_char

    def locate(self, position: int) -> tuple[int, int | None, str, int]:
        """(t, layer, step, its index) of a position; layer is None for the readout,
        whose index counts from 0 too."""
        t, rest = divmod(position, self.per_char)
        layer, index = divmod(rest, len(self.steps))
        if layer < self.config.model.layers:
            return t, layer, self.steps[index], index
        index = rest - self.config.model.layers * len(self.steps)
        return t, None, READOUT[index], index

    def move(self, by: str = "compute", *, back: bool = False) -> dict[str, Any]:
        """One compute step, or to the softmax of the next (previous) character, forward
        (back); the cursor stops at either end. Returns the new frame."""
        if by not in MOVES:
            raise ValueError(f"by must be one of {MOVES}")
        last = self.total - 1
        if by == "compute":
            target = self.position + (-1 if back else 1)
        else:  # each character's last step, "p": where its prediction is shown
            t = self.position // self.per_char
            ends = (t + 1) * self.per_char - 1
            if back:
                target = t * self.per_char - 1 if self.position <= ends else ends
            else:
                target = ends if self.position < ends else ends + self.per_char
        self.position = min(max(target, 0), last)
        return self.frame()

    def seek(self, position: int) -> dict[str, Any]:
        """Put the cursor at ``position`` (clamped to the walk)."""
        self.position = min(max(int(position), 0), self.total - 1)
        return self.frame()

    # -- what is shown ------------------------------------------------------------------------
    def frame(self) -> dict[str, Any]:
        """Where the cursor is and the numbers computed there so far: the cell's values
        (the last layer's whole cell during the readout), the scores ŷ_t from step "y",
        the softmax p_t and the arg max from step "p"."""
        t, layer, step, index = self.locate(self.position)
        L = self.config.model.layers
        cell_layer, upto = (layer, index) if layer is not None else (L - 1, len(self.steps) - 1)
        chars = self.chars
        out: dict[str, Any] = {
            "t": t,
            "n": len(chars),
            "chars": chars,
            "char": chars[t],
            "id": int(self.trace.ids[t]),
            "next": chars[t + 1] if t + 1 < len(chars) else None,
            "layer": layer,
            "layers": L,
            "step": step,
            "step_index": index,
            "position": self.position,
            "positions": self.total,
            "temperature": self.temperature,
            "encoding": self.config.encoding,
            "vocab": self.vocab,
            "values": frames.cell_values(self, t, cell_layer, upto),
            "cell_layer": cell_layer,
            "scores": None,
            "probs": None,
            "choice": None,
        }
        if layer is None:
            out["scores"] = frames.finite_list(self.trace.scores[t])
            if step == "p":
                out["probs"] = frames.finite_list(self.trace.probs[t])
                out["choice"] = self.vocab[int(np.argmax(self.trace.probs[t]))]
        return out

    def cell_terms(self, unit: int) -> dict[str, Terms]:
        """The chosen unit's arithmetic in the cell at the cursor (``engine.frames``), or
        nothing in the readout."""
        t, layer, _, index = self.locate(self.position)
        if layer is None:
            return {}
        return frames.cell_terms(self, t, layer, index, unit)

    def readout_terms(self, char: str) -> dict[str, Terms]:
        """Character ``char``'s readout at the cursor, term by term (float64 from the
        engine's float32 weights and trace; ``value`` is the engine's own number):

            y:  ŷ_k = W_y[k]·h^L_t + b_y[k]
            p:  p_k = exp(ŷ_k/τ − m) / Σ_j exp(ŷ_j/τ − m),  m = max_j ŷ_j/τ

        (subtracting m changes nothing and keeps every exponential at most 1). Nothing
        before step "y"; "p" from step "p"."""
        if char not in self.vocab:
            raise ValueError(f"{char!r} is not one of this text's characters")
        t, layer, step, _ = self.locate(self.position)
        if layer is not None:
            return {}
        k = self.vocab.index(char)
        h = np.asarray(self.trace.traces[-1].h[t], np.float64)
        W_y = np.asarray(self.host_params.W_y, np.float64)
        b_y = np.asarray(self.host_params.b_y, np.float64)
        y = np.asarray(self.trace.scores[t], np.float64)
        out = {"y": {"wh": float(W_y[k] @ h), "b": float(b_y[k]), "value": float(y[k])}}
        if step == "p":
            s = y / self.temperature
            m = float(s.max())
            e = np.exp(s - m)
            out["p"] = {
                "y": float(y[k]),
                "tau": self.temperature,
                "m": m,
                "shifted": float(s[k] - m),
                "e": float(e[k]),
                "sum": float(e.sum()),
                "value": float(self.trace.probs[t, k]),
            }
        return {name: {k: v if math.isfinite(v) else None for k, v in terms.items()}
                for name, terms in out.items()}  # fmt: skip
