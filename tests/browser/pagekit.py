"""What the browser tests share besides fixtures (those are in conftest): where
screenshots go, a watch on every page, a page in a browser of its own, signing in and
starting a live session as an instructor, the data of a widget's Bokeh sources, an
axe-core scan, and waiting for a tour to settle."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Locator, Page, expect

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
POPOVER = ".driver-popover"


class PageWatch:
    """What went wrong on a page: console errors, page errors, foreign requests."""

    def __init__(self, page: Page, origin: str) -> None:
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.problems.append(f"uncaught: {e}"))
        page.on("request", lambda r: self._request(r.url, origin))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def _request(self, url: str, origin: str) -> None:
        ours = (origin, origin.replace("http", "ws"), "data:", "blob:")
        if not url.startswith(ours):
            self.problems.append(f"request to another host: {url}")


@contextmanager
def browsing(browser: Browser, server: str, **options: object) -> Iterator[Page]:
    """A page in a context of its own (its own cookies), watched like the ``page`` fixture
    (``page.watch``)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server,
                                  **options)  # type: ignore[arg-type]  # fmt: skip
    page = context.new_page()
    watch = PageWatch(page, server)
    page.watch = watch  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()
    assert not watch.problems, "\n".join(watch.problems)


WIDGET_SOURCE = """([root, name]) => {
  for (const doc of Bokeh.documents) {
    if (!doc.get_model_by_id(root)) continue;
    const model = doc.get_model_by_name(name);
    if (!model) continue;
    const out = {};
    for (const [k, v] of Object.entries(model.data)) out[k] = Array.from(v);
    return out;
  }
  return null;
}"""


def widget_source(widget: Locator, name: str) -> dict[str, list[Any]]:
    """What a named source of a widget's figures (a lab, playground or task section,
    each drawn in documents of its own) holds right now."""
    roots = widget.locator("[data-root-id]").evaluate_all("els => els.map(e => e.dataset.rootId)")
    for root in roots:
        found = widget.page.evaluate(WIDGET_SOURCE, [root, name])
        if found is not None:
            return found
    raise AssertionError(f"no source {name!r}")


def sign_in(page: Page, email: str, password: str) -> None:
    """Sign in as the instructor ``email`` through the form."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def start_session(
    teacher: Page,
    email: str,
    password: str,
    *,
    class_name: str,
    lab: str = "lstm-cell/cell-walk",
    timeout: float | None = None,
) -> str:
    """Sign in as the instructor ``email``, create a class and start a live session of
    ``lab`` from its page, open to anyone with the code; the session's code, once the
    presenter's page has joined (within ``timeout`` ms; None: expect's default)."""
    sign_in(teacher, email, password)
    teacher.get_by_label("New class").fill(class_name)
    teacher.get_by_role("button", name="Create class").click()
    teacher.locator("#live select[name=lab]").select_option(lab)
    teacher.get_by_label("Who may join").select_option("open")  # students come by the code
    teacher.get_by_role("button", name="Start a live session").click()
    expect(teacher).to_have_url(re.compile(r"/live/[A-Z0-9]{6}/present$"))
    expect(teacher.locator("article.lesson")).to_have_attribute(
        "data-live-joined", "true", timeout=timeout
    )
    return teacher.url.split("/")[-2]


TRAIN_MS = 90_000  # a first task train compiles the network (seconds; more on a busy machine)


def task_widget(page: Page, name: str) -> Locator:
    """Module 5's task ``name`` on the page, once it is open and ready."""
    widget = page.locator(f"section.task[data-task='{name}']")
    expect(widget.locator("[data-readout=status]")).to_have_text("Ready", timeout=60_000)
    widget.scroll_into_view_if_needed()
    return widget


def train_task(widget: Locator, epochs: str) -> None:
    """Train a task widget ``epochs`` epochs, as a learner does, and wait until it has."""
    before = int(widget.get_attribute("data-epoch") or 0)
    widget.locator("select[data-control=epochs]").select_option(epochs)
    widget.locator("[data-action=train]").click()
    expect(widget).to_have_attribute("data-epoch", str(before + int(epochs)), timeout=TRAIN_MS)
    expect(widget.locator("[data-action=train]")).to_be_enabled(timeout=TRAIN_MS)
    expect(widget.locator("[data-readout=status]")).to_contain_text("Trained", timeout=TRAIN_MS)


def settle(page: Page) -> None:
    """Wait for driver.js to finish moving the highlight (it ignores keys meanwhile)."""
    page.wait_for_function(
        "() => !document.querySelector('.driver-active-element')?.getAnimations?.().length"
    )
    page.wait_for_timeout(450)  # driver.js's transition (400 ms) when animating


AXE = "/vendor/npm/axe-core/axe.min.js"  # served by our own server (course/web/assets.py)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical axe violations on the page as it is now."""
    page.add_script_tag(url=AXE)
    found = page.evaluate(
        """async () => {
          const result = await axe.run(document, { resultTypes: ["violations"] });
          return result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map((n) => [n.target.join(" "), n.failureSummary]),
          }));
        }"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def axe_report(found: list[dict[str, Any]]) -> str:
    return "\n".join(f"{v['impact']} {v['id']}: {v['help']}\n    {v['nodes']}" for v in found)


# Every named source of a lab's Bokeh documents (section.figures, from lab.js).
LAB_SOURCES = """selector => {
  const section = document.querySelector(selector);
  const out = {};
  for (const doc of section.figures.docs) {
    for (const model of doc.all_models) {
      if (!model.name || !model.data) continue;
      const columns = {};
      for (const [key, value] of Object.entries(model.data)) {
        columns[key] = Array.from(value, (v) => (ArrayBuffer.isView(v) ? Array.from(v) : v));
      }
      out[model.name] = columns;
    }
  }
  return out;
}"""
