"""Next-character prediction on short texts ("abab…", lorem ipsum, the learner's own).

A text is read as a cyclic stream of characters c_0 c_1 …; a window of T = 20
characters (exploRNN's text window) feeds the stack one character per step and
the model predicts the next character at every step:

    x_t = onehot(c_t)   or   x_t = E[c_t]           E: learned embedding (V × D_e)
    z_t = W_y h^L_t + b_y                           logits over the vocabulary
    p_t = softmax(z_t),   p_{t,k} = exp(z_{t,k}) / Σ_j exp(z_{t,j})
    L   = −mean_{n,t} log p_{n,t}[c_{n,t+1}]        cross-entropy of the next character

The vocabulary is padded to a bucket (32 entries, 64 for the learner's text) and
every text to one stream length, so all texts share one compiled program; a
padded vocabulary entry gets the logit −1e9, hence probability 0.
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from engine.model import ModelConfig, ModelParams, run
from engine.model import init_params as init_model_params
from engine.text_corpus import TextConfig, text_data
from engine.train import TaskMetrics, apply_update, cross_entropy, make_transform

Array = jax.Array

MASKED_LOGIT = -1e9  # finite, so nothing non-finite can leave the engine


class TextParams(NamedTuple):
    embedding: Array | None  # (V, D_e) for encoding == "embedding", else None
    model: ModelParams


def init_params(config: TextConfig, *, key: int) -> TextParams:
    """Initial weights from the seed ``key``; embedding rows E_k ~ N(0, I)."""
    model = init_model_params(config.model, key=key)
    if config.encoding == "onehot":
        return TextParams(embedding=None, model=model)
    rng = np.random.default_rng([key, 1])  # a stream apart from the model's
    E = rng.normal(0.0, 1.0, (config.vocab_size, config.embed_dim)).astype(np.float32)
    return TextParams(embedding=jnp.asarray(E), model=model)


def init_opt_state(config: TextConfig, params: TextParams) -> Any:
    return make_transform(config.optimizer).init(params)


def encode(params: TextParams, ids: Array, model: ModelConfig) -> Array:
    """x_t: onehot(c_t) of size V, or the embedding row E[c_t]."""
    if params.embedding is None:
        return jax.nn.one_hot(ids, model.input_size)
    return params.embedding[ids]


def mask_logits(z: Array, n_vocab: Array) -> Array:
    """Logits of padded vocabulary entries (id ≥ n_vocab) set to −1e9: probability 0."""
    return jnp.where(jnp.arange(z.shape[-1]) < n_vocab, z, MASKED_LOGIT)


def window_logits(params: TextParams, model: ModelConfig, xs: Array, n_vocab: Array) -> Array:
    """Masked logits z_t (T, V) for the window of character ids xs (T,)."""
    ys, _, _ = run(model, params.model, encode(params, xs, model))
    return mask_logits(ys, n_vocab)


def batch_loss(
    params: TextParams, xs: Array, ys: Array, n_vocab: Array, model: ModelConfig
) -> tuple[Array, Array]:
    """(cross-entropy, accuracy) of the next character over windows xs, ys (B, T)."""
    z = jax.vmap(lambda x: window_logits(params, model, x, n_vocab))(xs)  # (B, T, V)
    return cross_entropy(z, ys)


def sample_windows(
    ids: Array, length: Array, n: int, window: int, *, key: Array
) -> tuple[Array, Array]:
    """``n`` windows at uniform starts in the cyclic stream: inputs and next-character
    targets (n, window), target_t = input_{t+1}."""
    starts = jax.random.randint(key, (n, 1), 0, length)
    chars = ids[(starts + jnp.arange(window + 1)) % length]  # (n, T+1)
    return chars[:, :-1], chars[:, 1:]


@partial(jax.jit, static_argnames=("model", "batches", "batch_size", "window", "optimizer"))
def _epoch(
    params: TextParams,
    opt_state: Any,
    key: Array,
    learning_rate: Array,
    ids: Array,
    length: Array,
    n_vocab: Array,
    *,
    model: ModelConfig,
    batches: int,
    batch_size: int,
    window: int,
    optimizer: str,
) -> tuple[TextParams, Any, Array, TaskMetrics]:
    key, k_data = jax.random.split(key)
    xs, ys = sample_windows(ids, length, batches * batch_size, window, key=k_data)
    xs = xs.reshape(batches, batch_size, window)  # (N, B, T)
    ys = ys.reshape(batches, batch_size, window)
    transform = make_transform(optimizer)
    grad = jax.value_and_grad(batch_loss, has_aux=True)

    def update(carry: tuple[TextParams, Any], batch: tuple[Array, Array]) -> tuple[Any, Any]:
        params, opt_state = carry
        (loss, accuracy), grads = grad(params, *batch, n_vocab, model)
        params, opt_state, skipped = apply_update(
            params, opt_state, grads, loss, transform, learning_rate
        )
        return (params, opt_state), (loss, accuracy, skipped)

    (params, opt_state), (loss, acc, skipped) = jax.lax.scan(update, (params, opt_state), (xs, ys))
    return params, opt_state, key, TaskMetrics(jnp.mean(loss), jnp.mean(acc), jnp.sum(skipped))


def train_epoch(
    params: TextParams, opt_state: Any, key: Array, learning_rate: Any, config: TextConfig
) -> tuple[TextParams, Any, Array, TaskMetrics]:
    """One epoch (one jitted ``lax.scan`` over batches) on freshly sampled windows.

    Returns the next key too. The text is an argument, not a constant: a new text of
    the same vocabulary bucket does not recompile.
    """
    data = text_data(config)
    lr = jnp.asarray(learning_rate, jnp.float32)
    return _epoch(
        params, opt_state, key, lr, data.ids, data.length, data.n_vocab,
        model=config.model, batches=config.batches, batch_size=config.batch_size,
        window=config.window, optimizer=config.optimizer,
    )  # fmt: skip
