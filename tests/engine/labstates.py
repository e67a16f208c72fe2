"""Labs in every state a snapshot must keep, for the snapshot and weights tests: three
small configs (each optimizer), a lab with history (``busy``), and ``state``, everything
a snapshot promises to keep as comparable host values."""

from __future__ import annotations

import jax
import numpy as np

from engine import Lab, LabConfig, ModelConfig, TrainSpec


def config(cell: str, optimizer: str, **kw) -> LabConfig:
    model = ModelConfig(cell=cell, layers=2, hidden=4)
    train = TrainSpec(window=5, sequences=10, batch_size=5, optimizer=optimizer)
    return LabConfig(model=model, train=train, continuation=8, **kw)


CONFIGS = {
    "lstm-adam": config("lstm", "adam", seed=3, noise=0.1),  # Adam's state holds an int count
    "rnn-rmsprop": config("rnn", "rmsprop", seed=4, learning_rate=0.05),
    "gru-sgd": config("gru", "sgd", seed=5, start=1.0),  # SGD has an empty state
}


def through_update(lab: Lab) -> None:
    """Walk the update phase and step past it: one single-window update applied."""
    lab.jump("update")
    for _ in range(lab.config.model.layers + 1):
        lab.advance("compute")
    assert lab.position == 0


def busy(lab: Lab, epochs: int = 1) -> Lab:
    """A lab with history: trained, one stepped update, the cursor inside a backward cell."""
    lab.train(epochs)
    through_update(lab)
    lab.jump("backward", t=2)
    lab.advance("compute")
    return lab


def leaves(tree) -> list[np.ndarray]:
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(tree)]


def state(lab: Lab) -> dict:
    """Everything a snapshot promises to keep, as comparable host values."""
    return {
        "config": lab.config,
        "epoch": lab.epoch,
        "updates": lab.updates,
        "losses": list(lab.losses),
        "status": lab.status,
        "position": lab.position,
        "params": leaves(lab.params),
        "params_tree": jax.tree_util.tree_structure(lab.params),
        "opt_state": leaves(lab.opt_state),
        "opt_tree": jax.tree_util.tree_structure(lab.opt_state),
        "key": np.asarray(jax.random.key_data(lab.key)),
        "key_impl": str(jax.random.key_impl(lab.key)),
        "trace": leaves(lab.trace),
        "sequence": lab.sequence(),
        "frame": lab.frame(),
    }


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        x, y = a[name], b[name]
        if isinstance(x, list) and x and isinstance(x[0], np.ndarray):
            assert len(x) == len(y), name
            for u, v in zip(x, y, strict=True):
                assert u.dtype == v.dtype and u.shape == v.shape, name
                assert np.array_equal(u, v, equal_nan=True), name
        elif isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), name
        else:
            assert x == y, name
