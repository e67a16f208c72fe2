"""Labs as bytes, and weights as JSON.

A snapshot holds everything that makes a lab what it is — config, weights,
optimiser state, PRNG key, epoch, losses and cursor — so that restoring it gives
the identical lab, and continuing from it gives the identical numbers. Live
sessions, persistence and shareable links rely on this.

Format: ``MAGIC``, a 4-byte big-endian header length, a JSON header, then a
NumPy ``.npz`` archive of the arrays (float32, as the engine computes).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import asdict
from typing import Any

import jax
import numpy as np

from engine.checks import choice, exact_int, finite_float
from engine.model import ModelConfig, ModelParams, init_params
from engine.stepper import STATUSES, Lab, LabConfig
from engine.train import TrainSpec, init_opt_state

MAGIC = b"UNRL1"
MAX_BYTES = 16 * 2**20


def config_to_dict(config: LabConfig) -> dict[str, Any]:
    return asdict(config)


def config_from_dict(data: dict[str, Any]) -> LabConfig:
    """Rebuild a LabConfig, with every check the constructors make."""
    fields = dict(data)
    model = ModelConfig(**fields.pop("model"))
    train = TrainSpec(**fields.pop("train"))
    return LabConfig(model=model, train=train, **fields)


def to_bytes(lab: Lab) -> bytes:
    header = {
        "config": config_to_dict(lab.config),
        "epoch": lab.epoch,
        "updates": lab.updates,
        "losses": lab.losses,
        "status": lab.status,
        "position": lab.position,
    }
    arrays: dict[str, np.ndarray] = {"key": np.asarray(jax.random.key_data(lab.key))}
    for i, leaf in enumerate(jax.tree_util.tree_leaves(lab.params)):
        arrays[f"p{i}"] = np.asarray(leaf)
    for i, leaf in enumerate(jax.tree_util.tree_leaves(lab.opt_state)):
        arrays[f"o{i}"] = np.asarray(leaf)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    head = json.dumps(header, allow_nan=False).encode()
    return MAGIC + len(head).to_bytes(4, "big") + head + buffer.getvalue()


def from_bytes(data: bytes) -> Lab:
    """The lab a snapshot holds; ValueError (and nothing else) if the bytes are not a
    valid snapshot. Every field is checked as the constructors check a new lab."""
    if not isinstance(data, bytes | bytearray) or len(data) > MAX_BYTES:
        raise ValueError("not an Unrolled lab snapshot")
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 4:
        raise ValueError("not an Unrolled lab snapshot")
    try:
        return _restore(bytes(data))
    except ValueError as error:
        raise ValueError(f"damaged lab snapshot: {error}") from None
    except (KeyError, TypeError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"damaged lab snapshot: {type(error).__name__}: {error}") from None


def _restore(data: bytes) -> Lab:
    start = len(MAGIC) + 4
    size = int.from_bytes(data[len(MAGIC) : start], "big")
    if start + size > len(data):
        raise ValueError("header runs past the end")
    header = json.loads(data[start : start + size])
    if not isinstance(header, dict):
        raise ValueError("header is not an object")
    config = config_from_dict(header["config"])
    with np.load(io.BytesIO(data[start + size :]), allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    key = arrays["key"]
    if key.shape != (2,) or key.dtype != np.uint32:
        raise ValueError("the PRNG key must be two uint32 words")
    losses = header["losses"]
    if not isinstance(losses, list):
        raise ValueError("losses must be a list")
    lab = Lab.__new__(Lab)
    lab.config = config
    params = init_params(config.model, key=config.seed)
    lab.params = _fill(params, arrays, "p")
    lab.opt_state = _fill(init_opt_state(config.train, params), arrays, "o")
    lab.key = jax.random.wrap_key_data(jax.device_put(key))
    lab.epoch = exact_int("epoch", header["epoch"], 0)
    lab.updates = exact_int("updates", header["updates"], 0)
    lab.losses = [finite_float("loss", x) for x in losses]
    lab.status = choice("status", header["status"], STATUSES)
    lab._refresh_trace()
    lab.position = exact_int("position", header["position"], 0, lab.total_positions - 1)
    return lab


def _fill(template: Any, arrays: dict[str, np.ndarray], prefix: str) -> Any:
    leaves, treedef = jax.tree_util.tree_flatten(template)
    restored = []
    for i, leaf in enumerate(leaves):
        value = arrays.get(f"{prefix}{i}")
        if value is None or value.shape != np.shape(leaf):
            raise ValueError("damaged lab snapshot: arrays do not match the config")
        restored.append(jax.device_put(np.asarray(value, dtype=leaf.dtype)))
    return jax.tree_util.tree_unflatten(treedef, restored)


def weights_to_json(lab: Lab) -> dict[str, Any]:
    """The weights by name, as nested lists: {"layers": [{"W_x": …}, …], "W_y", "b_y"}."""
    params = lab.params
    return {
        "config": config_to_dict(lab.config),
        "layers": [
            {name: np.asarray(getattr(p, name)).tolist() for name in p._fields}
            for p in params.layers
        ],
        "W_y": np.asarray(params.W_y).tolist(),
        "b_y": np.asarray(params.b_y).tolist(),
    }


def load_weights(lab: Lab, data: dict[str, Any]) -> None:
    """Replace the lab's weights with ``data`` (as ``weights_to_json`` writes it).

    Shapes must match the lab's model and every number must be finite; the
    optimiser state is reset, the cursor goes to the start.
    """
    template = lab.params
    try:
        layers = []
        for given, current in zip(data["layers"], template.layers, strict=True):
            fields = {
                name: _matrix(given[name], getattr(current, name)) for name in current._fields
            }
            layers.append(type(current)(**fields))
        params = ModelParams(
            layers=tuple(layers),
            W_y=_matrix(data["W_y"], template.W_y),
            b_y=_matrix(data["b_y"], template.b_y),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"weights do not fit this model: {error}") from None
    lab.params = params
    lab.opt_state = init_opt_state(lab.config.train, params)
    lab.position = 0
    lab.status = "ok"
    lab._refresh_trace()


def _matrix(value: Any, like: Any) -> jax.Array:
    """``value`` as a float32 array shaped like ``like``; numbers only, all finite."""
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":  # strings, None, ragged lists become other kinds
        raise ValueError("weights must be numbers")
    if array.shape != np.shape(like):
        raise ValueError(f"expected shape {np.shape(like)}, got {array.shape}")
    with np.errstate(over="ignore"):
        array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise ValueError("weights must be finite float32 numbers")
    return jax.device_put(array)
