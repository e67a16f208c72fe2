"""Exact links and reloads in Chromium: a link made after everything that once broke a
replayed link (an update stepped through before training, a learning-rate change in
the middle of training, 60 epochs) opens in a fresh browser on the same numbers; a
reload resumes the lab; a link that cannot be restored says so and changes nothing."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pagekit import LAB_SOURCES, PageWatch
from playwright.sync_api import Browser, Locator, Page, expect

FEED = "section.lab[data-lab='feed']"  # lesson 2's lab: it offers the learning rate
WALK = "section.lab[data-lab='cell-walk']"  # lesson 4's: the cell of a chosen unit
SLOW = 60_000


def sources(page: Page, selector: str) -> dict[str, dict[str, list[Any]]]:
    """Every named source of a lab, once nothing glides to new values (tween.js)."""
    page.wait_for_function("s => !document.querySelector(s).figures.moving()", arg=selector)
    return page.evaluate(LAB_SOURCES, selector)  # type: ignore[no-any-return]


def readout(lab: Locator) -> dict[str, str]:
    cells = lab.locator(".lab-readout dd")
    return {str(cell.get_attribute("data-readout")): cell.inner_text() for cell in cells.all()}


def ready(lab: Locator) -> None:
    expect(lab.locator("[data-readout=status]")).to_have_text("Ready", timeout=SLOW)


def train(lab: Locator, epochs: int) -> None:
    """Press "Train 1 epoch" ``epochs`` times, each once the last has shown its epoch."""
    shown = lab.locator("[data-readout=epoch]")
    for _ in range(epochs):
        now = int(shown.inner_text())
        lab.locator("[data-action=train]").click()
        expect(shown).to_have_text(str(now + 1), timeout=SLOW)
    ready(lab)


def set_learning_rate(lab: Locator, log10: float) -> None:
    changed = "(el, v) => { el.value = String(v); el.dispatchEvent(new Event('change', {bubbles: true})); }"  # noqa: E501
    lab.locator("[data-config=learning_rate]").evaluate(changed, log10)
    expect(lab.locator("[data-readout=config]")).to_contain_text(
        "Changed the learning rate", timeout=SLOW
    )


def fresh(browser: Browser, server: str) -> tuple[Any, Page, PageWatch]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server)
    page = context.new_page()
    return context, page, PageWatch(page, server)


@pytest.mark.browser
def test_a_link_after_an_update_step_an_lr_change_and_60_epochs_restores_every_number(
    page: Page, browser: Browser, server: str
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/lessons/data")
    lab = page.locator(FEED)
    ready(lab)
    lab.locator("[data-control=granularity]").select_option("compute")
    lab.locator("[data-control=phase]").select_option("update")  # before any training
    expect(lab.locator("[data-readout=phase]")).to_have_text("update", timeout=SLOW)
    for _ in range(4):  # ΔW of the three layers and the readout, then past it: applied
        lab.locator("[data-action=step]").click()
    expect(lab.locator("[data-readout=phase]")).to_have_text("forward", timeout=SLOW)
    train(lab, 30)
    set_learning_rate(lab, -1.5)  # 0.01 → 0.032, the weights kept
    train(lab, 30)
    lab.locator("[data-control=granularity]").select_option("timestep")
    lab.locator("[data-control=phase]").select_option("forward")
    expect(lab).to_have_attribute("data-position", "0", timeout=SLOW)
    for _ in range(3):
        lab.locator("[data-action=step]").click()
    expect(lab.locator("[data-readout=t]")).to_have_text("3 of 15", timeout=SLOW)
    ready(lab)
    lab.locator(".share-button").click()
    expect(lab.locator("[data-readout=status]")).to_have_text("Link copied", timeout=SLOW)
    url = lab.locator(".share-link").input_value()
    assert page.evaluate("navigator.clipboard.readText()") == url and page.url == url
    params = parse_qs(urlsplit(url).fragment)
    assert params.keys() == {"lab", "snap"} and len(params["snap"][0]) == 43  # short
    before, drawn = readout(lab), sources(page, FEED)
    assert before["epoch"] == "60" and before["loss"] != "–"

    context, other, watch = fresh(browser, server)
    try:
        other.goto(url)
        shared = other.locator(FEED)
        ready(shared)
        expect(shared.locator("[data-readout=kept]")).to_have_text(
            "Opened the shared lab exactly as it was shared: epoch 60."
        )
        assert readout(shared) == before
        expect(shared.locator("[data-config-value=learning_rate]")).to_have_text("0.032")
        restored = sources(other, FEED)
        assert restored.keys() == drawn.keys()
        for name in drawn:
            assert restored[name] == drawn[name], f"source {name} differs"
    finally:
        context.close()
    assert not watch.problems, "\n".join(watch.problems)


@pytest.mark.browser
def test_a_reload_resumes_the_lab_where_the_learner_left_it(page: Page) -> None:
    page.goto("/lessons/lstm-cell")
    lab = page.locator(WALK)
    ready(lab)
    train(lab, 2)
    lab.locator("[data-control=phase]").select_option("forward")
    expect(lab).to_have_attribute("data-position", "0", timeout=SLOW)
    for _ in range(5):
        lab.locator("[data-action=step]").click()
    expect(lab).to_have_attribute("data-position", "5", timeout=SLOW)
    lab.locator("[data-control=unit]").fill("3")
    lab.locator("[data-control=unit]").dispatch_event("change")
    expect(lab.locator("[data-arith-heading]")).to_contain_text("Unit 3 of", timeout=SLOW)
    ready(lab)
    before, drawn = readout(lab), sources(page, WALK)

    page.reload()
    ready(lab)
    expect(lab.locator("[data-readout=kept]")).to_have_text(
        "Resumed where you left off: epoch 2. Reset starts afresh."
    )
    expect(lab).to_have_attribute("data-position", "5")
    assert readout(lab) == before
    expect(lab.locator("[data-control=unit]")).to_have_value("3")
    restored = sources(page, WALK)
    for name in drawn:
        assert restored[name] == drawn[name], f"source {name} differs"
    # …and Reset starts afresh, which a reload then keeps.
    lab.locator("[data-action=reset]").click()
    expect(lab.locator("[data-readout=epoch]")).to_have_text("0", timeout=SLOW)
    page.reload()
    ready(lab)
    expect(lab.locator("[data-readout=epoch]")).to_have_text("0")


@pytest.mark.browser
def test_a_link_that_cannot_be_restored_says_why_and_opens_the_learners_own_lab(
    page: Page,
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/lessons/lstm-cell")
    walk = page.locator(WALK)
    ready(walk)
    train(walk, 1)
    walk.locator(".share-button").click()
    expect(walk.locator("[data-readout=status]")).to_have_text("Link copied", timeout=SLOW)
    key = parse_qs(urlsplit(walk.locator(".share-link").input_value()).fragment)["snap"][0]

    # Another lesson's lab link, pasted onto lesson 2's lab: foreign.
    page.goto(f"/lessons/data#lab=feed&snap={key}")
    feed = page.locator(FEED)
    ready(feed)
    expect(feed.locator("[data-readout=kept]")).to_have_text(
        "Could not restore this link: This link is for another lab ('cell-walk' of lesson "
        "'lstm-cell'), not this one. Below is the lesson's own lab."
    )
    expect(feed.locator("[data-readout=epoch]")).to_have_text("0")

    # A code no lab was kept under, on the learner's own trained lab: it stays as it was.
    page.goto(f"/lessons/lstm-cell#lab=cell-walk&snap={'A' * 43}")
    ready(walk)
    expect(walk.locator("[data-readout=kept]")).to_contain_text(
        "Could not restore this link: This link's lab is not kept on this server"
    )
    expect(walk.locator("[data-readout=kept]")).to_contain_text(
        "Below is your own lab, as you left it."
    )
    expect(walk.locator("[data-readout=epoch]")).to_have_text("1")
