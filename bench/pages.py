"""Lesson pages in Chromium: page load → first interactive view, and playing at 8×.

.venv/bin/python bench/pages.py [--loads 5] [--seconds 5] [--production]

Starts `unrolled serve` (with `--production`, on Gunicorn as docs/deployment.md runs it;
warm-up on; it waits until the server has finished compiling), then opens each lesson
`--loads` times and times navigation start → the first widget ready (a lab says "Ready":
the figures it shows within a window's height of its top are drawn and its controls
answer; a playground or task has drawn and can be used: target ≤ 1 s) and → every widget
on the page ready. Twice: in a fresh incognito context each time (a first visit: nothing
cached) and in one persistent browser profile, as a learner's own browser is (a
returning visit: BokehJS and the rest come from the disk cache, with V8's compiled
code). Then plays the LSTM lab at 8× by compute step for `--seconds` and counts the
positions the page showed: every pushed update should be painted (no gaps).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))  # the engine package, not bench/engine.py

from servers import CourseServer, tree_cpu_seconds, wait_warmed  # noqa: E402

from course.lab.pacing import PLAY_INTERVAL  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WIDGETS = """() => {
  const labs = [...document.querySelectorAll("section.lab [data-readout=status]")]
    .map((el) => el.textContent.trim() === "Ready");
  const others = [...document.querySelectorAll("section.playground, section.task")].map((el) =>
    [...el.querySelectorAll(".bk-slot")].some((slot) => slot.childElementCount)
    && !el.querySelector("button[data-action]:disabled"));
  return [...labs, ...others];
}"""
FIRST = f"() => ({WIDGETS})().some(Boolean)"
READY = f"() => {{ const w = ({WIDGETS})(); return w.length > 0 && w.every(Boolean); }}"
WATCH = """() => {
  const section = document.querySelector('section.lab[data-lab="cell-walk"]');
  window.seen = [];
  new MutationObserver(() => window.seen.push(Number(section.dataset.position)))
    .observe(section, { attributes: true, attributeFilter: ["data-position"] });
}"""


VIEWPORT = {"width": 1280, "height": 900}


def ready_after(page: Any, condition: str) -> float:
    """Milliseconds from navigation start until ``condition`` held (checked in the page
    on every animation frame, timed there)."""
    timed = f"() => ({condition})() && performance.now()"
    return float(page.wait_for_function(timed, timeout=60_000, polling="raf").json_value())


def time_loads(browser: Any, profile: Any, url: str, loads: int) -> tuple[list[float], list[float]]:
    """Times to the first widget ready and to every widget ready over ``loads`` page
    loads (after one that is not counted): in ``profile`` (a persistent context) if
    given, else each in a new incognito context of ``browser``."""
    first, every = [], []
    for _ in range(loads + 1):
        context = profile or browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(url)
        first.append(ready_after(page, FIRST))
        every.append(ready_after(page, READY))
        page.close()
        if context is not profile:
            context.close()
    return first[1:], every[1:]


def wait_until_idle(pid: int, limit: float = 600.0, url: str | None = None) -> float:
    """Seconds until the server at ``url`` says its warm-up is done (if given), and
    process ``pid`` and its children (a first start's warm-up child) have used under
    2 % of a core for two seconds."""
    start = time.monotonic()
    if url is not None:
        wait_warmed(url, limit)
    quiet, last = 0, tree_cpu_seconds(pid)
    while quiet < 2 and time.monotonic() - start < limit:
        time.sleep(1.0)
        now = tree_cpu_seconds(pid)
        quiet = quiet + 1 if now - last < 0.02 else 0
        last = now
    return time.monotonic() - start


def worker(pid: int, production: bool) -> int:
    """The process that serves: Gunicorn's worker under its arbiter ``pid``, else ``pid``."""
    children: list[str] = []
    deadline = time.monotonic() + 60
    while production and not children and time.monotonic() < deadline:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        time.sleep(0.1)
    return int(children[0]) if children else pid


def summary(ms: list[float]) -> str:
    """Median and p99 in ms; the target for the first view is ≤ 1000 ms."""
    return f"median {np.median(ms):5.0f} ms p99 {np.percentile(ms, 99):5.0f} (n={len(ms)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--production", action="store_true", help="serve with Gunicorn")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="unrolled-bench-pages-"))
    env = {"UNROLLED_DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}"}
    if cache := os.environ.get("UNROLLED_COMPILATION_CACHE_DIR"):
        env["UNROLLED_COMPILATION_CACHE_DIR"] = cache  # kept between runs: a shorter warm-up
    if args.production:
        env["UNROLLED_SECRET_KEY"] = "bench-pages-secret-of-32-characters-or-more"
    server = CourseServer(env, tmp / "server.log", warmup=True, production=args.production)
    try:
        # the warm-up compiles every lab's programs
        warm = wait_until_idle(worker(server.proc.pid, args.production), url=server.url)
        print(f"server warm after {warm:.0f} s", flush=True)
        from course.lessons.registry import LessonRegistry

        slugs = sorted(LessonRegistry.load(ROOT / "lessons").lessons)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            profile = p.chromium.launch_persistent_context(
                str(tmp / "profile"),
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                viewport=VIEWPORT,
            )
            for visit, context in (("first visit", None), ("returning", profile)):
                for slug in slugs:
                    url = f"{server.url}/lessons/{slug}"
                    first, every = time_loads(browser, context, url, args.loads)
                    print(f"{visit:<12} {slug:<15} first view ready: {summary(first)}"
                          f"   every widget: {summary(every)}", flush=True)  # fmt: skip
            profile.close()

            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(f"{server.url}/lessons/lstm-cell")
            page.wait_for_function(READY, timeout=60_000)
            lab = page.locator('section.lab[data-lab="cell-walk"]')
            lab.locator("[data-control=speed]").select_option("8")
            page.evaluate(WATCH)
            lab.locator("[data-action=play]").click()
            page.wait_for_timeout(args.seconds * 1000)
            lab.locator("[data-action=play]").click()
            seen = page.evaluate("window.seen")
            steps = np.diff(np.asarray(seen))
            gaps = int(np.sum(steps > 1))
            rate = len(seen) / args.seconds
            pace = 8 / PLAY_INTERVAL["compute"]
            print(f"playing at 8× by compute step: {rate:.1f} updates/s painted (server pace"
                  f" {pace:.1f}/s), {gaps} skipped of {len(seen)}", flush=True)  # fmt: skip
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
