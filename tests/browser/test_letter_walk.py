"""A letter through a cell, in Chromium: a learner steps the start `abab` through the
next-character network of lesson 5 one compute step and one character at a time, checks
a gate by hand, sees the softmax over the characters with its choice, and, trained, the
walk's last softmax is the task's bars. Screenshots on a desktop and a 390 px phone."""

from __future__ import annotations

import pytest
from pagekit import ARTIFACTS, axe_report, axe_violations, task_widget, train_task
from pagekit import widget_source as source
from playwright.sync_api import Locator, Page, expect

LESSON = "/lessons/tasks"


def press(walk: Locator, action: str) -> None:
    walk.locator(f"[data-action='walk:{action}']").click()


def at(walk: Locator, t: int, step: str) -> None:
    expect(walk).to_have_attribute("data-t", str(t), timeout=15_000)
    expect(walk).to_have_attribute("data-step", step, timeout=15_000)


@pytest.mark.browser
def test_a_letter_goes_through_the_cell_and_out_as_a_softmax(page: Page) -> None:
    page.goto(LESSON)
    abab = task_widget(page, "abab")
    walk = abab.locator("[data-walk]")
    at(walk, 0, "x")
    expect(walk.locator("[data-readout=walk-chars]")).to_have_text("abab")
    expect(walk.locator("[data-readout=walk-dims]")).to_have_text("16")
    assert len(source(abab, "lw_input")["value"]) == 16  # x_t = E['a']
    assert source(abab, "lw_scores")["y"] == []  # nothing computed past the input yet

    press(walk, "next")  # the reset gate r, checked by hand
    at(walk, 0, "r")
    row = walk.locator("[data-arith-rows] li[data-name=r]")
    expect(row).to_have_class("current")
    expect(row.locator("[data-term=pre]")).to_have_count(1)
    expect(walk.locator("[data-arith-heading]")).to_contain_text("reading ‘a’ (t = 1)")
    walk.locator("input[data-control=walk-unit]").fill("5")
    walk.locator("input[data-control=walk-unit]").dispatch_event("change")
    expect(walk.locator("[data-arith-heading]")).to_contain_text("Unit 5 of layer 1")

    press(walk, "next_char")  # on to the first character's softmax
    at(walk, 0, "p")
    probs = source(abab, "lw_probs")
    assert probs["char"] == ["a", "b"] and sum(probs["p"]) == pytest.approx(1, abs=1e-6)
    assert all(0.4 < p < 0.6 for p in probs["p"])  # untrained: a coin toss
    expect(walk.locator("[data-readout=walk-choice]")).to_have_text("‘b’")
    assert source(abab, "lw_next")["x"] == [1]  # ▲ under "b", which comes next
    rows = walk.locator("[data-arith-rows] li[data-name=p]")
    expect(rows).to_have_count(1)  # the most likely character is the one that comes next
    press(walk, "next_char")
    at(walk, 1, "p")  # after "ab" it still says "b", but "a" comes next: both are written out
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("probability of ‘a’ (the one that comes next)")
    expect(rows.nth(1).locator("[data-term=value]")).to_have_text(
        f"{source(abab, 'lw_probs')['p'][0]:.3f}"
    )

    train_task(abab, "5")
    at(walk, 1, "p")  # training keeps the walk where it was
    for t in (2, 3):
        press(walk, "next_char")
        at(walk, t, "p")
    walk.scroll_into_view_if_needed()
    walked, bars = source(abab, "lw_probs"), source(abab, "tk_probs")
    assert walked["p"] == pytest.approx(bars["p"], abs=1e-6) and walked["p"][0] > 0.99
    expect(walk.locator("[data-readout=walk-choice]")).to_have_text("‘a’")
    assert source(abab, "lw_guess")["char"] == ["b", "a", "b", "a"]
    walk.screenshot(path=str(ARTIFACTS / "task-letter-walk-light.png"))
    page.emulate_media(color_scheme="dark")
    walk.screenshot(path=str(ARTIFACTS / "task-letter-walk-dark.png"))
    for box in walk.locator("details.figure-tables").all():  # scanned with their tables
        box.evaluate("box => { box.open = true; }")
    found = axe_violations(page)
    assert not found, axe_report(found)
    page.emulate_media(color_scheme="light")
    press(walk, "back")
    at(walk, 3, "y")
    assert source(abab, "lw_probs")["p"] == [0, 0]  # the softmax is not computed yet
    assert len(source(abab, "lw_scores")["y"]) == 2

    page.set_viewport_size({"width": 390, "height": 844})
    press(walk, "start")
    at(walk, 0, "x")
    for _ in range(3):
        press(walk, "next")
    at(walk, 0, "n")
    walk.scroll_into_view_if_needed()
    expect(walk.locator("[data-figure=cell] canvas").first).to_be_visible()
    walk.screenshot(path=str(ARTIFACTS / "task-letter-walk-phone.png"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone: {width}px"
