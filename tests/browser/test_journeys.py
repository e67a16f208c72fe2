"""A newcomer's first minutes in each module, in Chromium: the tour starts by itself and
the keys walk through it, the first widget answers the first thing they do with every one
of its views, a prediction is committed before its observation shows, and nothing on the
page complains."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pagekit import ARTIFACTS, POPOVER, settle
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from course.lessons.registry import LessonRegistry

REGISTRY = LessonRegistry.load("lessons")
LESSONS = [slug for slug, lesson in REGISTRY.lessons.items() if lesson.tour]
WIDGETS = "section.lab, section.playground, section.task"
READY_MS = 60_000  # a widget opens once the server has built its network (slower when busy)
TRAIN_MS = 90_000  # a first train compiles the network
SETTLE_MS = 3_000

# Every Bokeh source of each of a widget's figures, by figure role: the documents the
# widget embedded (each slot names its root), so another widget's sources never answer.
VIEWS = """selector => {
  const plain = (key, value) => (ArrayBuffer.isView(value) ? Array.from(value) : value);
  const views = {};
  const slots = document.querySelector(selector).querySelectorAll("[data-figure][data-root-id]");
  for (const slot of slots) {
    const doc = Bokeh.documents.find((d) => d.get_model_by_id(slot.dataset.rootId));
    const sources = {};
    for (const model of doc?.all_models ?? []) {
      if (model.type !== "ColumnDataSource") continue;
      sources[model.name ?? model.id] = JSON.stringify(model.data, plain);
    }
    views[slot.dataset.figure] = sources;
  }
  return views;
}"""

# The roles whose sources all still hold what `before` recorded.
UNCHANGED = f"""([selector, before]) => {{
  const now = ({VIEWS})(selector);
  return Object.keys(before).filter(
    (role) => Object.entries(before[role]).every(([name, data]) => now[role]?.[name] === data),
  );
}}"""

Views = dict[str, dict[str, str]]


def take_the_tour(page: Page, slug: str) -> None:
    """The tour opens by itself; → walks it to the end, step by step, and closes it."""
    steps = REGISTRY.get(slug).tour
    popover = page.locator(POPOVER)
    expect(popover).to_be_visible(timeout=READY_MS)
    for number, step in enumerate(steps, 1):
        expect(popover.locator(".driver-popover-title")).to_have_text(step["title"])
        expect(popover.locator(".driver-popover-progress-text")).to_have_text(
            f"{number} of {len(steps)}"
        )
        settle(page)
        page.keyboard.press("ArrowRight")
    expect(popover).to_have_count(0)
    expect(page.locator(".tour-button")).to_be_focused()


def views(widget: Locator) -> Views:
    return widget.page.evaluate(VIEWS, selector(widget))


def selector(widget: Locator) -> str:
    return f"#{widget.get_attribute('id')}"


def unchanged(widget: Locator, before: Views) -> list[str]:
    """The figures of ``widget`` none of whose sources has moved from ``before``. An ack
    paints its sources before the widget shows what it did (only a retrained prediction
    glides there), so the wait is short: it only runs out for a view that stays put."""
    try:
        widget.page.wait_for_function(
            f"args => ({UNCHANGED})(args).length === 0",
            arg=[selector(widget), before],
            timeout=SETTLE_MS,
        )
        return []
    except PlaywrightTimeoutError:
        return widget.page.evaluate(UNCHANGED, [selector(widget), before])


def step(widget: Locator) -> None:
    """Press Step and wait for the widget to show the new position."""
    attribute = "data-t" if widget.get_attribute("data-lab") is None else "data-position"
    before = widget.get_attribute(attribute) or ""
    widget.locator("[data-action=step]").click()
    expect(widget).not_to_have_attribute(attribute, before)


def step_a_few_times(widget: Locator) -> None:
    for _ in range(3):
        step(widget)


def train(widget: Locator) -> None:
    """One press of Train (a lab: one epoch; a task: the epochs it offers first)."""
    epoch = widget.locator("[data-readout=epoch]")
    before = epoch.inner_text()
    widget.locator("[data-action=train]").click()
    expect(epoch).not_to_have_text(before, timeout=TRAIN_MS)
    expect(widget.locator("[data-action=train]")).to_be_enabled(timeout=TRAIN_MS)


def walk_a_letter(widget: Locator) -> None:
    """A letter through the cell (lesson 5's walk): on to the first character's softmax."""
    widget.locator("[data-action='walk:next_char']").click()
    expect(widget.locator("[data-action='walk:start']")).to_be_enabled(timeout=TRAIN_MS)


def step_into_the_backward_pass(widget: Locator) -> None:
    widget.locator("select[data-control=phase]").select_option("backward")
    expect(widget.locator("[data-readout=phase]")).to_have_text("backward")
    step(widget)


# What a newcomer does first, in order, with what each needs on the widget. Each runs
# only while some view has not moved yet. Stepping moves most views (a lab stepping one
# compute step at a time stays inside one time step, so its sequence plot's cursor waits);
# the loss curve has one point per epoch and a lab's prediction follows the weights, so
# training moves those; the gradient view is empty until the backward pass (and training
# ends back at the start of the forward pass), so only stepping through that pass fills it;
# a letter walk's views fill as a character goes through the cell.
MOVES: list[tuple[str, str, Callable[[Locator], None]]] = [
    ("stepping", "[data-action=step]", step_a_few_times),
    ("training", "[data-action=train]", train),
    ("stepping into the backward pass", "select[data-control=phase]", step_into_the_backward_pass),
    ("walking a letter through the cell", "[data-action='walk:next_char']", walk_a_letter),
]


def every_view_answers(widget: Locator) -> None:
    """What a newcomer does first, until every figure of the widget has shown it."""
    still = list(views(widget))
    assert still, "the widget drew no figures"
    tried = []
    for name, needs, move in MOVES:
        if not still or not widget.locator(needs).count():
            continue
        before = views(widget)
        move(widget)
        tried.append(name)
        moved = set(still) - set(unchanged(widget, {role: before[role] for role in still}))
        still = [role for role in still if role not in moved]
    assert not still, f"the figures {still} did not change after {', '.join(tried)}"


def predict(page: Page) -> None:
    """The first predict-then-observe block: the observation only follows a committed guess."""
    block = page.locator("section.predict").first
    block.scroll_into_view_if_needed()
    observe = block.locator('[data-role="observe"]')
    commit = block.get_by_role("button", name="Commit my guess")
    expect(observe).to_be_hidden()
    expect(observe).not_to_contain_text("What you should see")
    commit.click()  # too eager: no guess yet
    expect(block.locator('[data-role="status"]')).to_contain_text("first")
    expect(observe).to_be_hidden()
    if block.get_attribute("data-kind") == "choice":
        block.locator(".predict-choice").first.click()
    else:
        block.locator('input[name="guess"]').fill("0.5")
    commit.click()
    expect(observe).to_be_visible()
    expect(observe).to_contain_text("What you should see")
    expect(block.locator('[data-role="status"]')).to_have_text(
        "Your guess is in. Now watch the network."
    )
    expect(block.locator('input[name="guess"]').first).to_be_disabled()


@pytest.mark.browser
@pytest.mark.parametrize("slug", LESSONS)
def test_a_newcomers_journey(newcomer: Page, slug: str) -> None:
    page = newcomer
    page.goto(f"/lessons/{slug}")
    take_the_tour(page, slug)

    widget = page.locator(WIDGETS).first
    expect(widget.locator("[data-readout=status]")).to_have_text("Ready", timeout=READY_MS)
    widget.scroll_into_view_if_needed()
    every_view_answers(widget)

    predict(page)

    widget.screenshot(path=str(ARTIFACTS / f"journey-{slug}.png"))  # the views, as left
