"""Engine figures: cold compiles per shape, warm epoch (ours and PyTorch's), compute step.

.venv/bin/python bench/engine.py [--epochs 200] [--steps 1000] [--no-torch] [--no-compile]
                                 [--cache DIR]

Cold compiles run first, in this process, with the persistent compilation cache
off (unless --cache DIR is given: run twice to see what the cache saves). The
PyTorch comparison runs when torch is importable (benchmarking only; it is not a
dependency of the project: `.venv/bin/pip install torch==2.13.0`).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from engine import Lab, LabConfig, ModelConfig  # noqa: E402
from engine.programs import PROGRAMS  # noqa: E402
from engine.train import train_epoch  # noqa: E402

# Durations JAX reports for every program it builds (jax/_src/dispatch.py).
TRACE, LOWER, COMPILE = (
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
    "/jax/core/compile/backend_compile_duration",
)


def load() -> None:
    """Other processes on these 2 cores skew every figure: say how busy the machine was."""
    one, five, _ = os.getloadavg()
    print(f"load average: {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores")


def report(name: str, seconds: list[float], target: str = "") -> float:
    ms = np.asarray(seconds) * 1000
    line = f"{name:<52} median {np.median(ms):8.3f} ms   p99 {np.percentile(ms, 99):8.3f} ms"
    print(line + (f"   (n={len(ms)}; target {target})" if target else f"   (n={len(ms)})"))
    return float(np.median(ms))


def timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


class CompileLog:
    """Counts and sums JAX's trace / lower / compile events while active."""

    def __init__(self) -> None:
        self.count: Counter[str] = Counter()
        self.secs: Counter[str] = Counter()
        jax.monitoring.register_event_duration_secs_listener(self._on)

    def _on(self, event: str, duration: float, **_: Any) -> None:
        self.count[event] += 1
        self.secs[event] += duration

    @contextmanager
    def window(self) -> Iterator[dict[str, float]]:
        before_n, before_s = self.count.copy(), self.secs.copy()
        out: dict[str, float] = {}
        start = time.perf_counter()
        yield out
        out["wall"] = time.perf_counter() - start
        out["compiles"] = self.count[COMPILE] - before_n[COMPILE]
        for key, event in (("trace", TRACE), ("lower", LOWER), ("compile", COMPILE)):
            out[key] = self.secs[event] - before_s[event]

    def close(self) -> None:
        jax.monitoring.unregister_event_duration_listener(self._on)


def cold_compiles(log: CompileLog) -> None:
    print("\n== cold compile per shape (hidden 16, window 15, batch 25; first call of each)")
    print("open = Lab(config): weights + the stepper's first window trace (_run_window);")
    print("epoch = the first lab.train(1): the jitted epoch (the window trace is warm by then).")
    print("trace/lower/compile: JAX's own timings inside that call; n = XLA programs built.")
    head = f"{'cell':<5}{'L':>2}  {'open s':>7} {'n':>3}  {'epoch s':>8} {'n':>3}"
    print(head + f"  {'trace s':>8} {'lower s':>8} {'compile s':>9}")
    jnp.zeros(1).block_until_ready()  # backend start-up is nobody's compile
    jax.random.key(0)
    total = 0
    for cell in ("rnn", "lstm", "gru"):
        for layers in (1, 3, 7):
            config = LabConfig(model=ModelConfig(cell=cell, layers=layers))
            with log.window() as opened:
                lab = Lab(config)
            with log.window() as first:
                lab.train(1)
            total += int(opened["compiles"] + first["compiles"])
            print(
                f"{cell:<5}{layers:>2}  {opened['wall']:7.2f} {opened['compiles']:3.0f}  "
                f"{first['wall']:8.2f} {first['compiles']:3.0f}  {first['trace']:8.2f} "
                f"{first['lower']:8.2f} {first['compile']:9.2f}"
            )
    print(f"XLA programs built for the 9 shapes: {total} (lab programs in memory: "
          f"{len(PROGRAMS)})")  # fmt: skip


def ours(epochs: int, steps: int) -> Lab:
    print("\n== warm epoch, exploRNN default: 3×16 LSTM, window 15, 100 seq, batch 25, RMSprop")
    lab = Lab()
    lab.train(3)  # compile and settle
    report("ours: Lab().train(1)", timed(lambda: lab.train(1), epochs), "≤ 10 ms")

    cfg = lab.config
    lr = jnp.asarray(cfg.learning_rate, jnp.float32)
    noise = jnp.asarray(cfg.noise, jnp.float32)
    state: tuple[Any, ...] = (lab.params, lab.opt_state, lab.key)

    def bare() -> None:
        nonlocal state
        *carry, metrics = train_epoch(*state, lr, noise, config=cfg.model, spec=cfg.train)
        state = jax.block_until_ready(tuple(carry))
        jax.block_until_ready(metrics)

    bare()
    report("ours: train_epoch + block_until_ready", timed(bare, epochs))

    def trace_after_epoch() -> None:
        lab._refresh_trace()
        lab.trace  # noqa: B018 - what the first frame after an epoch computes

    report("  the window's forward pass, when a frame needs it", timed(trace_after_epoch, epochs))

    print("\n== compute step in-process")
    lab.position = 0
    report("ours: Lab.advance('compute')", timed(lambda: lab.advance("compute"), steps),
           "p99 ≤ 0.5 ms")  # fmt: skip
    return lab


