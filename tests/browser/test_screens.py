"""Screenshots of every lesson, light and dark, on a desktop and a phone, saved in
test-artifacts/screens/ to be looked at; a phone must never scroll sideways."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pagekit import ARTIFACTS, PageWatch
from playwright.sync_api import Browser, Page, expect

from course.lessons.registry import LessonRegistry

LESSONS = sorted(LessonRegistry.load("lessons").lessons)
SCREENS = ARTIFACTS / "screens"
DEVICES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

# The widest element that sticks out past the right edge, if any.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  let worst = null;
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    const scrolls = el.closest(".katex-display, .table-scroll, .bk-slot");
    if (box.width && box.right > width + 1 && !scrolls && (!worst || box.right > worst.right)) {
      worst = { right: box.right, tag: el.tagName, cls: el.className };
    }
  }
  return { scroll: document.documentElement.scrollWidth, width, worst };
}"""


@pytest.fixture(params=list(DEVICES))
def device_page(request: pytest.FixtureRequest, browser: Browser, server: str) -> Iterator[Page]:
    phone = request.param == "phone"
    context = browser.new_context(
        viewport=DEVICES[request.param],
        base_url=server,
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
    )
    page = context.new_page()
    page.device = request.param  # type: ignore[attr-defined]
    watch = PageWatch(page, server)
    yield page
    context.close()
    assert not watch.problems, "\n".join(watch.problems)


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("slug", LESSONS)
def test_screenshot_of_every_lesson(device_page: Page, slug: str, scheme: str) -> None:
    page = device_page
    page.emulate_media(color_scheme=scheme, reduced_motion="reduce")  # type: ignore[arg-type]
    page.goto(f"/lessons/{slug}")
    for status in page.locator("section.lab [data-readout=status]").all():
        expect(status).to_have_text("Ready", timeout=60_000)
    # Every figure built (views further down follow the first), then Bokeh's paint.
    page.wait_for_function(
        "() => [...document.querySelectorAll('section.lab')].every((s) => !s.figures.moving())"
    )
    page.wait_for_timeout(300)
    SCREENS.mkdir(parents=True, exist_ok=True)
    device = page.device  # type: ignore[attr-defined]
    page.screenshot(path=str(SCREENS / f"{slug}-{scheme}-{device}.png"), full_page=True)
    measured = page.evaluate(OVERFLOW)
    assert measured["scroll"] <= measured["width"], f"the page scrolls sideways: {measured}"
