"""``unrolled serve --production``: the course on Gunicorn rather than Werkzeug's
development server.

One process is one Gunicorn master with **one** ``gthread`` worker: Flask-SocketIO in
threading mode keeps a learner's Socket.IO session in that process's memory, so a
process must never share a port with another (Gunicorn's balancing is not sticky).
Each websocket holds a worker thread for its life, so ``threads`` bounds the open
sockets plus concurrent requests of the process. More processes run on consecutive
ports behind a proxy with sticky sessions, sharing rooms through Redis (see
docs/deployment.md); ``--processes N`` starts and stops them together.

A SIGTERM drains the process: it stops accepting connections, tells every connected
page that the server is restarting (a ``restarting`` event on each namespace), closes
the sockets at the Engine.IO level (so the pages reconnect at once, through the proxy
to a process still up, and reopen their widgets; a lab's training stops at its next
epoch), and lets requests in flight finish within ``graceful_timeout``: every write a
learner was told succeeded is committed before its reply went, and a write still
running completes before the process exits.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from types import FrameType
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

log = logging.getLogger(__name__)

RESTARTING = "The server is restarting: this page reconnects in a moment."


def drain() -> None:
    """Tell every page connected to this process that it is going, then close their
    sockets (their handlers' disconnect ends what they ran)."""
    from socketio.manager import Manager

    from course.extensions import socketio

    server = socketio.server
    manager = server.manager
    for namespace in list(manager.get_namespaces()):
        # The local manager's emit: with Redis, the queue's would reach other processes.
        Manager.emit(manager, "restarting", {"message": RESTARTING}, namespace=namespace)
    server.eio.disconnect()  # every client of this process
    log.info("drained: told and closed every socket of this process")


class Production(BaseApplication):  # type: ignore[misc]  # gunicorn has no type hints
    """Gunicorn with our options, loading the app in the worker (JAX must not be
    initialised before the fork)."""

    def __init__(self, options: dict[str, Any], *, warmup: bool) -> None:
        self.options = options
        self.warmup = warmup
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("post_worker_init", _on_worker_start)

    def load(self) -> Flask:
        from course import create_app
        from course.warmup import start

        app = create_app()
        start(app, warmup=self.warmup)
        return app


def _on_worker_start(worker: Any) -> None:
    """Drain on SIGTERM, then let the gthread worker's graceful shutdown run."""
    graceful = worker.handle_exit

    def on_term(sig: int, frame: FrameType | None) -> None:
        if worker.alive:
            threading.Thread(target=drain, daemon=True).start()
        graceful(sig, frame)

    signal.signal(signal.SIGTERM, on_term)


def serve(host: str, port: int, *, threads: int, graceful_timeout: int, warmup: bool) -> int:
    """Run one production process on ``host:port`` until it is stopped."""
    options = {
        "bind": f"{host}:{port}",
        "workers": 1,  # sessions live in the process: one worker, many threads
        "worker_class": "gthread",
        "threads": threads,
        "graceful_timeout": graceful_timeout,
        "timeout": 120,  # a worker busy compiling a new shape is not stuck
        "keepalive": 5,
        "accesslog": None,
        "errorlog": "-",
        "worker_connections": threads + 100,
        "control_socket_disable": True,  # one per process would share one path
    }
    Production(options, warmup=warmup).run()
    return 0


def serve_many(argv: list[str], host: str, port: int, processes: int) -> int:
    """``processes`` production processes on ports ``port``… (each one ``serve``),
    stopped together: a SIGTERM or SIGINT goes to each, and this waits for all."""
    if not os.environ.get("REDIS_URL") and not os.environ.get("UNROLLED_REDIS_URL"):
        print("--processes above 1 needs REDIS_URL: the processes share rooms through it",
              file=sys.stderr)  # fmt: skip
        return 2
    # The training slots are the machine's, not each process's (course/lab/scheduler.py).
    env = dict(os.environ)
    if not env.get("UNROLLED_TRAINING_SLOTS_DIR"):
        env["UNROLLED_TRAINING_SLOTS_DIR"] = tempfile.mkdtemp(prefix="unrolled-slots-")
    children = []
    for k in range(processes):
        command = [sys.executable, "-m", "course.cli", *argv, "--processes", "1"]
        command += ["--host", host, "--port", str(port + k)]
        children.append(subprocess.Popen(command, env=env))

    def forward(sig: int, frame: FrameType | None) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    codes = [child.wait() for child in children]
    return max(codes)
