"""A computer room on one server: does a learner's click stay instant while others work?

.venv/bin/python bench/room.py [--learners 30] [--seconds 20] [--pair] [--against REF]
                               [--rounds 1] [--url URL] [--epochs 1]

- The room (default): N learners, each with their own LSTM-cell lab (lesson
  ``lstm-cell``, lab ``cell-walk``): two thirds play it at 8× by compute step (the
  promised 20 frames/s), one third train it non-stop (``train {epochs}`` back to back,
  at most 50 requests a second); plus a probe learner who steps their own lab by
  compute step ten times a second.
  Targets: probe step round trip p99 ≤ 50 ms, every player ≥ 19 frames/s, RSS ≤ 900 MB.
- ``--pair``: one stepper (the probe) and one trainer. Target: p99 ≤ 10 ms.

Prints the probe's step round trip (median, p99), frames/s per player (min and median
against the promised rate), epochs trained per second, the server's CPU (in cores) and
RSS, and the load average of the machine (it is shared: read the figures beside it).

Learners are bare Engine.IO 4 / Socket.IO 5 websocket clients on asyncio in this
process (as in ``bench/live.py``): they count frames and time acks without parsing
them, so the figures measure the server. They share the cores with it.

``--against REF`` also serves REF (another checkout of this layout, e.g. a worktree of
main) and runs the same scenario on both, alternating, ``--rounds`` times each, so both
sides share the machine's drift. ``--url`` runs against a server already up (CPU and RSS are
then not read); ``--nginx N`` also runs this checkout as N production processes
(``unrolled serve --production``) behind Debian's nginx, sticky by client address
(each learner connects from their own 127.x address), sharing rooms through Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from servers import free_port, signed_cookie, wait_warmed  # noqa: E402

SECRET = "bench-room-secret-of-32-characters-or-more"
LESSON, LAB = "lstm-cell", "cell-walk"
SPEED, PLAY_INTERVAL = 8.0, 0.4  # compute steps: 0.4 s each at 1× (course.lab.spec)
PROMISED = SPEED / PLAY_INTERVAL
PROBE_EVERY = 0.1  # the probe clicks Step ten times a second
TRAIN_INTERVAL = 1 / 50  # a trainer sends at most 50 requests a second


# Browsers offer permessage-deflate and the server accepts it, so it compresses every
# message for every client: the clients here offer it too (window bits 15, as Chromium),
# unless --no-deflate. A one-element list: main() sets it from the command line.
DEFLATE = [15]


class Learner:
    """One learner's socket on ``/lab``: acks by id, frames counted, pings answered."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future[str]] = {}
        self.frames = 0

    async def connect(self, url: str) -> None:
        # Each learner on their own machine (source address), as a proxy sticky by
        # client address sees a room.
        local = (f"127.0.{1 + self.k // 250}.{2 + self.k % 250}", 0)
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=local))
        http = self.http
        cookie = signed_cookie(SECRET, {"learner": f"bench-room-{self.k}"})
        ws_url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await http.ws_connect(ws_url, headers={"Cookie": f"session={cookie}"},
                                        max_msg_size=0, compress=DEFLATE[0])  # fmt: skip
        assert (await self.ws.receive_str()).startswith("0")  # Engine.IO open
        await self.ws.send_str("40/lab,")
        assert (await self.ws.receive_str()).startswith("40/lab,")
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        async for message in self.ws:
            data = message.data if isinstance(message.data, str) else message.data.decode()
            if data == "2":  # Engine.IO ping
                await self.ws.send_str("3")
            elif data.startswith('42/lab,["frame"'):
                self.frames += 1
            elif data.startswith("43/lab,"):
                head = data[7:20]
                digits = head[: len(head) - len(head.lstrip("0123456789"))]
                future = self.waiting.pop(int(digits), None)
                if future is not None and not future.done():
                    future.set_result(data[7 + len(digits) :])

    async def call(self, event: str, payload: dict[str, object]) -> str:
        """Send ``event`` and wait for its ack (raw JSON text); fail on an error ack."""
        n = next(self.ids)
        self.waiting[n] = future = asyncio.get_running_loop().create_future()
        await self.ws.send_str(f"42/lab,{n}" + json.dumps([event, {"lab": LAB} | payload]))
        reply = await asyncio.wait_for(future, 120)
        assert reply.startswith('[{"ok":true'), f"{event}: {reply[:300]}"
        return reply

    async def close(self) -> None:
        self.reader.cancel()
        await self.ws.close()
        await self.http.close()


@dataclass
class Figures:
    rtt: list[float] = field(default_factory=list)  # the probe's step round trips, s
    fps: list[float] = field(default_factory=list)  # frames/s per player
    epochs: float = 0.0  # trained per second, all trainers
    cpu: float | None = None  # server CPU in cores
    rss: float | None = None  # server RSS, MB
    worker_rss: float = 0.0  # of which compile workers (started only to compile a new program)
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)


