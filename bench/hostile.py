"""A hostile client beside a bystander: what the bystander's steps cost meanwhile.

.venv/bin/python bench/hostile.py [--seconds 15] [--storms quiet flood grab]
                                  [--root CHECKOUT] [--connections 60] [--idle 1000]

One course server (embedded defaults, no warm-up thread; ``--root`` serves another checkout,
e.g. a worktree of main, for a before/after pair). A bystander opens the LSTM-cell lab
and presses Step (compute) 20 times a second; meanwhile each storm runs in turn:

- ``quiet``: nothing else (the baseline);
- ``flood``: 4 connections send socket events as fast as they can, without waiting
  for acks, reconnecting whenever the server drops them;
- ``grab``: one learner's cookie opens ``--connections`` /lab connections and as many
  labs on each as the server gives; then the bystander tries to open a lab too;
- ``compile`` and ``train``: hooks for the compile-budget and training-scheduler
  storms (issue 17, items 2 and 3): one learner reconfigures its lab to a new shape
  over and over; 16 learners train their labs 100 epochs at once. Heavy on a shared
  machine: ask for them by name.
- ``idle``: ``--idle`` websockets (default 1,000) open and idle, answering pings; what
  they cost in server threads. Ask for it by name.

For each storm: the bystander's step round trip (median, p99; target p99 ≤ 50 ms),
what the storm got, and the server's RSS after it. Clients are bare Engine.IO /
Socket.IO websockets (websocket-client) in threads of this process (the flooders in a
process of their own, as an attacker is), so the figures include the clients' share of
the 2 cores: upper bounds of what the server does.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import multiprocessing
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import websocket

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from servers import children_rss_mb, free_port, rss_mb, signed_cookie  # noqa: E402

BYSTANDER_RATE = 20  # steps a second
SECRET = "bench-hostile-secret-of-32-characters-or-more"
LAB = {"lesson": "lstm-cell", "lab": "cell-walk"}
STEP = {"lab": "cell-walk", "granularity": "compute"}
ATTACKER = "X-Forwarded-For: 203.0.113.66"  # the idle storm's address (the server trusts 1 hop)


class Server:
    """``unrolled serve`` of ``root`` on a free port."""

    def __init__(self, root: Path, tmp: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = os.environ | {
            "PYTHONUNBUFFERED": "1",
            "UNROLLED_SECRET_KEY": SECRET,
            "UNROLLED_DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
            "UNROLLED_COMPILATION_CACHE_DIR": str(tmp / "jax-cache"),
            "UNROLLED_PROXIES": "1",  # the idle storm comes from an address of its own
        }
        self.log = open(tmp / "server.log", "w")  # noqa: SIM115 - closed in stop()
        # No warm-up thread (it would compile beside the quiet baseline): the bystander's
        # lab is warmed before the storms; what a storm opens, it compiles.
        command = [sys.executable, "-m", "course.cli", "serve", "--port", str(self.port)]
        command.append("--no-warmup")
        self.proc = subprocess.Popen(
            command, cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the server did not start (see {tmp / 'server.log'})"
                    ) from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.log.close()


class Client:
    """One Socket.IO connection to one namespace, over a bare websocket."""

    def __init__(self, url: str, learner: str, namespace: str = "/lab") -> None:
        self.namespace = namespace
        self.ids = itertools.count(1)
        cookie = signed_cookie(SECRET, {"learner": learner})
        self.ws = websocket.create_connection(
            url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
            header=[f"Cookie: session={cookie}"],
            timeout=120,
        )
        assert self.ws.recv().startswith("0")
        self.ws.send(f"40{namespace},")
        reply = self.recv()
        if not reply.startswith(f"40{namespace}"):
            self.ws.close()
            raise ConnectionRefusedError(reply[:200])

    def recv(self) -> str:
        while True:
            message = self.ws.recv()
            if message == "2":  # Engine.IO ping
                self.ws.send("3")
                continue
            return str(message)

    def send(self, event: str, payload: Any, ack: bool = True) -> int | None:
        n = next(self.ids) if ack else None
        self.ws.send(f"42{self.namespace},{'' if n is None else n}" + json.dumps([event, payload]))
        return n

    def ask(self, event: str, payload: Any) -> dict[str, Any]:
        n = self.send(event, payload)
        prefix = f"43{self.namespace},{n}"
        while True:
            message = self.recv()
            if message.startswith(prefix):
                return json.loads(message[len(prefix) :])[0]  # type: ignore[no-any-return]

    def closed(self) -> bool:
        """Whether the server has closed this connection (reads what is waiting)."""
        while select.select([self.ws.sock], [], [], 0)[0]:
            message = self.ws.recv()
            if message in ("", "1") or message.startswith(f"41{self.namespace}"):
                return True
            if message == "2":
                self.ws.send("3")
        return False

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()


# -- storms: each runs until ``stop`` is set, and says what it got ------------------------------


def flood(url: str, stop: threading.Event) -> str:
    """Four flooding connections, in a process of their own: an attacker is not inside
    the bystander's interpreter (in threads here, they would share its lock and slow
    the bystander's reading, which is not the server's doing)."""
    context = multiprocessing.get_context("spawn")
    halt = context.Event()
    sent, dropped = context.Value("q", 0), context.Value("q", 0)
    process = context.Process(target=flooders, args=(url, halt, sent, dropped), daemon=True)
    process.start()
    stop.wait()
    halt.set()
    process.join(30)
    return f"{sent.value} events sent, connections dropped {dropped.value} times"


def flooders(url: str, halt: Any, sent: Any, dropped: Any) -> None:
    def one(k: int) -> None:
        while not halt.is_set():
            try:
                client = Client(url, f"flooder-{k}")
                while not halt.is_set() and not client.closed():
                    for _ in range(100):
                        client.send("pause", {"lab": "nothing"}, ack=False)
                    with sent.get_lock():
                        sent.value += 100
                client.close()
            except Exception:
                pass
            with dropped.get_lock():
                dropped.value += 1

    threads = [threading.Thread(target=one, args=(k,), daemon=True) for k in range(4)]
    for thread in threads:
        thread.start()
    halt.wait()
    for thread in threads:
        thread.join(10)


def grab(
    url: str, stop: threading.Event, connections: int = 60, ready: threading.Event | None = None
) -> str:
    held: list[Client] = []
    labs, refusals = 0, set()
    labs_of = [("lstm-cell", "cell-walk"), ("training", "rnn-window"), ("data", "feed")]
    for _ in range(connections):
        try:
            client = Client(url, "grabber")
        except (ConnectionRefusedError, OSError) as error:
            refusals.add(f"connect: {str(error)[:60]}")
            break
        held.append(client)
        for lesson, lab in [*labs_of, ("training", "lstm-window")]:
            ack = client.ask("open", {"lesson": lesson, "lab": lab})
            if ack["ok"]:
                labs += 1
            else:
                refusals.add(ack["error"]["code"])
    if ready is not None:
        ready.set()  # all it could take is taken: now the bystander comes
    stop.wait()
    for client in held:
        client.close()
    return (
        f"one learner: {len(held)} connections, {labs} labs; refused: {sorted(refusals) or 'never'}"
    )


def compile_storm(url: str, stop: threading.Event) -> str:
    """One learner reconfigures its lab to a new shape as fast as the answers come,
    reconnecting when the server drops it (past its event budget)."""
    shapes = itertools.cycle(
        {"window": w, "hidden": h, "layers": n}
        for w, h, n in itertools.product((8, 11, 15, 23, 31), (4, 8, 16), (1, 2, 3))
    )
    done, dropped, answers = 0, 0, Counter[str]()
    while not stop.is_set():
        client = Client(url, "compiler")
        try:
            assert client.ask("open", LAB)["ok"]
            while not stop.is_set():
                ack = client.ask("configure", {"lab": "cell-walk", "config": next(shapes)})
                answers["ok" if ack["ok"] else ack["error"]["code"]] += 1
                done += 1
        except (websocket.WebSocketException, OSError):
            dropped += 1
        client.close()
    return f"{done} reconfigurations {dict(answers)}, dropped {dropped} times"


def train_storm(url: str, stop: threading.Event) -> str:
    answers: list[str] = []
    clients: list[Client] = []

    def one(k: int) -> None:
        client = Client(url, f"trainer-{k}")
        clients.append(client)
        # The largest lab this lab block offers (its hidden sizes stop at 16: a refused
        # open would make this storm a flood of `no_lab` answers instead).
        opened = client.ask("open", LAB | {"config": {"layers": 7, "hidden": 16}})
        assert opened["ok"], opened
        with contextlib.suppress(websocket.WebSocketException, OSError):
            while not stop.is_set():
                ack = client.ask("train", {"lab": "cell-walk", "epochs": 100})
                answers.append("ok" if ack["ok"] else ack["error"]["code"])
                if not ack["ok"]:
                    stop.wait(0.5)  # refused (one training per learner, a few per address)
        client.close()

    threads = [threading.Thread(target=one, args=(k,), daemon=True) for k in range(16)]
    for thread in threads:
        thread.start()
    stop.wait()
    for client in list(clients):  # a training still running is left by its learner
        client.close()
    for thread in threads:
        thread.join(10)
    return f"trainings answered: { {a: answers.count(a) for a in set(answers)} }"


def idle(
    url: str,
    stop: threading.Event,
    sockets: int = 1000,
    server_pid: int = 0,
    ready: threading.Event | None = None,
) -> str:
    """``sockets`` websockets that do nothing but answer pings (Engine.IO only: no
    namespace), from an address of their own, held open during the bystander's steps:
    what they cost the server in threads and memory."""
    held: list[websocket.WebSocket] = []
    failed = set()
    endpoint = url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    for _ in range(sockets):
        try:
            ws = websocket.create_connection(endpoint, header=[ATTACKER], timeout=30)
            ws.recv()  # the open packet
            held.append(ws)
        except (websocket.WebSocketException, OSError) as error:
            failed.add(str(getattr(error, "status_code", "")) or type(error).__name__)
    threads = _threads(server_pid)
    if ready is not None:
        ready.set()  # all open: now the bystander comes
    while not stop.is_set():  # answer pings, as an idle browser tab does
        ready = select.select([ws.sock for ws in held], [], [], 0.5)[0]
        for ws in [w for w in held if w.sock in ready]:
            with contextlib.suppress(websocket.WebSocketException, OSError):
                if ws.recv() == "2":
                    ws.send("3")
    for ws in held:
        with contextlib.suppress(Exception):
            ws.close()
    refused = f", refused: {sorted(failed)}" if failed else ""
    return f"{len(held)} idle websockets{refused}; server threads with them {threads}"


def _threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


STORMS: dict[str, Callable[..., str] | None] = {
    "quiet": None,
    "flood": flood,
    "grab": grab,
    "compile": compile_storm,
    "train": train_storm,
    "idle": idle,
}


def warm(url: str) -> None:
    """Compile every program of the bystander's lab: its window, then (at the update)
    its backward pass and weight update, then one epoch's training. A storm's figures
    are then the storm's, not the bystander's own first compilations (seconds each)."""
    client = Client(url, "bystander-warm")
    assert client.ask("open", LAB)["ok"]
    for event, payload in (("jump", {"phase": "update"}), ("step", STEP), ("train", {"epochs": 1})):
        ack = client.ask(event, {"lab": LAB["lab"]} | payload)
        assert ack["ok"], ack
    client.close()


def bystander_steps(url: str, seconds: float, name: str) -> tuple[list[float], str]:
    """Open the lab and step for ``seconds``: the round trips, and how the open went."""
    client = Client(url, f"bystander-{name}")
    opened = client.ask("open", LAB)
    if not opened["ok"]:
        client.close()
        return [], f"bystander's open refused: {opened['error']['code']}"
    times: list[float] = []
    end = time.monotonic() + seconds
    tick = time.monotonic()
    while time.monotonic() < end:
        start = time.perf_counter()
        ack = client.ask("step", STEP)
        times.append(time.perf_counter() - start)
        assert ack["ok"], ack
        # A fast clicker, under the per-connection event rate (60 a second).
        tick += 1 / BYSTANDER_RATE
        time.sleep(max(0.0, tick - time.monotonic()))
    client.close()
    return times, "bystander opened its lab"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="per storm")
    parser.add_argument("--storms", nargs="*", default=["quiet", "flood", "grab"])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve")
    parser.add_argument("--connections", type=int, default=60, help="the grab's connections")
    parser.add_argument("--idle", type=int, default=1000, help="the idle storm's websockets")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="unrolled-bench-hostile-"))
    server = Server(args.root.resolve(), tmp)
    try:
        warm(server.url)  # compile the lab's programs first
        bystander_steps(server.url, 3.0, "warm")
        print(f"serving {args.root}; RSS warm {rss_mb(server.proc.pid):.0f} MB", flush=True)
        for name in args.storms:
            storm = STORMS[name]
            stop = threading.Event()
            got: list[str] = []
            thread = None
            if storm is not None:
                ready = threading.Event()
                extra: dict[str, Any] = {}
                if name == "grab":
                    extra = {"connections": args.connections, "ready": ready}
                if name == "idle":
                    extra = {"sockets": args.idle, "server_pid": server.proc.pid, "ready": ready}
                thread = threading.Thread(
                    target=lambda s=storm, e=extra, g=got, x=stop: g.append(s(server.url, x, **e)),
                    daemon=True,
                )
                thread.start()
                if name in ("grab", "idle"):
                    ready.wait(300)  # the grab has taken what it can, the sockets are open
                else:
                    time.sleep(min(5.0, args.seconds / 3))  # let the storm build up
            times, opened = bystander_steps(server.url, args.seconds, name)
            stop.set()
            if thread is not None:
                thread.join(60)
            rss = rss_mb(server.proc.pid)
            if times:
                ms = np.asarray(times) * 1000
                p99 = np.percentile(ms, 99)
                figure = f"median {np.median(ms):7.1f} ms  p99 {p99:7.1f} ms (n={len(ms)})"
            else:
                figure = "no steps"
            print(
                f"{name:<8} bystander step {figure}; {opened}; RSS {rss:.0f} MB "
                f"(+ worker {children_rss_mb(server.proc.pid):.0f} MB); "
                f"load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            if got:
                print(f"{'':<8} storm: {got[0]}", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
