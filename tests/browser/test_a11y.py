"""Accessibility: axe-core (served by our own server) finds no serious or critical
violation on any page a learner sees, in the light and the dark theme."""

from __future__ import annotations

import pytest
from pagekit import ARTIFACTS, axe_report, axe_violations
from playwright.sync_api import Page, expect

from course.lessons.registry import LessonRegistry

LESSONS = sorted(LessonRegistry.load("lessons").lessons)
PAGES = ["/", "/progress", "/live"] + [f"/lessons/{slug}" for slug in LESSONS]
SCHEMES = ["light", "dark"]
# Open every figure's tables (figures embedded late, far down a page, come closed:
# polled, this opens those too) until each holds its tables.
OPEN_TABLES = """() => {
  const boxes = [...document.querySelectorAll('details.figure-tables')];
  for (const box of boxes) box.open = true;
  return boxes.every((box) => box.querySelector('table'));
}"""


def settle(page: Page) -> None:
    """Wait until every lab and playground has opened (their controls are enabled)."""
    for status in page.locator("section.lab [data-readout=status]").all():
        expect(status).to_have_text("Ready", timeout=60_000)
    for status in page.locator("section.playground [data-readout=status]").all():
        expect(status).not_to_have_text("Connecting…", timeout=60_000)


@pytest.mark.browser
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violations(page: Page, path: str, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    page.goto(path)
    settle(page)
    # Every figure's tables open, so their captions, headers and colours are scanned too.
    page.wait_for_function(OPEN_TABLES)
    found = axe_violations(page)
    assert not found, axe_report(found)


@pytest.mark.browser
@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_tour_popover_is_accessible(page: Page, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    page.goto("/lessons/lstm-cell")
    settle(page)
    page.get_by_role("button", name="Take the tour").click()
    expect(page.locator(".driver-popover")).to_be_visible()
    page.wait_for_function("() => !document.getAnimations().some((a) => a.playState === 'running')")
    page.screenshot(path=str(ARTIFACTS / f"tour-{scheme}.png"))
    found = axe_violations(page)
    assert not found, axe_report(found)
