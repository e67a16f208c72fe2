"""Translation with attention (engine/seq2seq.py, engine/dates.py) against a float64 NumPy
reference of the equations, the date corpus, and what a learner sees after training."""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache, partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import reference as ref

from engine import dates
from engine.cells import LSTMState
from engine.seq2seq import (
    DecoderState,
    Seq2SeqConfig,
    Seq2SeqParams,
    attend,
    decoder_step,
    encode,
    exact_match,
    fit,
    greedy_batch,
    init_opt_state,
    init_params,
    loss,
    train_epoch,
    translate,
)

TOL = 1e-5
ATTENTIONS = ("additive", "dot", "general")
# Trained models: 3000 examples, 6 epochs, GRU H=32 E=16, Adam η=0.01, batch 32.
TRAIN_SIZE, EPOCHS = 3000, 6


def tiny(cell: str = "gru", attention: str = "additive") -> Seq2SeqConfig:
    return Seq2SeqConfig(cell=cell, hidden=8, embed=4, attention=attention)


def f64(params: Seq2SeqParams) -> dict:
    p = {k: np.asarray(v, np.float64) for k, v in params._asdict().items() if k[0] in "EWb"}
    p["encoder"], p["decoder"] = ref.f64(params.encoder), ref.f64(params.decoder)
    p["attention"] = ref.f64(params.attention)
    return p


# -- the NumPy reference, written from the module docstring's equations ------------------


def ref_cell(cell: str, p: dict, carry: tuple, x: np.ndarray) -> tuple:
    """carry is (h, c); c is the LSTM cell state and unused by the other cells."""
    h, c = carry
    if cell == "lstm":
        tr = ref.lstm_step(p, h, c, x)
        return tr["h"], tr["c"]
    tr = ref.gru_step(p, h, x) if cell == "gru" else ref.rnn_step(p, h, x)
    return tr["h"], c


def ref_attend(kind: str, A: dict, q: np.ndarray, K: np.ndarray, mask: np.ndarray) -> tuple:
    if kind == "additive":
        e = np.array([A["v"] @ np.tanh(A["W_q"] @ q + A["W_k"] @ k) for k in K])
    elif kind == "general":
        e = np.array([q @ A["W_a"] @ k for k in K])
    else:
        e = K @ q
    w = np.where(mask, np.exp(e - e[mask].max()), 0.0)
    alpha = w / w.sum()
    return e, alpha, (alpha[:, None] * K).sum(0)


def ref_encode(cell: str, P: dict, src: np.ndarray) -> tuple:
    H = P["encoder"]["W_h"].shape[1]
    carry, keys = (np.zeros(H), np.zeros(H)), []
    for s in src:
        if s != dates.PAD_ID:
            carry = ref_cell(cell, P["encoder"], carry, P["E_src"][s])
        keys.append(carry[0])
    return np.array(keys), carry


def ref_decoder_step(cell, kind, P, K, mask, carry, context, y_prev) -> dict:
    x = np.concatenate([P["E_tgt"][y_prev], context])
    carry = ref_cell(cell, P["decoder"], carry, x)
    e, alpha, context = ref_attend(kind, P["attention"], carry[0], K, mask)
    logits = P["W_o"] @ np.concatenate([carry[0], context]) + P["b_o"]
    return {"carry": carry, "e": e, "alpha": alpha, "context": context, "logits": logits}


def ref_loss(cell: str, kind: str, P: dict, sources: np.ndarray, targets: np.ndarray) -> float:
    total, count = 0.0, 0
    for src, tgt in zip(sources, targets, strict=True):
        K, carry = ref_encode(cell, P, src)
        context, y_prev = np.zeros(K.shape[1]), dates.BOS_ID
        for y in tgt:
            out = ref_decoder_step(cell, kind, P, K, src != dates.PAD_ID, carry, context, y_prev)
            carry, context, y_prev = out["carry"], out["context"], y
            z = out["logits"]
            if y != dates.PAD_ID:
                total += np.log(np.exp(z - z.max()).sum()) + z.max() - z[y]
                count += 1
    return total / count


