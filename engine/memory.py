"""Delayed recall: a task where memory decides (module 4's "why LSTM").

A sequence of T letters s_0 … s_{T−1}, each drawn uniformly from K = 4 (A, B, C, D);
one position m, uniform in the first half (0 ≤ m < ⌊T/2⌋), is *marked*. After the
last letter the network must name the marked one, s_m. Every letter, marked or not,
comes from the same four, so the answer is in no way visible at the end: between the
marked letter and the question come at least T − ⌊T/2⌋ others.

    x_t = [onehot_K(s_t), 1{t = m}]                       (K + 1,) letter and marker bit
    s_t = cell(s_{t−1}, x_t)                               one layer, H units, from zero
    z   = W_y h_{T−1} + b_y,   p = softmax(z)              (K,) after the last letter
    L   = −mean_n log p_n[s_{m_n}]                         cross-entropy over a batch
    accuracy = mean_n 1{argmax z_n = s_{m_n}};  chance = 1/K = 25 %

A vanilla RNN's state h_t = tanh(W_x x_t + W_h h_{t−1} + b) takes every letter in
through the same W_x: it cannot let the marked letter in and keep the rest out, so
the letters after it wash it away. An LSTM's input gate i_t = σ(W_xi x_t + …) can
open on the marker bit alone and its forget gate keep c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t;
a GRU's update gate z_t does both jobs (h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}).

Shapes come from the window buckets (``engine.programs``): a sequence of T letters
runs as ``bucket(T)`` steps with the steps past T masked (``model.masked_run``: the
state stops changing there, so the numbers are those of T steps). Training sequences
are drawn afresh every epoch from the epoch's key (the three cells given the same
seed see the same letters); accuracy is measured on a held-out set drawn from a key of
its own, the same for every network and every epoch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from engine.checks import choice, exact_int, normalise
from engine.model import CELL_KINDS, ModelConfig, ModelParams, masked_run
from engine.model import init_params as init_model_params
from engine.programs import PROGRAMS, WINDOW_BUCKETS, ProgramKey, bucket, program_key
from engine.train import OPTIMIZERS, apply_update, cross_entropy, make_transform

Array = jax.Array

SYMBOLS = "ABCD"  # K = 4: chance is 25 %
MIN_LENGTH, MAX_LENGTH = 4, 32  # T: the marked letter is followed by at least 2 … 16 more
HELDOUT = 500  # held-out sequences the accuracy is measured on
HELDOUT_KEY = 2**31 - 2  # its PRNG key: apart from any lesson's seed
LEARNING_RATE = 0.01


class MemoryMetrics(NamedTuple):
    loss: Array  # mean training cross-entropy over the epoch's batches
    accuracy: Array  # fraction of the epoch's training sequences answered right
    heldout: Array  # fraction of the HELDOUT held-out sequences answered right, after it
    skipped: Array  # updates skipped as non-finite


@dataclass(frozen=True)
class MemoryConfig:
    """One network on the task. Frozen and hashable; ``model``'s input (K + 1) and
    output (K) sizes are filled in here."""

    cell: str = "lstm"
    length: int = 16  # T, letters per sequence
    hidden: int = 16
    sequences: int = 1000  # fresh training sequences per epoch
    batch_size: int = 25  # 40 updates per epoch
    optimizer: str = "rmsprop"

    def __post_init__(self) -> None:
        choice("cell", self.cell, CELL_KINDS)
        normalise(self, "length", exact_int("length", self.length, MIN_LENGTH, MAX_LENGTH))
        normalise(self, "batch_size", exact_int("batch_size", self.batch_size, 5, 50))
        normalise(self, "sequences", exact_int("sequences", self.sequences, self.batch_size, 5000))
        choice("optimizer", self.optimizer, OPTIMIZERS)
        self.model.hidden  # noqa: B018  (ModelConfig checks the hidden size)

    @property
    def model(self) -> ModelConfig:
        K = len(SYMBOLS)
        return ModelConfig(
            cell=self.cell, layers=1, hidden=self.hidden, input_size=K + 1, output_size=K
        )

    @property
    def steps(self) -> int:
        """The bucket the sequences run as (``engine.programs``)."""
        return bucket(self.length, WINDOW_BUCKETS)

    @property
    def batches(self) -> int:
        return self.sequences // self.batch_size


def sample(key: Array, n: int, length: Array | int, steps: int) -> tuple[Array, Array, Array]:
    """``n`` sequences of ``length`` letters padded to ``steps``: xs (n, steps, K + 1),
    the marked letters ys (n,) and the marked positions (n,). Past ``length`` the
    inputs are zero (and masked in the model)."""
    K = len(SYMBOLS)
    k_letters, k_mark = jax.random.split(key)
    letters = jax.random.randint(k_letters, (n, steps), 0, K)  # (n, T)
    marked = jax.random.randint(k_mark, (n,), 0, jnp.asarray(length) // 2)  # (n,)
    t = jnp.arange(steps)
    real = (t < length)[None, :, None]
    bit = (t[None, :] == marked[:, None]).astype(jnp.float32)[..., None]  # (n, T, 1)
    xs = jnp.concatenate([jax.nn.one_hot(letters, K), bit], axis=-1) * real
    return xs, letters[jnp.arange(n), marked], marked


def batch_loss(
    params: ModelParams, xs: Array, ys: Array, mask: Array, model: ModelConfig
) -> tuple[Array, Array]:
    """(cross-entropy, accuracy) of the answer after the last real letter; xs (B, T, K+1)."""
    zs, _, _ = jax.vmap(lambda x: masked_run(model, params, x, mask))(xs)
    return cross_entropy(zs[:, -1], ys)


def init_params(config: MemoryConfig, *, key: int) -> ModelParams:
    """The model's initial weights from the seed ``key`` (``model.init_params``)."""
    return init_model_params(config.model, key=key)


