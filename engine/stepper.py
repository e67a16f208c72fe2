"""The stepper: the one stateful object of the engine.

A ``Lab`` owns a model, its optimiser state and PRNG key, and a cursor that walks
the phases of one training step on the displayed window:

- ``forward``: per time step t = 0…T−1 and layer 1…L, the compute steps of the
  cell (layer input, each gate, the cell update, the output);
- ``validate``: the predictions against the targets, the error per point;
- ``backward``: per time step T−1…0 and layer L…1, the gradient ∂L/∂h_t (and
  ∂L/∂c_t), then the gradient reaching each gate;
- ``update``: per layer, then the readout, the weight change ΔW the optimiser
  makes; stepping past it applies the change and starts the next forward pass.

Granularities: ``compute`` (one position), ``timestep`` (to the end of the
current or next time step; a whole phase for validate and update), ``epoch``
(train one epoch on fresh windows, then back to the first position).

Every frame is read from one jitted run (and one jitted backward pass) of the
whole window copied to the host (``engine.window``), so stepping and running give the
same numbers. The frames themselves are built in ``engine.frames``: plain dicts of
finite floats.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import jax
import numpy as np

from engine import frames
from engine.backward import BACKWARD_STEPS, WindowGradients
from engine.lab_config import LabConfig
from engine.model import ModelParams, init_params
from engine.train import clip_norm, init_opt_state, train_epoch
from engine.window import Window, WindowTrace

GRANULARITIES = ("compute", "timestep", "epoch")
PHASES = ("forward", "validate", "backward", "update")


STATUSES = ("ok", "diverged")  # a diverged lab keeps its last finite metrics
# A loss above this has blown up: the targets lie within ±1.6, so an untrained network's
# loss is about 1 and a working one's far less. Training past it only overflows.
DIVERGED_LOSS = 1e6


def scale_recurrent(params: ModelParams, scale: float) -> ModelParams:
    """``params`` with every layer's recurrent weights W_h multiplied by ``scale``."""
    if scale == 1.0:
        return params
    layers = tuple(layer._replace(W_h=layer.W_h * np.float32(scale)) for layer in params.layers)
    return params._replace(layers=layers)


