"""A letter through a cell: every step of the walk equals the text model's forward pass,
checked against the float64 NumPy reference; the last softmax is the task's bars; the
arithmetic adds up; the cursor moves by compute step and by character."""

from __future__ import annotations

import numpy as np
import pytest
import reference as ref

from engine import text, text_corpus, text_generation
from engine.letter import READOUT, LetterWalk
from engine.model import ModelConfig

TOL = 1e-5
PREFIX = "abbab"


def walk_of(cell: str, encoding: str = "embedding", temperature: float = 0.7) -> LetterWalk:
    model = ModelConfig(cell=cell, layers=2, hidden=4)
    cfg = text_corpus.TextConfig(model=model, text="abab", encoding=encoding, embed_dim=8)
    params = text.init_params(cfg, key=3)
    return LetterWalk(params, cfg, PREFIX, temperature)


def reference(walk: LetterWalk) -> tuple[np.ndarray, np.ndarray, list[dict[str, np.ndarray]]]:
    """(x_t, ŷ_t, per-layer traces) of the prefix in float64, from the equations."""
    cfg = walk.config
    params = text.init_params(cfg, key=3)
    ids = np.array([walk.vocab.index(c) for c in PREFIX])
    xs, ys, traces = ref.text_run(cfg.model.cell, params, ids, cfg.vocab_size)
    return xs, ys[:, : len(walk.vocab)], traces


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


@pytest.mark.parametrize(("cell", "encoding"), [("gru", "embedding"), ("lstm", "embedding"),
                                                ("rnn", "onehot")])  # fmt: skip
def test_every_step_equals_the_forward_pass(cell, encoding):
    walk = walk_of(cell, encoding)
    xs, ys, traces = reference(walk)
    L, steps = 2, walk.steps
    assert walk.total == len(PREFIX) * (L * len(steps) + len(READOUT))
    seen = set()
    for position in range(walk.total):
        frame = walk.seek(position)
        t, layer, step = frame["t"], frame["layer"], frame["step"]
        seen.add((t, layer, step))
        assert frame["char"] == PREFIX[t]
        assert frame["next"] == (PREFIX[t + 1] if t + 1 < len(PREFIX) else None)
        shown = frame["cell_layer"]
        values = frame["values"]
        x = xs[t] if shown == 0 else traces[shown - 1]["h"][t]
        np.testing.assert_allclose(values["x"], x, atol=TOL)
        h_prev = traces[shown]["h"][t - 1] if t else np.zeros(4)
        np.testing.assert_allclose(values["h_prev"], h_prev, atol=TOL)
        revealed = steps[1 : frame["step_index"] + 1] if layer is not None else steps[1:]
        assert set(values) - {"x", "h_prev", "c_prev"} == set(revealed)
        for name in revealed:
            np.testing.assert_allclose(values[name], traces[shown][name][t], atol=TOL)
        if layer is not None:
            assert frame["scores"] is None and frame["probs"] is None
            continue
        np.testing.assert_allclose(frame["scores"], ys[t], atol=TOL)
        if step == "y":
            assert frame["probs"] is None and frame["choice"] is None
        else:
            p = softmax(ys[t] / 0.7)
            np.testing.assert_allclose(frame["probs"], p, atol=TOL)
            assert frame["choice"] == walk.vocab[int(np.argmax(p))]
    expected = {(t, layer, s) for t in range(len(PREFIX)) for layer in range(L) for s in steps}
    expected |= {(t, None, s) for t in range(len(PREFIX)) for s in READOUT}
    assert seen == expected


def test_the_last_softmax_is_the_task_s_prediction():
    walk = walk_of("gru", temperature=1.3)
    params = text.init_params(walk.config, key=3)
    p = text_generation.predict_distribution(params, walk.config, PREFIX, 1.3)
    frame = walk.seek(walk.total - 1)
    assert frame["step"] == "p" and frame["next"] is None
    np.testing.assert_allclose(frame["probs"], p, atol=1e-6)


def test_the_walk_reads_the_last_window_of_a_long_start():
    model = ModelConfig(cell="gru", layers=1, hidden=4)
    cfg = text_corpus.TextConfig(model=model, text="abab", encoding="embedding", window=6)
    walk = LetterWalk(text.init_params(cfg, key=0), cfg, "aabbabab")
    assert walk.chars == "bbabab"
    assert walk.total == 6 * (5 + 2)


def test_the_readout_arithmetic_adds_up():
    walk = walk_of("lstm")
    walk.seek(walk.per_char - 2)  # the first character's scores
    assert walk.frame()["step"] == "y"
    terms = walk.readout_terms("b")
    assert set(terms) == {"y"}
    y = terms["y"]
    assert y["wh"] + y["b"] == pytest.approx(y["value"], abs=TOL)
    walk.move()
    for char in walk.vocab:
        p = walk.readout_terms(char)["p"]
        assert p["shifted"] == pytest.approx(p["y"] / p["tau"] - p["m"])
        assert p["e"] == pytest.approx(np.exp(p["shifted"]))
        assert p["e"] / p["sum"] == pytest.approx(p["value"], abs=TOL)
    assert walk.cell_terms(0) == {}


def test_the_cell_arithmetic_is_the_function_labs():
    walk = walk_of("gru")
    frame = walk.seek(3)  # layer 1's candidate n of the first character
    assert (frame["layer"], frame["step"]) == (0, "n")
    terms = walk.cell_terms(2)
    assert list(terms) == ["r", "z", "n"]
    n = terms["n"]
    assert n["wx"] + n["b_x"] + n["r"] * (n["wh"] + n["b_h"]) == pytest.approx(n["pre"])
    assert np.tanh(n["pre"]) == pytest.approx(n["value"], abs=TOL)
    assert n["value"] == pytest.approx(frame["values"]["n"][2])


def test_moves_by_compute_step_and_by_character():
    walk = walk_of("gru")
    per = walk.per_char  # 2 layers × 5 steps + y, p = 12
    assert per == 12
    assert walk.move(back=True)["position"] == 0  # stops at the start
    assert walk.move()["position"] == 1
    frame = walk.move("character")
    assert (frame["position"], frame["step"], frame["t"]) == (per - 1, "p", 0)
    assert walk.move("character")["position"] == 2 * per - 1
    assert walk.move("character", back=True)["position"] == per - 1
    walk.seek(per + 3)
    assert walk.move("character", back=True)["position"] == per - 1
    assert walk.move("character", back=True)["position"] == 0
    walk.seek(10**6)
    assert walk.position == walk.total - 1
    assert walk.move("character")["position"] == walk.total - 1  # stops at the end


def test_bad_requests_are_refused():
    walk = walk_of("gru")
    with pytest.raises(ValueError, match="by must be"):
        walk.move("epoch")
    walk.seek(walk.total - 1)
    with pytest.raises(ValueError, match="not one of"):
        walk.readout_terms("z")
    cfg, params = walk.config, text.init_params(walk.config, key=3)
    with pytest.raises(ValueError, match="above 0"):
        LetterWalk(params, cfg, PREFIX, 0.0)
    with pytest.raises(ValueError, match="not in this text"):
        LetterWalk(params, cfg, "abc", 1.0)
