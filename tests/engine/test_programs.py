"""The compile budget's engine side: padded windows and continuations give the numbers
of their own length, and the program cache never holds more than its bound."""

from __future__ import annotations

from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import reference as ref

from engine import Lab, LabConfig, ModelConfig, TrainSpec
from engine.data import FUNCTIONS
from engine.programs import MAX_PROGRAMS, PROGRAMS, WINDOW_BUCKETS, Programs, bucket, program_key
from engine.train import DATASETS, MAX_NORM, _epoch, init_opt_state, train_epoch
from engine.window import window_programs

# Window 11 runs as 16 steps and the continuation of 5 as 8: both are padded.
OFF_BUCKET = LabConfig(
    model=ModelConfig(cell="gru", layers=2, hidden=4),
    train=TrainSpec(window=11, sequences=10, batch_size=5, dataset="sawtooth"),
    continuation=5,
    noise=0.2,
    seed=3,
)


def reference_layers(lab: Lab) -> tuple[list, np.ndarray, np.ndarray]:
    return (
        [ref.f64(p) for p in lab.params.layers],
        np.asarray(lab.params.W_y, np.float64),
        np.asarray(lab.params.b_y, np.float64),
    )


def test_a_padded_window_and_continuation_are_the_reference_numbers_of_their_length():
    lab = Lab(OFF_BUCKET)
    T, C = 11, 5
    layers, W_y, b_y = reference_layers(lab)
    ys, traces = ref.run_stack("gru", layers, W_y, b_y, lab.trace.xs)
    assert lab.trace.ys.shape == (T, 1) and lab.trace.continuation.shape == (C, 1)
    np.testing.assert_allclose(lab.trace.ys, ys, rtol=1e-4, atol=1e-6)
    for got, want in zip(lab.trace.traces, traces, strict=True):
        assert got.h.shape == (T, 4)
        np.testing.assert_allclose(got.h, want["h"], rtol=1e-4, atol=1e-6)
    # The continuation feeds each prediction back in, from the window's last state.
    fed = np.concatenate([lab.trace.xs, lab.trace.ys[-1:], lab.trace.continuation[:-1]])
    continued, _ = ref.run_stack("gru", layers, W_y, b_y, fed)
    np.testing.assert_allclose(lab.trace.continuation, continued[T:], rtol=1e-4, atol=1e-5)


def test_a_padded_window_backward_pass_is_the_reference_bptt():
    lab = Lab(OFF_BUCKET)
    T = 11
    layers, W_y, b_y = reference_layers(lab)
    want = ref.bptt("gru", layers, W_y, b_y, lab.trace.xs, lab.targets()[:T])
    got = lab.gradients()
    assert got.dh.shape == (2, T, 4)
    np.testing.assert_allclose(got.loss, want["loss"], rtol=1e-4)
    np.testing.assert_allclose(got.dh, want["dh"], rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(
        got.grads.W_y, want["grads"]["W_y"].reshape(1, -1), rtol=1e-3, atol=1e-6
    )


def test_a_padded_training_epoch_is_the_epoch_of_its_own_length():
    """The epoch run padded to its bucket (train_epoch) against the same epoch compiled
    for exactly its window and dataset: the same weights and loss."""
    spec = OFF_BUCKET.train
    assert bucket(spec.window, WINDOW_BUCKETS) != spec.window
    lab = Lab(OFF_BUCKET)
    args = (
        lab.params,
        init_opt_state(spec, lab.params),
        jax.random.key(7),
        jnp.float32(0.05),
        jnp.float32(OFF_BUCKET.noise),
    )
    padded = train_epoch(*args, config=OFF_BUCKET.model, spec=spec)
    exact = jax.jit(_epoch, static_argnames=("config", "spec"))(
        *args, jnp.float32(MAX_NORM), jnp.int32(spec.window),
        jnp.int32(DATASETS.index(spec.dataset)),
        config=OFF_BUCKET.model, spec=spec,
    )  # fmt: skip
    np.testing.assert_allclose(padded[3].loss, exact[3].loss, rtol=1e-5)
    leaves = zip(
        jax.tree_util.tree_leaves(padded[0]), jax.tree_util.tree_leaves(exact[0]), strict=True
    )
    for a, b in leaves:
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_every_dataset_is_one_training_program_and_a_window_its_bucket():
    keys = {
        window_programs(replace(OFF_BUCKET, train=replace(OFF_BUCKET.train, dataset=d, window=w)))[
            -1
        ]
        for d in FUNCTIONS
        for w in (9, 12, 16)
    }
    assert len(keys) == 1


def test_the_program_cache_never_holds_more_than_its_bound_and_frees_what_it_evicts():
    programs = Programs(limit=3)

    def add(x: jax.Array, *, k: int) -> jax.Array:
        return x + k

    x = jnp.zeros(2)
    jitted = []
    for k in range(6):
        np.testing.assert_array_equal(programs.call(add, x, k=k), np.full(2, k))
        jitted.append(programs.jitted(add, k=k))
        assert len(programs) <= 3
    assert len(programs) == 3 and programs.compiled == 6 and programs.evicted == 3
    # Evicted programs' executables are gone from their jit; kept ones are still there.
    assert [f._cache_size() for f in jitted] == [0, 0, 0, 1, 1, 1]
    # A key compiled before (even evicted) is not new; one never compiled is.
    assert programs.missing([program_key(add, k=0), program_key(add, k=9)]) == [
        program_key(add, k=9)
    ]
    programs.touch([program_key(add, k=3)])  # now the most recent: k=4 goes next
    programs.call(add, x, k=7)
    assert program_key(add, k=3) in programs and program_key(add, k=4) not in programs
    programs.resize(1)
    assert len(programs) == 1
    with pytest.raises(ValueError):
        programs.resize(0)


def test_labs_stay_within_the_bound_and_an_evicted_program_computes_the_same() -> None:
    tiny = LabConfig(
        model=ModelConfig(cell="rnn", layers=1, hidden=2),
        train=TrainSpec(window=3, sequences=10, batch_size=5),
        continuation=2,
    )
    first = Lab(tiny)
    sizes = []
    try:
        PROGRAMS.resize(2)
        for window in (3, 9, 17):  # three window buckets: three window programs
            lab = Lab(replace(tiny, train=replace(tiny.train, window=window)))
            lab.gradients()
            sizes.append(len(PROGRAMS))
        again = Lab(tiny)  # its window program was evicted: compiled again
    finally:
        PROGRAMS.resize(MAX_PROGRAMS)
    assert max(sizes) <= 2
    np.testing.assert_array_equal(again.trace.ys, first.trace.ys)
    np.testing.assert_array_equal(again.trace.continuation, first.trace.continuation)
