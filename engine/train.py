"""The jitted training epoch: one ``lax.scan`` over batches.

Loss is the mean squared error of the next-point prediction over every step of
every window, L = mean_{n,t} (ŷ_{n,t} − y_{n,t})². Each batch update is

    g ← clip_by_global_norm(∇L, max_norm)   (max_norm = ∞: clipping off)
    u ← transform(g)              (RMSprop: g / √(v + ε), Adam, or SGD: g)
    θ ← θ − η u

and is skipped (θ and the optimiser state kept) when the loss or any gradient
is not finite, so a diverging run leaves the last finite weights in place.
The learning rate η, the noise and the clipping norm are float32 arguments, not
closure constants, so changing them (or turning clipping off) never recompiles.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from engine.checks import choice, exact_int, normalise
from engine.data import FUNCTIONS, sample_any_windows
from engine.model import ModelConfig, ModelParams, masked_run, run
from engine.programs import PROGRAMS, WINDOW_BUCKETS, ProgramKey, bucket, program_key
from engine.series import OWN, Series, sample_series_windows

Array = jax.Array

OPTIMIZERS = ("rmsprop", "adam", "sgd")
DATASETS = tuple(FUNCTIONS)
MAX_NORM = 1.0  # the global gradient norm clipping brings a larger gradient down to


def clip_norm(clip: bool) -> Array:
    """The ``max_norm`` argument of an update: MAX_NORM with clipping, ∞ without (a
    finite gradient is then never scaled). A float32 array, so both share one program."""
    return jax.device_put(np.float32(MAX_NORM if clip else np.inf))


@dataclass(frozen=True)
class TrainSpec:
    """What an epoch trains on. Static for jit: each distinct spec compiles once."""

    dataset: str = "sine"
    window: int = 15  # exploRNN's input window
    sequences: int = 100  # windows per epoch
    batch_size: int = 25
    optimizer: str = "rmsprop"

    def __post_init__(self) -> None:
        choice("dataset", self.dataset, (*FUNCTIONS, OWN))
        choice("optimizer", self.optimizer, OPTIMIZERS)
        normalise(self, "batch_size", exact_int("batch_size", self.batch_size, 5, 50))
        normalise(self, "window", exact_int("window", self.window, 2, 64))
        normalise(self, "sequences", exact_int("sequences", self.sequences, self.batch_size, 1000))

    @property
    def batches(self) -> int:
        return max(1, self.sequences // self.batch_size)


class EpochMetrics(NamedTuple):
    loss: Array  # mean training loss over the epoch's batches
    skipped: Array  # number of updates skipped as non-finite


class TaskMetrics(NamedTuple):
    loss: Array  # mean training cross-entropy over the epoch's batches
    accuracy: Array  # fraction of targets whose most probable class was right
    skipped: Array  # updates skipped as non-finite


def make_transform(name: str) -> optax.GradientTransformation:
    """The optimiser without its learning rate (η is applied in the epoch)."""
    if name == "rmsprop":
        return optax.scale_by_rms(decay=0.9, eps=1e-8)
    if name == "adam":
        return optax.scale_by_adam()
    return optax.identity()


def init_opt_state(spec: TrainSpec, params: ModelParams) -> Any:
    """The optimiser's initial state, built as NumPy zeros of the right shapes
    (``eval_shape`` traces ``init`` without compiling a program per shape)."""
    shapes = jax.eval_shape(make_transform(spec.optimizer).init, params)
    return jax.tree_util.tree_map(lambda s: jax.device_put(np.zeros(s.shape, s.dtype)), shapes)


def batch_loss(
    config: ModelConfig, params: ModelParams, xs: Array, ys: Array, mask: Array | None = None
) -> Array:
    """Mean squared next-point error over a batch: xs, ys (B, T, 1). With ``mask`` (T,),
    the windows are padded: only the steps where it is True run and count."""
    if mask is None:
        preds, _, _ = jax.vmap(lambda seq: run(config, params, seq))(xs)
        return jnp.mean((preds - ys) ** 2)
    preds, _, _ = jax.vmap(lambda seq: masked_run(config, params, seq, mask))(xs)
    err = jnp.where(mask[None, :, None], preds - ys, 0.0)
    return jnp.sum(err**2) / (xs.shape[0] * jnp.sum(mask))


def _all_finite(tree: Any) -> Array:
    leaves = jax.tree_util.tree_leaves(tree)
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in leaves]))


def apply_update(
    params: Any,
    opt_state: Any,
    grads: Any,
    loss: Array,
    transform: optax.GradientTransformation,
    learning_rate: Array,
    max_norm: Array | float = MAX_NORM,
) -> tuple[Any, Any, Array]:
    """One clipped, scaled update θ ← θ − η·transform(clip(g)), skipped when anything
    is non-finite. Returns (params, opt_state, skipped). Every task's epoch uses this."""
    clip = optax.clip_by_global_norm(max_norm)
    grads, _ = clip.update(grads, clip.init(params))
    updates, new_opt_state = transform.update(grads, opt_state, params)
    new_params = jax.tree_util.tree_map(lambda p, u: p - learning_rate * u, params, updates)
    ok = jnp.isfinite(loss) & _all_finite(grads) & _all_finite(new_params)
    keep = partial(jax.tree_util.tree_map, lambda new, old: jnp.where(ok, new, old))
    return keep(new_params, params), keep(new_opt_state, opt_state), ~ok


