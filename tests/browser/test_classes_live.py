"""A class's live session in Chromium: a student who joined the class clicks the
session under *My classes* and is in at once, under their class name (no code, no
name asked); the presenter sees them by that name, sees them explore and brings them
back. The teacher's class page (roster import, co-teachers) and the student's My
classes are photographed on a laptop and a phone."""

from __future__ import annotations

import re

import pytest
from pagekit import ARTIFACTS, browsing, sign_in
from playwright.sync_api import Browser, Page, expect
from servers import create_instructor

EMAIL, PASSWORD = "classes@example.org", "a class password"
# The elements that stick out of a phone's screen, for the message of a failure.
WIDE = """() => [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > 392)
  .filter((e) => !e.parentElement.closest(".table-scroll"))
  .slice(0, 6).map((e) => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`)"""
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}


def sign_in_and_create_class(teacher: Page, name: str) -> str:
    sign_in(teacher, EMAIL, PASSWORD)
    teacher.get_by_label("New class").fill(name)
    teacher.get_by_role("button", name="Create class").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text(name)
    return teacher.locator("[data-join-code]").inner_text()


@pytest.mark.browser
def test_a_student_joins_the_class_live_session_from_my_classes_in_one_click(
    browser: Browser, server: str, server_database: str
) -> None:
    create_instructor({"UNROLLED_DATABASE_URL": server_database}, EMAIL, PASSWORD)
    with browsing(browser, server) as teacher, browsing(browser, server) as ana:
        code = sign_in_and_create_class(teacher, "Sequence models")
        class_page = teacher.url
        # a roster with one student not joined yet, shown on the class page
        teacher.get_by_text("Import a class list").click()
        teacher.get_by_label("or paste the list").fill("Ben Okafor, ben@school.example\n")
        teacher.get_by_role("button", name="Import").click()
        expect(teacher.locator("table.roster")).to_contain_text("not joined yet")

        ana.goto(f"/join?code={code}")
        ana.get_by_label("Your name").fill("Ana Student")
        ana.get_by_role("button", name="Join").click()
        expect(ana.get_by_role("heading", name="My classes")).to_be_visible()
        expect(ana.locator("[data-live-now]")).to_have_count(0)  # nothing live yet

        teacher.goto(class_page)
        teacher.locator("#live select[name=lab]").select_option("lstm-cell/cell-walk")
        # class only; the server's first session compiles the lab (slow on a busy machine)
        teacher.get_by_role("button", name="Start a live session").click(timeout=180000)
        expect(teacher).to_have_url(re.compile(r"/live/[A-Z0-9]{6}/present$"))
        joined = teacher.locator("article.lesson")
        expect(joined).to_have_attribute("data-live-joined", "true", timeout=60000)

        ana.reload()
        ana.get_by_role("link", name="Join the live session").click(timeout=120000)
        expect(ana.locator("article.lesson")).to_have_attribute(
            "data-live-joined", "true", timeout=30000
        )
        expect(ana.locator('[data-role="name-form"]')).to_be_hidden()  # no name asked
        expect(ana.locator('[data-role="seat"]')).to_have_text("as Ana Student")
        expect(ana.locator('[data-role="live-status"]')).to_have_text("Following the class.")
        people = teacher.locator('[data-role="presence"] li')
        expect(people).to_have_count(1, timeout=20000)
        expect(people.first).to_have_attribute("data-name", "Ana Student")

        # the presenter sees her explore, and brings her back
        teacher.get_by_label("Students may explore on their own").check()
        explore = ana.get_by_role("button", name="Explore on my own")
        expect(explore).to_be_enabled()
        explore.click()
        expect(people.first).to_contain_text("exploring", timeout=20000)
        teacher.screenshot(path=str(ARTIFACTS / "classes-presenter.png"))
        teacher.get_by_role("button", name="Bring back Ana Student").click()
        expect(ana.locator('[data-role="live-status"]')).to_have_text(
            "Your teacher brought you back to the class.", timeout=20000
        )
        expect(ana.locator("[data-live-panel]")).to_have_attribute("data-mode", "follow")
        expect(people.first).not_to_contain_text("exploring", timeout=20000)

        ana.goto("/classes")
        expect(ana.locator("[data-live-now]")).to_be_visible()
        ana.screenshot(path=str(ARTIFACTS / "classes-my-classes.png"), full_page=True)
        cookies = ana.context.cookies()

        # removed: out at once, told why, and the session is gone from My classes
        ana.get_by_role("link", name="Join the live session").click(timeout=120000)
        expect(ana.locator("article.lesson")).to_have_attribute("data-live-joined", "true")
        expect(people).to_have_count(1, timeout=20000)
        teacher.once("dialog", lambda dialog: dialog.accept())
        teacher.get_by_role("button", name="Remove Ana Student").click()
        status = ana.locator('[data-role="live-status"]')
        expect(status).to_have_text(
            "The presenter removed you from this live session.", timeout=20000
        )
        expect(people).to_have_count(0, timeout=20000)
        ana.goto("/classes")
        expect(ana.get_by_role("heading", name="My classes")).to_be_visible()
        expect(ana.locator("[data-live-now]")).to_have_count(0)
        teacher.goto(class_page)
        teacher.get_by_text("Import a class list").click()
        teacher.screenshot(path=str(ARTIFACTS / "classes-class-page.png"), full_page=True)
        teacher_cookies = teacher.context.cookies()

    # the same people, on a phone
    phone = browser.new_context(base_url=server, **PHONE)  # type: ignore[arg-type]
    try:
        page = phone.new_page()
        phone.add_cookies(cookies)  # type: ignore[arg-type]
        page.goto("/classes")
        expect(page.get_by_role("heading", name="My classes")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "classes-my-classes-phone.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"My classes is {width} px wide on a 390 px phone"
        phone.clear_cookies()
        phone.add_cookies(teacher_cookies)  # type: ignore[arg-type]
        page.goto(class_page)
        page.get_by_text("Import a class list").click()
        page.screenshot(path=str(ARTIFACTS / "classes-class-page-phone.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate(WIDE)
        assert width <= 390, f"the class page is {width} px wide on a 390 px phone: {wide}"
    finally:
        phone.close()
