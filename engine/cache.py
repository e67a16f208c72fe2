"""The persistent compilation cache: compiled programs survive restarts.

``loads`` counts, from JAX's own monitoring events, how many programs this process
took from the cache and how many it compiled itself: a process that compiled a
program holds the compiler's memory too (about 200 MB more after the lessons'
warm-up than one that loaded the same programs; course/prewarm.py).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import jax

_REQUESTS = "/jax/compilation_cache/compile_requests_use_cache"
_HITS = "/jax/compilation_cache/cache_hits"


def enable_compilation_cache(directory: str | Path) -> None:
    """Cache every compiled program in ``directory`` (created if missing)."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


class _Loads:
    """Programs asked of the cache, and found there, since this process started."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.asked = self.found = 0

    def __call__(self, event: str, **_: Any) -> None:
        if event in (_REQUESTS, _HITS):
            with self.lock:
                if event == _REQUESTS:
                    self.asked += 1
                else:
                    self.found += 1

    def counts(self) -> tuple[int, int]:
        """(loaded from the cache, compiled here) so far."""
        with self.lock:
            return self.found, self.asked - self.found


_LOADS = _Loads()
jax.monitoring.register_event_listener(_LOADS)


def loads() -> tuple[int, int]:
    """Programs this process has loaded from the persistent cache, and compiled itself."""
    return _LOADS.counts()
