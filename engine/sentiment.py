"""Sentiment of short sentences: negative, neutral or positive.

A sentence of words w_1 … w_n, padded with <pad> to a length bucket T ∈ {8, 12, 16},
is read one word per step:

    x_t = E[w_t]                                      word embedding (V × D_e)
    s_t = cell(s_{t−1}, x_t) if t ≤ n else s_{t−1}    padding carries the state unchanged
    z   = W_y h^L_n + b_y                              readout of the last real word's state
    p   = softmax(z),  p_k = exp(z_k) / Σ_j exp(z_j)   over (negative, neutral, positive)
    L   = −mean_m log p_m[y_m]                         cross-entropy over a batch

so padding a sentence never changes its prediction. Words are lowercase runs of
letters or digits ("n't" reads as "not"); a word not in the training vocabulary is <unk>.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from engine.model import ModelConfig, ModelParams, masked_run
from engine.model import init_params as init_model_params
from engine.sentiment_corpus import CLASSES, Example, corpus, lexicon_group
from engine.train import OPTIMIZERS, TaskMetrics, apply_update, cross_entropy, make_transform

Array = jax.Array

PAD, UNK = "<pad>", "<unk>"
LENGTH_BUCKETS = (8, 12, 16)  # sentences are padded to one of these: one program each
EMBED_DIMS = (8, 16, 32)
SPLITS = ("train", "heldout")


def tokenize(sentence: str) -> list[str]:
    """Lowercase words; "didn't" → "did not", "can't" → "can not"."""
    s = sentence.lower().replace("can't", "can not").replace("won't", "will not")
    return re.findall(r"[a-z0-9]+", s.replace("n't", " not"))


@dataclass(frozen=True)
class WordVocab:
    """<pad> (id 0), <unk> (id 1), then the training words sorted."""

    words: tuple[str, ...]

    @classmethod
    def of(cls, sentences: list[str]) -> WordVocab:
        return cls((PAD, UNK, *sorted({w for s in sentences for w in tokenize(s)})))

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, tokens: list[str]) -> np.ndarray:
        index = _index(self.words)
        return np.array([index.get(w, 1) for w in tokens], np.int32)


@lru_cache(maxsize=4)
def _index(words: tuple[str, ...]) -> dict[str, int]:
    return {w: i for i, w in enumerate(words)}


class Split(NamedTuple):
    ids: Array  # (N, 8) word ids, <pad> after the sentence
    lengths: Array  # (N,) number of real words
    labels: Array  # (N,) class index


@lru_cache(maxsize=1)
def vocab() -> WordVocab:
    return WordVocab.of([e.sentence for e in corpus().train])


def pad(ids: np.ndarray, length: int | None = None) -> np.ndarray:
    """Right-pad word ids with <pad> to ``length`` or the smallest bucket that fits."""
    n = len(ids)
    T = length or next((b for b in LENGTH_BUCKETS if b >= n), 0)
    if not 1 <= n <= T:
        raise ValueError(f"a sentence needs 1 to {T or LENGTH_BUCKETS[-1]} words, not {n}")
    return np.concatenate([ids, np.zeros(T - n, np.int32)])


@lru_cache(maxsize=2)
def load_split(name: str) -> Split:
    if name not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    examples: tuple[Example, ...] = getattr(corpus(), name)
    encoded = [vocab().encode(tokenize(e.sentence)) for e in examples]
    return Split(
        ids=jnp.asarray(np.stack([pad(ids, LENGTH_BUCKETS[0]) for ids in encoded])),
        lengths=jnp.asarray([len(ids) for ids in encoded], jnp.int32),
        labels=jnp.asarray([e.label for e in examples], jnp.int32),
    )


@dataclass(frozen=True)
class SentimentConfig:
    """A sentiment task. Frozen and hashable. ``model``'s input size (the embedding
    dimension) and output size (3 classes) are filled in here."""

    model: ModelConfig = field(default_factory=lambda: ModelConfig(layers=1, hidden=16))
    embed_dim: int = 16
    batch_size: int = 24  # 720 training sentences: 30 batches per epoch
    optimizer: str = "rmsprop"

    def __post_init__(self) -> None:
        if self.embed_dim not in EMBED_DIMS:
            raise ValueError(f"embed_dim must be one of {EMBED_DIMS}")
        if not 5 <= self.batch_size <= 50:
            raise ValueError("batch_size must be between 5 and 50")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}")
        model = replace(self.model, input_size=self.embed_dim, output_size=len(CLASSES))
        object.__setattr__(self, "model", model)


class SentimentParams(NamedTuple):
    embedding: Array  # (V, D_e), row 0 <pad>, row 1 <unk>
    model: ModelParams


def init_params(config: SentimentConfig, *, key: int) -> SentimentParams:
    """Initial weights from the seed ``key``; embedding rows E_w ~ N(0, I)."""
    rng = np.random.default_rng([key, 1])  # a stream apart from the model's
    E = rng.normal(0.0, 1.0, (len(vocab()), config.embed_dim)).astype(np.float32)
    return SentimentParams(jnp.asarray(E), init_model_params(config.model, key=key))


def init_opt_state(config: SentimentConfig, params: SentimentParams) -> Any:
    return make_transform(config.optimizer).init(params)


def forward(
    params: SentimentParams, model: ModelConfig, ids: Array, length: Array
) -> tuple[Array, Array]:
    """For one padded sentence ids (T,) with ``length`` real words: the logits z_t (T, 3)
    of the state after each word (after the last real word from t = n on) and the top
    layer's hidden states h^L_t (T, H); z = z_{T−1} classifies the sentence."""
    mask = jnp.arange(ids.shape[0]) < length
    zs, traces, _ = masked_run(model, params.model, params.embedding[ids], mask)
    return zs, traces[-1].h