def train_epoch(
    params: ModelParams,
    opt_state: Any,
    key: Array,
    learning_rate: Array,
    noise: Array,
    max_norm: Array | float = MAX_NORM,
    *,
    config: ModelConfig,
    spec: TrainSpec,
    series: Series | None = None,
) -> tuple[ModelParams, Any, Array, EpochMetrics]:
    """One epoch on freshly sampled windows; returns the next key too. Runs the program
    of the window's bucket (``engine.programs``), the dataset chosen at run time;
    ``max_norm``: the clipping norm (``clip_norm``). A learner's ``series`` (dataset
    OWN) has a program of its own, the series a run-time argument of it."""
    if spec.dataset == OWN:
        if series is None:
            raise ValueError("the dataset 'own' trains on a series: give one")
        return PROGRAMS.call(  # type: ignore[no-any-return]
            _series_epoch, params, opt_state, key, learning_rate, noise, jnp.float32(max_norm),
            np.int32(spec.window), jax.device_put(series.padded()), np.int32(len(series)),
            config=config, spec=_program_spec(spec),
        )  # fmt: skip
    return PROGRAMS.call(  # type: ignore[no-any-return]
        _epoch, params, opt_state, key, learning_rate, noise, jnp.float32(max_norm),
        np.int32(spec.window), np.int32(DATASETS.index(spec.dataset)),
        config=config, spec=_program_spec(spec),
    )  # fmt: skip


def epoch_key(config: ModelConfig, spec: TrainSpec) -> ProgramKey:
    """The training epoch's program for ``spec``."""
    epoch = _series_epoch if spec.dataset == OWN else _epoch
    return program_key(epoch, config=config, spec=_program_spec(spec))


def _program_spec(spec: TrainSpec) -> TrainSpec:
    """What of ``spec`` the compiled epoch depends on: the window's bucket, not the
    window, and not the dataset (both are run-time arguments)."""
    return replace(spec, window=bucket(spec.window, WINDOW_BUCKETS), dataset=DATASETS[0])


def _epoch(
    params: ModelParams,
    opt_state: Any,
    key: Array,
    learning_rate: Array,
    noise: Array,
    max_norm: Array,
    length: Array,
    dataset: Array,
    *,
    config: ModelConfig,
    spec: TrainSpec,
) -> tuple[ModelParams, Any, Array, EpochMetrics]:
    """The epoch on windows of ``length`` points (``spec.window`` is their bucket) of the
    ``dataset``-th function."""
    key, k_data = jax.random.split(key)
    n = spec.batches * spec.batch_size
    xs, ys = sample_any_windows(dataset, n, spec.window, noise, key=k_data)
    return _fit(params, opt_state, key, learning_rate, max_norm, length, xs, ys, config, spec)


def _series_epoch(
    params: ModelParams,
    opt_state: Any,
    key: Array,
    learning_rate: Array,
    noise: Array,
    max_norm: Array,
    length: Array,
    values: Array,
    points: Array,
    *,
    config: ModelConfig,
    spec: TrainSpec,
) -> tuple[ModelParams, Any, Array, EpochMetrics]:
    """The epoch on windows of ``length`` points cut from a learner's series
    ``values[:points]`` (padded to MAX_POINTS; ``engine.series``)."""
    key, k_data = jax.random.split(key)
    n = spec.batches * spec.batch_size
    xs, ys = sample_series_windows(values, points, length, n, spec.window, noise, k_data)
    return _fit(params, opt_state, key, learning_rate, max_norm, length, xs, ys, config, spec)


def _fit(
    params: ModelParams,
    opt_state: Any,
    key: Array,
    learning_rate: Array,
    max_norm: Array,
    length: Array,
    xs: Array,
    ys: Array,
    config: ModelConfig,
    spec: TrainSpec,
) -> tuple[ModelParams, Any, Array, EpochMetrics]:
    """One update per batch of the sampled windows xs, ys (N·B, T, 1), in a scan."""
    xs = xs.reshape(spec.batches, spec.batch_size, spec.window, 1)  # (N, B, T, 1)
    ys = ys.reshape(spec.batches, spec.batch_size, spec.window, 1)
    mask = jnp.arange(spec.window) < length
    transform = make_transform(spec.optimizer)

    def update(carry: tuple[ModelParams, Any], batch: tuple[Array, Array]) -> tuple[Any, Any]:
        params, opt_state = carry
        loss_fn = partial(batch_loss, config, mask=mask)
        loss, grads = jax.value_and_grad(loss_fn)(params, *batch)
        params, opt_state, skipped = apply_update(
            params, opt_state, grads, loss, transform, learning_rate, max_norm
        )
        return (params, opt_state), (loss, skipped)

    (params, opt_state), (losses, skipped) = jax.lax.scan(update, (params, opt_state), (xs, ys))
    return params, opt_state, key, EpochMetrics(loss=jnp.mean(losses), skipped=jnp.sum(skipped))


def cross_entropy(z: Array, targets: Array) -> tuple[Array, Array]:
    """(mean −log softmax(z)[y], accuracy of argmax z) over logits z (..., K), targets (...)."""
    logp = jax.nn.log_softmax(z)
    nll = -jnp.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    return jnp.mean(nll), jnp.mean(jnp.argmax(z, axis=-1) == targets)
