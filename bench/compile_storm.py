"""A compile storm: one learner configures labs through every shape it can reach for
15 s while a bystander steps another lab.

    .venv/bin/python bench/compile_storm.py [--root CHECKOUT] [--seconds 15]

Starts ``unrolled serve`` from ``--root`` (default: this checkout; another worktree
measures that one: "before" against "after") with an empty compilation cache and
no warm-up. The stormer's streams (``--connections`` × 2 labs, one cookie, or one
per connection with ``--fresh-cookies``) each pick random settings (cell and
activation, layers, hidden size, window, continuation, batch size, optimiser) and
ask ``configure``, then ``train`` one epoch, then ``jump`` to the update (which
compiles the backward pass and the update). The bystander steps the lesson-3 RNN
lab by compute step throughout. Prints the server's RSS before and after, the XLA
compilations the server logged (JAX_LOG_COMPILES), the stormer's answers by kind,
and the bystander's step round trip (median, p99).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

import numpy as np
import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from servers import children_rss_mb, free_port, rss_mb, signed_cookie  # noqa: E402

SECRET = "bench-storm-secret-of-32-characters-or-more"
CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("rnn", "sigmoid"), ("lstm", "tanh"), ("gru", "tanh")]


def start_server(root: Path, tmp: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    log = tmp / "server.log"
    env = os.environ | {
        "PYTHONUNBUFFERED": "1",
        "JAX_LOG_COMPILES": "1",
        "UNROLLED_SECRET_KEY": SECRET,
        "UNROLLED_DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "UNROLLED_COMPILATION_CACHE_DIR": str(tmp / "jax-cache"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "course.cli", "serve", "--port", str(port), "--no-warmup"],
        cwd=root, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1).read()
            return proc, url, log
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"the server did not start (see {log})") from None
            time.sleep(0.2)


async def connect(url: str, learner: str) -> socketio.AsyncClient:
    sio = socketio.AsyncClient(reconnection=False)
    cookie = signed_cookie(SECRET, {"learner": learner})
    await sio.connect(url, headers={"Cookie": f"session={cookie}"}, namespaces=["/lab"],
                      transports=["websocket"])  # fmt: skip
    return sio


async def call(sio: socketio.AsyncClient, event: str, data: dict[str, object]) -> dict:
    return await sio.call(event, data, namespace="/lab", timeout=300)  # type: ignore[no-any-return]


def random_shape(rng: random.Random) -> dict[str, object]:
    cell, activation = rng.choice(CELLS)
    return {
        "model": cell, "activation": activation, "layers": rng.randint(1, 7),
        "hidden": rng.choice([1, 2, 4, 8, 16, 32, 64]), "window": rng.randint(2, 64),
        "continuation": rng.randint(1, 64), "batch_size": rng.randint(5, 50),
        "optimizer": rng.choice(["rmsprop", "adam", "sgd"]),
    }  # fmt: skip


async def storm_stream(
    sio: socketio.AsyncClient, lab: str, rng: random.Random, until: float, answers: Counter
) -> None:
    while time.monotonic() < until:
        ack = await call(sio, "configure", {"lab": lab, "config": random_shape(rng)})
        if not ack["ok"]:
            answers[f"configure refused: {ack['error']['code']}"] += 1
            # A refused client waits a little (a flood of refused events is another bench's).
            await asyncio.sleep(0.05 if ack["error"]["code"] == "bad_choice" else 0.2)
            continue
        answers["configure ok"] += 1
        for event, data in (("train", {"epochs": 1}), ("jump", {"phase": "update"})):
            ack = await call(sio, event, {"lab": lab} | data)
            answers[f"{event} {'ok' if ack['ok'] else 'refused: ' + ack['error']['code']}"] += 1


async def bystander(url: str, stop: asyncio.Event, seconds: list[float]) -> None:
    sio = await connect(url, "bystander")
    ack = await call(sio, "open", {"lesson": "training", "lab": "rnn-window"})
    assert ack["ok"], ack
    for event, data in (("jump", {"phase": "update"}), ("train", {"epochs": 1})):
        # Every program of the lab is compiled before anything is measured (the storm's
        # figures are the storm's, not the bystander's own first backward pass).
        ack = await call(sio, event, {"lab": "rnn-window"} | data)
        assert ack["ok"], ack
    await call(sio, "jump", {"lab": "rnn-window", "phase": "forward"})
    while not stop.is_set():
        start = time.perf_counter()
        ack = await call(sio, "step", {"lab": "rnn-window", "granularity": "compute"})
        assert ack["ok"], ack
        seconds.append(time.perf_counter() - start)
        await asyncio.sleep(0.05)
    await sio.disconnect()


def compiles(log: Path) -> Counter[str]:
    return Counter(m.group(0) for m in COMPILED.finditer(log.read_text(errors="replace")))


async def run(url: str, pid: int, log: Path, args: argparse.Namespace) -> None:
    # The bystander's lab is open, every program of it compiled, and stepped before
    # anything is measured.
    warm: list[float] = []
    stop = asyncio.Event()
    task = asyncio.create_task(bystander(url, stop, warm))
    while len(warm) < 20:
        await asyncio.sleep(0.1)
    stop.set()
    await task
    before = rss_mb(pid)
    quiet = list(warm[5:])
    compiled_before = compiles(log)

    clients, streams = [], []
    for c in range(args.connections):
        sio = await connect(url, f"stormer-{c}" if args.fresh_cookies else "stormer")
        clients.append(sio)
        for lab in ("rnn-window", "lstm-window"):
            ack = await call(sio, "open", {"lesson": "training", "lab": lab})
            if not ack["ok"]:
                print(f"stormer's open of {lab} refused: {ack['error']}", flush=True)
                continue
            streams.append((sio, lab, random.Random(c * 10 + len(streams))))
    answers: Counter[str] = Counter()
    seconds: list[float] = []
    stop = asyncio.Event()
    watcher = asyncio.create_task(bystander(url, stop, seconds))
    start = time.monotonic()
    until = start + args.seconds
    await asyncio.gather(*(storm_stream(s, lab, rng, until, answers) for s, lab, rng in streams))
    stop.set()
    await watcher
    done = time.monotonic() - start
    after = rss_mb(pid)
    new = compiles(log) - compiled_before
    for sio in clients:
        await sio.disconnect()
    report("bystander step, quiet", quiet)
    report("bystander step, during the storm", seconds)
    print(f"storm: {args.seconds:.0f} s of requests, the last answered after {done:.1f} s")
    for kind, n in sorted(answers.items()):
        print(f"  {kind:<40} {n}")
    print(f"server RSS: {before:.0f} MB before the storm, {after:.0f} MB after "
          f"(+{after - before:.0f} MB); its compile worker {children_rss_mb(pid):.0f} MB; "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"XLA compilations during the storm (server log): "
          f"{new['Finished XLA compilation']}, persistent-cache hits "
          f"{new['Persistent compilation cache hit']}")  # fmt: skip


def report(name: str, seconds: list[float]) -> None:
    ms = np.asarray(seconds) * 1000
    print(f"{name:<36} median {np.median(ms):8.1f} ms   p99 {np.percentile(ms, 99):8.1f} ms"
          f"   (n={len(ms)})")  # fmt: skip


COMPILED = re.compile(r"Finished XLA compilation|Persistent compilation cache hit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=2, help="2 labs each")
    parser.add_argument(
        "--fresh-cookies", action="store_true", help="a cookie per connection (server budget)"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="unrolled-bench-storm-"))
    proc, url, log = start_server(args.root.resolve(), tmp)
    try:
        head = subprocess.run(["git", "-C", str(args.root), "log", "-1", "--format=%h %s"],
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
        print(f"checkout: {args.root.resolve()} at {head[:80]}", flush=True)
        asyncio.run(run(url, proc.pid, log, args))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
