"""Compiled programs under a budget: shape buckets and a bounded cache.

Every distinct shape a jitted function sees compiles a new XLA program (seconds of
CPU, megabytes of memory that ``jax.jit`` keeps for the life of the function). So:

- the shapes a lab can reach come from a few buckets: a window of T points runs as
  ``bucket(T, WINDOW_BUCKETS)`` steps with the steps past T masked (the state stops
  changing there and the loss ignores them, so the numbers are those of T steps), and
  a continuation of C points is computed to ``bucket(C, CONTINUATION_BUCKETS)`` and
  cut to C (each prediction only depends on the earlier ones);
- each program (a function with its static arguments) gets its own ``jax.jit`` in
  ``PROGRAMS``, a least-recently-used cache of at most ``limit`` programs; evicting
  one clears that jit's cache, which frees its executable (measured: clearing keeps
  RSS flat where dropping an AOT ``Compiled`` did not);
- ``PROGRAMS.missing(keys)`` tells which programs were never compiled in this process:
  the web layer charges those to a learner's compile budget before it builds a lab;
- with ``use_worker`` (a server), a new program is traced and compiled in a worker
  process and loaded here ready-made (``engine.compile_worker``): the server's
  interpreter lock stays with the learners' clicks. Without one, when the worker
  cannot, or inside ``with PROGRAMS.here():`` (the start-up warm-up, which the
  persistent compilation cache serves after a restart), it is compiled here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import jax

from engine import host
from engine.compile_worker import CompileWorker, bind

WINDOW_BUCKETS = (8, 16, 32, 64)  # a window of T points runs as the first bucket ≥ T
CONTINUATION_BUCKETS = (8, 16, 32, 64)
# Compiled programs kept in memory (5–20 MB each): the lesson labs' defaults (23,
# warmed last) and one more.
MAX_PROGRAMS = 24

ProgramKey = tuple[str, tuple[tuple[str, Hashable], ...]]


def bucket(value: int, buckets: tuple[int, ...]) -> int:
    """The smallest bucket ≥ ``value`` (ValueError beyond the largest)."""
    for size in buckets:
        if value <= size:
            return size
    raise ValueError(f"{value} is beyond the largest bucket {buckets[-1]}")


def program_key(fn: Callable[..., Any], **static: Hashable) -> ProgramKey:
    """What identifies one compiled program: the function and its static arguments
    (which, for the functions cached here, fix every argument's shape too)."""
    return (f"{fn.__module__}.{fn.__qualname__}", tuple(sorted(static.items())))


class Programs:
    """A thread-safe LRU of jitted programs, one ``jax.jit`` per key."""

    def __init__(self, limit: int = MAX_PROGRAMS) -> None:
        self._lock = threading.Lock()
        self._jits: OrderedDict[ProgramKey, Any] = OrderedDict()
        self._seen: set[ProgramKey] = set()  # every key compiled since start (small: tuples)
        self.limit = limit
        self.compiled = 0  # programs compiled (or loaded from the persistent cache)
        self.evicted = 0
        self.worker: CompileWorker | None = None
        self._local = threading.local()  # .here: this thread compiles in this process

    def use_worker(self, worker: CompileWorker | None) -> None:
        """Compile new programs in ``worker`` from now on (None: in this process)."""
        old, self.worker = self.worker, worker
        if old is not None and old is not worker:
            old.close()

    @contextmanager
    def here(self) -> Iterator[None]:
        """Programs new to the calls of this thread in this block are compiled in this
        process, not by the worker (they may come from the persistent cache)."""
        before = getattr(self._local, "here", False)
        self._local.here = True
        try:
            yield
        finally:
            self._local.here = before

    def call(self, fn: Callable[..., Any], *args: Any, **static: Hashable) -> Any:
        """``fn(*args, **static)`` through its compiled program (compiled on first use:
        by the worker if there is one, else here, and then the compiler's scratch
        memory is handed back to the system)."""
        program, new = self._get(fn, static)
        if isinstance(program, _Loading):
            program = program.load(fn, static, args)
        result = program(*args)
        if new:
            host.trim()
        return result

    def jitted(self, fn: Callable[..., Any], **static: Hashable) -> Any:
        return self._get(fn, static)[0]

    def _get(self, fn: Callable[..., Any], static: dict[str, Hashable]) -> tuple[Any, bool]:
        key = program_key(fn, **static)
        with self._lock:
            found = self._jits.get(key)
            if found is not None:
                self._jits.move_to_end(key)
                return found, False
            found = jax.jit(bind(fn, static))
            if self.worker is not None and not getattr(self._local, "here", False):
                found = _Loading(found, self.worker)
            self._jits[key] = found
            self._seen.add(key)
            self.compiled += 1
            self._evict()
        return found, True

    def missing(self, keys: Iterable[ProgramKey]) -> list[ProgramKey]:
        """The keys never compiled in this process (in order, without repeats)."""
        with self._lock:
            return [k for k in dict.fromkeys(keys) if k not in self._seen]

    def touch(self, keys: Iterable[ProgramKey]) -> None:
        """Mark the programs of ``keys`` that are in memory as just used."""
        with self._lock:
            for key in keys:
                if key in self._jits:
                    self._jits.move_to_end(key)

    def resize(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the program cache must hold at least one program")
        with self._lock:
            self.limit = limit
            self._evict()

    def __len__(self) -> int:
        return len(self._jits)

    def __contains__(self, key: object) -> bool:
        return key in self._jits

    def clear(self) -> None:
        """Drop every program (and forget which were compiled): for tests and benches."""
        with self._lock:
            while self._jits:
                self._jits.popitem(last=False)[1].clear_cache()
            self._seen.clear()

    def _evict(self) -> None:
        evicted = 0
        while len(self._jits) > self.limit:
            _, old = self._jits.popitem(last=False)
            old.clear_cache()  # frees the executable; a caller still holding it recompiles
            evicted += 1
        if evicted:
            self.evicted += evicted
            host.trim()


class _Loading:
    """A program the worker compiles on first call (once, whichever thread asks first;
    the others wait for it); until then, and if the worker cannot, ``jit`` is the
    program, compiled here on its first call as without a worker."""

    def __init__(self, jit: Any, worker: CompileWorker) -> None:
        self.jit, self.worker = jit, worker
        self._lock = threading.Lock()
        self._program: Any = None

    def load(
        self, fn: Callable[..., Any], static: dict[str, Hashable], args: tuple[Any, ...]
    ) -> Any:
        with self._lock:
            if self._program is None:
                compiled = self.worker.compile(fn, static, args)
                self._program = self.jit if compiled is None else _Loaded(compiled, self.jit)
        return self._program

    def __call__(self, *args: Any) -> Any:
        return (self._program or self.jit)(*args)

    def clear_cache(self) -> None:
        self._program = None
        self.jit.clear_cache()


class _Loaded:
    """A worker-compiled executable; arguments it was not compiled for (a dtype or a
    weak type that differs) go through the jit instead, which compiles them here."""

    def __init__(self, compiled: Any, jit: Any) -> None:
        self.compiled, self.jit = compiled, jit

    def __call__(self, *args: Any) -> Any:
        try:
            return self.compiled(*args)
        except TypeError:
            return self.jit(*args)


PROGRAMS = Programs()
