"""Encoder–decoder translation with attention (module 5), on the dates of engine.dates.

Encoder, one cell of the configured kind over the source, masked on padding:

    k_s = cell(k_{s-1}, E_src[x_s])   if x_s ≠ <pad>,   else k_s = k_{s-1}

Decoder step t (y_{-1} = <s>; c_0 = 0; the decoder state starts at the encoder's final
state, h or LSTMState(h, c)). Here c_t is the context vector, not an LSTM cell state:

    h_t = cell(h_{t-1}, [E_tgt[y_{t-1}]; c_{t-1}])      the query q_t = h_t
    e_{t,s} = vᵀ tanh(W_q q_t + W_k k_s)                  additive (Bahdanau)
            = q_tᵀ k_s                                    dot (Luong)
            = q_tᵀ W_a k_s                                general (Luong)
    α_t = softmax_s(e_t), with α_{t,s} = 0 where x_s = <pad>
    c_t = Σ_s α_{t,s} k_s
    p_t = softmax(W_o [h_t; c_t] + b_o)                  over the target vocabulary

Training is teacher forced (y_{t-1} is the true previous character) on the mean
cross-entropy L = mean_{n,t} −log p_{n,t}[y_{n,t}]; display decodes greedily
(y_t = argmax p_t, fed back).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from engine import dates
from engine.model import CELL_KINDS, ModelConfig, cell_step, initial_carry
from engine.model import init_params as init_cell_params
from engine.train import OPTIMIZERS, EpochMetrics, apply_update, make_transform

Array = jax.Array

ATTENTIONS = ("additive", "dot", "general")
HIDDEN_SIZES = (8, 16, 32, 64)  # buckets: each size is one compiled program
EMBED_SIZES = (4, 8, 16, 32)
# Adam at 0.01, GRU H=32 E=16, batch 32: ≥ 99.6 % held-out exact match after 6 epochs
# of 3000 dates (10 seeds, additive attention); see tests/engine/test_seq2seq.py.
LEARNING_RATE = 0.01


@dataclass(frozen=True)
class Seq2SeqConfig:
    """Shape and training of a translator. Frozen and hashable: a static jit argument."""

    cell: str = "gru"
    hidden: int = 32  # H, also the attention width of the additive score
    embed: int = 16  # E, for source and target characters alike
    attention: str = "additive"
    batch_size: int = 32
    optimizer: str = "adam"  # at η = LEARNING_RATE; RMSprop at the same η did as well

    def __post_init__(self) -> None:
        if self.cell not in CELL_KINDS:
            raise ValueError(f"cell must be one of {CELL_KINDS}, not {self.cell!r}")
        if self.hidden not in HIDDEN_SIZES:
            raise ValueError(f"hidden must be one of {HIDDEN_SIZES}, not {self.hidden}")
        if self.embed not in EMBED_SIZES:
            raise ValueError(f"embed must be one of {EMBED_SIZES}, not {self.embed}")
        if self.attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {ATTENTIONS}, not {self.attention!r}")
        if not 1 <= self.batch_size <= 64:
            raise ValueError("batch_size must be between 1 and 64")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}")

    def cell_config(self, input_size: int) -> ModelConfig:
        """The one-layer engine.model config of a cell reading ``input_size`` inputs."""
        return ModelConfig(cell=self.cell, layers=1, hidden=self.hidden, input_size=input_size)


class AdditiveParams(NamedTuple):
    W_q: Array  # (H, H) query projection
    W_k: Array  # (H, H) key projection
    v: Array  # (H,)


class DotParams(NamedTuple):
    """The dot score has no weights."""


class GeneralParams(NamedTuple):
    W_a: Array  # (H, H)


class Seq2SeqParams(NamedTuple):
    E_src: Array  # (V_src, E) source character embeddings
    encoder: Any  # RNNParams / LSTMParams / GRUParams reading E
    E_tgt: Array  # (V_tgt, E) target character embeddings
    decoder: Any  # cell params reading [E_tgt[y]; c], E + H
    attention: Any  # AdditiveParams / DotParams / GeneralParams
    W_o: Array  # (V_tgt, 2H) readout of [h_t; c_t]
    b_o: Array  # (V_tgt,)


class DecoderState(NamedTuple):
    carry: Any  # the decoder cell's carry: h, or LSTMState(h, c)
    context: Array  # (H,) c_{t-1}, fed back with the next input


class DecoderTrace(NamedTuple):
    h: Array  # (H,) the query q_t
    e: Array  # (S,) scores e_{t,s} (padding's are ignored by the softmax)
    alpha: Array  # (S,) attention weights α_{t,s}
    context: Array  # (H,) c_t
    logits: Array  # (V_tgt,)


def init_params(config: Seq2SeqConfig, *, key: int) -> Seq2SeqParams:
    """Initial weights drawn with NumPy from the seed ``key`` (fast: no JAX dispatch).

    Cells as engine.model.init_params (U(±1/√H), LSTM forget bias 1); embeddings N(0, 1);
    other matrices U(±1/√fan_in).
    """
    rng = np.random.default_rng(key)
    H, E = config.hidden, config.embed
    V_src, V_tgt = len(dates.SOURCE_VOCAB), len(dates.TARGET_VOCAB)

    def u(fan_in: int, *shape: int) -> Array:
        s = 1.0 / math.sqrt(fan_in)
        return jnp.asarray(rng.uniform(-s, s, shape).astype(np.float32))

    def cell(input_size: int) -> Any:
        seed = int(rng.integers(2**31))
        return init_cell_params(config.cell_config(input_size), key=seed).layers[0]

    def normal(*shape: int) -> Array:
        return jnp.asarray(rng.normal(0.0, 1.0, shape).astype(np.float32))

    attention: Any
    if config.attention == "additive":
        attention = AdditiveParams(W_q=u(H, H, H), W_k=u(H, H, H), v=u(H, H))
    elif config.attention == "general":
        attention = GeneralParams(W_a=u(H, H, H))
    else:
        attention = DotParams()
    return Seq2SeqParams(
        E_src=normal(V_src, E),
        encoder=cell(E),
        E_tgt=normal(V_tgt, E),
        decoder=cell(E + H),
        attention=attention,
        W_o=u(2 * H, V_tgt, 2 * H),
        b_o=u(2 * H, V_tgt),
    )


def _hidden(carry: Any) -> Array:
    return carry.h if hasattr(carry, "h") else carry


def encode(config: Seq2SeqConfig, params: Seq2SeqParams, source: Array) -> tuple[Array, Any]:
    """Encoder states k (S, H) and the final carry for one source (S,) of ids.

    A pad leaves the carry unchanged, so its k_s repeats the last real state and the
    final carry is the state after </s>, however much padding follows.
    """
    cell_config = config.cell_config(config.embed)
    mask = source != dates.PAD_ID

    def step(carry: Any, inputs: tuple[Array, Array]) -> tuple[Any, Array]:
        x, real = inputs
        new, _ = cell_step(cell_config, params.encoder, carry, x)
        carry = jax.tree_util.tree_map(lambda n, o: jnp.where(real, n, o), new, carry)
        return carry, _hidden(carry)

    carry, keys = jax.lax.scan(step, initial_carry(cell_config)[0], (params.E_src[source], mask))
    return keys, carry


def attend(
    config: Seq2SeqConfig, params: Any, q: Array, keys: Array, mask: Array
) -> tuple[Array, Array, Array]:
    """Scores e (S,), weights α = softmax(e) (S,) and context c = Σ_s α_s k_s (H,).

    The softmax sees −inf at padding (``mask`` False), so a pad's weight is exactly 0;
    the returned scores stay finite there (they are shown, and the wire takes no inf).
    """
    if config.attention == "additive":
        e = jnp.tanh(keys @ params.W_k.T + params.W_q @ q) @ params.v  # (S,)
    elif config.attention == "general":
        e = keys @ (params.W_a.T @ q)  # q ᵀ W_a k_s for every s
    else:
        e = keys @ q
    alpha = jax.nn.softmax(jnp.where(mask, e, -jnp.inf))
    return e, alpha, alpha @ keys


def initial_decoder_state(config: Seq2SeqConfig, encoder_carry: Any) -> DecoderState:
    return DecoderState(encoder_carry, jnp.zeros((config.hidden,), jnp.float32))


def decoder_step(
    config: Seq2SeqConfig,
    params: Seq2SeqParams,
    keys: Array,
    mask: Array,
    state: DecoderState,
    y_prev: Array,
) -> tuple[DecoderState, DecoderTrace]:
    """One decoder step from the previous target id ``y_prev``: see the module docstring."""
    x = jnp.concatenate([params.E_tgt[y_prev], state.context])
    cell_config = config.cell_config(config.embed + config.hidden)
    carry, _ = cell_step(cell_config, params.decoder, state.carry, x)
    h = _hidden(carry)
    e, alpha, context = attend(config, params.attention, h, keys, mask)
    logits = params.W_o @ jnp.concatenate([h, context]) + params.b_o
    return DecoderState(carry, context), DecoderTrace(h, e, alpha, context, logits)


def teacher_forced(
    config: Seq2SeqConfig, params: Seq2SeqParams, source: Array, target: Array
) -> DecoderTrace:
    """Decode one example feeding the true previous character: traces stacked over T."""
    keys, carry = encode(config, params, source)
    mask = source != dates.PAD_ID
    y_prev = jnp.concatenate([jnp.array([dates.BOS_ID], target.dtype), target[:-1]])

    def step(state: DecoderState, y: Array) -> tuple[DecoderState, DecoderTrace]:
        return decoder_step(config, params, keys, mask, state, y)

    _, trace = jax.lax.scan(step, initial_decoder_state(config, carry), y_prev)
    return trace


def loss(config: Seq2SeqConfig, params: Seq2SeqParams, sources: Array, targets: Array) -> Array:
    """Mean cross-entropy per target character over a batch (B, S), (B, T); pads skipped."""
    logits = jax.vmap(lambda s, t: teacher_forced(config, params, s, t).logits)(sources, targets)
    nll = optax.softmax_cross_entropy_with_integer_labels(logits, targets)  # (B, T)
    real = (targets != dates.PAD_ID).astype(nll.dtype)
    return jnp.sum(nll * real) / jnp.maximum(jnp.sum(real), 1.0)


def greedy(
    config: Seq2SeqConfig, params: Seq2SeqParams, source: Array, steps: int = dates.TARGET_LEN
) -> tuple[Array, DecoderTrace, Array]:
    """Decode one source feeding back y_t = argmax p_t: (ids (T,), traces, keys (S, H))."""
    keys, carry = encode(config, params, source)
    mask = source != dates.PAD_ID

    def step(
        state: tuple[DecoderState, Array], unused: None
    ) -> tuple[tuple[DecoderState, Array], tuple[Array, DecoderTrace]]:
        dec, y_prev = state
        dec, trace = decoder_step(config, params, keys, mask, dec, y_prev)
        y = jnp.argmax(trace.logits).astype(jnp.int32)
        return (dec, y), (y, trace)

    start = (initial_decoder_state(config, carry), jnp.asarray(dates.BOS_ID, jnp.int32))
    _, (ids, trace) = jax.lax.scan(step, start, None, length=steps)
    return ids, trace, keys


@partial(jax.jit, static_argnames=("config",))
def greedy_batch(
    params: Seq2SeqParams, sources: Array, *, config: Seq2SeqConfig
) -> tuple[Array, Array]:
    """Greedy ids (N, T) and attention weights (N, T, S) for a batch of sources."""
    ids, trace, _ = jax.vmap(lambda s: greedy(config, params, s))(sources)
    return ids, trace.alpha


@partial(jax.jit, static_argnames=("config",))
def _greedy_one(
    params: Seq2SeqParams, source: Array, *, config: Seq2SeqConfig
) -> tuple[Array, DecoderTrace, Array]:
    return greedy(config, params, source)


def translate(params: Seq2SeqParams, config: Seq2SeqConfig, source_text: str) -> dict[str, Any]:
    """Greedy translation of one date, with everything the attention view draws.

    Rows are output steps up to and including </s> (T_out); columns the source's
    characters and its </s> (T_src); padding is cut off. Arrays are NumPy float32.
    ValueError when the text has a character outside the source vocabulary or is too long.
    """
    text = " ".join(source_text.lower().split())
    source = dates.encode_source(text)
    ids, trace, keys = jax.device_get(_greedy_one(params, jnp.asarray(source), config=config))
    ids = [int(i) for i in ids]
    T_out = ids.index(dates.EOS_ID) + 1 if dates.EOS_ID in ids else len(ids)
    T_src = len(text) + 1
    tokens = dates.TARGET_VOCAB.tokens
    return {
        "source_tokens": list(text) + [dates.EOS],
        "output_tokens": [tokens[i] for i in ids[:T_out]],
        "translation": dates.TARGET_VOCAB.decode(ids),
        "scores": np.asarray(trace.e[:T_out, :T_src], np.float32),
        "attention": np.asarray(trace.alpha[:T_out, :T_src], np.float32),
        "context": np.asarray(trace.context[:T_out], np.float32),
        "encoder_states": np.asarray(keys[:T_src], np.float32),
        "probs": np.asarray(jax.nn.softmax(trace.logits[:T_out]), np.float32),
        "target_vocab": list(tokens),
    }


def init_opt_state(config: Seq2SeqConfig, params: Seq2SeqParams) -> Any:
    return make_transform(config.optimizer).init(params)


@partial(jax.jit, static_argnames=("config",))
def train_epoch(
    params: Seq2SeqParams,
    opt_state: Any,
    key: Array,
    learning_rate: Array,
    sources: Array,
    targets: Array,
    *,
    config: Seq2SeqConfig,
) -> tuple[Seq2SeqParams, Any, Array, EpochMetrics]:
    """One teacher-forced pass over a shuffled corpus (N, S), (N, T); returns the next key.

    The last N mod batch_size examples (a different one each epoch) are left out so
    every batch has one shape. Each update is engine.train.apply_update: clipped,
    and skipped when non-finite.
    """
    B = config.batch_size
    n = (sources.shape[0] // B) * B
    if n == 0:  # shapes are static: this runs once, while tracing
        raise ValueError(f"a corpus needs at least batch_size = {B} examples")
    key, k_perm = jax.random.split(key)
    order = jax.random.permutation(k_perm, sources.shape[0])[:n]
    xs = sources[order].reshape(-1, B, sources.shape[1])  # (N/B, B, S)
    ys = targets[order].reshape(-1, B, targets.shape[1])  # (N/B, B, T)
    transform = make_transform(config.optimizer)

    def update(carry: tuple[Seq2SeqParams, Any], batch: tuple[Array, Array]) -> tuple[Any, Any]:
        params, opt_state = carry
        value, grads = jax.value_and_grad(partial(loss, config))(params, *batch)
        params, opt_state, skipped = apply_update(
            params, opt_state, grads, value, transform, learning_rate
        )
        return (params, opt_state), (value, skipped)

    (params, opt_state), (losses, skipped) = jax.lax.scan(update, (params, opt_state), (xs, ys))
    return params, opt_state, key, EpochMetrics(loss=jnp.mean(losses), skipped=jnp.sum(skipped))


def fit(
    config: Seq2SeqConfig,
    corpus: dates.Corpus,
    epochs: int,
    *,
    key: int,
    learning_rate: float = LEARNING_RATE,
) -> tuple[Seq2SeqParams, list[float]]:
    """Initialise from seed ``key`` and train ``epochs`` epochs: (params, loss per epoch)."""
    params = init_params(config, key=key)
    opt_state = init_opt_state(config, params)
    prng = jax.random.PRNGKey(key)
    lr = jnp.asarray(learning_rate, jnp.float32)
    sources, targets = jnp.asarray(corpus.sources), jnp.asarray(corpus.targets)
    losses = []
    for _ in range(epochs):
        params, opt_state, prng, metrics = train_epoch(
            params, opt_state, prng, lr, sources, targets, config=config
        )
        losses.append(float(metrics.loss))
    return params, losses


def exact_match(params: Seq2SeqParams, config: Seq2SeqConfig, corpus: dates.Corpus) -> float:
    """Fraction of examples whose greedy output is the whole ISO string, then </s>."""
    ids, _ = greedy_batch(params, jnp.asarray(corpus.sources), config=config)
    return float(np.mean(np.all(np.asarray(ids) == corpus.targets, axis=1)))
