"""Every valid lab configuration constructs (and a few open); every invalid value is a
ValueError that names the field.

Opening labs compiles JAX programs, so that part draws only a handful of shapes
(hidden 2, window 4, 1–2 layers) for at most 10 derandomized examples.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Lab, LabConfig, ModelConfig, TrainSpec
from engine.cells import ACTIVATIONS
from engine.data import FUNCTIONS
from engine.model import CELL_KINDS, HIDDEN_SIZES
from engine.snapshot import config_from_dict, config_to_dict
from engine.train import OPTIMIZERS

LAYERS = st.integers(1, 7)
HIDDEN = st.sampled_from(HIDDEN_SIZES)
WINDOW = st.integers(2, 64)
CONTINUATION = st.integers(1, 64)


def models(layers=LAYERS, hidden=HIDDEN, cells=CELL_KINDS):
    return st.builds(
        ModelConfig,
        cell=st.sampled_from(cells),
        layers=layers,
        hidden=hidden,
        activation=st.sampled_from(tuple(ACTIVATIONS)),
    )


def lab_configs(
    model=None, window=WINDOW, continuation=CONTINUATION
) -> st.SearchStrategy[LabConfig]:
    model = models() if model is None else model
    train = st.builds(
        TrainSpec,
        dataset=st.sampled_from(tuple(FUNCTIONS)),
        window=window,
        batch_size=st.integers(5, 50),
        optimizer=st.sampled_from(OPTIMIZERS),
    )
    return st.builds(
        LabConfig,
        model=model,
        train=train,
        learning_rate=st.floats(1e-4, 1.0),
        noise=st.floats(0.0, 0.4),
        continuation=continuation,
        seed=st.integers(0, 2**31 - 1),
        start=st.floats(-100.0, 100.0),
    )


@settings(max_examples=200, deadline=None, database=None)
@given(lab_configs())
def test_every_valid_config_constructs(config):
    assert hash(config) == hash(LabConfig(**vars(config)))  # frozen: a static jit argument
    assert config_from_dict(config_to_dict(config)) == config


def assert_finite_json(obj) -> None:
    text = json.dumps(obj, allow_nan=False)  # raises on NaN / inf
    assert text


@settings(
    max_examples=10,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    lab_configs(
        # the activation only matters for the vanilla cell, but it is part of the jit key
        model=st.one_of(
            models(st.integers(1, 2), st.just(2), ("rnn",)),
            st.builds(ModelConfig, cell=st.sampled_from(("lstm", "gru")), layers=st.just(1),
                      hidden=st.just(2)),
        ),
        window=st.just(4),
        continuation=st.just(8),
    )
)  # fmt: skip
def test_a_lab_opens_and_its_frames_are_finite(config):
    lab = Lab(config)
    frames = [lab.frame(), lab.advance("compute"), lab.advance("timestep")]
    frames += [lab.jump(phase) for phase in ("validate", "backward", "update")]
    frames.append(lab.advance("timestep"))
    assert [f["phase"] for f in frames][-4:] == ["validate", "backward", "update", "update"]
    for f in frames:
        assert_finite_json(f)
    assert_finite_json(lab.sequence())
    assert lab.status == "ok"


@pytest.mark.parametrize(
    "field, value",
    [("layers", 1), ("layers", 7), ("window", 2), ("window", 64), ("batch_size", 5),
     ("batch_size", 50), ("learning_rate", 1e-4), ("learning_rate", 1.0), ("noise", 0.0),
     ("noise", 0.4), ("seed", 0), ("seed", 2**31 - 1), ("continuation", 1), ("continuation", 64)],
)  # fmt: skip
def test_bounds_are_inclusive(field, value):
    build(field, value)


def build(field: str, value):
    """A LabConfig with one field (of the lab, its model or its train spec) set to value."""
    if field in ModelConfig.__dataclass_fields__:
        return LabConfig(model=ModelConfig(**{field: value}))
    if field in TrainSpec.__dataclass_fields__:
        return LabConfig(train=TrainSpec(**{field: value}))
    return LabConfig(**{field: value})


OUT_OF_RANGE = [
    ("cell", "vanilla"), ("cell", "LSTM"), ("layers", 0), ("layers", 8), ("layers", -1),
    ("hidden", 0), ("hidden", 3), ("hidden", 128), ("activation", "gelu"),
    ("input_size", 0), ("output_size", 0),
    ("dataset", "cosine"), ("window", 1), ("window", 65), ("batch_size", 4), ("batch_size", 51),
    ("optimizer", "adagrad"),
    ("learning_rate", 0.0), ("learning_rate", 5e-5), ("learning_rate", 1.5),
    ("learning_rate", math.nan), ("learning_rate", math.inf),
    ("noise", -0.01), ("noise", 0.41), ("noise", math.nan),
    ("continuation", 0), ("continuation", 65), ("seed", -1), ("seed", 2**31),
]  # fmt: skip

# One root cause when these fail: the constructors compare without checking the type, so
# a string is a TypeError and a float or a bool slips through to break the lab later.
WRONG_TYPE = [
    ("cell", None), ("layers", "3"), ("layers", None), ("layers", 2.5), ("layers", True),
    ("hidden", 4.0), ("activation", ["tanh"]), ("input_size", 1.5), ("dataset", ["sine"]),
    ("window", "5"), ("window", 5.5), ("batch_size", 25.5), ("sequences", "100"),
    ("optimizer", None), ("learning_rate", "0.1"), ("noise", None), ("continuation", 8.5),
    ("seed", 1.5), ("start", "0"), ("start", math.nan), ("model", None), ("train", None),
]  # fmt: skip


def ids(cases):
    return [f"{field}={value!r}" for field, value in cases]


@pytest.mark.parametrize("field, value", OUT_OF_RANGE, ids=ids(OUT_OF_RANGE))
def test_an_out_of_range_value_is_a_value_error_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        build(field, value)


@pytest.mark.parametrize("field, value", WRONG_TYPE, ids=ids(WRONG_TYPE))
def test_a_value_of_the_wrong_type_is_a_value_error_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        build(field, value)