def random_batch(seed: int, B: int = 3, S: int = 7, T: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Sources with different lengths (then </s>, <pad>…), targets with one trailing pad."""
    rng = np.random.default_rng(seed)
    sources = np.full((B, S), dates.PAD_ID, np.int32)
    for n in range(B):
        length = S - 1 - n  # the last row has n + 1 pads
        sources[n, :length] = rng.integers(3, len(dates.SOURCE_VOCAB), length)
        sources[n, length] = dates.EOS_ID
    targets = rng.integers(3, len(dates.TARGET_VOCAB), (B, T)).astype(np.int32)
    targets[-1, -1] = dates.PAD_ID
    return sources, targets


def max_err(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


# -- attention, decoder step, loss, gradient ---------------------------------------------


@pytest.mark.parametrize("seed", (0, 1))
@pytest.mark.parametrize("kind", ATTENTIONS)
def test_attention_matches_reference_and_ignores_padding(kind, seed):
    config = tiny(attention=kind)
    params = init_params(config, key=seed)
    rng = np.random.default_rng(seed)
    q, K = rng.normal(size=8).astype(np.float32), rng.normal(size=(6, 8)).astype(np.float32)
    mask = np.array([True, True, True, True, False, False])
    e, alpha, context = attend(config, params.attention, jnp.asarray(q), jnp.asarray(K), mask)
    e_ref, alpha_ref, context_ref = ref_attend(kind, f64(params)["attention"], q, K, mask)
    assert max_err(e, e_ref) <= TOL
    assert max_err(alpha, alpha_ref) <= TOL and max_err(context, context_ref) <= TOL
    alpha = np.asarray(alpha)
    assert abs(alpha.sum() - 1.0) <= 1e-6 and np.all(alpha[4:] == 0.0)
    assert max_err(context, (alpha[:, None] * K).sum(0)) <= TOL  # c = Σ_s α_s k_s


@pytest.mark.parametrize("kind", ATTENTIONS)
@pytest.mark.parametrize("cell", ("rnn", "lstm", "gru"))
def test_decoder_step_matches_reference(cell, kind):
    config = tiny(cell, kind)
    params = init_params(config, key=3)
    rng = np.random.default_rng(3)
    h, c, context = (rng.normal(size=8).astype(np.float32) for _ in range(3))
    K = rng.normal(size=(5, 8)).astype(np.float32)
    mask = np.array([True, True, True, False, False])
    carry = LSTMState(h=jnp.asarray(h), c=jnp.asarray(c)) if cell == "lstm" else jnp.asarray(h)
    state = DecoderState(carry, jnp.asarray(context))
    new, trace = decoder_step(config, params, jnp.asarray(K), mask, state, jnp.asarray(5))
    want = ref_decoder_step(cell, kind, f64(params), K, mask, (h, c), context, 5)
    assert max_err(trace.h, want["carry"][0]) <= TOL
    assert max_err(trace.alpha, want["alpha"]) <= TOL
    assert max_err(trace.context, want["context"]) <= TOL
    assert max_err(new.context, want["context"]) <= TOL
    assert max_err(trace.logits, want["logits"]) <= TOL
    if cell == "lstm":
        assert max_err(new.carry.c, want["carry"][1]) <= TOL


def test_padding_does_not_change_the_encoder_state():
    config = tiny("lstm")
    params = init_params(config, key=0)
    source = jnp.asarray(dates.encode_source("1 may 2000"))  # 11 ids, then 21 pads
    keys, carry = encode(config, params, source)
    short_keys, short_carry = encode(config, params, source[:11])
    assert max_err(keys[:11], short_keys) == 0.0
    assert max_err(carry.h, short_carry.h) == 0.0 and max_err(carry.c, short_carry.c) == 0.0
    assert max_err(keys[11:], np.broadcast_to(keys[10], (21, 8))) == 0.0


@pytest.mark.parametrize("cell, kind", [("gru", "additive"), ("lstm", "dot"), ("rnn", "general")])
def test_teacher_forced_loss_matches_reference(cell, kind):
    config = tiny(cell, kind)
    params = init_params(config, key=1)
    sources, targets = random_batch(1)
    got = float(loss(config, params, jnp.asarray(sources), jnp.asarray(targets)))
    assert abs(got - ref_loss(cell, kind, f64(params), sources, targets)) <= TOL


@pytest.mark.parametrize("cell, kind", [("lstm", "additive"), ("gru", "dot")])
def test_loss_gradient_matches_finite_differences(cell, kind):
    config = tiny(cell, kind)
    params = init_params(config, key=2)
    sources, targets = random_batch(2)
    grads = f64(jax.grad(partial(loss, config))(params, sources, targets))
    theta = f64(params)
    rng = np.random.default_rng(2)
    entries = [("E_src", None), ("E_tgt", None), ("W_o", None), ("b_o", None)]
    for part in ("encoder", "decoder", "attention"):
        entries += [(part, name) for name in theta[part]]
    used = {
        "E_src": sources[sources != dates.PAD_ID],
        "E_tgt": [dates.BOS_ID, *targets[:, :-1].flat],
    }
    eps = 1e-6
    for part, name in entries:
        arr = theta[part][name] if name else theta[part]
        g = grads[part][name] if name else grads[part]
        for _ in range(2):
            idx = tuple(int(rng.integers(n)) for n in arr.shape)
            if part in used:  # an embedding row the batch reads
                idx = (int(rng.choice(used[part])), *idx[1:])
            old = arr[idx]
            arr[idx] = old + eps
            up = ref_loss(cell, kind, theta, sources, targets)
            arr[idx] = old - eps
            down = ref_loss(cell, kind, theta, sources, targets)
            arr[idx] = old
            fd = (up - down) / (2 * eps)
            rel = abs(g[idx] - fd) / max(abs(fd), abs(g[idx]), 1e-6)
            assert rel <= 1e-3, (part, name, idx, g[idx], fd)


@pytest.mark.parametrize(
    "kwargs",
    [{"cell": "rnn2"}, {"hidden": 12}, {"hidden": 4}, {"embed": 5}, {"attention": "mlp"},
     {"batch_size": 0}, {"batch_size": 65}, {"optimizer": "lion"}],
)  # fmt: skip
def test_config_rejects_bad_values(kwargs):
    with pytest.raises(ValueError):
        Seq2SeqConfig(**kwargs)


# -- the date corpus ---------------------------------------------------------------------

MONTHS = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def parse(text: str) -> tuple[dt.date, str | None]:
    """An independent reading of a source: the date, and the weekday if one is written."""
    words = re.findall(r"[a-z]+", text)
    weekday = words[0] if words and words[0][:3] in WEEKDAYS else None
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    if len(numbers) == 3:  # dd/mm/yyyy or dd.mm.yyyy
        return dt.date(numbers[2], numbers[1], numbers[0]), None
    month = next(MONTHS.index(m) + 1 for m in MONTHS for w in words if w in (m, m[:3]))
    return dt.date(numbers[1], month, numbers[0]), weekday


def test_every_format_is_named_by_its_own_25_march_2021():
    for name, write in dates.FORMATS.items():
        assert write(dt.date(2021, 3, 25)) == name


def test_sources_parse_back_to_their_iso_date():
    corpus = dates.make_corpus(800, seed=3)
    assert set(corpus.formats) == set(dates.FORMATS)
    for text, iso in zip(corpus.texts, corpus.isos, strict=True):
        day, weekday = parse(text)
        assert day.isoformat() == iso, text
        if weekday:
            assert WEEKDAYS[day.weekday()] == weekday[:3], text


def test_vocabularies_round_trip_and_shapes():
    corpus = dates.make_corpus(300, seed=4)
    assert corpus.sources.shape == (300, dates.SOURCE_LEN) and corpus.sources.dtype == np.int32
    assert corpus.targets.shape == (300, dates.TARGET_LEN) and corpus.targets.dtype == np.int32
    assert np.all(corpus.targets[:, -1] == dates.EOS_ID)
    rows = zip(corpus.texts, corpus.isos, corpus.sources, corpus.targets, strict=True)
    for text, iso, src, tgt in rows:
        assert dates.SOURCE_VOCAB.decode(src) == text and dates.TARGET_VOCAB.decode(tgt) == iso
        assert src[len(text)] == dates.EOS_ID and np.all(src[len(text) + 1 :] == dates.PAD_ID)
    assert dates.SOURCE_VOCAB.tokens[:3] == dates.TARGET_VOCAB.tokens[:3] == dates.SPECIALS


@pytest.mark.parametrize("text", ("25 märz 2021", "25 march 2021" * 3, "<s>"))
def test_encode_source_rejects_what_it_cannot_hold(text):
    with pytest.raises(ValueError):
        dates.encode_source(text)


def test_split_is_deterministic_and_disjoint():
    train, held = dates.make_corpus(4000, seed=0), dates.make_corpus(1000, seed=0, split="heldout")
    assert not set(train.isos) & set(held.isos) and not set(train.texts) & set(held.texts)
    again = dates.make_corpus(4000, seed=0)
    assert again.texts == train.texts and np.array_equal(again.sources, train.sources)
    assert dates.make_corpus(50, seed=1).texts != train.texts[:50]
    decade = [dt.date(2000, 1, 1) + dt.timedelta(k) for k in range(3650)]
    share = np.mean([dates.split_of(day) == "heldout" for day in decade])
    assert 0.08 <= share <= 0.12


# -- trained: what a learner sees ---------------------------------------------------------


@cache
def trained(attention: str, seed: int) -> tuple[Seq2SeqConfig, Seq2SeqParams, list[float]]:
    config = Seq2SeqConfig(cell="gru", hidden=32, embed=16, attention=attention)
    params, losses = fit(config, train_corpus(), EPOCHS, key=seed, learning_rate=0.01)
    return config, params, losses


@cache
def train_corpus() -> dates.Corpus:
    return dates.make_corpus(TRAIN_SIZE, seed=0)


@cache
def heldout() -> dates.Corpus:
    return dates.make_corpus(500, seed=1, split="heldout")


@pytest.mark.parametrize("attention, seed", [("additive", 0), ("additive", 1), ("dot", 0)])
def test_heldout_exact_match_reaches_90_percent(attention, seed):
    config, params, losses = trained(attention, seed)
    assert losses[-1] < 0.1 * losses[0], losses
    assert exact_match(params, config, heldout()) >= 0.9


def spans(text: str) -> dict[str, tuple[int, int]]:
    """Source positions of the day (the first 1–2 digit number in every format) and the
    year (the last four characters), each with the one position after it: a left-to-right
    encoder has read the whole number only there."""
    day, year = re.search(r"\d{1,2}", text), re.search(r"\d{4}$", text)
    assert day and year
    return {"day": (day.start(), day.end() + 1), "year": (year.start(), year.end() + 1)}


@pytest.mark.parametrize("attention", ("additive", "dot"))
def test_attention_is_sharp_on_the_year_and_the_day(attention):
    """In the heatmap, the ISO year's digits (output rows 0–3) look at the source's year and
    the day's digits (rows 8–9) at the source's day, wherever the format put it."""
    config, params, _ = trained(attention, 0)
    corpus = heldout()
    _, alpha = greedy_batch(params, jnp.asarray(corpus.sources), config=config)
    alpha = np.asarray(alpha)  # (N, T, S)
    for part, rows, share in (("year", [0, 1, 2, 3], 0.95), ("day", [8, 9], 0.85)):
        hits = []
        for a, text in zip(alpha, corpus.texts, strict=True):
            start, end = spans(text)[part]
            hits += [start <= s < end for s in a[rows].argmax(-1)]
        assert np.mean(hits) >= share, (part, np.mean(hits))
        assert np.mean(alpha[:, rows].max(-1)) >= 0.6  # one bright cell per row, not a smear
    assert np.all(alpha[corpus.sources[:, None, :].repeat(11, 1) == dates.PAD_ID] == 0.0)


def test_translate_is_finite_and_serialisable():
    config, params, _ = trained("additive", 0)
    out = translate(params, config, "  Thursday, March 25, 2021 ")
    assert out["translation"] == "2021-03-25"
    assert out["output_tokens"] == [*"2021-03-25", dates.EOS]
    T_out, T_src = len(out["output_tokens"]), len(out["source_tokens"])
    assert out["source_tokens"][-1] == dates.EOS and T_src == len("thursday, march 25, 2021") + 1
    assert out["attention"].shape == out["scores"].shape == (T_out, T_src)
    assert out["context"].shape == (T_out, 32) and out["encoder_states"].shape == (T_src, 32)
    assert out["probs"].shape == (T_out, len(out["target_vocab"]))
    np.testing.assert_allclose(out["attention"].sum(1), 1.0, atol=1e-5)
    np.testing.assert_allclose(out["probs"].sum(1), 1.0, atol=1e-5)
    chosen = [out["target_vocab"][i] for i in out["probs"].argmax(1)]
    assert chosen == out["output_tokens"]  # the decoder picks each character greedily
    wire = {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in out.items()}
    json.dumps(wire, allow_nan=False)
    with pytest.raises(ValueError):
        translate(params, config, "25 märz 2021")


def test_non_finite_updates_are_skipped():
    config, params, _ = trained("additive", 0)
    broken = params._replace(W_o=params.W_o.at[0, 0].set(jnp.nan))
    corpus = train_corpus()
    lr = jnp.asarray(0.01, jnp.float32)
    opt_state = init_opt_state(config, broken)
    key = jax.random.PRNGKey(0)
    data = (corpus.sources, corpus.targets)
    out, _, _, metrics = train_epoch(broken, opt_state, key, lr, *data, config=config)
    assert int(metrics.skipped) == TRAIN_SIZE // config.batch_size
    for a, b in zip(jax.tree_util.tree_leaves(out), jax.tree_util.tree_leaves(broken), strict=True):
        np.testing.assert_array_equal(a, b)
