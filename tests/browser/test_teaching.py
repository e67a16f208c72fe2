"""An instructor signs in, creates a class and assigns a module; a student joins with
the code in another browser and appears on the roster and in the gradebook. The
teacher's pages are photographed in the light and the dark theme."""

from __future__ import annotations

from pagekit import ARTIFACTS, browsing
from playwright.sync_api import Browser, expect
from servers import create_instructor as add_instructor

EMAIL, PASSWORD = "teacher@example.org", "a classroom password"


def create_instructor(database: str) -> None:
    add_instructor({"UNROLLED_DATABASE_URL": database}, EMAIL, PASSWORD, "Grace Teacher")


def test_a_student_joins_a_class_and_appears_on_the_roster(
    browser: Browser, server: str, server_database: str
) -> None:
    create_instructor(server_database)
    with browsing(browser, server) as teacher:
        teacher.goto("/teach/")
        expect(teacher).to_have_url(f"{server}/login?next=/teach/")
        teacher.screenshot(path=str(ARTIFACTS / "teach-login.png"))
        teacher.get_by_label("Email").fill(EMAIL)
        teacher.get_by_label("Password").fill("not it at all")
        teacher.get_by_role("button", name="Sign in").click()
        expect(teacher.get_by_role("alert")).to_have_text("Wrong email or password.")
        # the refusal is a 401, which Chromium logs; that one is expected
        unauthorised = "the server responded with a status of 401"
        assert [p for p in teacher.watch.problems if unauthorised in p]  # type: ignore[attr-defined]
        teacher.watch.problems.clear()  # type: ignore[attr-defined]
        teacher.get_by_label("Password").fill(PASSWORD)
        teacher.get_by_role("button", name="Sign in").click()
        expect(teacher.get_by_role("heading", name="Your classes")).to_be_visible()

        teacher.get_by_label("New class").fill("Recurrent networks, autumn")
        teacher.get_by_role("button", name="Create class").click()
        expect(teacher.get_by_role("heading", level=1)).to_have_text("Recurrent networks, autumn")
        code = teacher.locator("[data-join-code]").inner_text()
        assert len(code) == 6
        teacher.get_by_label("Assign").select_option("module:1")
        teacher.locator("#assignments").get_by_label("Due (UTC)").fill("2030-01-15T17:00")
        teacher.get_by_role("button", name="Assign", exact=True).click()
        expect(teacher.locator("table.assignments")).to_contain_text("2030-01-15 17:00 UTC")

        with browsing(browser, server) as student:
            student.goto("/")
            student.get_by_role("link", name="My classes").click()
            student.get_by_role("link", name="join their class").click()
            student.get_by_label("Class code").fill(code.lower())
            student.get_by_label("Your name").fill("Ana Student")
            student.screenshot(path=str(ARTIFACTS / "teach-join.png"))
            student.get_by_role("button", name="Join").click()
            expect(student.get_by_role("status")).to_contain_text("Recurrent networks, autumn")
            card = student.locator("article.my-class")
            expect(card).to_contain_text("with Grace Teacher")
            expect(card.locator("tbody tr")).to_contain_text("2030-01-15 17:00 UTC")
            student.screenshot(path=str(ARTIFACTS / "teach-student-classes.png"), full_page=True)

        teacher.reload()
        expect(teacher.locator("table.roster tbody tr")).to_have_count(1)
        expect(teacher.locator("table.roster")).to_contain_text("Ana Student")
        expect(teacher.locator("table.gradebook tbody th")).to_have_text(["Ana Student"])
        extend = teacher.locator("table.assignments details.extend")
        extend.get_by_text("Extend for a student").click()
        extend.get_by_label("Student").select_option(label="Ana Student")
        extend.get_by_label("New due date (UTC)").fill("2030-01-22T17:00")
        extend.get_by_role("button", name="Extend").click()
        expect(teacher.get_by_role("status")).to_have_text(
            "Ana Student now has until 2030-01-22 17:00 UTC."
        )
        expect(teacher.locator("table.assignments .extension")).to_contain_text("Ana Student")
        teacher.screenshot(path=str(ARTIFACTS / "teach-class-light.png"), full_page=True)
        class_url = teacher.url
        state = teacher.context.storage_state()

    with browsing(browser, server, color_scheme="dark", storage_state=state) as dark:
        dark.goto(class_url)
        expect(dark.locator("table.roster")).to_contain_text("Ana Student")
        dark.screenshot(path=str(ARTIFACTS / "teach-class-dark.png"), full_page=True)
        dark.goto("/teach/")
        dark.screenshot(path=str(ARTIFACTS / "teach-dashboard-dark.png"), full_page=True)
