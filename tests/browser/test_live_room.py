"""The presenter's room in Chromium: the presenter trains the class's network, asks for
a wider one, is asked to confirm (the dialog says what is lost), keeps it once, then
replaces it; both students (one on a phone) follow. The poll panel leaves the phone's
lab uncovered; the projector shows the join address, its QR code and the lab at
1920×1080 and 1280×720; the session record lists what happened."""

from __future__ import annotations

from pagekit import ARTIFACTS, browsing, start_session
from playwright.sync_api import Browser, Page, expect
from servers import create_instructor

EMAIL, PASSWORD = "room@example.org", "a presenter's password"
LAB = 'section.lab[data-lab="cell-walk"]'
HIDDEN = "Hidden size: units per layer"
SLOW = 90000  # a new shape compiles; the machine may be busy


def join(student: Page, code: str, name: str) -> None:
    student.goto(f"/live/{code}")
    student.get_by_label("Your name for this session").fill(name)
    student.get_by_role("button", name="Join").click()
    expect(student.locator("article.lesson")).to_have_attribute(
        "data-live-joined", "true", timeout=SLOW
    )


def at_seq(seq: int, *pages: Page) -> None:
    for page in pages:
        expect(page.locator("article.lesson")).to_have_attribute(
            "data-live-seq", str(seq), timeout=SLOW
        )


def units(page: Page) -> int:
    return page.evaluate(
        "(s) => new Set(document.querySelector(s).figures.source('cell_heatmap').data.unit).size",
        LAB,
    )


def uncovered(page: Page, selector: str) -> bool:
    """Whether what the page shows at the middle of ``selector``'s visible part is in it."""
    return page.evaluate(
        """(selector) => {
            const el = document.querySelector(selector);
            const box = el.getBoundingClientRect();
            const top = Math.max(box.top, 0), bottom = Math.min(box.bottom, innerHeight);
            const hit = document.elementFromPoint(box.left + box.width / 2, (top + bottom) / 2);
            return bottom > top && el.contains(hit);
        }""",
        selector,
    )


def test_the_presenter_confirms_a_wider_network_and_the_class_follows(
    browser: Browser, server: str, server_database: str
) -> None:
    create_instructor({"UNROLLED_DATABASE_URL": server_database}, EMAIL, PASSWORD, "Ms Room")
    with (
        browsing(browser, server) as teacher,
        browsing(browser, server) as ana,
        browsing(browser, server) as ben,
    ):
        ben.set_viewport_size({"width": 390, "height": 844})  # a phone
        for page in (teacher, ana, ben):
            page.set_default_timeout(SLOW)  # the machine may be busy: wait on states, long
        code = start_session(teacher, EMAIL, PASSWORD, class_name="Room class", timeout=SLOW)
        join(ana, code, "Ana")
        join(ben, code, "Ben")
        teacher.locator(LAB).get_by_role("button", name="Train 1 epoch").click()
        at_seq(1, teacher, ana, ben)

        hidden = teacher.locator(LAB).get_by_label(HIDDEN)
        dialog = teacher.locator('[data-role="confirm"]')
        hidden.select_option("8")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("1 epoch of training")
        expect(dialog).to_contain_text("for everyone following")
        teacher.screenshot(path=str(ARTIFACTS / "live-room-confirm.png"))
        dialog.get_by_role("button", name="Keep the network").click()
        expect(dialog).to_be_hidden()
        expect(hidden).to_have_value("16")  # the control says what the network still is
        expect(teacher.locator(f'{LAB} [data-readout="epoch"]')).to_have_text("1")

        hidden.select_option("8")
        dialog.get_by_role("button", name="Replace it for everyone").click()
        at_seq(2, teacher, ana, ben)  # nothing was sent when the presenter kept it
        for page in (teacher, ana, ben):
            expect(page.locator(f'{LAB} [data-readout="config"]')).to_contain_text("× 8 units")
            expect(page.locator(f'{LAB} [data-readout="epoch"]')).to_have_text("0")
            assert units(page) == 8

        # a poll on a phone: the panel stays at the top, the lab below it is not covered
        teacher.locator('[data-role="poll-pick"]').select_option("forget-gate")
        teacher.get_by_role("button", name="Open").click()
        expect(ben.locator('[data-role="poll"]')).to_be_visible()
        ben.locator(f"{LAB} .view-cell").scroll_into_view_if_needed()
        assert uncovered(ben, f"{LAB} .view-cell")
        ben.locator(f'{LAB} [data-readout="epoch"]').scroll_into_view_if_needed()
        assert uncovered(ben, f'{LAB} [data-readout="epoch"]')
        ben.screenshot(path=str(ARTIFACTS / "live-room-phone-poll.png"))

        for width, height in ((1920, 1080), (1280, 720)):
            with browsing(browser, server) as screen:
                screen.set_viewport_size({"width": width, "height": height})
                screen.set_default_timeout(SLOW)
                screen.goto(f"/live/{code}/projector")
                lesson = screen.locator("article.lesson")
                expect(lesson).to_have_attribute("data-live-seq", "3", timeout=SLOW)
                screen.screenshot(path=str(ARTIFACTS / f"live-room-projector-{width}.png"))
                join_url = screen.locator('[data-role="join-url"]')
                expect(join_url).to_have_text(f"{server}/live/{code}")
                qr = screen.locator("svg.live-qr-code")
                box = qr.bounding_box()
                assert box and box["width"] >= 90 and box["y"] >= 0
                assert box["y"] + box["height"] <= height  # in view, not scrolled away
                assert screen.evaluate("scrollY") == 0
                cell = screen.locator(f"{LAB} .view-cell").bounding_box()
                assert cell and cell["y"] < height * 0.6  # the lab starts on the first screen
                assert cell["x"] + cell["width"] <= width
                expect(screen.locator(".lesson > .objectives")).to_be_hidden()  # the lab alone
                assert units(screen) == 8

        with teacher.context.expect_page() as opened:
            teacher.get_by_role("link", name="Session record").click()
        record = opened.value
        expect(record.locator(".live-timeline")).to_contain_text("Changed hidden 16 → 8")
        expect(record.locator(".live-timeline")).to_contain_text("Ana (guest) joined")
        expect(record.locator(".live-timeline")).to_contain_text("Trained 1 epoch")
        record.screenshot(path=str(ARTIFACTS / "live-room-record.png"), full_page=True)
