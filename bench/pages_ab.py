"""Two checkouts side by side: navigation start → the first widget ready, first visits.

.venv/bin/python bench/pages_ab.py REFERENCE [--loads 8] [lesson ...]

Serves REFERENCE (another checkout, e.g. `git worktree add /tmp/ref HEAD~3`, with
`node_modules` linked in) and this checkout, each with `unrolled serve` on its own port,
and loads each lesson from the two in turn, alternating which goes first, in fresh
incognito contexts of one Chromium. This VM's speed drifts by up to 25 % over minutes;
alternating loads puts both sides under the same drift, so the difference is what the
change did. Prints the medians and p99 of each side and their ratio.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from pages import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    FIRST,
    VIEWPORT,
    ready_after,
    summary,
    wait_until_idle,
)
from servers import free_port  # noqa: E402


def serve(root: Path, tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`unrolled serve` of the checkout at ``root`` (warm-up on), with its own database."""
    port = free_port()
    env = dict(os.environ, UNROLLED_DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}")
    command = [sys.executable, "-m", "course.cli", "serve", "--port", str(port)]
    log = open(tmp / "server.log", "w")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reference", type=Path)
    parser.add_argument("lessons", nargs="*", default=["training", "why-recurrence", "data"])
    parser.add_argument("--loads", type=int, default=8)
    args = parser.parse_intermixed_args()
    sides = {"reference": args.reference.resolve(), "this": ROOT}
    servers = {}
    try:
        for name, root in sides.items():
            servers[name] = serve(root, Path(tempfile.mkdtemp(prefix=f"unrolled-ab-{name}-")))
        for proc, url in servers.values():
            wait_until_idle(proc.pid, url=url)
        times: dict[tuple[str, str], list[float]] = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for load in range(args.loads + 1):  # the first round warms up, uncounted
                for slug in args.lessons:
                    order = list(servers) if load % 2 else list(reversed(servers))
                    for name in order:
                        context = browser.new_context(viewport=VIEWPORT)
                        page = context.new_page()
                        page.goto(f"{servers[name][1]}/lessons/{slug}")
                        ms = ready_after(page, FIRST)
                        context.close()
                        if load:
                            times.setdefault((slug, name), []).append(ms)
            browser.close()
    finally:
        for proc, _ in servers.values():
            proc.terminate()
    for slug in args.lessons:
        ref, this = times[(slug, "reference")], times[(slug, "this")]
        print(
            f"{slug:<15} reference {summary(ref)}   this {summary(this)}"
            f"   ratio {np.median(this) / np.median(ref):.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