def proc_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a production server's workers)."""
    found = [pid]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        found += proc_tree(int(child))
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for p in (p for pid in pids for p in proc_tree(pid)):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def compile_worker(pid: int) -> bool:
    return b"engine.compile_worker" in Path(f"/proc/{pid}/cmdline").read_bytes()


def rss_mb(pids: list[int]) -> float:
    total = 0.0
    for p in (p for pid in pids for p in proc_tree(pid)):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


async def room(url: str, pids: list[int], players: int, trainers: int, seconds: float,
               epochs: int) -> Figures:  # fmt: skip
    """Open every learner's lab, start the players and trainers, then measure."""
    learners = [Learner(k) for k in range(players + trainers + 1)]
    probe, playing, training = learners[0], learners[1 : players + 1], learners[players + 1 :]
    gate = asyncio.Semaphore(4)

    async def open_lab(learner: Learner) -> None:
        async with gate:
            await learner.connect(url)
            await learner.call("open", {"lesson": LESSON})

    await asyncio.gather(*(open_lab(learner) for learner in learners))
    for learner in playing:
        await learner.call("play", {"granularity": "compute", "speed": SPEED})
    stop = asyncio.Event()
    trained = [0] * len(training)

    async def train(i: int, learner: Learner) -> None:
        while not stop.is_set():
            sent = time.perf_counter()
            await learner.call("train", {"epochs": epochs})
            trained[i] += epochs
            # Within a connection's event rate (SOCKET_EVENT_RATE, 60 a second): a
            # lone trainer's 1-epoch requests are answered faster than that.
            await asyncio.sleep(max(0.0, sent + TRAIN_INTERVAL - time.perf_counter()))

    trainer_tasks = [asyncio.create_task(train(i, t)) for i, t in enumerate(training)]
    await asyncio.sleep(3)  # every loop running
    figures = Figures()
    frames = [p.frames for p in playing]
    done, cpu, start = list(trained), cpu_seconds(pids), time.perf_counter()
    while time.perf_counter() - start < seconds:
        clicked = time.perf_counter()
        await probe.call("step", {"granularity": "compute"})
        figures.rtt.append(time.perf_counter() - clicked)
        await asyncio.sleep(max(0.0, clicked + PROBE_EVERY - time.perf_counter()))
    elapsed = time.perf_counter() - start
    figures.fps = [(p.frames - f) / elapsed for p, f in zip(playing, frames, strict=True)]
    figures.epochs = (sum(trained) - sum(done)) / elapsed
    if pids:
        figures.cpu = (cpu_seconds(pids) - cpu) / elapsed
        figures.rss = rss_mb(pids)
        figures.worker_rss = sum(
            rss_mb([p]) for pid in pids for p in proc_tree(pid) if compile_worker(p)
        )
    figures.load = os.getloadavg()
    stop.set()
    await asyncio.gather(*trainer_tasks)
    for learner in playing:
        await learner.call("pause", {})
    await asyncio.gather(*(learner.close() for learner in learners))
    return figures


def show(name: str, f: Figures, players: int) -> None:
    ms = np.asarray(f.rtt) * 1000
    print(f"{name}: load average {f.load[0]:.2f} {f.load[1]:.2f} {f.load[2]:.2f}")
    print(f"  probe step round trip   median {np.median(ms):7.1f} ms   p99 "
          f"{np.percentile(ms, 99):7.1f} ms   (n={len(ms)})")  # fmt: skip
    if players:
        fps = np.asarray(f.fps)
        print(f"  frames/s per player     min {fps.min():5.1f}   median {np.median(fps):5.1f}"
              f"   (promised {PROMISED:.0f})")  # fmt: skip
    print(f"  epochs trained/s        {f.epochs:.1f}")
    if f.cpu is not None:
        worker = f" (compile worker {f.worker_rss:.0f} MB)" if f.worker_rss else ""
        print(f"  server                  CPU {f.cpu:.2f} cores   RSS {f.rss:.0f} MB{worker}")
    sys.stdout.flush()


