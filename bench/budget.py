"""Compilation budget and memory: every lesson lab's default, run through every phase.

    .venv/bin/python bench/budget.py

Prints the number of programs compiled and the compile time they took, the
server-side RSS after compiling every lesson default (target ≤ 700 MB), and the
memory each further open lab costs (target ≤ 2 MB).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import jax
from jax import monitoring

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

compiles: list[float] = []


def on_duration(event: str, duration: float, **kwargs: object) -> None:
    if event == "/jax/core/compile/backend_compile_duration":
        compiles.append(duration)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def exercise(lab: object) -> None:
    """Everything a learner can make a lab do: train, step every phase, wrap."""
    lab.train(1)  # type: ignore[attr-defined]
    for _ in range(lab.total_positions + 1):  # type: ignore[attr-defined]
        lab.advance("compute")  # type: ignore[attr-defined]
    lab.advance("timestep")  # type: ignore[attr-defined]


def main() -> None:
    from engine import Lab
    from engine.cache import enable_compilation_cache

    enable_compilation_cache(tempfile.mkdtemp(prefix="unrolled-bench-"))  # cold: empty cache
    monitoring.register_event_duration_secs_listener(on_duration)
    from course.lessons.registry import LessonRegistry

    registry = LessonRegistry.load(ROOT / "lessons")
    specs = [spec for lesson in registry.lessons.values() for spec in lesson.labs.values()]
    base = rss_mb()
    start = time.perf_counter()
    for spec in specs:
        first = time.perf_counter()
        lab = Lab(spec.config)
        opened = time.perf_counter() - first
        exercise(lab)
        print(f"lab {spec.id:<20} cold open → first frame {opened * 1000:7.0f} ms (target ≤ 1500)")
        first = time.perf_counter()
        Lab(spec.config)
        print(
            f"lab {spec.id:<20} warm open → first frame "
            f"{(time.perf_counter() - first) * 1000:7.1f} ms (target ≤ 50)"
        )
    total = time.perf_counter() - start
    n_before = len(compiles)
    for spec in specs:  # a second round must compile nothing new
        exercise(Lab(spec.config))
    print(f"lesson labs: {len(specs)}; programs compiled: {n_before} "
          f"({sum(compiles[:n_before]):.1f} s compiling, {total:.1f} s in all); "
          f"compiled in a second round: {len(compiles) - n_before}")  # fmt: skip
    after = rss_mb()
    print(f"RSS: {base:.0f} MB before, {after:.0f} MB after compiling every default (target ≤ 700)")
    labs = [Lab(specs[0].config) for _ in range(20)]
    print(f"each further open lab: {(rss_mb() - after) / len(labs):.2f} MB (target ≤ 2)")
    print(f"jax {jax.__version__}, devices {jax.devices()}")


if __name__ == "__main__":
    main()
