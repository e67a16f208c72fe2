"""What one compute step costs the server and the wire: the frame payload a /lab step
answers (frame, explanation, the views' sources), built and JSON-encoded in-process,
for the LSTM-cell lab (3 layers × 16, its lesson's views), stepped through whole time
steps of the forward pass and then the backward pass.

.venv/bin/python bench/frames.py [--steps 600] [--against REFERENCE]

Each side runs in a subprocess on its checkout; with ``--against``, another checkout
(e.g. ``git worktree add /tmp/ref <commit>``, of this layout) runs too, the two
alternating in rounds so both share the machine's drift. Prints median and p99 build
time and bytes per step, and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(root: Path, steps: int) -> dict[str, list[float]]:
    """Build and encode ``steps`` consecutive step payloads of the checkout at ``root``'s
    lab (after one epoch of training, from the window's start); every payload goes to
    the browser, as on /lab."""
    sys.path.insert(0, str(root))
    from course.lab.session import LabSession
    from course.lessons.registry import LessonRegistry
    from course.web import wire
    from engine import Lab

    spec = LessonRegistry.load(root / "lessons").get("lstm-cell").labs["cell-walk"]
    session = LabSession(spec, Lab(spec.config), "lstm-cell", "bench-frames")
    session.lab.train(1)
    session.lab.position = 0
    encode = getattr(wire, "dumps", None) or (lambda value: json.dumps(wire.clean(value)))
    encode(session.payload(full=True))  # what the page holds to start with
    ms, sizes = [], []
    for _ in range(steps):
        start = time.perf_counter()
        session.lab.advance("compute")
        text = encode({"ok": True} | session.payload(full=False))  # as the wire writes it
        ms.append((time.perf_counter() - start) * 1000)
        sizes.append(len(text if isinstance(text, bytes) else text.encode()))
    return {"ms": ms, "bytes": sizes}


def p99(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(0.99 * len(values)))]


def run(root: Path, steps: int) -> dict[str, list[float]]:
    """``measure`` in a fresh process on the checkout at ``root`` (this script, its code)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--json", "--steps", str(steps)]
    out = subprocess.run(command, cwd=root, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", type=Path)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.json:
        print(json.dumps(measure(Path.cwd(), args.steps)))
        return
    sides = {"this": ROOT} | ({"reference": args.against.resolve()} if args.against else {})
    got: dict[str, dict[str, list[float]]] = {name: {"ms": [], "bytes": []} for name in sides}
    for k in range(args.rounds):
        order = list(sides) if k % 2 == 0 else list(reversed(sides))
        for name in order:
            for key, values in run(sides[name], args.steps).items():
                got[name][key] += values
    for name, data in got.items():
        ms, size = data["ms"], data["bytes"]
        print(
            f"{name:9s} build+encode per step: median {statistics.median(ms):6.2f} ms, "
            f"p99 {p99(ms):6.2f} ms | bytes per step: median {statistics.median(size):8.0f}, "
            f"p99 {p99(size):8.0f}, mean {statistics.mean(size):8.0f}"
        )
    if "reference" in got:
        this, ref = got["this"], got["reference"]
        for key, unit in (("ms", "time"), ("bytes", "bytes")):
            ratio = statistics.median(this[key]) / statistics.median(ref[key])
            mean = statistics.mean(this[key]) / statistics.mean(ref[key])
            print(f"ratio this/reference, {unit}: median {ratio:.2f}, mean {mean:.2f}")


if __name__ == "__main__":
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    main()
