"""Generation from a trained text model (``engine.text``): continue a prefix character
by character, each fed back as the next input, drawn from p = softmax(z / τ) (τ = 0:
greedy); and every intermediate of reading a prefix (``read_prefix``).
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from engine.model import ModelConfig, masked_run, model_step
from engine.text import TextParams, encode, mask_logits
from engine.text_corpus import TextConfig, TextData, text_data

Array = jax.Array

GENERATE_BUCKETS = (8, 32, 128, 512)  # generation lengths are rounded up to one of these
MAX_TEMPERATURE = 2.0
MIN_TEMPERATURE = 1e-3  # temperatures below this sample like greedy decoding


def next_distribution(z: Array, n_vocab: Array, temperature: Array) -> tuple[Array, Array]:
    """(z / τ, p) for logits z (…, V): p = softmax(z / τ) over the real vocabulary, τ
    floored at MIN_TEMPERATURE; τ = 0 gives the one-hot of arg max z (greedy)."""
    scaled = mask_logits(z, n_vocab) / jnp.maximum(temperature, MIN_TEMPERATURE)
    greedy = jax.nn.one_hot(jnp.argmax(scaled, axis=-1), z.shape[-1])
    return scaled, jnp.where(temperature <= 0, greedy, jax.nn.softmax(scaled, axis=-1))


@partial(jax.jit, static_argnames=("model", "steps"))
def _generate(
    params: TextParams,
    ids: Array,
    mask: Array,
    n_vocab: Array,
    temperature: Array,
    key: Array,
    *,
    model: ModelConfig,
    steps: int,
) -> tuple[tuple[Array, Array], tuple[Array, Array, Array, tuple[Any, ...]]]:
    """Read the left-padded prefix, then choose ``steps`` characters, feeding each back.

    Returns (chosen ids, their distributions) and what reading the prefix computed: its
    inputs x_t, masked scores ŷ_t, distributions p_t and traces (``read_prefix``)."""
    xs = encode(params, ids, model)
    ys, traces, carries = masked_run(model, params.model, xs, mask)

    def step(state: tuple[Any, Array], k: Array) -> tuple[Any, tuple[Array, Array]]:
        carries, z = state
        z, p = next_distribution(z, n_vocab, temperature)
        c = jnp.where(temperature <= 0, jnp.argmax(z), jax.random.categorical(k, z))
        carries, (_, z_next) = model_step(model, params.model, carries, encode(params, c, model))
        return (carries, z_next), (c, p)

    _, (chars, probs) = jax.lax.scan(step, (carries, ys[-1]), jax.random.split(key, steps))
    _, read_probs = next_distribution(ys, n_vocab, temperature)
    return (chars, probs), (xs, mask_logits(ys, n_vocab), read_probs, traces)


class Generated(NamedTuple):
    text: str  # the n chosen characters (the prefix not included)
    probs: np.ndarray  # (n, V) the distribution softmax(z / temperature) each was drawn from


def _prefix(config: TextConfig, prefix: str) -> tuple[TextData, Array, Array]:
    """The last ``window`` characters of the prefix, left-padded and masked."""
    if not prefix:
        raise ValueError("the prefix is empty: give at least one character")
    data = text_data(config)
    ids = data.vocab.encode(prefix.lower())[-config.window :]
    pad = config.window - len(ids)
    padded = np.concatenate([np.zeros(pad, np.int32), ids])
    return data, jnp.asarray(padded), jnp.asarray(np.arange(config.window) >= pad)


def _check_temperature(temperature: float) -> Array:
    if not 0.0 <= temperature <= MAX_TEMPERATURE:
        raise ValueError(f"temperature must be between 0 and {MAX_TEMPERATURE}")
    return jnp.asarray(temperature, jnp.float32)


def generate(
    params: TextParams,
    config: TextConfig,
    prefix: str,
    n: int,
    temperature: float = 1.0,
    *,
    key: int | Array,
) -> Generated:
    """Continue ``prefix`` by ``n`` characters, each fed back as the next input.

    The model reads the prefix's last ``window`` characters from a zero state, as in
    training. Temperature 0 takes argmax z (greedy, ``key`` unused); otherwise each
    character is drawn from softmax(z / temperature), temperature ≤ 2.
    """
    if not 1 <= n <= GENERATE_BUCKETS[-1]:
        raise ValueError(f"n must be between 1 and {GENERATE_BUCKETS[-1]}")
    t = _check_temperature(temperature)
    data, ids, mask = _prefix(config, prefix)
    k = jax.random.key(key) if isinstance(key, int) else key
    steps = next(b for b in GENERATE_BUCKETS if b >= n)
    generated, _ = _generate(params, ids, mask, data.n_vocab, t, k, model=config.model,
                             steps=steps)  # fmt: skip
    chars, probs = jax.device_get(generated)
    V = len(data.vocab)
    return Generated(text=data.vocab.decode(chars[:n]), probs=np.asarray(probs[:n, :V]))


def predict_distribution(
    params: TextParams, config: TextConfig, prefix: str, temperature: float = 1.0
) -> np.ndarray:
    """p = softmax(z / temperature) over the vocabulary (V,) for the character after
    ``prefix`` (its last ``window`` characters); temperature 0 gives one-hot argmax."""
    return generate(params, config, prefix, 1, temperature, key=0).probs[0]


class PrefixRead(NamedTuple):
    """Every intermediate of the model reading a prefix, on the host, real steps only:
    what ``generate`` computes before it chooses its first character."""

    chars: str  # c_0 … c_{n−1}: the prefix's last ``window`` characters
    ids: np.ndarray  # (n,) their ids
    xs: np.ndarray  # (n, D) x_t: onehot(c_t) or E[c_t]
    traces: tuple[Any, ...]  # per layer, each trace field (n, H)
    scores: np.ndarray  # (n, V) ŷ_t = W_y h^L_t + b_y over the text's V characters
    probs: np.ndarray  # (n, V) p_t = softmax(ŷ_t / τ)


def read_prefix(
    params: TextParams, config: TextConfig, prefix: str, temperature: float = 1.0
) -> PrefixRead:
    """The forward pass over ``prefix`` (its last ``window`` characters, from a zero
    state) with every intermediate: the very program ``predict_distribution`` runs (one
    character generated), so ``probs[-1]`` is its distribution."""
    t = _check_temperature(temperature)
    data, ids, mask = _prefix(config, prefix)
    steps = GENERATE_BUCKETS[0]
    _, read = _generate(params, ids, mask, data.n_vocab, t, jax.random.key(0),
                        model=config.model, steps=steps)  # fmt: skip
    xs, scores, probs, traces = jax.device_get(read)
    n, V = int(np.sum(np.asarray(mask))), len(data.vocab)
    real = slice(config.window - n, None)  # left padding: the real steps are the last n
    return PrefixRead(
        chars=data.vocab.decode(np.asarray(ids)[real]),
        ids=np.asarray(ids)[real],
        xs=np.asarray(xs)[real],
        traces=jax.tree_util.tree_map(lambda a: np.asarray(a)[real], traces),
        scores=np.asarray(scores)[real, :V],
        probs=np.asarray(probs)[real, :V],
    )
