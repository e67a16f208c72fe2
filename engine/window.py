"""The displayed window of a lab: what its frames read for one set of weights.

One jitted run of the whole window (padded to its bucket, see ``engine.programs``) and
the continuation after it, copied to the host once, with the targets and the host copy
of the weights; then, when a frame first needs them, the backward pass over that run
(∂L/∂h_t, ∂L/∂c_t, the gradient at each gate) and the weight change ΔW that stepping
past ``update`` applies.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from engine.backward import WindowGradients, gradients_key, update_key, window_gradients
from engine.backward import weight_update as _weight_update
from engine.data import FUNCTIONS, positions
from engine.lab_config import LabConfig
from engine.model import ModelConfig, ModelParams, continue_sequence, masked_run
from engine.programs import (
    CONTINUATION_BUCKETS,
    PROGRAMS,
    WINDOW_BUCKETS,
    ProgramKey,
    bucket,
    program_key,
)
from engine.train import epoch_key


class WindowTrace(NamedTuple):
    """Host copy of one run over the displayed window."""

    xs: np.ndarray  # (T, 1) inputs as fed (noise included)
    ys: np.ndarray  # (T, 1) one-step predictions ŷ_t
    traces: tuple[Any, ...]  # per layer, each field (T, H)
    continuation: np.ndarray  # (C, 1)


def _run_window(
    params: ModelParams,
    xs: jax.Array,
    length: jax.Array,
    *,
    config: ModelConfig,
    n_continue: int,
    window: int,
) -> tuple[jax.Array, tuple[Any, ...], jax.Array]:
    """The window ``xs`` (padded to its bucket) run for its first ``length`` steps, then
    continued ``n_continue`` steps. Past ``length`` the state is frozen, so the last
    prediction is that of step ``length`` − 1 and the continuation starts from there."""
    mask = jnp.arange(window) < length  # xs: (window, 1)
    ys, traces, carries = masked_run(config, params, xs, mask)
    return ys, traces, continue_sequence(config, params, carries, ys[-1], n_continue)


def window_programs(config: LabConfig) -> list[ProgramKey]:
    """The compiled programs a lab of ``config`` uses: its window run, its backward pass
    and weight update, and its training epoch (see ``engine.programs``)."""
    model, T = config.model, bucket(config.train.window, WINDOW_BUCKETS)
    C = bucket(config.continuation, CONTINUATION_BUCKETS)
    return [
        program_key(_run_window, config=model, n_continue=C, window=T),
        gradients_key(model, T),
        update_key(model, config.train.optimizer),
        epoch_key(model, config.train),
    ]


class Window:
    """The window of a lab of ``config`` with weights ``params``: the forward pass is run
    on creation, its gradients and the pending update are computed when first asked for
    (once each: the weights do not change under a window)."""

    def __init__(self, config: LabConfig, params: ModelParams, opt_state: Any) -> None:
        self.config, self.params, self.opt_state = config, params, opt_state
        T = config.train.window
        n = T + config.continuation
        if config.series is not None:  # the first T points, then what follows (NaN past the end)
            read = config.series.read()
            clean = read[:T]
            targets = np.full(n, np.nan, np.float32)
            targets[: len(read) - 1] = read[1 : n + 1]
        else:
            data = FUNCTIONS[config.train.dataset]
            clean = data.fn(positions(data, config.start, T), np).astype(np.float32)
            targets = data.fn(positions(data, config.start + data.dx, n), np).astype(np.float32)
        rng = np.random.default_rng(config.seed)
        xs = (clean + config.noise * rng.uniform(-1, 1, T).astype(np.float32))[:, None]
        padded = np.zeros((bucket(T, WINDOW_BUCKETS), 1), np.float32)
        padded[:T] = xs
        ys, traces, cont = jax.device_get(
            PROGRAMS.call(
                _run_window, params, jax.device_put(padded), np.int32(T),
                config=config.model, n_continue=bucket(config.continuation, CONTINUATION_BUCKETS),
                window=len(padded),
            )
        )  # fmt: skip
        traces = jax.tree_util.tree_map(lambda a: a[:T], traces)  # the real steps only
        cont = cont[: config.continuation]
        self.trace = WindowTrace(xs=xs, ys=ys[:T], traces=traces, continuation=cont)
        # Frames read single rows of the weights many times a second, and each read of a
        # device array copies it: the host copy is taken once per set of weights.
        self.host_params: ModelParams = jax.device_get(params)
        self.targets: np.ndarray = targets  # (T + C,) ground truth f(x_{t+1})
        self.finite = all(np.all(np.isfinite(a)) for a in jax.tree_util.tree_leaves(self.trace))
        self._grads: WindowGradients | None = None
        self._pending: tuple[ModelParams, Any, bool] | None = None

    def gradients(self) -> WindowGradients:
        """The backward pass over the window."""
        if self._grads is None:
            T = self.config.train.window
            self._grads = window_gradients(
                self.config.model, self.params, self.trace.xs, self.targets[:T]
            )
        return self._grads

    def pending_update(self) -> tuple[ModelParams, Any, bool]:
        """(new params, new optimiser state, skipped) that stepping past `update` applies."""
        if self._pending is None:
            cfg = self.config
            self._pending = _weight_update(
                self.params, self.opt_state, self.gradients(), cfg.learning_rate,
                cfg.train.optimizer, cfg.model, cfg.clip,
            )  # fmt: skip
        return self._pending
