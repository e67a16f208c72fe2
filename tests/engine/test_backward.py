"""The backward and update phases against a hand-derived float64 BPTT (reference.bptt).

Each small lab reuses a handful of shapes so the number of JAX compilations stays
bounded; seeds, starts and noise vary the numbers instead. The reference is itself
checked against central differences. Tolerance: 1e-6 absolute plus 1e-4 relative
(float32 engine vs float64 reference differ by at most ~5e-8 on these labs).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import reference as ref

from engine import Lab, LabConfig, ModelConfig, TrainSpec
from engine.backward import BACKWARD_STEPS
from engine.snapshot import load_weights, weights_to_json
from engine.train import batch_loss


def config(cell: str, layers: int, hidden: int, window: int, activation: str = "tanh", **kw):
    model = ModelConfig(cell=cell, layers=layers, hidden=hidden, activation=activation)
    optimizer = kw.pop("optimizer", "rmsprop")
    train = TrainSpec(window=window, sequences=10, batch_size=5, optimizer=optimizer)
    return LabConfig(model=model, train=train, continuation=8, **kw)


CONFIGS = {
    "rnn-tanh": config("rnn", 2, 4, 5),
    "rnn-relu": config("rnn", 2, 4, 5, "relu", seed=3, start=0.7),
    "rnn-sigmoid": config("rnn", 1, 2, 4, "sigmoid", seed=5, start=2.0),
    "lstm": config("lstm", 2, 4, 5, seed=1, noise=0.1),
    "gru": config("gru", 3, 2, 6, seed=2, noise=0.1, start=1.3),
    "default": LabConfig(),
}
SMALL = ("rnn-tanh", "rnn-relu", "rnn-sigmoid", "lstm", "gru")


def with_optimizer(name: str, optimizer: str, learning_rate: float) -> LabConfig:
    cfg = CONFIGS[name]
    return replace(cfg, train=replace(cfg.train, optimizer=optimizer), learning_rate=learning_rate)


def reference_of(lab: Lab) -> dict:
    """reference.bptt on the lab's current weights, window inputs (as fed) and targets."""
    model, T = lab.config.model, lab.config.train.window
    return ref.bptt(
        model.cell,
        [ref.f64(p) for p in lab.params.layers],
        lab.params.W_y,
        lab.params.b_y,
        lab.trace.xs,
        lab.targets()[:T],
        model.activation,
    )


def assert_close(got, expected, atol: float = 1e-6, rtol: float = 1e-4, what="") -> None:
    got = np.asarray(got, np.float64)
    expected = np.asarray(expected, np.float64)
    assert got.shape == expected.shape, (what, got.shape, expected.shape)
    err = np.abs(got - expected)
    bound = atol + rtol * np.abs(expected)
    assert np.all(err <= bound), (what, float(np.max(err - bound)), got, expected)


def walk_backward(lab: Lab) -> tuple[list[dict], dict]:
    """Every backward frame from lab.jump("backward"), and the first frame after them."""
    frames = [lab.jump("backward")]
    while (f := lab.advance("compute"))["phase"] == "backward":
        frames.append(f)
    return frames, f


def flat(params) -> dict:
    """ModelParams as {(layer | "y", name): float64 array}."""
    out = {
        (l, k): np.asarray(getattr(p, k), np.float64)
        for l, p in enumerate(params.layers)
        for k in p._fields
    }
    W_y, b_y = np.asarray(params.W_y, np.float64), np.asarray(params.b_y, np.float64)
    return out | {("y", "W_y"): W_y, ("y", "b_y"): b_y}


def flat_ref(grads: dict) -> dict:
    """The reference's grads dict, keyed as ``flat``."""
    out = {(l, k): v for l, g in enumerate(grads["layers"]) for k, v in g.items()}
    return out | {("y", "W_y"): grads["W_y"], ("y", "b_y"): grads["b_y"]}


