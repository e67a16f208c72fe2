"""Labs as bytes, and weights as JSON.

A snapshot holds everything that makes a lab what it is — config, weights,
optimiser state, PRNG key, epoch, losses and cursor — so that restoring it gives
the identical lab, and continuing from it gives the identical numbers. Live
sessions, persistence and shareable links rely on this.

Format: ``MAGIC``, a 4-byte big-endian header length, a JSON header, then a
NumPy ``.npz`` archive of the arrays (float32, as the engine computes).

Weights as JSON (``weights_to_json``, ``load_weights``) are the weights alone, by name,
for a file a learner keeps: no optimiser state, no PRNG key. Loading them checks
every name, shape and number first, so a refusal changes nothing.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import asdict
from typing import Any, NamedTuple

import jax
import numpy as np

from engine.checks import choice, exact_int, finite_float
from engine.lab_config import LabConfig
from engine.model import ModelConfig, ModelParams, init_params
from engine.series import Series
from engine.stepper import STATUSES, Lab
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
    series = fields.pop("series", None)  # snapshots from before own data have none
    if series is not None:
        if not isinstance(series, dict):
            raise ValueError("series must be an object")
        series = Series(**series)
    return LabConfig(model=model, train=train, series=series, **fields)


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
    head = json.dumps(header, allow_nan=False).encode()
    return MAGIC + len(head).to_bytes(4, "big") + head + _npz(arrays)


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    """``arrays`` as a compressed ``.npz`` that ``np.load`` reads, byte for byte the same
    for the same arrays: ``np.savez_compressed`` stamps each member with the time, and a
    shared link names a snapshot by the hash of its bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            member = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(member, "w", force_zip64=True) as file:
                np.lib.format.write_array(file, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


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


class WeightsError(ValueError):
    """Weights that do not fit a lab's model. ``where`` names the part that does not, as
    a path into ``weights_to_json``'s document (``layers.0.W_x``; ``""``: the whole);
    ``kind`` is one of ``KINDS``."""

    KINDS = ("missing", "unknown", "shape", "type", "finite")

    def __init__(self, where: str, problem: str, kind: str) -> None:
        super().__init__(f"{where} {problem}" if where else problem)
        self.where, self.problem, self.kind = where, problem, kind


class Trained(NamedTuple):
    """What the weights went through, as a lab counts it: whole epochs, single-window
    updates, and the loss of each epoch (a diverged epoch has none)."""

    epoch: int = 0
    updates: int = 0
    losses: tuple[float, ...] = ()


def weights_to_json(lab: Lab) -> dict[str, Any]:
    """The weights by name, as nested lists: {"layers": [{"W_x": …}, …], "W_y", "b_y"}.
    Exact: each float32 becomes the float64 of the same value. ValueError if any
    weight is not finite (JSON has no NaN)."""
    params = lab.params
    if not all(np.isfinite(np.asarray(leaf)).all() for leaf in jax.tree_util.tree_leaves(params)):
        raise ValueError("the weights are not all finite numbers")
    return {
        "layers": [
            {name: np.asarray(getattr(p, name)).tolist() for name in p._fields}
            for p in params.layers
        ],
        "W_y": np.asarray(params.W_y).tolist(),
        "b_y": np.asarray(params.b_y).tolist(),
    }


def weight_count(lab: Lab) -> int:
    """How many numbers the lab's weights hold (what a weights document must carry)."""
    return sum(int(np.size(leaf)) for leaf in jax.tree_util.tree_leaves(lab.params))


def read_weights(lab: Lab, data: Any) -> ModelParams:
    """The weights ``data`` holds (as ``weights_to_json`` writes them), shaped and typed
    as ``lab``'s model needs them: every name present and no other, every array of the
    model's shape, numbers only, all finite in float32. Changes nothing; WeightsError
    naming the first part that does not fit."""
    template = lab.params
    _names("", data, ("layers", "W_y", "b_y"))
    given_layers = data["layers"]
    if not isinstance(given_layers, list):
        raise WeightsError("layers", "must be a list of layers", "type")
    if len(given_layers) != len(template.layers):
        raise WeightsError(
            "layers",
            f"has {len(given_layers)} layers; this model has {len(template.layers)}",
            "shape",
        )
    layers = []
    for i, (given, current) in enumerate(zip(given_layers, template.layers, strict=True)):
        _names(f"layers.{i}", given, current._fields)
        fields = {
            name: _matrix(f"layers.{i}.{name}", given[name], getattr(current, name))
            for name in current._fields
        }
        layers.append(type(current)(**fields))
    return ModelParams(
        layers=tuple(layers),
        W_y=_matrix("W_y", data["W_y"], template.W_y),
        b_y=_matrix("b_y", data["b_y"], template.b_y),
    )


def load_weights(lab: Lab, data: Any, trained: Trained | None = None) -> None:
    """Replace the lab's weights with ``data`` (as ``weights_to_json`` writes it), and
    its epoch, updates and losses with ``trained`` if given.

    All is checked first (``read_weights``; a ValueError naming the field for
    ``trained``), so a refusal leaves the lab as it was. The optimiser state is reset;
    the cursor goes to the window's ``validate`` step, as after training: the loaded
    weights' prediction over the window is computed and checked.
    """
    params = read_weights(lab, data)
    if trained is not None:
        epoch = exact_int("epoch", trained.epoch, 0)
        updates = exact_int("updates", trained.updates, 0)
        losses = [finite_float("loss", x) for x in trained.losses]
        if len(losses) > epoch:
            raise ValueError(f"{len(losses)} losses for {epoch} epochs: one per epoch at most")
        lab.epoch, lab.updates, lab.losses = epoch, updates, losses
    lab.params = params
    lab.opt_state = init_opt_state(lab.config.train, params)
    lab.position = lab.phase_start("validate")
    lab.status = "ok"
    lab._refresh_trace()


def _names(where: str, given: Any, names: tuple[str, ...]) -> None:
    """``given`` must be an object with exactly ``names``."""
    if not isinstance(given, dict):
        raise WeightsError(where, f"must be an object with {', '.join(names)}", "type")
    for name in names:
        if name not in given:
            raise WeightsError(_join(where, name), "is missing", "missing")
    for name in given:
        if name not in names:
            raise WeightsError(_join(where, str(name)), "is not a weight of this model", "unknown")


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _shape(shape: tuple[int, ...]) -> str:
    return " × ".join(map(str, shape)) if shape else "a single number"


def _matrix(where: str, value: Any, like: Any) -> jax.Array:
    """``value`` as a float32 array shaped like ``like``; numbers only, all finite."""
    try:
        array = np.asarray(value)
    except ValueError:  # ragged rows
        raise WeightsError(where, "has rows of different lengths", "shape") from None
    if array.dtype.kind not in "iuf":  # strings, None, bools, integers beyond 64 bits
        raise WeightsError(where, "must hold numbers only", "type")
    if array.shape != np.shape(like):
        raise WeightsError(
            where,
            f"is {_shape(array.shape)}, not {_shape(np.shape(like))} as this model needs",
            "shape",
        )
    with np.errstate(over="ignore"):
        array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise WeightsError(
            where, "must hold finite numbers (float32: below about 3.4e38)", "finite"
        )
    return jax.device_put(array)
