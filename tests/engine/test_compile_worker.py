"""Programs compiled in a worker process compute what programs compiled here compute,
and a worker that dies or cannot compile costs the learner nothing but time."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine import Lab, LabConfig, ModelConfig, TrainSpec, compile_worker
from engine.cache import enable_compilation_cache
from engine.compile_worker import CompileWorker
from engine.programs import PROGRAMS, Programs

CONFIG = LabConfig(
    model=ModelConfig(cell="lstm", layers=2, hidden=4),
    train=TrainSpec(window=7, sequences=10, batch_size=5, optimizer="adam"),
    continuation=5,
    noise=0.1,
    seed=4,
)


def add(x: jax.Array, *, k: int) -> jax.Array:
    return x + k


def dies_in_the_worker(x: jax.Array, *, k: int) -> jax.Array:
    """Kills the process that traces it, if that is a compile worker (``python -c``)."""
    if sys.argv[0] == "-c":
        import os

        os._exit(3)
    return x * k


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[CompileWorker]:
    # The worker imports this module by name (for ``add``, ``dies_in_the_worker``).
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))
    made = CompileWorker()
    yield made
    made.close()


def run_lab() -> tuple[np.ndarray, np.ndarray, float, list[float]]:
    lab = Lab(CONFIG)
    grads = lab.gradients()
    lab.jump("update")
    return lab.trace.ys, lab.trace.continuation, grads.loss, lab.train(2)


def test_a_lab_computes_the_same_numbers_with_its_programs_compiled_by_the_worker(
    worker: CompileWorker,
) -> None:
    saved = PROGRAMS.worker
    PROGRAMS.use_worker(None)
    PROGRAMS.clear()
    here = run_lab()
    PROGRAMS.clear()
    try:
        PROGRAMS.use_worker(worker)
        there = run_lab()
        assert worker.compiled == 4 and worker.failed == 0  # window, backward, update, epoch
        assert worker.pid is not None
    finally:
        PROGRAMS.use_worker(saved)
        PROGRAMS.clear()
    np.testing.assert_array_equal(there[0], here[0])
    np.testing.assert_array_equal(there[1], here[1])
    assert there[2] == here[2] and there[3] == here[3]


def test_a_worker_killed_between_programs_is_replaced(worker: CompileWorker) -> None:
    programs = Programs()
    programs.use_worker(worker)
    x = jnp.zeros(2)
    np.testing.assert_array_equal(programs.call(add, x, k=1), np.full(2, 1))
    proc = worker._proc
    assert proc is not None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    np.testing.assert_array_equal(programs.call(add, x, k=2), np.full(2, 2))
    assert worker.started == 2 and worker.compiled == 2 and worker.failed == 0


def test_a_worker_dying_mid_compile_leaves_the_program_to_this_process(
    worker: CompileWorker,
) -> None:
    programs = Programs()
    programs.use_worker(worker)
    x = jnp.ones(3)
    np.testing.assert_array_equal(programs.call(dies_in_the_worker, x, k=5), np.full(3, 5.0))
    assert worker.failed == 1 and worker.pid is None
    # The next new program starts a new worker.
    np.testing.assert_array_equal(programs.call(add, x, k=1), np.full(3, 2.0))
    assert worker.started == 2 and worker.compiled == 1


def test_arguments_of_another_type_than_compiled_for_still_compute(worker: CompileWorker) -> None:
    programs = Programs()
    programs.use_worker(worker)
    np.testing.assert_array_equal(programs.call(add, jnp.zeros(2), k=1), np.full(2, 1.0))
    ints = programs.call(add, jnp.zeros(2, jnp.int32), k=1)  # same program key, other dtype
    assert ints.dtype == jnp.int32
    np.testing.assert_array_equal(ints, np.full(2, 1))


def test_a_function_the_worker_cannot_import_is_compiled_here(worker: CompileWorker) -> None:
    programs = Programs()
    programs.use_worker(worker)

    def local(x: jax.Array, *, k: int) -> jax.Array:
        return x - k

    np.testing.assert_array_equal(programs.call(local, jnp.zeros(2), k=1), np.full(2, -1.0))
    assert worker.compiled == 0 and worker.pid is None  # not even started for it


def test_a_program_compiled_again_with_a_persistent_cache_still_runs(
    worker: CompileWorker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker never reads the persistent cache (an executable from it serializes
    without some of its kernels), even one its environment names: a program evicted
    and compiled again runs."""
    saved = (PROGRAMS.worker, jax.config.jax_compilation_cache_dir)
    enable_compilation_cache(tmp_path)
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    PROGRAMS.use_worker(worker)
    try:
        losses = []
        for _ in range(2):
            PROGRAMS.clear()  # as an eviction: the next lab compiles its programs again
            losses.append(Lab(CONFIG).train(2))
        assert worker.compiled == 2 and worker.failed == 0  # the epoch, twice
    finally:
        PROGRAMS.use_worker(saved[0])
        PROGRAMS.clear()
        jax.config.update("jax_compilation_cache_dir", saved[1])
    assert losses[0] == losses[1]


def test_programs_new_inside_here_are_compiled_in_this_process(worker: CompileWorker) -> None:
    programs = Programs()
    programs.use_worker(worker)
    with programs.here():
        np.testing.assert_array_equal(programs.call(add, jnp.zeros(2), k=3), np.full(2, 3.0))
    assert worker.compiled == 0
    np.testing.assert_array_equal(programs.call(add, jnp.zeros(2), k=4), np.full(2, 4.0))
    assert worker.compiled == 1


def test_an_idle_worker_stops_and_the_next_program_starts_another(
    worker: CompileWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker holds a few hundred MB: it goes when learners stop compiling."""
    monkeypatch.setattr(compile_worker, "IDLE_SECONDS", 0.2)
    programs = Programs()
    programs.use_worker(worker)
    x = jnp.zeros(2)
    np.testing.assert_array_equal(programs.call(add, x, k=3), np.full(2, 3))
    proc = worker._proc
    assert proc is not None
    proc.wait(timeout=120)  # it stops by itself once idle
    assert worker.pid is None
    np.testing.assert_array_equal(programs.call(add, x, k=4), np.full(2, 4))
    assert worker.started == 2 and worker.compiled == 2 and worker.failed == 0