def batch_loss(
    params: SentimentParams, ids: Array, lengths: Array, labels: Array, model: ModelConfig
) -> tuple[Array, Array]:
    """(cross-entropy, accuracy) over padded sentences ids (B, T)."""
    zs, _ = jax.vmap(lambda i, n: forward(params, model, i, n))(ids, lengths)
    return cross_entropy(zs[:, -1], labels)


@partial(jax.jit, static_argnames=("model", "batch_size", "optimizer"))
def _epoch(
    params: SentimentParams,
    opt_state: Any,
    key: Array,
    learning_rate: Array,
    data: Split,
    *,
    model: ModelConfig,
    batch_size: int,
    optimizer: str,
) -> tuple[SentimentParams, Any, Array, TaskMetrics]:
    key, k_order = jax.random.split(key)
    batches = data.ids.shape[0] // batch_size  # a shuffled remainder waits for the next epoch
    order = jax.random.permutation(k_order, data.ids.shape[0])[: batches * batch_size]
    order = order.reshape(batches, batch_size)
    transform = make_transform(optimizer)
    grad = jax.value_and_grad(batch_loss, has_aux=True)

    def update(carry: tuple[SentimentParams, Any], rows: Array) -> tuple[Any, Any]:
        params, opt_state = carry
        batch = (data.ids[rows], data.lengths[rows], data.labels[rows])
        (loss, accuracy), grads = grad(params, *batch, model)
        params, opt_state, skipped = apply_update(
            params, opt_state, grads, loss, transform, learning_rate
        )
        return (params, opt_state), (loss, accuracy, skipped)

    (params, opt_state), (loss, acc, skipped) = jax.lax.scan(update, (params, opt_state), order)
    return params, opt_state, key, TaskMetrics(jnp.mean(loss), jnp.mean(acc), jnp.sum(skipped))


def train_epoch(
    params: SentimentParams,
    opt_state: Any,
    key: Array,
    learning_rate: Any,
    config: SentimentConfig,
) -> tuple[SentimentParams, Any, Array, TaskMetrics]:
    """One pass over the shuffled training sentences (one jitted ``lax.scan`` over
    batches); returns the next key too."""
    lr = jnp.asarray(learning_rate, jnp.float32)
    return _epoch(
        params, opt_state, key, lr, load_split("train"),
        model=config.model, batch_size=config.batch_size, optimizer=config.optimizer,
    )  # fmt: skip


@partial(jax.jit, static_argnames=("model",))
def _metrics(params: SentimentParams, data: Split, *, model: ModelConfig) -> tuple[Array, Array]:
    return batch_loss(params, data.ids, data.lengths, data.labels, model)


def evaluate(params: SentimentParams, config: SentimentConfig, split: str) -> float:
    """Accuracy on ``split`` ("train" or "heldout")."""
    _, accuracy = _metrics(params, load_split(split), model=config.model)
    return float(accuracy)


_forward = jax.jit(forward, static_argnames=("model",))


def analyse(params: SentimentParams, config: SentimentConfig, sentence: str) -> dict[str, Any]:
    """What the network does with one sentence, word by word.

    Returns ``tokens`` (n words), ``known`` (n, whether each is in the vocabulary),
    ``hidden`` (n, H) top-layer h after each word, ``probs_per_word`` (n, 3) the
    softmax after each word, ``probs`` (3,) the sentence's class distribution and
    ``label`` its most probable class.
    """
    tokens = tokenize(sentence)
    ids = vocab().encode(tokens)
    padded = pad(ids)
    zs, hidden = jax.device_get(
        _forward(params, config.model, jnp.asarray(padded), jnp.int32(len(ids)))
    )
    z = np.asarray(zs[: len(ids)], np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    return {
        "tokens": tokens,
        "known": [int(i) != 1 for i in ids],
        "hidden": np.asarray(hidden[: len(ids)]),
        "probs_per_word": probs,
        "probs": probs[-1],
        "label": CLASSES[int(np.argmax(probs[-1]))],
    }


def embedding_projection(params: SentimentParams) -> dict[str, Any]:
    """The word embeddings projected on their first two principal components.

    With the centred matrix X = E − mean(E) = U S Vᵀ (rows: the vocabulary words,
    <pad> and <unk> left out as they never train), the coordinates are X v_1, X v_2;
    each v_k's sign makes its largest entry positive, so the picture is reproducible.
    """
    E = np.asarray(params.embedding, np.float64)[2:]
    X = E - E.mean(axis=0)
    _, S, Vt = np.linalg.svd(X, full_matrices=False)
    V2 = Vt[:2] * np.sign(Vt[:2][np.arange(2), np.argmax(np.abs(Vt[:2]), axis=1)])[:, None]
    words = list(vocab().words[2:])
    return {
        "words": words,
        "xy": X @ V2.T,  # (V − 2, 2)
        "explained": S[:2] ** 2 / np.sum(S**2),  # share of the variance on each axis
        "group": [lexicon_group(w) for w in words],
    }
