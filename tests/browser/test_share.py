"""Shareable state in Chromium: a lab's, a task's or a playground's link opens, in a fresh
browser, on the same readout and the same numbers in every view. (A lab's exact links
after what once broke them, reloads and refused links: test_links.py.)"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pagekit import LAB_SOURCES, PageWatch
from playwright.sync_api import Browser, Page, expect

from course.lessons.registry import LessonRegistry
from engine import Lab

LESSON = "/lessons/lstm-cell"
LAB = "section.lab[data-lab='cell-walk']"


def lab_sources(page: Page, selector: str) -> dict[str, dict[str, list]]:
    """Every named source of a lab, once nothing glides to new values (tween.js)."""
    page.wait_for_function("s => !document.querySelector(s).figures.moving()", arg=selector)
    return page.evaluate(LAB_SOURCES, selector)


def readout(page: Page) -> dict[str, str]:
    cells = page.locator(f"{LAB} .lab-readout dd")
    return {str(cell.get_attribute("data-readout")): cell.inner_text() for cell in cells.all()}


def wait_ready(page: Page) -> None:
    expect(page.locator(f"{LAB} [data-readout=status]")).to_have_text("Ready", timeout=60_000)


def fresh_page(browser: Browser, server: str) -> tuple[Any, Page, PageWatch]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server)
    page = context.new_page()
    return context, page, PageWatch(page, server)


@pytest.mark.browser
def test_a_shared_link_restores_the_same_view_in_a_fresh_browser(
    page: Page, browser: Browser, server: str
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(LESSON)
    wait_ready(page)
    lab = page.locator(LAB)
    for epoch in (1, 2):
        lab.locator("[data-action=train]").click()
        expect(lab.locator("[data-readout=epoch]")).to_have_text(str(epoch), timeout=60_000)
    wait_ready(page)
    lab.locator("[data-control=phase]").select_option("forward")  # training ends at validate
    expect(lab).to_have_attribute("data-position", "0")
    for _ in range(5):
        lab.locator("[data-action=step]").click()
    expect(lab).to_have_attribute("data-position", "5")
    lab.locator(".share-button").click()
    expect(lab.locator("[data-readout=status]")).to_have_text("Link copied")
    url = lab.locator(".share-link").input_value()
    assert page.evaluate("navigator.clipboard.readText()") == url
    assert page.url == url  # the address bar holds it too
    params = parse_qs(urlsplit(url).fragment)
    assert params["lab"] == ["cell-walk"] and params.keys() == {"lab", "snap"}  # the kept lab
    before, sources = readout(page), lab_sources(page, LAB)
    assert before["epoch"] == "2" and before["loss"] != "–"

    context, other, watch = fresh_page(browser, server)
    try:
        other.goto(url)
        wait_ready(other)
        expect(other.locator(LAB)).to_have_attribute("data-position", "5")
        assert readout(other) == before
        restored = lab_sources(other, LAB)
        assert restored.keys() == sources.keys()
        for name in sources:
            assert restored[name] == sources[name], f"source {name} differs"
    finally:
        context.close()
    assert not watch.problems, "\n".join(watch.problems)


@pytest.mark.browser
def test_an_old_style_link_still_opens_and_says_it_may_differ(page: Page) -> None:
    spec = LessonRegistry.load("lessons").get("lstm-cell").labs["cell-walk"]
    lab = Lab(replace(spec.config, seed=7))
    lab.train(1)
    lab.position = 3
    frame = lab.frame()
    page.goto(f"{LESSON}#lab=cell-walk&seed=7&epochs=1&pos=3")
    wait_ready(page)
    expect(page.locator(LAB)).to_have_attribute("data-position", "3")
    shown = readout(page)
    assert shown["epoch"] == "1"
    assert float(shown["loss"]) == pytest.approx(frame["loss"], rel=1e-2)
    expect(page.locator(f"{LAB} [data-readout=kept]")).to_contain_text(
        "This is an old-style link: its training was replayed, so these numbers may differ"
    )
    # …and a link that asks for more than the lab has says why it cannot open.
    page.goto(f"{LESSON}#lab=cell-walk&pos=999999")
    page.reload()
    expect(page.locator(f"{LAB} [data-readout=kept]")).to_have_text(
        "Could not restore this link: position must be inside the lab's cycle. "
        "Below is the lesson's own lab.",
        timeout=30_000,
    )
    expect(page.locator(LAB)).to_have_attribute("data-position", "0")


@pytest.mark.browser
def test_a_link_carries_changed_settings_and_the_views_take_their_shape(
    page: Page, browser: Browser, server: str
) -> None:
    feed = "section.lab[data-lab='feed']"
    page.goto("/lessons/data")
    status = page.locator(f"{feed} [data-readout=status]")
    expect(status).to_have_text("Ready", timeout=60_000)
    page.locator(f"{feed} [data-config=dataset]").select_option("sawtooth")
    expect(page.locator(f"{feed} [data-readout=layer]")).to_have_text("1 of 3", timeout=60_000)
    page.locator(f"{feed} [data-config=layers]").evaluate(
        "el => { el.value = '2'; el.dispatchEvent(new Event('change', { bubbles: true })); }"
    )
    expect(page.locator(f"{feed} [data-readout=layer]")).to_have_text("1 of 2", timeout=60_000)
    page.locator(f"{feed} [data-action=train]").click()
    expect(page.locator(f"{feed} [data-readout=epoch]")).to_have_text("1", timeout=60_000)
    page.locator(f"{feed} [data-control=phase]").select_option("forward")  # from validate
    expect(page.locator(f"{feed} [data-readout=phase]")).to_have_text("forward")
    page.locator(f"{feed} [data-action=step]").click()
    expect(page.locator(f"{feed} [data-readout=layer]")).to_have_text("2 of 2")
    page.locator(f"{feed} .share-button").click()
    expect(page.locator(f"{feed} .share-link")).to_have_value(re.compile("snap="), timeout=30_000)
    url = page.locator(f"{feed} .share-link").input_value()
    shown = {
        str(cell.get_attribute("data-readout")): cell.inner_text()
        for cell in page.locator(f"{feed} .lab-readout dd").all()
    }
    sources = lab_sources(page, feed)

    context, other, watch = fresh_page(browser, server)
    try:
        other.goto(url)
        expect(other.locator(f"{feed} [data-readout=status]")).to_have_text("Ready", timeout=60_000)
        expect(other.locator(f"{feed} [data-config=dataset]")).to_have_value("sawtooth")
        assert {
            str(cell.get_attribute("data-readout")): cell.inner_text()
            for cell in other.locator(f"{feed} .lab-readout dd").all()
        } == shown
        restored = lab_sources(other, feed)
        for name in sources:
            assert restored.get(name) == sources[name], f"source {name} differs"
    finally:
        context.close()
    assert not watch.problems, "\n".join(watch.problems)


# Every named source of a task widget's Bokeh documents (each figure has its own).
TASK_SOURCES = """selector => {
  const slots = document.querySelectorAll(`${selector} [data-root-id]`);
  const roots = [...slots].map((slot) => slot.dataset.rootId);
  const out = {};
  for (const doc of Bokeh.documents) {
    if (!roots.some((root) => doc.get_model_by_id(root))) continue;
    for (const model of doc.all_models) {
      if (!model.name || !model.data) continue;
      const columns = {};
      for (const [key, value] of Object.entries(model.data)) columns[key] = Array.from(value);
      out[model.name] = columns;
    }
  }
  return out;
}"""
TASK = "section.task[data-task='lorem']"
TASK_READOUTS = ("epoch", "loss", "score", "asked", "next", "prefix", "generated")


def task_readout(page: Page) -> dict[str, str]:
    return {
        name: page.locator(f"{TASK} [data-readout={name}]").inner_text() for name in TASK_READOUTS
    }


@pytest.mark.browser
def test_a_shared_task_link_retrains_and_shows_the_same_numbers(
    page: Page, browser: Browser, server: str
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/lessons/tasks")
    task = page.locator(TASK)
    status = task.locator("[data-readout=status]")
    expect(status).to_have_text("Ready", timeout=60_000)
    task.locator("select[data-control=epochs]").select_option("2")
    task.locator("[data-action=train]").click()
    expect(status).to_have_text("Trained 2 epochs", timeout=90_000)
    slider = task.locator("input[data-control=temperature]")
    slider.focus()
    for _ in range(8):  # 1.00 → 0.60
        slider.press("ArrowLeft")
    expect(task.locator("[data-output=temperature]")).to_have_text("0.60")
    task.locator("input[data-control=prefix]").fill("dolor sit")
    task.locator("form[data-action=generate] button[type=submit]").click()
    expect(task).to_have_attribute("data-generated", re.compile(".+"))
    expect(status).to_have_text("Ready")
    task.locator(".share-button").click()
    expect(status).to_have_text("Link copied")
    url = task.locator(".share-link").input_value()
    assert page.evaluate("navigator.clipboard.readText()") == url and page.url == url
    params = parse_qs(urlsplit(url).fragment)
    assert params["task"] == ["lorem"] and params["seed"] == ["0"] and params["epochs"] == ["2"]
    assert {"ask", "gen"} <= params.keys() and "cfg" not in params
    before, sources = task_readout(page), page.evaluate(TASK_SOURCES, TASK)
    assert before["epoch"] == "2" and before["generated"] and sources["tk_loss"]["loss"]

    context, other, watch = fresh_page(browser, server)
    try:
        other.goto(url)
        shared = other.locator(TASK)
        expect(shared.locator("[data-readout=status]")).to_have_text("Ready", timeout=90_000)
        expect(shared).to_have_attribute("data-epoch", "2")
        assert task_readout(other) == before
        expect(shared.locator("[data-output=temperature]")).to_have_text("0.60")
        expect(shared.locator("input[data-control=prefix]")).to_have_value("dolor sit")
        restored = other.evaluate(TASK_SOURCES, TASK)
        assert restored.keys() == sources.keys()
        for name in sources:
            assert restored[name] == sources[name], f"source {name} differs"
        # …and a link with a value the server refuses says so and opens a fresh network.
        other.goto(url.replace("epochs=2", "epochs=99"))
        other.reload()
        expect(shared.locator("[data-readout=status]")).to_have_text(
            "Could not open the shared link: epochs must be at most 50", timeout=60_000
        )
        expect(shared).to_have_attribute("data-epoch", "0")
    finally:
        context.close()
    assert not watch.problems, "\n".join(watch.problems)


# -- module 1's playground ---------------------------------------------------------------

PLAYGROUND = "section.playground[data-playground='fibonacci']"  # the one with every control


def playground_controls(page: Page) -> dict[str, str]:
    """What each control of the playground shows: its value and its readout."""
    widget = page.locator(PLAYGROUND)
    shown = {
        str(control.get_attribute("data-control")): control.input_value()
        for control in widget.locator("input[type=range], select").all()
    }
    shown |= {
        f"output {output.get_attribute('data-output')}": output.inner_text()
        for output in widget.locator("output").all()
    }
    shown["scaled"] = str(widget.locator("input[data-control=scaled]").is_checked())
    return shown


def decode(text: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


@pytest.mark.browser
def test_a_shared_playground_link_opens_on_the_same_settings_and_step(
    page: Page, browser: Browser, server: str
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/lessons/why-recurrence")
    widget = page.locator(PLAYGROUND)
    status = widget.locator("[data-readout=status]")
    expect(status).to_have_text("Ready", timeout=30_000)
    slider = widget.locator("input[data-control=w_h]")
    slider.focus()
    for _ in range(10):  # 0.50 → 1.00
        slider.press("ArrowRight")
    expect(widget.locator("[data-output=w_h]")).to_have_text("1.00")
    widget.locator("select[data-control=activation]").select_option("sigmoid")
    widget.locator("select[data-control=sequence]").select_option("linear")
    expect(widget.locator("[data-readout=describe]")).to_contain_text("1, 2, 3")
    for t in range(1, 5):
        widget.locator("[data-action=step]").click()
        expect(widget).to_have_attribute("data-t", str(t))
    widget.locator(".share-button").click()
    expect(status).to_have_text("Link copied")
    url = widget.locator(".share-link").input_value()
    assert page.evaluate("navigator.clipboard.readText()") == url and page.url == url
    params = parse_qs(urlsplit(url).fragment)
    assert params["playground"] == ["fibonacci"] and params["t"] == ["4"]
    assert decode(params["cfg"][0]) == {"w_h": 1, "activation": "sigmoid", "sequence": "linear"}
    before, sources = playground_controls(page), page.evaluate(TASK_SOURCES, PLAYGROUND)
    equation = widget.locator("[data-readout=equation]").inner_text()
    assert sources["pg_h"]["t"] == [0, 1, 2, 3, 4]

    context, other, watch = fresh_page(browser, server)
    try:
        other.goto(url)
        shared = other.locator(PLAYGROUND)
        expect(shared).to_have_attribute("data-t", "4", timeout=30_000)
        expect(shared.locator("[data-readout=status]")).to_have_text("Ready")
        expect(shared).to_be_in_viewport()  # the page opens on the shared playground
        assert playground_controls(other) == before
        assert shared.locator("[data-readout=equation]").inner_text() == equation
        restored = other.evaluate(TASK_SOURCES, PLAYGROUND)
        assert restored.keys() == sources.keys()
        for name in sources:
            assert restored[name] == sources[name], f"source {name} differs"
        # the other playgrounds open as the lesson has them
        expect(other.locator("section.playground[data-playground='sine']")).to_have_attribute(
            "data-t", "0"
        )
    finally:
        context.close()
    assert not watch.problems, "\n".join(watch.problems)


@pytest.mark.browser
@pytest.mark.parametrize(
    ("fragment", "message"),
    [
        ("cfg=eyJ3X3giOjl9&t=2", "w_x must be at most 5.0"),  # {"w_x":9}
        ("cfg=eyJsZW5ndGgiOjV9&t=6", "t must be at most T = 5"),  # {"length":5}
        ("cfg=not-json&t=1", "its settings (cfg) cannot be read"),
    ],
)
def test_a_refused_playground_link_says_why_and_leaves_a_fresh_playground(
    page: Page, fragment: str, message: str
) -> None:
    page.goto(f"/lessons/why-recurrence#playground=fibonacci&{fragment}")
    widget = page.locator(PLAYGROUND)
    expect(widget.locator("[data-readout=status]")).to_have_text(
        f"Could not open the shared link: {message}", timeout=30_000
    )
    expect(widget).to_have_attribute("data-t", "0")
    expect(widget.locator("[data-readout=T]")).to_have_text("10")
    expect(widget.locator("input[data-control=w_x]")).to_have_value("1")
    expect(widget.locator("[data-output=w_x]")).to_have_text("1.00")
    widget.locator("[data-action=step]").click()  # …and it works as the lesson's own
    expect(widget).to_have_attribute("data-t", "1")
    expect(widget.locator("[data-readout=status]")).to_have_text("Ready")
