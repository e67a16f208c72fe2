"""Accessibility: axe-core (served by our own server) finds no serious or critical
violation on any page a learner sees, in the light and the dark theme."""

from __future__ import annotations

from typing import Any

import pytest
from pagekit import ARTIFACTS
from playwright.sync_api import Page, expect

from course.lessons.registry import LessonRegistry

LESSONS = sorted(LessonRegistry.load("lessons").lessons)
PAGES = ["/", "/progress", "/live"] + [f"/lessons/{slug}" for slug in LESSONS]
SCHEMES = ["light", "dark"]
AXE = "/vendor/npm/axe-core/axe.min.js"


def violations(page: Page) -> list[dict[str, Any]]:
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


def settle(page: Page) -> None:
    """Wait until every lab and playground has opened (their controls are enabled)."""
    for status in page.locator("section.lab [data-readout=status]").all():
        expect(status).to_have_text("Ready", timeout=60_000)
    for status in page.locator("section.playground [data-readout=status]").all():
        expect(status).not_to_have_text("Connecting…", timeout=60_000)


def report(found: list[dict[str, Any]]) -> str:
    return "\n".join(f"{v['impact']} {v['id']}: {v['help']}\n    {v['nodes']}" for v in found)


@pytest.mark.browser
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violations(page: Page, path: str, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    page.goto(path)
    settle(page)
    found = violations(page)
    assert not found, report(found)


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
    found = violations(page)
    assert not found, report(found)
