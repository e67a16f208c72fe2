"""The stepper: the one stateful object of the engine.

A ``Lab`` owns a model, its optimiser state and PRNG key, and a cursor. It
advances by a granularity:

- ``compute``: one operation inside one cell (layer input, then each gate, the
  cell update, the output), in time-major order t = 0…T−1, layer 1…L;
- ``timestep``: to the end of the current (or next) time step, all layers done;
- ``epoch``: train one epoch, then start over at the first compute step.

After the forward phase comes ``validate`` (prediction against target, the
error per point), then the cursor wraps to the start. Every frame is read from
one jitted run of the whole window copied to the host, so stepping and running
give the same numbers. Frames are plain dicts of finite floats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from engine.data import FUNCTIONS, positions
from engine.model import ModelConfig, ModelParams, continue_sequence, init_params, run
from engine.train import TrainSpec, init_opt_state, train_epoch

GRANULARITIES = ("compute", "timestep", "epoch")
PHASES = ("forward", "validate")


@dataclass(frozen=True)
class LabConfig:
    """Everything that defines a lab; two labs with equal configs compute equal numbers."""

    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainSpec = field(default_factory=TrainSpec)
    learning_rate: float = 0.01
    noise: float = 0.0  # uniform input noise in [−noise, noise]
    continuation: int = 32  # points predicted after the window by feeding predictions back
    seed: int = 0
    start: float = 0.0  # where the displayed window starts on the x axis

    def __post_init__(self) -> None:
        if not 1e-4 <= self.learning_rate <= 1.0:
            raise ValueError("learning_rate must be between 1e-4 and 1")
        if not 0.0 <= self.noise <= 0.4:
            raise ValueError("noise must be between 0 and 0.4")
        if not 1 <= self.continuation <= 64:
            raise ValueError("continuation must be between 1 and 64")
        if not 0 <= self.seed < 2**31:
            raise ValueError("seed must be between 0 and 2^31 − 1")


class WindowTrace(NamedTuple):
    """Host copy of one run over the displayed window."""

    xs: np.ndarray  # (T, 1) inputs as fed (noise included)
    ys: np.ndarray  # (T, 1) one-step predictions ŷ_t
    traces: tuple[Any, ...]  # per layer, each field (T, H)
    continuation: np.ndarray  # (C, 1)


@partial(jax.jit, static_argnames=("config", "n_continue"))
def _run_window(
    params: ModelParams, xs: jax.Array, *, config: ModelConfig, n_continue: int
) -> tuple[jax.Array, tuple[Any, ...], jax.Array]:
    ys, traces, carries = run(config, params, xs)
    return ys, traces, continue_sequence(config, params, carries, ys[-1], n_continue)


def _wire(values: np.ndarray) -> list[float | None]:
    """Plain floats; a non-finite entry becomes None (never NaN on the wire)."""
    return [float(v) if math.isfinite(v) else None for v in np.asarray(values, np.float64).ravel()]


class Lab:
    """A model you can train and step through, one compute step at a time."""

    def __init__(self, config: LabConfig | None = None) -> None:
        self.config = config or LabConfig()
        self.reset()

    # -- state ---------------------------------------------------------------
    def reset(self) -> None:
        """Fresh weights from the seed, epoch 0, cursor at the first compute step."""
        cfg = self.config
        self.params = init_params(cfg.model, key=cfg.seed)
        self.opt_state = init_opt_state(cfg.train, self.params)
        self.key = jax.random.key(cfg.seed)
        self.epoch = 0
        self.losses: list[float] = []
        self.status = "ok"
        self.position = 0
        self._refresh_trace()

    def configure(self, **changes: Any) -> None:
        """Change hyperparameters that do not reset training (learning_rate, noise)."""
        unknown = set(changes) - {"learning_rate", "noise"}
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)} without a reset")
        self.config = replace(self.config, **changes)
        self._refresh_trace()

    def _refresh_trace(self) -> None:
        cfg = self.config
        data = FUNCTIONS[cfg.train.dataset]
        T = cfg.train.window
        clean = np.asarray(data.fn(positions(data, cfg.start, T)), np.float32)
        rng = np.random.default_rng(cfg.seed)
        xs = (clean + cfg.noise * rng.uniform(-1, 1, T).astype(np.float32))[:, None]
        ys, traces, cont = jax.device_get(
            _run_window(self.params, jnp.asarray(xs), config=cfg.model, n_continue=cfg.continuation)
        )
        self.trace = WindowTrace(xs=xs, ys=ys, traces=traces, continuation=cont)
        n = T + cfg.continuation
        self._targets = np.asarray(data.fn(positions(data, cfg.start + data.dx, n)), np.float32)
        self._sequence = self._build_sequence()
        if not all(np.all(np.isfinite(a)) for a in jax.tree_util.tree_leaves(self.trace)):
            self.status = "diverged"

    # -- cursor --------------------------------------------------------------
    @property
    def steps(self) -> tuple[str, ...]:
        return self.config.model.steps

    @property
    def forward_positions(self) -> int:
        cfg = self.config
        return cfg.train.window * cfg.model.layers * len(self.steps)

    def locate(self, position: int) -> tuple[str, int | None, int | None, int | None]:
        """(phase, t, layer, step index) of a flat cursor position."""
        if position >= self.forward_positions:
            return "validate", None, None, None
        per_t = self.config.model.layers * len(self.steps)
        t, rest = divmod(position, per_t)
        layer, step = divmod(rest, len(self.steps))
        return "forward", t, layer, step

    def advance(self, granularity: str = "compute") -> dict[str, Any]:
        """Move the cursor by one ``granularity`` and return the new frame."""
        if granularity not in GRANULARITIES:
            raise ValueError(f"granularity must be one of {GRANULARITIES}")
        total = self.forward_positions + 1
        if granularity == "epoch":
            self.train(1)
        elif granularity == "compute":
            self.position = (self.position + 1) % total
        else:
            self.position = next(
                p % total
                for p in range(self.position + 1, self.position + total + 1)
                if self._ends_timestep(p % total)
            )
        return self.frame()

    def _ends_timestep(self, position: int) -> bool:
        phase, _, layer, step = self.locate(position)
        if phase != "forward":
            return True
        return layer == self.config.model.layers - 1 and step == len(self.steps) - 1

    def train(self, epochs: int = 1) -> list[float]:
        """Train ``epochs`` epochs; the cursor returns to the first compute step."""
        cfg = self.config
        lr = jnp.asarray(cfg.learning_rate, jnp.float32)
        noise = jnp.asarray(cfg.noise, jnp.float32)
        new_losses = []
        for _ in range(epochs):
            self.params, self.opt_state, self.key, metrics = train_epoch(
                self.params, self.opt_state, self.key, lr, noise, config=cfg.model, spec=cfg.train
            )
            loss = float(metrics.loss)
            self.epoch += 1
            if not math.isfinite(loss) or int(metrics.skipped) == cfg.train.batches:
                self.status = "diverged"
            else:
                self.losses.append(loss)
                new_losses.append(loss)
        self.position = 0
        self._refresh_trace()
        return new_losses

    # -- frames ----------------------------------------------------------------
    def frame(self) -> dict[str, Any]:
        """The current frame: where we are and the numbers computed so far there."""
        phase, t, layer, step = self.locate(self.position)
        base = {
            "epoch": self.epoch,
            "phase": phase,
            "status": self.status,
            "loss": self.losses[-1] if self.losses else None,
            "position": self.position,
            "positions": self.forward_positions + 1,
            "steps": list(self.steps),
        }
        if phase == "validate":
            target = self.targets()[: self.config.train.window]
            error = self.trace.ys[:, 0] - target
            mse = float(np.mean(error**2))
            return base | {
                "t": None,
                "layer": None,
                "step": None,
                "error": _wire(error),
                "mse": mse if math.isfinite(mse) else None,
            }
        assert t is not None and layer is not None and step is not None
        return base | {
            "t": t,
            "layer": layer,
            "step": self.steps[step],
            "step_index": step,
            "values": self.cell_values(t, layer, step),
            "prediction": _wire(self.trace.ys[t])[0],
            "target": _wire(self.targets()[t : t + 1])[0],
        }

    def cell_values(self, t: int, layer: int, upto: int) -> dict[str, list[float | None]]:
        """The quantities of cell (t, layer) revealed by compute steps 0…upto.

        Step "x" reveals the layer input x_t (the data for layer 0, h_t of the layer
        below otherwise) with the previous state h_{t-1} (and c_{t-1} for an LSTM).
        """
        here = self.trace.traces[layer]
        x = self.trace.xs[t] if layer == 0 else self.trace.traces[layer - 1].h[t]
        H = self.config.model.hidden
        values = {"x": _wire(x), "h_prev": _wire(here.h[t - 1] if t else np.zeros(H))}
        if self.config.model.cell == "lstm":
            values["c_prev"] = _wire(here.c[t - 1] if t else np.zeros(H))
        for name in self.steps[1 : upto + 1]:
            values[name] = _wire(getattr(here, name)[t])
        return values

    # -- the whole picture -------------------------------------------------------
    def targets(self) -> np.ndarray:
        """Ground truth f(x_{t+1}) for the window and the continuation: (T + C,)."""
        return self._targets

    def sequence(self) -> dict[str, Any]:
        """Input, target and prediction on their x positions, for the sequence plot."""
        return self._sequence

    def _build_sequence(self) -> dict[str, Any]:
        cfg = self.config
        data = FUNCTIONS[cfg.train.dataset]
        T, C = cfg.train.window, cfg.continuation
        xpos = np.asarray(positions(data, cfg.start, T + C + 1), np.float64)
        prediction = np.concatenate([self.trace.ys[:, 0], self.trace.continuation[:, 0]])
        return {
            "x_input": _wire(xpos[:T]),
            "input": _wire(self.trace.xs[:, 0]),
            "x_target": _wire(xpos[1:]),
            "target": _wire(self.targets()),
            "prediction": _wire(prediction),
            "window": [float(xpos[0]), float(xpos[T - 1])],
        }
