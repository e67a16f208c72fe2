"""Lesson pages in Chromium: page load → first interactive view, and playing at 8×.

.venv/bin/python bench/pages.py [--loads 5] [--seconds 5]

Starts `unrolled serve` (warm-up on, so the server is warm), then for each lesson
opens it `--loads` times in a fresh browser context and times navigation start →
every widget ready (labs say "Ready", playgrounds and tasks have drawn): target
≤ 1 s. Then plays the LSTM lab at 8× by compute step for `--seconds` and counts the
positions the page showed: every pushed update should be painted (no gaps).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))  # the engine package, not bench/engine.py

from servers import CourseServer  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
READY = """() => {
  const labs = [...document.querySelectorAll("section.lab [data-readout=status]")];
  const others = [...document.querySelectorAll("section.playground, section.task")];
  const labsReady = labs.every((el) => el.textContent.trim() === "Ready");
  const drawn = others.every((el) =>
    [...el.querySelectorAll(".bk-slot")].some((slot) => slot.childElementCount));
  return labs.length + others.length > 0 && labsReady && drawn;
}"""
WATCH = """() => {
  const section = document.querySelector('section.lab[data-lab="cell-walk"]');
  window.seen = [];
  new MutationObserver(() => window.seen.push(Number(section.dataset.position)))
    .observe(section, { attributes: true, attributeFilter: ["data-position"] });
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="unrolled-bench-pages-"))
    env = {"UNROLLED_DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}"}
    server = CourseServer(env, tmp / "server.log", warmup=True)
    try:
        time.sleep(20)  # let the warm-up compile every lesson's programs
        from course.lessons import LessonRegistry

        slugs = sorted(LessonRegistry.load(ROOT / "lessons").lessons)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for slug in slugs:
                times = []
                for _ in range(args.loads + 1):  # the first load warms the browser cache
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    page = context.new_page()
                    page.goto(f"{server.url}/lessons/{slug}")
                    page.wait_for_function(READY, timeout=60_000)
                    start = page.evaluate("performance.timeOrigin")
                    now = page.evaluate("performance.timeOrigin + performance.now()")
                    times.append((now - start) / 1000)
                    context.close()
                ms = np.asarray(times[1:]) * 1000
                print(f"{slug:<16} load → every widget ready   median {np.median(ms):7.0f} ms"
                      f"   p99 {np.percentile(ms, 99):7.0f} ms   (n={len(ms)}; target ≤ 1000 ms)",
                      flush=True)  # fmt: skip

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
            print(f"playing at 8× by compute step: {rate:.1f} updates/s painted (server pace "
                  f"13.3/s), {gaps} skipped positions in {len(seen)}", flush=True)  # fmt: skip
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
