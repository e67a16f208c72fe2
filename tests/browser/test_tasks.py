"""A learner in Chromium on module 5: trains the text, sentiment and translation networks,
generates text, analyses a sentence and translates a date under its attention heatmap;
screenshots in light and dark."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from pagekit import ARTIFACTS
from pagekit import task_widget as task
from pagekit import train_task as train
from pagekit import widget_source as source
from playwright.sync_api import Locator, Page, expect

LESSON = "/lessons/tasks"


def wait_for(
    widget: Locator, name: str, test: Callable[[dict[str, list[Any]]], bool]
) -> dict[str, list[Any]]:
    """The source once ``test`` holds for it (an ack may still be on its way)."""
    deadline = time.monotonic() + 15
    while not test(data := source(widget, name)):
        assert time.monotonic() < deadline, (name, data)
        widget.page.wait_for_timeout(100)
    return data


@pytest.mark.browser
def test_a_learner_trains_generates_analyses_and_translates(page: Page) -> None:
    page.goto(LESSON)
    abab = task(page, "abab")
    probs = source(abab, "tk_probs")
    assert probs["char"] == ["a", "b"] and abs(probs["p"][0] - probs["p"][1]) < 0.2
    train(abab, "5")
    assert source(abab, "tk_probs")["p"][0] > 0.999  # "a" after "abab"
    expect(abab.locator("[data-readout=next]")).to_contain_text("“a” with p = 1.000")
    assert len(source(abab, "tk_loss")["loss"]) == 5
    abab.locator("input[data-control=prefix]").fill("ab")
    abab.locator("form[data-action=generate] button[type=submit]").click()
    expect(abab).to_have_attribute("data-generated", "ab" * 50)
    expect(abab.locator("[data-readout=generated]")).to_have_text("ab" * 50)
    abab.screenshot(path=str(ARTIFACTS / "task-abab-light.png"))

    lorem = task(page, "lorem")
    train(lorem, "10")
    slider = lorem.locator("input[data-control=temperature]")
    slider.focus()
    for _ in range(19):  # 1.00 → 0.05 with the keyboard
        slider.press("ArrowLeft")
    expect(lorem.locator("[data-output=temperature]")).to_have_text("0.05")
    expect(lorem.locator("[data-readout=next]")).to_contain_text("“r”")
    lorem.locator("form[data-action=generate] button[type=submit]").click()
    expect(lorem.locator("[data-readout=generated]")).not_to_be_empty()
    lorem.screenshot(path=str(ARTIFACTS / "task-lorem-light.png"))

    feelings = task(page, "feelings")
    train(feelings, "5")
    expect(feelings).to_have_attribute("data-label", "negative")
    sentence = feelings.locator("input[data-control=sentence]")
    sentence.fill("what a wonderful concert")
    sentence.press("Enter")
    expect(feelings).to_have_attribute("data-label", "positive")
    expect(feelings.locator("[data-readout=label]")).to_contain_text("positive")
    wait_for(
        feelings, "tk_hidden_words", lambda d: d["text"] == ["what", "a", "wonderful", "concert"]
    )
    assert len(source(feelings, "tk_hidden")["value"]) == 4 * 16
    feelings.screenshot(path=str(ARTIFACTS / "task-sentiment-light.png"))

    dates = task(page, "dates")
    train(dates, "2")
    date = dates.locator("input[data-control=date]")
    date.fill("march 25, 2021")
    dates.locator("form[data-action=translate] button[type=submit]").click()
    labels = wait_for(dates, "tk_attention_src", lambda d: d["text"][:5] == list("march"))
    expect(dates).to_have_attribute("data-translation", "2021-03-25")
    attention = source(dates, "tk_attention")
    assert len(attention["value"]) == len("2021-03-25 ") * len("march 25, 2021 ")
    assert labels["text"][-1] == "end"
    assert dates.locator("[data-figure=attention] canvas").count() >= 1
    dates.screenshot(path=str(ARTIFACTS / "task-translation-light.png"))

    page.emulate_media(color_scheme="dark")
    dates.screenshot(path=str(ARTIFACTS / "task-translation-dark.png"))
    feelings.scroll_into_view_if_needed()
    feelings.screenshot(path=str(ARTIFACTS / "task-sentiment-dark.png"))
    page.screenshot(path=str(ARTIFACTS / "lesson-tasks-dark.png"), full_page=True)
    page.emulate_media(color_scheme="light")
    page.screenshot(path=str(ARTIFACTS / "lesson-tasks-light.png"), full_page=True)


@pytest.mark.browser
def test_refusals_show_in_the_status_and_change_nothing(page: Page) -> None:
    page.goto(LESSON)
    dates = task(page, "dates")
    dates.locator("input[data-control=date]").fill("25 märz 2021")
    dates.locator("form[data-action=translate] button[type=submit]").click()
    status = dates.locator("[data-readout=status]")
    expect(status).to_contain_text("vocabulary")
    expect(status).to_have_class("lab-status alarm")
    lorem = task(page, "lorem")
    lorem.locator("summary").filter(has_text="The training text").click()
    lorem.locator("select[data-control=source]").select_option("user")
    lorem.locator("textarea[data-control=own]").fill("Über naïve")
    lorem.locator("[data-action=set_text]").click()
    expect(lorem.locator("[data-readout=status]")).to_contain_text("not allowed")
    lorem.locator("textarea[data-control=own]").fill("The cat sat on the mat.")
    lorem.locator("[data-action=set_text]").click()
    expect(lorem.locator("[data-readout=source]")).to_have_text("your text")
    wait_for(lorem, "tk_probs", lambda d: d["char"] == list("␣.acehmnost"))
