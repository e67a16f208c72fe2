"""Figures for the spine: step round trip, warm epoch, open → first frame.

.venv/bin/python bench/spine.py [--steps 1000] [--epochs 200]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OPEN = {"lesson": "lstm-cell", "lab": "cell-walk"}


def report(name: str, seconds: list[float], target: str = "") -> None:
    ms = np.asarray(seconds) * 1000
    line = f"{name:<48} median {np.median(ms):8.3f} ms   p99 {np.percentile(ms, 99):8.3f} ms"
    print(line + (f"   (n={len(ms)}; target {target})" if target else f"   (n={len(ms)})"))


def timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


@contextmanager
def server(cache_dir: str) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = os.environ | {"UNROLLED_COMPILATION_CACHE_DIR": cache_dir}
    cmd = [sys.executable, "-m", "course.cli", "serve", "--port", str(port), "--no-warmup"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait()


def client(url: str) -> socketio.Client:
    sio = socketio.Client()
    sio.connect(url, namespaces=["/lab"], transports=["websocket"])
    return sio


def open_time(url: str) -> float:
    sio = client(url)
    start = time.perf_counter()
    ack = sio.call("open", OPEN, namespace="/lab", timeout=120)
    elapsed = time.perf_counter() - start
    assert ack["ok"], ack
    sio.disconnect()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args()

    from engine import Lab

    lab = Lab()
    lab.train(1)  # compile
    report("warm epoch, 3×16 LSTM, 100 seq, batch 25", timed(lambda: lab.train(1), args.epochs),
           "≤ 20 ms")  # fmt: skip
    report("compute step in-process (frame as Python data)",
           timed(lambda: lab.advance("compute"), args.steps), "p99 ≤ 0.5 ms")  # fmt: skip

    with tempfile.TemporaryDirectory() as cache:
        with server(cache) as url:
            cold = open_time(url)
            warm = [open_time(url) for _ in range(5)]
            sio = client(url)
            assert sio.call("open", OPEN, namespace="/lab")["ok"]
            step = {"lab": "cell-walk", "granularity": "compute"}
            for _ in range(50):
                sio.call("step", step, namespace="/lab")
            trips = timed(lambda: sio.call("step", step, namespace="/lab"), args.steps)
            sio.disconnect()
        with server(cache) as url:
            cached = open_time(url)
    report("compute step round trip over Socket.IO", trips, "p99 ≤ 10 ms")
    report("open → first frame, cold (empty cache)", [cold], "≤ 2 s")
    report("open → first frame, new process, persistent cache", [cached])
    report("open → first frame, warm", warm)


if __name__ == "__main__":
    main()