class Server:
    """``unrolled serve`` of the checkout at ``root`` (warm-up on), its own database."""

    def __init__(self, root: Path, tmp: Path, cache: Path, *, production: bool = False,
                 extra_env: dict[str, str] | None = None) -> None:  # fmt: skip
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = (
            os.environ
            | {
                "UNROLLED_SECRET_KEY": SECRET,
                "UNROLLED_DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
                "UNROLLED_COMPILATION_CACHE_DIR": str(cache),
                "PYTHONUNBUFFERED": "1",
            }
            | (extra_env or {})
        )
        command = [sys.executable, "-m", "course.cli", "serve", "--port", str(self.port)]
        command += ["--production"] if production else []
        self.log = open(tmp / "server.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(command, cwd=root, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)  # fmt: skip
        deadline = time.monotonic() + 600
        while True:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"server at {root} did not start: {tmp}/server.log"
                    ) from None
                time.sleep(0.5)
        # The warm-up compiles in the background: measure once it is done and the server
        # is idle.
        wait_warmed(self.url)
        while time.monotonic() < deadline:
            before = cpu_seconds([self.proc.pid])
            time.sleep(2)
            if cpu_seconds([self.proc.pid]) - before < 0.1:
                break

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--no-deflate",
        action="store_true",
        help="clients that do not offer permessage-deflate (browsers do)",
    )
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--pair", action="store_true", help="one stepper and one trainer")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--epochs", type=int, default=1, help="epochs per train request")
    parser.add_argument("--trainers", type=int, help="learners training (default: a third)")
    parser.add_argument("--against", type=Path, help="a reference checkout, run alternately")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--url", help="a server already running (no CPU/RSS figures)")
    parser.add_argument("--nginx", type=int, metavar="N", default=0,
                        help="also: this checkout as N production processes behind nginx "
                             "(Redis, SQLite), as docs/deployment.md runs them")  # fmt: skip
    args = parser.parse_args()
    DEFLATE[0] = 0 if args.no_deflate else 15
    players = 0 if args.pair else round(args.learners * 2 / 3)
    trainers = 1 if args.pair else args.learners - players
    if args.trainers is not None:
        trainers, players = args.trainers, args.learners - args.trainers
    what = "pair" if args.pair else f"room of {args.learners}"
    print(f"{what}: {players} playing at {SPEED:g}× by compute step, {trainers} training "
          f"({args.epochs} epoch(s) a request), a probe stepping; {args.seconds:g} s",
          flush=True)  # fmt: skip

    def run(url: str, pids: list[int]) -> Figures:
        return asyncio.run(room(url, pids, players, trainers, args.seconds, args.epochs))

    if args.url:
        show(args.url, run(args.url, []), players)
        return
    tmp = Path(tempfile.mkdtemp(prefix="unrolled-bench-room-"))
    sides = {"this": ROOT} | ({"reference": args.against.resolve()} if args.against else {})
    servers: dict[str, Server] = {}
    behind: list[Server] = []
    stoppable: list[Any] = []
    try:
        # A process that compiles its programs holds about 200 MB more than one that
        # loads them from the persistent compilation cache (a restarted server): each
        # side gets its own cold cache, unless UNROLLED_COMPILATION_CACHE_DIR names one
        # kept between runs (then both load from it).
        kept = os.environ.get("UNROLLED_COMPILATION_CACHE_DIR")
        print(f"compilation cache: {kept or 'cold, one per side'}", flush=True)
        for name, root in sides.items():
            (tmp / name).mkdir()
            cache = Path(kept) if kept else tmp / name / "jax-cache"
            servers[name] = Server(root, tmp / name, cache)
        urls = {name: (s.url, [s.proc.pid]) for name, s in servers.items()}
        if args.nginx:
            from servers import NginxServer, RedisServer

            redis = RedisServer(tmp)
            stoppable.append(redis)
            for k in range(args.nginx):
                (tmp / f"nginx-{k}").mkdir()
                shared = {"REDIS_URL": redis.url, "UNROLLED_TRAINING_SLOTS_DIR": str(tmp / "slots")}
                cache = Path(kept) if kept else tmp / "this" / "jax-cache"
                behind.append(Server(ROOT, tmp / f"nginx-{k}", cache, production=True,
                                     extra_env=shared))  # fmt: skip
            proxy = NginxServer(tmp, [f"127.0.0.1:{s.port}" for s in behind])
            stoppable.insert(0, proxy)
            sides = sides | {f"nginx+{args.nginx}": ROOT}
            urls[f"nginx+{args.nginx}"] = (proxy.url, [s.proc.pid for s in behind])
        results: dict[str, list[Figures]] = {name: [] for name in sides}
        for r in range(args.rounds):
            order = list(sides) if r % 2 else list(reversed(sides))
            for name in order:
                figures = run(*urls[name])
                results[name].append(figures)
                show(f"{name} ({sides[name]}), round {r + 1}", figures, players)
        if args.against:
            mine, theirs = (sum((f.rtt for f in results[s]), []) for s in ("this", "reference"))
            for label, q in (("median", 50), ("p99", 99)):
                a, b = np.percentile(mine, q), np.percentile(theirs, q)
                print(f"probe step {label}: this {a * 1000:.1f} ms, reference "
                      f"{b * 1000:.1f} ms, ratio {a / b:.2f}")  # fmt: skip
    finally:
        for server in [*servers.values(), *behind, *stoppable]:
            server.stop()


if __name__ == "__main__":
    main()
