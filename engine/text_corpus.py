"""The texts of next-character prediction ("abab…", lorem ipsum, the learner's own),
their vocabulary, the task's config and the id stream a model reads (``engine.text``).

A text is read as a cyclic stream of characters c_0 c_1 …, padded to one stream length
so that every text shares one compiled program.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from engine.model import ModelConfig
from engine.train import OPTIMIZERS

Array = jax.Array

TEXTS = ("abab", "lorem", "user")
ENCODINGS = ("onehot", "embedding")
EMBED_DIMS = (8, 16)  # buckets: each size is one compiled program
ALPHABET = frozenset(string.ascii_lowercase + string.digits + " .,;:!?'\"-()")
MAX_USER_CHARS = 2000
STREAM_LENGTH = 2048  # every stream is padded to this: one shape for every text
ABAB_LENGTH = 64  # the shown "abab…" text; training reads it cyclically, so any length works

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
