"""Training: the loss falls, non-finite updates are skipped, hyperparameters, and gradients."""

from __future__ import annotations

import json
import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import reference as ref

from engine import Lab, LabConfig, ModelConfig, TrainSpec
from engine.model import init_params
from engine.programs import PROGRAMS
from engine.train import batch_loss, train_epoch

SMALL = LabConfig(
    model=ModelConfig(cell="lstm", layers=2, hidden=4),
    train=TrainSpec(window=5, sequences=10, batch_size=5),
    continuation=8,
)


def leaves(tree) -> list[np.ndarray]:
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(tree)]


def all_finite(tree) -> bool:
    return all(np.all(np.isfinite(x)) for x in leaves(tree))


def frames_are_wire_safe(lab: Lab) -> None:
    for _ in range(lab.forward_positions + 1):
        json.dumps(lab.advance("compute"), allow_nan=False)
    json.dumps(lab.sequence(), allow_nan=False)


def test_default_lab_loss_falls_tenfold_within_50_epochs():
    lab = Lab()
    losses = lab.train(50)
    assert len(losses) == 50 and lab.epoch == 50 and lab.status == "ok"
    assert losses[0] >= 10 * min(losses), (losses[0], min(losses))


def test_large_sgd_steps_on_relu_rnn_keep_params_finite():
    config = LabConfig(
        model=ModelConfig(cell="rnn", activation="relu"),
        train=TrainSpec(optimizer="sgd"),
        learning_rate=1.0,
    )
    lab = Lab(config)
    lab.train(20)
    assert all_finite(lab.params)
    if len(lab.losses) < lab.epoch:  # some epoch's loss was not finite
        assert lab.status == "diverged"
    assert all(math.isfinite(x) for x in lab.losses)
    frames_are_wire_safe(lab)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # the frame's mse
def test_non_finite_updates_are_skipped():
    lab = Lab(SMALL)
    lab.train(1)
    # weights so large that the forward pass overflows: every update must be skipped
    lab.params = jax.tree_util.tree_map(lambda p: p * 1e30, lab.params)
    before_params, before_opt = leaves(lab.params), leaves(lab.opt_state)
    losses_before = list(lab.losses)
    assert lab.train(1) == []
    assert lab.status == "diverged" and lab.epoch == 2
    assert lab.losses == losses_before
    for a, b in zip(leaves(lab.params), before_params, strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(leaves(lab.opt_state), before_opt, strict=True):
        np.testing.assert_array_equal(a, b)
    assert lab.frame()["status"] == "diverged"
    frames_are_wire_safe(lab)


def test_configure_learning_rate_is_used_by_the_next_epoch():
    lab = Lab(SMALL)
    lab.train(1)
    state = (lab.params, lab.opt_state, lab.key)
    compiled = PROGRAMS.compiled
    lab.configure(learning_rate=0.05)
    assert lab.config.learning_rate == 0.05
    lab.train(1)
    assert PROGRAMS.compiled == compiled  # a new learning rate does not recompile

    def epoch(lr: float):
        lr, noise = jnp.asarray(lr, jnp.float32), jnp.asarray(0.0, jnp.float32)
        return train_epoch(*state, lr, noise, config=SMALL.model, spec=SMALL.train)[0]

    for got, want in zip(leaves(lab.params), leaves(epoch(0.05)), strict=True):
        np.testing.assert_array_equal(got, want)
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(leaves(lab.params), leaves(epoch(0.01)), strict=True)
    )


def test_configure_rejects_bad_values_and_keeps_config():
    lab = Lab(SMALL)
    with pytest.raises(ValueError):
        lab.configure(learning_rate=2.0)
    with pytest.raises(ValueError):
        lab.configure(hidden=8)
    assert lab.config == SMALL


@pytest.mark.parametrize("batch_size", (4, 51))
def test_train_spec_rejects_batch_size(batch_size):
    with pytest.raises(ValueError):
        TrainSpec(batch_size=batch_size)


@pytest.mark.parametrize(
    "kwargs", [{"learning_rate": 0.0}, {"learning_rate": 2.0}, {"noise": 0.5}, {"noise": -0.1}]
)
def test_lab_config_rejects_out_of_range(kwargs):
    with pytest.raises(ValueError):
        LabConfig(**kwargs)


@pytest.mark.parametrize(
    "kwargs", [{"learning_rate": 1e-4}, {"learning_rate": 1.0}, {"noise": 0.4}]
)
def test_lab_config_accepts_bounds(kwargs):
    LabConfig(**kwargs)


def test_batch_loss_gradient_matches_finite_differences():
    config = ModelConfig(cell="lstm", layers=1, hidden=2)
    params = init_params(config, key=0)
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(3, 4, 1)).astype(np.float32)
    ys = rng.normal(size=(3, 4, 1)).astype(np.float32)
    grads = jax.grad(partial(batch_loss, config))(params, jnp.asarray(xs), jnp.asarray(ys))

    theta = {
        "layer": ref.f64(params.layers[0]),
        "W_y": np.asarray(params.W_y, np.float64),
        "b_y": np.asarray(params.b_y, np.float64),
    }
    analytic = {
        "layer": ref.f64(grads.layers[0]),
        "W_y": np.asarray(grads.W_y, np.float64),
        "b_y": np.asarray(grads.b_y, np.float64),
    }

    def loss() -> float:
        return ref.mse("lstm", [theta["layer"]], theta["W_y"], theta["b_y"], xs, ys)

    assert abs(float(batch_loss(config, params, xs, ys)) - loss()) <= 1e-5
    entries = [("layer", name) for name in ("W_x", "W_h", "b")] + [("W_y", None), ("b_y", None)]
    eps = 1e-6
    for group, name in entries:
        arr = theta[group][name] if name else theta[group]
        g = analytic[group][name] if name else analytic[group]
        for _ in range(2):
            idx = tuple(int(rng.integers(n)) for n in arr.shape)
            old = arr[idx]
            arr[idx] = old + eps
            up = loss()
            arr[idx] = old - eps
            down = loss()
            arr[idx] = old
            fd = (up - down) / (2 * eps)
            rel = abs(g[idx] - fd) / max(abs(fd), abs(g[idx]), 1e-6)
            assert rel <= 1e-3, (group, name, idx, g[idx], fd)
