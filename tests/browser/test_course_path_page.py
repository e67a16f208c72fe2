"""A newcomer goes through the course by "Next", leaves, and comes back to continue
where they stopped — in Chromium."""

from __future__ import annotations

import re

import pytest
from pagekit import ARTIFACTS
from playwright.sync_api import Page, expect

from course.lessons.path import in_order
from course.lessons.registry import LessonRegistry

SLUGS = [lesson.slug for lesson in in_order(LessonRegistry.load("lessons"))]


@pytest.mark.browser
def test_a_newcomer_follows_next_to_the_end_and_later_continues(page: Page) -> None:
    page.goto("/")
    expect(page.locator("[data-role=continue]")).to_have_count(0)  # nothing to continue yet
    page.locator(".lesson-list a").first.click()
    expect(page).to_have_url(re.compile(f"/lessons/{SLUGS[0]}$"))
    for slug in SLUGS[1:]:
        page.locator("a[rel=next]").scroll_into_view_if_needed()
        expect(page.locator(".lesson-end .recap li").first).to_be_visible()
        page.locator("a[rel=next]").click()
        expect(page).to_have_url(re.compile(f"/lessons/{slug}$"))
    expect(page.locator("a[rel=next]")).to_have_count(0)
    expect(page.locator(".lesson-next")).to_contain_text("last lesson of the course")
    page.locator(".lesson-end").screenshot(path=str(ARTIFACTS / "lesson-end.png"))

    heading = page.locator("h2#sentiment")  # read this far in the last lesson
    heading.scroll_into_view_if_needed()
    expect(heading).to_have_class(re.compile(r"\bseen\b"), timeout=15_000)

    page.goto("/")  # the learner leaves, and comes back to the course's home
    resume = page.locator("[data-role=continue]")
    expect(resume).to_be_visible()
    expect(page.locator(".continue")).to_contain_text("Three real tasks")
    page.screenshot(path=str(ARTIFACTS / "home-continue.png"))
    href = resume.get_attribute("href") or ""
    assert href.startswith("/lessons/tasks#"), href
    anchor = href.split("#", 1)[1]
    assert anchor != "sentiment"  # after what was read, not at it
    resume.click()
    expect(page).to_have_url(re.compile(f"/lessons/tasks#{anchor}$"))
    expect(page.locator(f"h2#{anchor}")).to_be_in_viewport()
