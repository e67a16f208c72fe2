"""Delayed recall (engine/memory.py): the data is what the docstring says, padding to a
bucket changes nothing, and — the point of the task — in the lesson's setting the LSTM
learns it while the vanilla RNN stays at chance."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine import memory as M
from engine.model import masked_run


def test_a_sequence_marks_one_letter_in_its_first_half_and_asks_for_it():
    xs, ys, marked = M.sample(jax.random.PRNGKey(3), 200, 11, 16)
    xs, ys, marked = np.asarray(xs), np.asarray(ys), np.asarray(marked)
    assert xs.shape == (200, 16, 5)
    assert ((marked >= 0) & (marked < 5)).all() and len(set(marked)) == 5  # ⌊11/2⌋ places
    letters = xs[:, :, :4].argmax(axis=2)
    assert (ys == letters[np.arange(200), marked]).all()
    assert (xs[:, :11, :4].sum(axis=2) == 1).all()  # one letter per real step
    assert (xs[:, :, 4].sum(axis=1) == 1).all() and (xs[np.arange(200), marked, 4] == 1).all()
    assert not xs[:, 11:].any()  # past the length: nothing


def test_padding_to_the_bucket_gives_the_numbers_of_the_real_length():
    config = M.MemoryConfig(cell="gru", length=11)
    params = M.init_params(config, key=1)
    xs, _, _ = M.sample(jax.random.PRNGKey(0), 3, 11, 16)
    model = config.model
    padded, _, _ = jax.vmap(lambda x: masked_run(model, params, x, jnp.arange(16) < 11))(xs)
    exact, _, _ = jax.vmap(lambda x: masked_run(model, params, x, jnp.ones(11, bool)))(xs[:, :11])
    np.testing.assert_allclose(padded[:, -1], exact[:, -1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad", [{"length": 3}, {"length": 33}, {"length": 1.5}, {"cell": "x"}])
def test_a_bad_setting_is_refused_by_name(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        M.MemoryConfig(**bad)


def test_the_example_is_drawn_as_the_task_draws():
    for seed in range(20):
        e = M.example(16, seed)
        assert len(e["letters"]) == 16 and set(e["letters"]) <= set(M.SYMBOLS)
        assert 0 <= e["marked"] < 8 and e["answer"] == e["letters"][e["marked"]]


def held_out_accuracy(cell: str, epochs: int) -> list[float]:
    """The lesson's setting (16 letters, seed 0): held-out accuracy after each epoch."""
    config = M.MemoryConfig(cell=cell, length=16)
    params = M.init_params(config, key=0)
    opt_state, key = M.init_opt_state(config, params), jax.random.PRNGKey(0)
    out = []
    for _ in range(epochs):
        params, opt_state, key, m = M.train_epoch(params, opt_state, key, config)
        out.append(float(m.heldout))
    return out


def test_within_ten_epochs_the_lstm_learns_and_the_vanilla_rnn_stays_at_chance():
    lstm, rnn = held_out_accuracy("lstm", 10), held_out_accuracy("rnn", 10)
    assert lstm[-1] >= 0.9 and max(lstm[4:]) == 1.0
    assert all(0.18 <= a <= 0.32 for a in rnn), rnn  # chance is 0.25