# -- the reference itself --------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell, activation",
    [("rnn", "tanh"), ("rnn", "relu"), ("rnn", "sigmoid"), ("lstm", "tanh"), ("gru", "tanh")],
)
def test_reference_bptt_matches_finite_differences(cell, activation):
    """The hand-derived BPTT is checked against central differences before it judges JAX."""
    rng = np.random.default_rng(11)
    H, D, T, L, rows = 3, 1, 4, 2, {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    layers = []
    for l in range(L):
        d = D if l == 0 else H
        p = {"W_x": rng.normal(0, 0.6, (rows * H, d)), "W_h": rng.normal(0, 0.6, (rows * H, H))}
        if cell == "gru":
            p |= {"b_x": rng.normal(0, 0.3, rows * H), "b_h": rng.normal(0, 0.3, rows * H)}
        else:
            p["b"] = rng.normal(0, 0.3, rows * H)
        layers.append(p)
    W_y, b_y = rng.normal(0, 0.6, (1, H)), rng.normal(0, 0.3, 1)
    xs, targets = rng.normal(0, 1, (T, D)), rng.normal(0, 1, T)
    out = ref.bptt(cell, layers, W_y, b_y, xs, targets, activation)

    def loss(key=None, value=None) -> float:
        ls = [dict(p) for p in layers]
        wy = value if key == "W_y" else W_y
        by = value if key == "b_y" else b_y
        if isinstance(key, tuple):
            ls[key[0]][key[1]] = value
        ys, _ = ref.run_stack(cell, ls, wy, by, xs, activation)
        return float(np.mean((ys[:, 0] - targets) ** 2))

    assert abs(out["loss"] - loss()) < 1e-12
    for l, p in enumerate(layers):
        for k, v in p.items():
            numeric = ref.finite_difference(partial(loss, (l, k)), v)
            assert_close(out["grads"]["layers"][l][k], numeric, 1e-7, 1e-5, (l, k))
    for k, v in (("W_y", W_y), ("b_y", b_y)):
        assert_close(out["grads"][k], ref.finite_difference(partial(loss, k), v), 1e-7, 1e-5, k)


# -- backward frames -------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*SMALL, "default"])
def test_backward_frames_match_reference_in_contract_order(name):
    lab = Lab(CONFIGS[name])
    model, T, L = lab.config.model, lab.config.train.window, lab.config.model.layers
    steps = lab.backward_steps
    assert steps == BACKWARD_STEPS[model.cell] and steps[0] == "dh"
    expected = reference_of(lab)
    frames, after = walk_backward(lab)

    # t descending, layer descending, then the cell's backward steps in order
    order = [
        (t, l, s) for t in reversed(range(T)) for l in reversed(range(L)) for s in range(len(steps))
    ]
    assert [(f["t"], f["layer"], f["step_index"]) for f in frames] == order
    start = lab.phase_start("backward")
    assert [f["position"] for f in frames] == list(range(start, start + len(order)))
    assert (after["phase"], after["layer"]) == ("update", 0)

    norms = np.linalg.norm(expected["dh"], axis=2)  # (L, T)
    for f in frames:
        t, l, s = f["t"], f["layer"], f["step_index"]
        assert f["phase"] == "backward" and f["step"] == steps[s] and f["steps"] == list(steps)
        assert list(f["values"]) == list(steps[: s + 1])
        for key, got in f["values"].items():
            assert None not in got
            assert_close(got, expected["gates"][l][key][t], what=(t, l, key))
        assert_close(f["grad_norms"], norms, what="grad_norms")
        assert abs(f["window_loss"] - expected["loss"]) <= 1e-5 * max(1.0, expected["loss"])


@pytest.mark.parametrize("name", [*SMALL, "default"])
def test_engine_dh_and_dc_are_the_reference_totals(name):
    lab = Lab(CONFIGS[name])
    grads, expected = lab.gradients(), reference_of(lab)
    assert_close(grads.dh, expected["dh"], what="dh")
    assert_close(grads.dc_future, expected["dc_future"], what="dc_future")
    assert abs(grads.loss - expected["loss"]) <= 1e-5 * max(1.0, expected["loss"])


@partial(jax.jit, static_argnums=0)
def autodiff(model: ModelConfig, params, xs, ys):
    return jax.grad(partial(batch_loss, model))(params, xs, ys)


@pytest.mark.parametrize("name", [*SMALL, "default"])
def test_weight_gradients_match_reference_and_autodiff(name):
    lab = Lab(CONFIGS[name])
    T = lab.config.train.window
    got = flat(lab.gradients().grads)
    expected = flat_ref(reference_of(lab)["grads"])
    xs = jnp.asarray(lab.trace.xs)[None]  # a batch of one window: (1, T, 1)
    ys = jnp.asarray(lab.targets()[:T])[None, :, None]
    via_batch_loss = flat(autodiff(lab.config.model, lab.params, xs, ys))
    assert set(got) == set(expected) == set(via_batch_loss)
    for key in got:
        assert_close(got[key], expected[key], what=key)
        assert_close(got[key], via_batch_loss[key], 1e-6, 1e-4, what=key)


def test_vanishing_gradient_with_small_recurrent_weights():
    """Fixed case: rnn-tanh (2 layers, hidden 4, window 5, seed 0, sine from 0) with every
    W_h scaled by 0.1: ‖∂L/∂h_t‖ at t = 0 is below its value at t = T−1 in both layers."""
    lab = Lab(CONFIGS["rnn-tanh"])
    weights = weights_to_json(lab)
    for layer in weights["layers"]:
        layer["W_h"] = (0.1 * np.asarray(layer["W_h"])).tolist()
    load_weights(lab, weights)
    T = lab.config.train.window
    frame = lab.jump("backward")
    norms = np.asarray(frame["grad_norms"])  # (L, T)
    assert_close(norms, np.linalg.norm(reference_of(lab)["dh"], axis=2))
    for row in norms:
        assert row[0] < row[T - 1], row


# -- the update phase ------------------------------------------------------------------------


def expected_updates(lab: Lab, history: list[dict]) -> dict:
    """The optimiser's step by hand from the reference gradients of each window so far:
    g ← clip_by_global_norm(g, 1), then SGD −η g, RMSprop (decay 0.9, ε 1e-8, v₀ = 0)
    −η g / √(v + ε), or Adam (0.9, 0.999, ε 1e-8, bias-corrected)."""
    cfg = lab.config
    clipped = []
    for grads in history:
        total = np.sqrt(sum(float(np.sum(v**2)) for v in grads.values()))
        scale = 1.0 if total < 1.0 else 1.0 / total
        clipped.append({k: v * scale for k, v in grads.items()})
    g, lr, n = clipped[-1], cfg.learning_rate, len(clipped)
    out = {}
    for key in g:
        if cfg.train.optimizer == "sgd":
            u = g[key]
        elif cfg.train.optimizer == "rmsprop":
            v = np.zeros_like(g[key])
            for step in clipped:
                v = 0.9 * v + 0.1 * step[key] ** 2
            u = g[key] / np.sqrt(v + 1e-8)
        else:
            m, v = np.zeros_like(g[key]), np.zeros_like(g[key])
            for step in clipped:
                m, v = 0.9 * m + 0.1 * step[key], 0.999 * v + 0.001 * step[key] ** 2
            u = (m / (1 - 0.9**n)) / (np.sqrt(v / (1 - 0.999**n)) + 1e-8)
        out[key] = -lr * u
    return out


def update_frames(lab: Lab) -> list[dict]:
    L = lab.config.model.layers
    return [lab.jump("update")] + [lab.advance("compute") for _ in range(L)]


@pytest.mark.parametrize(
    "name, optimizer, lr",
    [
        ("rnn-tanh", "sgd", 0.1),  # global norm 2.7: clipped
        ("gru", "sgd", 0.1),  # global norm 0.48: not clipped
        ("lstm", "rmsprop", 0.01),
        ("rnn-relu", "rmsprop", 0.05),
        ("rnn-sigmoid", "adam", 0.02),
    ],
)
def test_update_frames_show_the_optimiser_step_and_stepping_past_applies_it(name, optimizer, lr):
    lab = Lab(with_optimizer(name, optimizer, lr))
    L = lab.config.model.layers
    history = []
    for n_update in (1, 2):  # the second step checks the optimiser state is carried
        history.append(flat_ref(reference_of(lab)["grads"]))
        expected = expected_updates(lab, history)
        before = flat(lab.params)
        frames = update_frames(lab)
        assert [(f["phase"], f["layer"]) for f in frames] == [("update", l) for l in range(L + 1)]
        assert [f["step"] for f in frames] == ["update"] * L + ["readout"]
        for f in frames:
            layer = f["layer"] if f["layer"] < L else "y"
            names = [k for (l, k) in expected if l == layer]
            assert list(f["delta"]) == names and list(f["delta_norms"]) == names
            assert f["skipped"] is False and f["learning_rate"] == lr
            for k in names:
                got = np.asarray(f["delta"][k], np.float64).reshape(before[layer, k].shape)
                # float32 rounding of θ − η·u bounds the absolute error by ~ulp(θ)
                assert_close(got, expected[layer, k], 3e-7, 1e-4, what=(n_update, layer, k))
                assert abs(f["delta_norms"][k] - np.linalg.norm(got)) <= 1e-6

        pending_params, pending_state, _ = lab.pending_update()
        shown = {(f["layer"] if f["layer"] < L else "y", k): np.asarray(v, np.float64)
                 for f in frames for k, v in f["delta"].items()}  # fmt: skip
        old = {k: np.asarray(v, np.float32) for k, v in flat(lab.params).items()}
        after = lab.advance("compute")  # past the readout: the change is applied
        assert (after["phase"], after["position"], after["t"], after["layer"]) == (
            "forward",
            0,
            0,
            0,
        )
        assert lab.position == 0 and lab.updates == after["updates"] == n_update
        new = {k: np.asarray(v, np.float32) for k, v in flat(lab.params).items()}
        for key in old:  # exactly the shown Δ (the float32 difference the frame shows)
            diff = (new[key] - old[key]).astype(np.float64)
            assert np.array_equal(diff, shown[key].reshape(diff.shape)), key
        pending = jax.tree_util.tree_leaves((pending_params, pending_state))
        now = jax.tree_util.tree_leaves((lab.params, lab.opt_state))
        assert all(np.array_equal(a, b) for a, b in zip(pending, now, strict=True))


@pytest.mark.parametrize("name", SMALL)
def test_sgd_update_with_small_learning_rate_lowers_window_mse(name):
    """Fixed seeds of CONFIGS, SGD at η = 0.05: one update on the window lowers its mse."""
    lab = Lab(with_optimizer(name, "sgd", 0.05))
    before = lab.jump("validate")["mse"]
    update_frames(lab)
    lab.advance("compute")
    after = lab.jump("validate")["mse"]
    assert after < before


# -- cursor moves in the backward phase ------------------------------------------------------


@pytest.mark.parametrize("name", ("lstm", "gru"))
def test_timestep_in_backward_lands_on_layer0_last_step_of_each_t(name):
    lab = Lab(CONFIGS[name])
    T, L, last = lab.config.train.window, lab.config.model.layers, lab.backward_steps[-1]
    lab.jump("backward")
    frames = [lab.advance("timestep") for _ in range(T)]
    for f, t in zip(frames, reversed(range(T)), strict=True):
        assert (f["phase"], f["t"], f["layer"], f["step"]) == ("backward", t, 0, last)
    f = lab.advance("timestep")  # the whole update phase is one step: lands on the readout
    assert (f["phase"], f["layer"], f["step"]) == ("update", L, "readout")
    # from the middle of a cell, timestep finishes that time step
    lab.jump("backward", t=2)
    lab.advance("compute")
    f = lab.advance("timestep")
    assert (f["t"], f["layer"], f["step"]) == (2, 0, last)


def test_jump_puts_the_cursor_at_a_time_step():
    lab = Lab(CONFIGS["gru"])
    L = lab.config.model.layers
    f = lab.jump("forward", t=3)
    assert (f["phase"], f["t"], f["layer"], f["step"]) == ("forward", 3, 0, "x")
    assert lab.position == f["position"] == 3 * L * len(lab.steps)
    f = lab.jump("backward", t=2)
    assert (f["phase"], f["t"], f["layer"], f["step"]) == ("backward", 2, L - 1, "dh")
    assert lab.position == f["position"]
    assert lab.jump("validate")["phase"] == "validate"
    assert (lab.jump("update")["phase"], lab.frame()["layer"]) == ("update", 0)
    assert lab.jump("forward")["position"] == 0


@pytest.mark.parametrize(
    "phase, t",
    [("sideways", None), ("validate", 0), ("update", 0), ("forward", 6), ("forward", -1),
     ("backward", 6), ("backward", -1)],
)  # fmt: skip
def test_jump_rejects_a_bad_phase_or_time_step(phase, t):
    lab = Lab(CONFIGS["gru"])  # window 6
    lab.jump("forward", t=1)
    position = lab.position
    with pytest.raises(ValueError):
        lab.jump(phase, t=t)
    assert lab.position == position