def torch_epoch_fn(torch: Any, threads: int) -> Callable[[], float]:
    """PyTorch's equivalent of our epoch: same model, data, loss, optimiser and clipping."""
    torch.manual_seed(0)
    torch.set_num_threads(threads)

    class Model(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = torch.nn.LSTM(1, 16, num_layers=3, batch_first=True)
            self.readout = torch.nn.Linear(16, 1)

        def forward(self, x: Any) -> Any:
            return self.readout(self.lstm(x)[0])  # ŷ at every step: (B, T, 1)

    model = Model()
    # optax.scale_by_rms(decay=0.9, eps=1e-8) is ours; torch puts ε outside the root.
    opt = torch.optim.RMSprop(model.parameters(), lr=0.01, alpha=0.9, eps=1e-8)
    batches, batch, window, dx = 4, 25, 15, 0.2
    steps = dx * torch.arange(window + 1, dtype=torch.float32)

    def epoch() -> float:
        starts = torch.rand(batches * batch, 1) * (2 * np.pi)
        values = torch.sin(starts + steps)  # (N, T+1): sine windows, next point as target
        xs = values[:, :-1, None].reshape(batches, batch, window, 1)
        ys = values[:, 1:, None].reshape(batches, batch, window, 1)
        losses = []
        for b in range(batches):
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.mse_loss(model(xs[b]), ys[b])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            losses.append(loss.detach())
        return float(torch.stack(losses).mean())

    return epoch


def pytorch(epochs: int, lab: Lab) -> None:
    """Ours against PyTorch's best thread count, interleaved epoch by epoch in this
    process, so both meet the same machine (target: ours ≤ 0.2× PyTorch's time)."""
    print("\n== the same epoch in PyTorch (CPU, this process, interleaved with ours)")
    try:
        import torch
    except ImportError:
        print(
            "torch is not importable: no comparison. For one: .venv/bin/pip install torch==2.13.0"
        )
        return
    cores = os.cpu_count() or 1
    print(f"torch {torch.__version__}; nn.LSTM(1, 16, num_layers=3) + Linear(16, 1), MSE over "
          f"every step, RMSprop lr 0.01, clip 1.0, 4 batches × 25 × 15")  # fmt: skip
    # Torch's OpenMP threads contend with XLA's pool in one process: take its best count.
    trials = {}
    for threads in dict.fromkeys((cores, 1)):
        epoch = torch_epoch_fn(torch, threads)
        for _ in range(20):
            epoch()
        trials[threads] = (float(np.median(timed(epoch, 40))), epoch)
    threads = min(trials, key=lambda k: trials[k][0])
    torch.set_num_threads(threads)
    epoch = trials[threads][1]
    mine: list[float] = []
    theirs: list[float] = []
    for _ in range(epochs):
        mine += timed(lambda: lab.train(1), 1)
        theirs += timed(epoch, 1)
    lab_ms = report("ours: Lab.train(1)", mine)
    ref = report(f"pytorch: epoch, {threads} thread(s)", theirs)
    ratios = np.asarray(mine) / np.asarray(theirs)
    pairs = f"{np.median(ratios):.2f}, p90 {np.percentile(ratios, 90):.2f}"
    print(f"ratio ours / PyTorch: {lab_ms / ref:.2f} (medians); per interleaved pair: median "
          f"{pairs}   (target ≤ 0.2)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--no-compile", action="store_true")
    parser.add_argument("--cache", help="use the persistent compilation cache in this folder")
    args = parser.parse_args()

    if args.cache:
        from engine.cache import enable_compilation_cache

        enable_compilation_cache(args.cache)
    else:
        jax.config.update("jax_enable_compilation_cache", False)
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, cache {args.cache or 'off'}")  # fmt: skip
    load()

    log = CompileLog()
    if not args.no_compile:
        cold_compiles(log)
    log.close()
    lab = ours(args.epochs, args.steps)
    if not args.no_torch:
        pytorch(args.epochs, lab)
    load()


if __name__ == "__main__":
    main()
