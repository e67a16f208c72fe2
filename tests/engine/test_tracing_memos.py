"""After the warm-up the server forgets JAX's memos of traced functions
(``engine.host.drop_tracing_memos``): the compiled programs stay, and a lab computes
the same numbers as before."""

from __future__ import annotations

import numpy as np
from jax._src import util

from engine import Lab, LabConfig
from engine.host import _DISPATCH_MEMOS, drop_tracing_memos
from engine.model import ModelConfig
from engine.train import TrainSpec

CONFIG = LabConfig(model=ModelConfig(cell="gru", layers=2, hidden=4), train=TrainSpec(window=7))


def run() -> tuple[list[float], dict]:
    lab = Lab(CONFIG)
    lab.train(2)
    lab.jump("update")
    return list(lab.losses), lab.frame()


def test_a_lab_computes_the_same_numbers_after_the_tracing_memos_are_dropped() -> None:
    losses, frame = run()
    assert drop_tracing_memos() > 0
    dropped = [m for m, name in util._caches.items()
               if not any(kept in str(name) for kept in _DISPATCH_MEMOS)]  # fmt: skip
    assert all(m.cache_info().currsize == 0 for m in dropped if hasattr(m, "cache_info"))
    again, frame_again = run()
    np.testing.assert_array_equal(again, losses)
    assert frame_again.keys() == frame.keys()
    for key, value in frame.items():
        np.testing.assert_equal(frame_again[key], value, err_msg=key)
