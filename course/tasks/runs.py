"""One learner's module 5 task: an engine model with its training state.

A run's trained state is one immutable ``Snapshot`` swapped whole after each epoch,
so a question asked while the network trains (``predict``, ``analyse``, …) reads a
consistent set of weights without waiting for the training to finish.
Settings are the ones the engine's tests train well: learning rate 0.01 for all three.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, replace
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from course.tasks.spec import TaskSpec
from engine import dates, text, text_corpus, text_generation
from engine import memory as M
from engine import sentiment as S
from engine import seq2seq as Q
from engine.model import CELL_KINDS, ModelConfig

LEARNING_RATE = 0.01
TEXT_WINDOWS = 500  # windows per text epoch: 20 batches, ~20 ms; lorem reads well after 10
DATES_TRAIN, DATES_HELDOUT = 3000, 500  # the engine's tests: ≥ 90 % exact match in 6 epochs
SAMPLE_DATE = dt.date(2021, 3, 25)  # the engine names its formats by this date


@dataclass(frozen=True)
class Snapshot:
    params: Any
    opt_state: Any
    key: Any  # the PRNG key of the next epoch
    epoch: int
    history: tuple[tuple[float, float | None], ...]  # (loss, accuracy) per epoch


class Run:
    """Shared by the three kinds: seeded start, one epoch at a time."""

    kind = ""

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec
        self.generation = 0  # bumped by reset: an epoch of an older generation is dropped
        self.snapshot = self._fresh()
        self.score: float | None = None  # held-out accuracy after the last training

    def _fresh(self) -> Snapshot:
        params = self.init_params()
        opt_state = self.init_opt_state(params)
        return Snapshot(params, opt_state, jax.random.PRNGKey(self.spec.seed), 0, ())

    def reset(self) -> None:
        self.generation += 1
        self.snapshot = self._fresh()
        self.score = None

    def train_epoch(self, generation: int) -> Snapshot | None:
        """One epoch from the current snapshot; None if a reset came in between."""
        s = self.snapshot
        params, opt_state, key, loss, accuracy = self.epoch(s)
        if generation != self.generation:
            return None
        history = (*s.history, (loss, accuracy))
        self.snapshot = Snapshot(params, opt_state, key, s.epoch + 1, history)
        return self.snapshot

    def state(self) -> dict[str, Any]:
        s = self.snapshot
        return {
            "epoch": s.epoch,
            "loss": [h[0] for h in s.history],
            "accuracy": [h[1] for h in s.history],
            "score": self.score,
        }

    # per kind
    def init_params(self) -> Any:
        raise NotImplementedError

    def init_opt_state(self, params: Any) -> Any:
        raise NotImplementedError

    def epoch(self, s: Snapshot) -> tuple[Any, Any, Any, float, float | None]:
        raise NotImplementedError

    def evaluate(self) -> float | None:
        return None


# -- next character -------------------------------------------------------------------------


class TextRun(Run):
    kind = "text"

    def __init__(self, spec: TaskSpec) -> None:
        o = spec.options
        model = ModelConfig(cell=o["cell"], layers=o["layers"], hidden=o["hidden"])
        self.config = text_corpus.TextConfig(
            model=model, text=o["text"], encoding="embedding", sequences=TEXT_WINDOWS
        )
        super().__init__(spec)

    def init_params(self) -> Any:
        return text.init_params(self.config, key=self.spec.seed)

    def init_opt_state(self, params: Any) -> Any:
        return text.init_opt_state(self.config, params)

    def epoch(self, s: Snapshot) -> tuple[Any, Any, Any, float, float | None]:
        params, opt, key, m = text.train_epoch(
            s.params, s.opt_state, s.key, LEARNING_RATE, self.config
        )
        return params, opt, key, float(m.loss), float(m.accuracy)

    def use_text(self, source: str, user: str = "") -> None:
        """Train on another text from scratch: ValueError (the engine's message) if it
        does not fit; nothing changes then."""
        config = replace(self.config, text=source, user=user if source == "user" else "")
        self.config = config
        self.reset()

    @property
    def chars(self) -> str:
        return text_corpus.text_data(self.config).vocab.chars

    @property
    def shown_text(self) -> str:
        return text_corpus.source_text(self.config)

    def check_prefix(self, prefix: str) -> str:
        """The prefix lowercased; ValueError naming characters the text never uses."""
        prefix = prefix.lower()
        unknown = sorted(set(prefix) - set(self.chars))
        if not prefix:
            raise ValueError("type at least one character")
        if unknown:
            shown = " ".join(repr(c) for c in unknown)
            raise ValueError(f"the network only knows this text's characters; not {shown}")
        return prefix

    def predict(self, prefix: str, temperature: float) -> np.ndarray:
        return text_generation.predict_distribution(
            self.snapshot.params, self.config, prefix, temperature
        )

    def generate(self, prefix: str, length: int, temperature: float, seed: int) -> str:
        out = text_generation.generate(
            self.snapshot.params, self.config, prefix, length, temperature, key=seed
        )
        return out.text


# -- sentiment --------------------------------------------------------------------------------


class SentimentRun(Run):
    kind = "sentiment"

    def __init__(self, spec: TaskSpec) -> None:
        o = spec.options
        model = ModelConfig(cell=o["cell"], layers=o["layers"], hidden=o["hidden"])
        self.config = S.SentimentConfig(model=model, embed_dim=16)
        super().__init__(spec)

    def init_params(self) -> Any:
        return S.init_params(self.config, key=self.spec.seed)

    def init_opt_state(self, params: Any) -> Any:
        return S.init_opt_state(self.config, params)

    def epoch(self, s: Snapshot) -> tuple[Any, Any, Any, float, float | None]:
        params, opt, key, m = S.train_epoch(
            s.params, s.opt_state, s.key, LEARNING_RATE, self.config
        )
        return params, opt, key, float(m.loss), float(m.accuracy)

    def evaluate(self) -> float | None:
        return S.evaluate(self.snapshot.params, self.config, "heldout")

    def analyse(self, sentence: str) -> dict[str, Any]:
        return S.analyse(self.snapshot.params, self.config, sentence)

    def projection(self) -> dict[str, Any]:
        return S.embedding_projection(self.snapshot.params)


# -- translation ------------------------------------------------------------------------------


@functools.cache
def date_corpus(split: str) -> tuple[jax.Array, jax.Array, dates.Corpus]:
    """The shared corpora (one copy for every learner): sources, targets on the device."""
    n, seed = (DATES_TRAIN, 0) if split == "train" else (DATES_HELDOUT, 1)
    corpus = dates.make_corpus(n, seed=seed, split=split)
    return jnp.asarray(corpus.sources), jnp.asarray(corpus.targets), corpus


class TranslationRun(Run):
    kind = "translation"

    def __init__(self, spec: TaskSpec) -> None:
        o = spec.options
        self.config = Q.Seq2SeqConfig(cell=o["cell"], hidden=o["hidden"], attention=o["attention"])
        super().__init__(spec)

    def init_params(self) -> Any:
        return Q.init_params(self.config, key=self.spec.seed)

    def init_opt_state(self, params: Any) -> Any:
        return Q.init_opt_state(self.config, params)

    def epoch(self, s: Snapshot) -> tuple[Any, Any, Any, float, float | None]:
        sources, targets, _ = date_corpus("train")
        lr = jnp.asarray(LEARNING_RATE, jnp.float32)
        params, opt, key, m = Q.train_epoch(
            s.params, s.opt_state, s.key, lr, sources, targets, config=self.config
        )
        return params, opt, key, float(m.loss), None

    def evaluate(self) -> float | None:
        _, _, corpus = date_corpus("heldout")
        return Q.exact_match(self.snapshot.params, self.config, corpus)

    def translate(self, source: str) -> dict[str, Any]:
        return Q.translate(self.snapshot.params, self.config, source)


# -- memory: delayed recall --------------------------------------------------------------------


class MemoryRun(Run):
    """Three networks, a vanilla RNN, an LSTM and a GRU, on the same sequences: each
    starts from the spec's seed and draws its epochs' sequences from the same keys.
    ``snapshot`` counts the epochs all three have finished; ``nets`` holds each one's."""

    kind = "memory"

    def __init__(self, spec: TaskSpec) -> None:
        self.length: int = spec.options["length"]
        self.nets: dict[str, Snapshot] = {}
        super().__init__(spec)

    def config(self, cell: str) -> M.MemoryConfig:
        return M.MemoryConfig(cell=cell, length=self.length)

    def _fresh(self) -> Snapshot:
        self.nets = {cell: self._fresh_net(cell) for cell in CELL_KINDS}
        return Snapshot(None, None, None, 0, ())

    def _fresh_net(self, cell: str) -> Snapshot:
        config = self.config(cell)
        params = M.init_params(config, key=self.spec.seed)
        opt_state = M.init_opt_state(config, params)
        return Snapshot(params, opt_state, jax.random.PRNGKey(self.spec.seed), 0, ())

    def train_cell(self, cell: str, generation: int) -> bool:
        """One epoch of ``cell``'s network, then its held-out accuracy; False (and nothing
        kept) if a reset or a new length came in between."""
        s, config = self.nets[cell], self.config(cell)
        params, opt_state, key, m = M.train_epoch(s.params, s.opt_state, s.key, config)
        if generation != self.generation:
            return False
        history = (*s.history, (float(m.loss), float(m.heldout)))
        self.nets[cell] = Snapshot(params, opt_state, key, s.epoch + 1, history)
        return True

    def finish_epoch(self, generation: int) -> None:
        if generation == self.generation:
            epoch = min(net.epoch for net in self.nets.values())
            self.snapshot = replace(self.snapshot, epoch=epoch)

    def train_epoch(self, generation: int) -> Snapshot | None:
        """One epoch of each network (unsliced: the warm-up and scripts)."""
        for cell in CELL_KINDS:
            if not self.train_cell(cell, generation):
                return None
        self.finish_epoch(generation)
        return self.snapshot

    def use_length(self, length: int) -> None:
        """Three fresh networks on sequences of ``length`` letters (ValueError outside
        the engine's limits: nothing changes then)."""
        M.MemoryConfig(length=length)
        self.length = length
        self.reset()

    def state(self) -> dict[str, Any]:
        nets = self.nets
        return {
            "epoch": self.snapshot.epoch,
            "loss": [],
            "accuracy": [],
            "score": None,
            "length": self.length,
            "chance": 1 / len(M.SYMBOLS),
            "cells": {
                cell: {
                    "loss": [h[0] for h in net.history],
                    "accuracy": [h[1] for h in net.history],
                }
                for cell, net in nets.items()
            },
        }

    def example(self) -> dict[str, Any]:
        """A sequence of this length, drawn as the task draws them (from the seed)."""
        return M.example(self.length, self.spec.seed)


def examples() -> list[str]:
    """One date in every format the translator learns, for the learner to start from."""
    return [write(SAMPLE_DATE) for write in dates.FORMATS.values()]


RUNS: dict[str, type[Run]] = {
    "text": TextRun,
    "sentiment": SentimentRun,
    "translation": TranslationRun,
    "memory": MemoryRun,
}


def make_run(spec: TaskSpec) -> Run:
    return RUNS[spec.kind](spec)
