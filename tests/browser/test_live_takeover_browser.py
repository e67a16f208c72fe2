"""Taking over a live session in Chromium: Ada presents her class's session, Sam follows;
Grace, her co-teacher, takes it over from the class page (Ada's laptop "died"), steps
on, and Sam follows without a gap; Ada's page says Grace has taken over, stops
presenting (no controls, the lab still following) and offers to take it back."""

from __future__ import annotations

import re

import pytest
from pagekit import ARTIFACTS, browsing, sign_in
from playwright.sync_api import Browser, Page, expect
from servers import create_instructor

ADA, GRACE, PASSWORD = "ada.takeover@example.org", "grace.takeover@example.org", "a long password"
LAB = 'section.lab[data-lab="cell-walk"]'
SLOW = 90000  # the first session compiles the lab; the machine may be busy


def at_seq(seq: int, *pages: Page) -> None:
    for page in pages:
        expect(page.locator("article.lesson")).to_have_attribute(
            "data-live-seq", str(seq), timeout=SLOW
        )


@pytest.mark.browser
def test_a_co_teacher_takes_over_from_the_class_page(
    browser: Browser, server: str, server_database: str
) -> None:
    env = {"UNROLLED_DATABASE_URL": server_database}
    create_instructor(env, ADA, PASSWORD, "Ada Lovelace")
    create_instructor(env, GRACE, PASSWORD, "Grace Hopper")
    with (
        browsing(browser, server) as ada,
        browsing(browser, server) as grace,
        browsing(browser, server) as sam,
    ):
        for page in (ada, grace, sam):
            page.set_default_timeout(SLOW)
        sign_in(ada, ADA, PASSWORD)
        ada.get_by_label("New class").fill("Takeover class")
        ada.get_by_role("button", name="Create class").click()
        class_page = ada.url
        ada.get_by_label("Instructor's e-mail").fill(GRACE)
        ada.get_by_role("button", name="Add co-teacher").click()
        expect(ada.locator(f'[data-co-teacher="{GRACE}"]')).to_be_visible()
        ada.locator("#live select[name=lab]").select_option("lstm-cell/cell-walk")
        ada.get_by_label("Who may join").select_option("open")
        ada.get_by_role("button", name="Start a live session").click()
        expect(ada).to_have_url(re.compile(r"/live/[A-Z0-9]{6}/present$"))
        expect(ada.locator("article.lesson")).to_have_attribute("data-live-joined", "true")
        code = ada.url.split("/")[-2]

        sam.goto(f"/live/{code}")
        sam.get_by_label("Your name for this session").fill("Sam")
        sam.get_by_role("button", name="Join").click()
        expect(sam.locator("article.lesson")).to_have_attribute("data-live-joined", "true")
        ada.locator(LAB).get_by_role("button", name="Step ▸").click()
        at_seq(1, ada, sam)

        # Grace, on the class page: who presents, and a button to take over
        sign_in(grace, GRACE, PASSWORD)
        grace.goto(class_page)
        row = grace.locator(f'tr[data-live="{code}"]')
        expect(row.locator("[data-presenter]")).to_have_text("Ada Lovelace presents")
        grace.screenshot(path=str(ARTIFACTS / "live-takeover-class-page.png"), full_page=True)
        row.get_by_role("button", name=f"Take over session {code} from Ada Lovelace").click()
        expect(grace).to_have_url(re.compile(f"/live/{code}/present$"))
        expect(grace.locator("article.lesson")).to_have_attribute("data-live-joined", "true")
        expect(grace.locator('[data-role="live-status"]')).to_have_text("You are presenting.")
        at_seq(2, grace, sam, ada)

        # Ada's page is told, stops presenting, keeps following, and may take it back
        status = ada.locator('[data-role="live-status"]')
        expect(status).to_have_text(
            "Grace Hopper has taken over. You are no longer presenting.", timeout=SLOW
        )
        expect(ada.get_by_role("button", name="End session")).to_be_hidden()
        expect(ada.locator(LAB).get_by_role("button", name="Step ▸")).to_be_disabled()
        expect(ada.get_by_role("link", name="Take the session back")).to_be_visible()

        grace.locator(LAB).get_by_role("button", name="Step ▸").click()
        at_seq(3, grace, sam, ada)
        position = grace.locator(f'{LAB} [data-readout="step"]').inner_text()
        for page in (sam, ada):
            expect(page.locator(f'{LAB} [data-readout="step"]')).to_have_text(position)
        expect(sam.locator('[data-role="live-status"]')).to_have_text("Following the class.")
        ada.screenshot(path=str(ARTIFACTS / "live-takeover-old-presenter.png"))

        ada.get_by_role("link", name="Take the session back").click()
        expect(ada.get_by_role("heading", level=1)).to_have_text("Grace Hopper is presenting")
        ada.screenshot(path=str(ARTIFACTS / "live-takeover-page.png"))