class Lab:
    """A model you can train and step through, one compute step at a time."""

    def __init__(self, config: LabConfig | None = None) -> None:
        self.config = config or LabConfig()
        self.reset()

    # -- state ---------------------------------------------------------------
    def reset(self) -> None:
        """Fresh weights from the seed, epoch 0, cursor at the first compute step."""
        cfg = self.config
        self.params = scale_recurrent(init_params(cfg.model, key=cfg.seed), cfg.recurrent_scale)
        self.opt_state = init_opt_state(cfg.train, self.params)
        self.key = jax.random.key(cfg.seed)
        self.epoch = 0
        self.updates = 0  # single-window updates applied by stepping through `update`
        self.losses: list[float] = []
        self.status = "ok"
        self.position = 0
        self._refresh_trace()

    def configure(self, **changes: Any) -> None:
        """Change hyperparameters that do not reset training (learning_rate, noise,
        clip): the weights and the optimiser's state carry on."""
        unknown = set(changes) - {"learning_rate", "noise", "clip"}
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)} without a reset")
        self.config = replace(self.config, **changes)
        self._refresh_trace()

    def _refresh_trace(self) -> None:
        """Forget what was computed for the old weights or settings: the window's forward
        pass (``trace``), its gradients and the pending update are computed again when a
        frame first needs them, not after every epoch trained."""
        self._window: Window | None = None
        self._frame: tuple[tuple[Any, ...], dict[str, Any]] | None = None  # built for these

    @property
    def window(self) -> Window:
        """The window's forward pass with the current weights and settings (``engine.window``),
        run on first use; a forward pass that is not finite makes the lab ``diverged``."""
        if self._window is None:
            window = Window(self.config, self.params, self.opt_state)
            self._sequence = frames.sequence(self.config, window.trace, window.targets)
            self._window = window
            if not window.finite:
                self._status = "diverged"
        return self._window

    @property
    def trace(self) -> WindowTrace:
        """The forward pass over the lesson's window with the current weights (and the
        continuation after it), computed on first use."""
        return self.window.trace

    @property
    def status(self) -> str:
        """``ok``, or ``diverged`` once a loss or the window's forward pass is not finite."""
        if self._status == "ok" and self._window is None:
            self.window  # noqa: B018 - computing it may find the lab diverged
        return self._status

    @status.setter
    def status(self, value: str) -> None:
        self._status = value

    @property
    def host_params(self) -> ModelParams:
        """The weights on the host, copied once per set of weights: frames read single
        rows of them many times a second, and each read of a device array copies it."""
        return self.window.host_params

    def gradients(self) -> WindowGradients:
        """The backward pass over the window (computed once per set of weights)."""
        return self.window.gradients()

    def pending_update(self) -> tuple[ModelParams, Any, bool]:
        """(new params, new optimiser state, skipped) that stepping past `update` applies."""
        return self.window.pending_update()

    def _apply_update(self) -> None:
        params, opt_state, skipped = self.pending_update()
        if skipped:
            self.status = "diverged"
            return
        self.params, self.opt_state = params, opt_state
        self.updates += 1
        self._refresh_trace()

    # -- cursor --------------------------------------------------------------
    @property
    def steps(self) -> tuple[str, ...]:
        return self.config.model.steps

    @property
    def backward_steps(self) -> tuple[str, ...]:
        return BACKWARD_STEPS[self.config.model.cell]

    @property
    def forward_positions(self) -> int:
        cfg = self.config
        return cfg.train.window * cfg.model.layers * len(self.steps)

    def _phase_sizes(self) -> list[tuple[str, int]]:
        cfg = self.config
        T, L = cfg.train.window, cfg.model.layers
        return [
            ("forward", self.forward_positions),
            ("validate", 1),
            ("backward", T * L * len(self.backward_steps)),
            ("update", L + 1),
        ]

    @property
    def total_positions(self) -> int:
        return sum(size for _, size in self._phase_sizes())

    def phase_start(self, phase: str) -> int:
        start = 0
        for name, size in self._phase_sizes():
            if name == phase:
                return start
            start += size
        raise ValueError(f"phase must be one of {PHASES}")

    def locate(self, position: int) -> tuple[str, int | None, int | None, int | None]:
        """(phase, t, layer, step index) of a flat cursor position."""
        L = self.config.model.layers
        T = self.config.train.window
        phase = "update"
        for name, size in self._phase_sizes():
            if position < size:
                phase = name
                break
            position -= size
        if phase == "forward":
            t, rest = divmod(position, L * len(self.steps))
            layer, step = divmod(rest, len(self.steps))
            return phase, t, layer, step
        if phase == "backward":
            k, rest = divmod(position, L * len(self.backward_steps))
            layer, step = divmod(rest, len(self.backward_steps))
            return phase, T - 1 - k, L - 1 - layer, step
        if phase == "update":
            return phase, None, position, 0  # layer L is the readout
        return phase, None, None, None

    def advance(self, granularity: str = "compute") -> dict[str, Any]:
        """Move the cursor by one ``granularity`` and return the new frame."""
        if granularity not in GRANULARITIES:
            raise ValueError(f"granularity must be one of {GRANULARITIES}")
        if granularity == "epoch":
            self.train(1)
            return self.frame()
        total = self.total_positions
        if granularity == "compute":
            target = self.position + 1
        else:
            target = next(
                p for p in range(self.position + 1, self.position + total + 1)
                if self._ends_timestep(p % total)
            )  # fmt: skip
        if target >= total:  # stepped past `update`: the weights change
            self._apply_update()
        self.position = target % total
        return self.frame()

    def jump(self, phase: str, t: int | None = None) -> dict[str, Any]:
        """Put the cursor at the start of ``phase`` (and of time step ``t`` there)."""
        position = self.phase_start(phase)
        if t is not None:
            T, L = self.config.train.window, self.config.model.layers
            if phase not in ("forward", "backward") or not 0 <= t < T:
                raise ValueError(f"t must be between 0 and {T - 1} in forward or backward")
            if phase == "forward":
                position += t * L * len(self.steps)
            else:
                position += (T - 1 - t) * L * len(self.backward_steps)
        self.position = position
        return self.frame()

    def _ends_timestep(self, position: int) -> bool:
        phase, _, layer, step = self.locate(position)
        L = self.config.model.layers
        if phase == "forward":
            return layer == L - 1 and step == len(self.steps) - 1
        if phase == "backward":
            return layer == 0 and step == len(self.backward_steps) - 1
        if phase == "update":
            return layer == L
        return True

    def train(self, epochs: int = 1) -> list[float]:
        """Train ``epochs`` epochs. The cursor goes to the window's ``validate`` step: the
        new weights' forward pass over the window is computed and its error measured (the
        sequence plot shows that prediction); stepping on goes backward through it."""
        cfg = self.config
        lr = jax.device_put(np.float32(cfg.learning_rate))
        noise = jax.device_put(np.float32(cfg.noise))
        max_norm = clip_norm(cfg.clip)
        new_losses = []
        for _ in range(epochs):
            self.params, self.opt_state, self.key, metrics = train_epoch(
                self.params, self.opt_state, self.key, lr, noise, max_norm,
                config=cfg.model, spec=cfg.train, series=cfg.series,
            )  # fmt: skip
            loss = float(metrics.loss)
            self.epoch += 1
            blown = not math.isfinite(loss) or loss > DIVERGED_LOSS
            if blown or int(metrics.skipped) == cfg.train.batches:
                self.status = "diverged"
            else:
                self.losses.append(loss)
                new_losses.append(loss)
        self.position = self.phase_start("validate")
        self._refresh_trace()
        return new_losses

    # -- frames (built in engine.frames) ---------------------------------------
    def frame(self) -> dict[str, Any]:
        """The current frame: where we are and the numbers computed so far there.

        Built once per position and state (the step's reply and each view read it: a
        room of learners playing builds hundreds a second); treat it as read-only."""
        key = (self.position, self.epoch, self.updates, len(self.losses), self._status)
        if self._frame is None or self._frame[0] != key:
            self._frame = (key, frames.frame(self))
        return self._frame[1]

    def cell_values(self, t: int, layer: int, upto: int) -> dict[str, list[float | None]]:
        """The quantities of cell (t, layer) revealed by compute steps 0…upto."""
        return frames.cell_values(self, t, layer, upto)

    def cell_terms(self, t: int, layer: int, upto: int, unit: int) -> dict[str, frames.Terms]:
        """The arithmetic of ``unit`` for the quantities compute steps 1…upto revealed."""
        return frames.cell_terms(self, t, layer, upto, unit)

    def backward_terms(self, t: int, layer: int, step: int, unit: int) -> dict[str, frames.Terms]:
        """The factors of ``unit``'s gradients revealed by backward steps 0…step."""
        return frames.backward_terms(self, t, layer, step, unit)

    def targets(self) -> np.ndarray:
        """Ground truth f(x_{t+1}) for the window and the continuation: (T + C,). For a
        learner's series, the points after the window's; NaN past the series' end."""
        return self.window.targets

    def sequence(self) -> dict[str, Any]:
        """Input, target and prediction on their x positions, for the sequence plot."""
        self.window  # noqa: B018 - built with the window
        return self._sequence
