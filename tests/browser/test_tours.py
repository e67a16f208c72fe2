"""Onboarding tours in Chromium: the first visit starts one, later visits offer it,
the keys drive it, and every step points at something on the page."""

from __future__ import annotations

import pytest
from pagekit import POPOVER, settle
from playwright.sync_api import Page, expect

from course.lessons.registry import LessonRegistry

REGISTRY = LessonRegistry.load("lessons")
LESSONS = sorted(slug for slug, lesson in REGISTRY.lessons.items() if lesson.tour)


@pytest.mark.browser
def test_first_visit_starts_the_tour_and_the_keys_drive_it(newcomer: Page) -> None:
    page = newcomer
    page.goto("/lessons/lstm-cell")
    popover = page.locator(POPOVER)
    expect(popover).to_be_visible(timeout=30_000)
    expect(popover.locator(".driver-popover-title")).to_have_text("One compute step")
    expect(page.locator(".driver-active-element")).to_have_attribute("data-action", "step")
    expect(popover.locator(".driver-popover-progress-text")).to_have_text("1 of 10")
    settle(page)
    page.keyboard.press("ArrowRight")  # the tour's, not the lab's
    expect(popover.locator(".driver-popover-title")).to_have_text("Bigger steps")
    expect(page.locator("section.lab[data-lab=cell-walk]")).to_have_attribute("data-step", "x")
    settle(page)
    page.keyboard.press("ArrowLeft")
    expect(popover.locator(".driver-popover-title")).to_have_text("One compute step")
    page.keyboard.press("Escape")
    expect(popover).to_have_count(0)
    expect(page.locator(".tour-button")).to_be_focused()

    # A later visit does not start it, but offers it.
    page.reload()
    expect(page.locator("section.lab[data-lab=cell-walk] [data-readout=status]")).to_have_text(
        "Ready", timeout=30_000
    )
    page.wait_for_timeout(500)
    expect(popover).to_have_count(0)
    page.get_by_role("button", name="Take the tour").click()
    expect(popover.locator(".driver-popover-title")).to_have_text("One compute step")
    for _ in range(9):
        popover.locator(".driver-popover-next-btn").click()
    expect(popover.locator(".driver-popover-title")).to_have_text("See this again")
    expect(popover.locator(".driver-popover-next-btn")).to_have_text("Done")
    popover.locator(".driver-popover-next-btn").click()
    expect(popover).to_have_count(0)


@pytest.mark.browser
def test_reduced_motion_tour_does_not_animate(newcomer: Page) -> None:
    newcomer.emulate_media(reduced_motion="reduce")
    newcomer.goto("/lessons/why-recurrence")
    expect(newcomer.locator(POPOVER)).to_be_visible(timeout=30_000)
    assert "driver-simple" in (newcomer.locator("body").get_attribute("class") or "")


@pytest.mark.browser
@pytest.mark.parametrize("slug", LESSONS)
def test_every_tour_step_points_at_a_visible_element(page: Page, slug: str) -> None:
    page.goto(f"/lessons/{slug}")
    expect(page.locator(".tour-button")).to_be_visible(timeout=30_000)
    expect(page.locator(POPOVER)).to_have_count(0)  # automated: no tour uninvited
    steps = page.evaluate("JSON.parse(document.getElementById('lesson-tour').textContent)")
    page.locator(".tour-button").click()
    for number, step in enumerate(steps, 1):
        target = page.locator(step["element"]).first
        expect(target).to_be_visible()
        expect(page.locator(".driver-popover-title")).to_have_text(step["title"])
        expect(page.locator(".driver-popover-progress-text")).to_have_text(
            f"{number} of {len(steps)}"
        )
        settle(page)
        page.keyboard.press("ArrowRight")
    expect(page.locator(POPOVER)).to_have_count(0)
