"""Programs compiled in a worker process, loaded ready-made into this one.

Compiling a program is mostly Python for JAX's tracing and lowering (which holds the
interpreter's lock: measured in a compile storm, 75 % of the server's GIL-held time),
then XLA's compilation. In a server every learner's click waits for that lock, so a
learner who compiles slows everyone's steps. ``CompileWorker`` hands the function, its
static arguments and its argument shapes to a child process (``main``, run at
a lower CPU priority), which traces, lowers, compiles
and serializes the executable; this process only loads it
(``jax.experimental.serialize_executable``).

The worker compiles one program at a time, in the order asked. If it cannot (it died,
or the function is not importable by name), ``compile`` answers None and the caller
compiles in its own process as before; the next request starts a new worker. It is
started by the first request and stopped after ``IDLE_SECONDS`` without one, so the
memory it holds (about 230 MB) is taken only while learners compile: a room that
steps and trains what the warm-up compiled keeps no worker.

The worker never reads the persistent compilation cache: an executable JAX loaded from
that cache serializes without some of its kernels (measured with jax 0.10.2: loaded
here, it fails with ``NOT_FOUND: Function broadcast_add_fusion.16 not found``). What
the cache is for, a quick warm-up after a restart, compiles in the server's own
process (``Programs.here``).

Protocol: length-prefixed pickles on the worker's stdin and on a copy of its stdout
(its own stdout goes to stderr, so a library's print cannot corrupt a reply).
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Hashable
from typing import IO, Any

import jax

from engine import host

log = logging.getLogger(__name__)

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_ENTRY = "import sys; from engine.compile_worker import main; main(int(sys.argv[1]))"
NICE = 10  # the worker's CPU priority below the server's: clicks first, compiling after
IDLE_SECONDS = 60.0  # a worker that compiled nothing for this long is stopped
_HEADER = struct.Struct("!Q")


def _send(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the compile worker has gone")
    size = _HEADER.unpack(header)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the compile worker has gone")
    return pickle.loads(data)  # noqa: S301 - our own child's reply


def _shape_of(value: Any) -> jax.ShapeDtypeStruct:
    aval = jax.typeof(value)
    return jax.ShapeDtypeStruct(aval.shape, aval.dtype, weak_type=aval.weak_type)


def bind(fn: Callable[..., Any], static: dict[str, Hashable]) -> Callable[..., Any]:
    """``fn`` with its static arguments given: the function one program compiles."""

    def program(*args: Any) -> Any:
        return fn(*args, **static)

    program.__name__ = program.__qualname__ = getattr(fn, "__name__", "program")
    return program


def _importable(fn: Callable[..., Any]) -> bool:
    module = sys.modules.get(fn.__module__)
    if module is None or "<" in fn.__qualname__:
        return False
    found: Any = module
    for part in fn.__qualname__.split("."):
        found = getattr(found, part, None)
    return found is fn


class CompileWorker:
    """A child process that compiles programs for this one (thread-safe: one at a time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._replies: IO[bytes] | None = None
        self.compiled = 0  # programs the worker compiled for this process
        self.failed = 0  # requests it could not answer (the caller compiled them itself)
        self.started = 0  # workers started (more than one: one died or was idle)
        self._asked = 0.0  # when the last request was answered (time.monotonic)
        self._idle: threading.Timer | None = None

    @property
    def pid(self) -> int | None:
        """The running worker's process id (None before the first compile or after a death)."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def compile(
        self, fn: Callable[..., Any], static: dict[str, Hashable], args: tuple[Any, ...]
    ) -> Any | None:
        """``fn(*args, **static)``'s program compiled for the shapes of ``args``, as a
        ``jax.stages.Compiled`` loaded here; None if the worker could not."""
        if not _importable(fn):
            return None
        from jax.experimental.serialize_executable import deserialize_and_load

        request = (fn.__module__, fn.__qualname__, static, jax.tree_util.tree_map(_shape_of, args))
        with self._lock:
            try:
                proc, replies = self._running()
                assert proc.stdin is not None
                _send(proc.stdin, request)
                reply = _receive(replies)
            except (OSError, EOFError, pickle.PickleError, AttributeError, TypeError) as error:
                log.warning("compile worker: %s; compiling %s here", error, fn.__qualname__)
                self._stop()
                self.failed += 1
                return None
            self._asked = time.monotonic()
            self._stop_when_idle(IDLE_SECONDS)
        if reply[0] != "ok":
            log.warning("compile worker could not compile %s: %s", fn.__qualname__, reply[1])
            self.failed += 1
            return None
        payload, in_tree, out_tree = reply[1:]
        self.compiled += 1
        return deserialize_and_load(payload, in_tree, out_tree)

    def _stop_when_idle(self, seconds: float) -> None:
        """Stop the worker once ``IDLE_SECONDS`` pass without a request (lock held)."""
        if self._idle is None:
            self._idle = threading.Timer(seconds, self._when_idle)
            self._idle.daemon = True
            self._idle.start()

    def _when_idle(self) -> None:
        with self._lock:
            self._idle = None
            if self._proc is None:
                return
            left = self._asked + IDLE_SECONDS - time.monotonic()
            if left > 0:
                self._stop_when_idle(left)  # asked again meanwhile: look again later
            else:
                self._stop()

    def _running(self) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
        if self._proc is not None and self._proc.poll() is None and self._replies is not None:
            return self._proc, self._replies
        self._stop()
        read, write = os.pipe()
        command = [sys.executable, "-c", _ENTRY, str(write)]
        # The worker imports this very engine, wherever the server found it.
        path = os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p)
        self._proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, pass_fds=(write,), env=os.environ | {"PYTHONPATH": path}
        )
        os.close(write)
        self._replies = os.fdopen(read, "rb")
        self.started += 1
        return self._proc, self._replies

    def _stop(self) -> None:
        proc, replies = self._proc, self._replies
        self._proc = self._replies = None
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if proc.stdin is not None:
                proc.stdin.close()
        if replies is not None:
            replies.close()

    def close(self) -> None:
        """Stop the worker (a later ``compile`` starts another)."""
        with self._lock:
            self._stop()


def _compile(module: str, qualname: str, static: dict[str, Hashable], shapes: Any) -> Any:
    from jax.experimental.serialize_executable import serialize

    fn: Any = importlib.import_module(module)
    for part in qualname.split("."):
        fn = getattr(fn, part)
    compiled = jax.jit(bind(fn, static)).lower(*shapes).compile()
    return serialize(compiled)


def main(reply_fd: int) -> None:
    """The worker: answer compile requests from stdin until it closes."""
    sys.stdout = sys.stderr  # a stray print goes to the log, never into a reply
    os.nice(NICE)
    jax.config.update("jax_enable_compilation_cache", False)  # see the module's docstring
    replies = os.fdopen(reply_fd, "wb")
    requests = sys.stdin.buffer
    while True:
        try:
            module, qualname, static, shapes = _receive(requests)
        except EOFError:
            return
        try:
            reply: tuple[Any, ...] = ("ok", *_compile(module, qualname, static, shapes))
        except Exception as error:  # noqa: BLE001 - the server compiles it itself
            reply = ("error", f"{type(error).__name__}: {error}")
        _send(replies, reply)
        # Each program is compiled here once: nothing is kept for a next time.
        jax.clear_caches()
        host.trim()
