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

import string
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache, partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from engine.model import ModelConfig, ModelParams, masked_run, model_step, run
from engine.model import init_params as init_model_params
from engine.train import OPTIMIZERS, TaskMetrics, apply_update, cross_entropy, make_transform

Array = jax.Array

TEXTS = ("abab", "lorem", "user")
ENCODINGS = ("onehot", "embedding")
EMBED_DIMS = (8, 16)  # buckets: each size is one compiled program
ALPHABET = frozenset(string.ascii_lowercase + string.digits + " .,;:!?'\"-()")
MAX_USER_CHARS = 2000
STREAM_LENGTH = 2048  # every stream is padded to this: one shape for every text
ABAB_LENGTH = 64  # the shown "abab…" text; training reads it cyclically, so any length works
GENERATE_BUCKETS = (8, 32, 128, 512)  # generation lengths are rounded up to one of these
MAX_TEMPERATURE = 2.0
MIN_TEMPERATURE = 1e-3  # temperatures below this sample like greedy decoding
MASKED_LOGIT = -1e9  # finite, so nothing non-finite can leave the engine

LOREM = (
    "lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua. ut enim ad minim veniam, quis nostrud "
    "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. duis aute irure "
    "dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. "
    "excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt "
    "mollit anim id est laborum. curabitur pretium tincidunt lacus, nulla gravida orci a "
    "odio. nullam varius, turpis et commodo pharetra, est eros bibendum elit, nec luctus "
    "magna felis sollicitudin mauris. integer in mauris eu nibh euismod gravida."
)


def abab(n: int) -> str:
    """The alternating text "abab…" of ``n`` characters."""
    if n < 1:
        raise ValueError("the abab text needs at least one character")
    return ("ab" * ((n + 1) // 2))[:n]


def user_text(text: str) -> str:
    """The learner's text, whitespace collapsed to single spaces and lowercased.

    Raises ValueError unless it has 1…2000 characters, all ASCII letters, digits,
    spaces or the punctuation . , ; : ! ? ' " - ( )
    """
    text = " ".join(text.split())
    if not text:
        raise ValueError("the text is empty: write at least one character")
    if len(text) > MAX_USER_CHARS:
        raise ValueError(f"the text has {len(text)} characters; at most {MAX_USER_CHARS} fit")
    bad = sorted({c for c in text if not (c.isascii() and c.lower() in ALPHABET)})
    if bad:
        raise ValueError(
            "use only letters, digits, spaces and . , ; : ! ? ' \" - ( ); "
            f"not allowed: {' '.join(repr(c) for c in bad)}"
        )
    return text.lower()


@dataclass(frozen=True)
class Vocab:
    """The distinct characters of a text, sorted; a character's id is its index."""

    chars: str

    @classmethod
    def of(cls, text: str) -> Vocab:
        return cls("".join(sorted(set(text))))

    @cached_property
    def _ids(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        unknown = sorted(set(text) - set(self._ids))
        if unknown:
            raise ValueError(f"not in this text's characters: {' '.join(map(repr, unknown))}")
        return np.array([self._ids[c] for c in text], np.int32)

    def decode(self, ids: Any) -> str:
        return "".join(self.chars[int(i)] for i in np.asarray(ids).ravel())


@dataclass(frozen=True)
class TextConfig:
    """A next-character task. Frozen and hashable.

    ``model.input_size`` and ``model.output_size`` follow from the encoding and the
    vocabulary bucket and are filled in here, so pass ``ModelConfig(cell, layers, hidden)``.
    """

    model: ModelConfig = field(default_factory=ModelConfig)  # exploRNN: 3 LSTM layers × 16
    text: str = "lorem"
    user: str = ""  # the learner's own text when text == "user" (normalised by user_text)
    encoding: str = "onehot"
    embed_dim: int = 16  # used when encoding == "embedding"
    window: int = 20  # exploRNN: 20 input characters …
    predict: int = 5  # … and 5 predicted after them
    batch_size: int = 25
    sequences: int = 100  # windows per epoch
    optimizer: str = "rmsprop"

    def __post_init__(self) -> None:
        if self.text not in TEXTS:
            raise ValueError(f"text must be one of {TEXTS}, not {self.text!r}")
        if self.text == "user":
            object.__setattr__(self, "user", user_text(self.user))
        elif self.user:
            raise ValueError("a user text is only read when text='user'")
        if self.encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {ENCODINGS}")
        if self.embed_dim not in EMBED_DIMS:
            raise ValueError(f"embed_dim must be one of {EMBED_DIMS}")
        if not 2 <= self.window <= 64:
            raise ValueError("window must be between 2 and 64")
        if not 1 <= self.predict <= 32:
            raise ValueError("predict must be between 1 and 32")
        if not 5 <= self.batch_size <= 50:
            raise ValueError("batch_size must be between 5 and 50")
        if not self.batch_size <= self.sequences <= 1000:
            raise ValueError("sequences must be between batch_size and 1000")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}")
        D = self.vocab_size if self.encoding == "onehot" else self.embed_dim
        model = replace(self.model, input_size=D, output_size=self.vocab_size)
        object.__setattr__(self, "model", model)

    @property
    def vocab_size(self) -> int:
        """The padded vocabulary: 32 fits the built-in texts, 64 any text of the alphabet."""
        return 64 if self.text == "user" else 32

    @property
    def batches(self) -> int:
        return self.sequences // self.batch_size


class TextData(NamedTuple):
    text: str  # as shown to the learner
    vocab: Vocab
    ids: Array  # (STREAM_LENGTH,) int32, the cyclic stream then zeros
    length: Array  # () int32, the stream's real length
    n_vocab: Array  # () int32, len(vocab)


def source_text(config: TextConfig) -> str:
    if config.text == "abab":
        return abab(ABAB_LENGTH)
    return LOREM if config.text == "lorem" else config.user


@lru_cache(maxsize=32)
def _load(text: str, cyclic_joint: str) -> TextData:
    stream = text + cyclic_joint
    vocab = Vocab.of(stream)
    ids = np.zeros(STREAM_LENGTH, np.int32)
    ids[: len(stream)] = vocab.encode(stream)
    return TextData(text, vocab, jnp.asarray(ids), jnp.int32(len(stream)), jnp.int32(len(vocab)))


def text_data(config: TextConfig) -> TextData:
    """The text, its vocabulary and its id stream; prose is joined end to start by a space."""
    return _load(source_text(config), "" if config.text == "abab" else " ")


def text_window(config: TextConfig, start: int) -> tuple[str, str]:
    """exploRNN's view: ``window`` input characters from ``start`` and the ``predict`` after."""
    data = text_data(config)
    n = int(data.length)
    stream = data.vocab.decode(np.asarray(data.ids)[:n])
    chars = "".join(stream[(start + k) % n] for k in range(config.window + config.predict))
    return chars[: config.window], chars[config.window :]


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
