"""The persistent compilation cache: compiled programs survive restarts."""

from __future__ import annotations

from pathlib import Path

import jax


def enable_compilation_cache(directory: str | Path) -> None:
    """Cache every compiled program in ``directory`` (created if missing)."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