def init_opt_state(config: MemoryConfig, params: ModelParams) -> Any:
    shapes = jax.eval_shape(make_transform(config.optimizer).init, params)
    return jax.tree_util.tree_map(lambda s: jax.device_put(np.zeros(s.shape, s.dtype)), shapes)


def _epoch(
    params: ModelParams,
    opt_state: Any,
    key: Array,
    learning_rate: Array,
    length: Array,
    *,
    model: ModelConfig,
    steps: int,
    batches: int,
    batch_size: int,
    optimizer: str,
) -> tuple[ModelParams, Any, Array, MemoryMetrics]:
    key, k_data = jax.random.split(key)
    xs, ys, _ = sample(k_data, batches * batch_size, length, steps)
    xs = xs.reshape(batches, batch_size, steps, -1)  # (N, B, T, K+1)
    ys = ys.reshape(batches, batch_size)
    mask = jnp.arange(steps) < length
    transform = make_transform(optimizer)
    grad = jax.value_and_grad(batch_loss, has_aux=True)

    def update(carry: tuple[ModelParams, Any], batch: tuple[Array, Array]) -> tuple[Any, Any]:
        params, opt_state = carry
        (loss, accuracy), grads = grad(params, *batch, mask, model)
        params, opt_state, skipped = apply_update(
            params, opt_state, grads, loss, transform, learning_rate
        )
        return (params, opt_state), (loss, accuracy, skipped)

    (params, opt_state), (loss, acc, skipped) = jax.lax.scan(update, (params, opt_state), (xs, ys))
    heldout = _heldout_accuracy(params, length, model=model, steps=steps)  # one program, not two
    metrics = MemoryMetrics(jnp.mean(loss), jnp.mean(acc), heldout, jnp.sum(skipped))
    return params, opt_state, key, metrics


def _static(config: MemoryConfig) -> dict[str, Any]:
    return {
        "model": config.model,
        "steps": config.steps,
        "batches": config.batches,
        "batch_size": config.batch_size,
        "optimizer": config.optimizer,
    }


def train_epoch(
    params: ModelParams,
    opt_state: Any,
    key: Array,
    config: MemoryConfig,
    learning_rate: float = LEARNING_RATE,
) -> tuple[ModelParams, Any, Array, MemoryMetrics]:
    """One epoch on ``config.sequences`` fresh sequences (one jitted ``lax.scan`` over
    batches, clipped RMSprop updates as every task), then the held-out accuracy; returns
    the next key too. The length is a run-time argument: every length of a bucket shares
    one program."""
    lr = jnp.asarray(learning_rate, jnp.float32)
    return PROGRAMS.call(  # type: ignore[no-any-return]
        _epoch, params, opt_state, key, lr, np.int32(config.length), **_static(config)
    )


def _heldout_accuracy(
    params: ModelParams, length: Array, *, model: ModelConfig, steps: int
) -> Array:
    xs, ys, _ = sample(jax.random.PRNGKey(HELDOUT_KEY), HELDOUT, length, steps)
    return batch_loss(params, xs, ys, jnp.arange(steps) < length, model)[1]


def accuracy(params: ModelParams, config: MemoryConfig) -> float:
    """The fraction of the ``HELDOUT`` held-out sequences (the same for every network of
    this length) whose marked letter the network names (``train_epoch`` measures it too,
    in its own program)."""
    out = PROGRAMS.call(
        _heldout_accuracy, params, np.int32(config.length), model=config.model, steps=config.steps
    )
    return float(out)


def programs(config: MemoryConfig) -> list[ProgramKey]:
    """The compiled program a network of ``config`` trains with."""
    return [program_key(_epoch, **_static(config))]


def example(length: int, seed: int) -> dict[str, Any]:
    """One sequence of ``length`` letters to show a learner, drawn as the task draws
    them (letters uniform, the mark uniform in the first half) from ``seed`` with NumPy:
    its ``letters`` (str), the ``marked`` position and the ``answer``."""
    rng = np.random.default_rng([seed, length])
    letters = rng.integers(0, len(SYMBOLS), length)
    marked = int(rng.integers(0, length // 2))
    shown = "".join(SYMBOLS[int(k)] for k in letters)
    return {"letters": shown, "marked": marked, "answer": shown[marked]}
