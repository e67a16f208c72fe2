"""The ``/// tour`` block: a lesson's onboarding tour, driven by driver.js.

Its body is a YAML list of steps. Each step has a ``title``, a ``text`` (markdown,
maths allowed) and one target: a part of a widget of this lesson (``lab``,
``playground``, ``quiz`` or ``predict`` with an id, and for labs and playgrounds
an optional ``part``; ``task`` too), a part of the ``page``, or a raw CSS ``element``::

    /// tour
    - lab: cell-walk
      part: step
      title: Step
      text: One press computes one quantity of the cell.
    - quiz: forget-gate
      title: Check yourself
      text: Answer here; your first answer counts.
    ///

Targets of our own widgets are checked when the lesson loads (an unknown lab, a
view the lab does not show, a control the playground hides), so a tour cannot
point at nothing.
"""

from __future__ import annotations

import xml.etree.ElementTree as etree
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from pymdownx.blocks.block import Block

from course.lessons.errors import LessonError

MAX_STEPS = 12
KINDS = ("lab", "playground", "quiz", "predict", "task", "page", "element")
# Parts of a lab (section#lab-<id>), as CSS inside it; views are added from the spec.
LAB_PARTS = {
    "controls": ".lab-controls",
    "step": '[data-action="step"]',
    "granularity": '[data-control="granularity"]',
    "phase": '[data-control="phase"]',
    "play": '[data-action="play"]',
    "speed": '[data-control="speed"]',
    "train": '[data-action="train"]',
    "reset": '[data-action="reset"]',
    "readout": ".lab-readout",
    "explain": ".lab-explain",
    "status": ".lab-status",
    "share": ".share-button",
    "help": '[data-action="help"]',
    "settings": ".lab-settings",
}
LAB_VIEWS = {"heatmap": "cell"}  # a view shown with another one
PLAYGROUND_PARTS = {
    "controls": ".pg-controls",
    "toolbar": ".pg-toolbar",
    "step": '[data-action="step"]',
    "run": '[data-action="run"]',
    "reset": '[data-action="reset"]',
    "formula": ".pg-formula",
    "diagram": ".pg-diagram",
    "series": ".pg-series",
    "time": ".pg-time",
}
TASK_PARTS = {
    "train": '[data-action="train"]',
    "epochs": '[data-control="epochs"]',
    "stats": ".tk-stats",
    "ask": ".tk-ask",
}
PAGE_PARTS = {
    "title": "article.lesson h1",
    "objectives": "section.objectives",
    "tour": ".tour-button",
}


class TourError(LessonError):
    """A tour that cannot be shown as written (a LessonError once loaded)."""


@dataclass(frozen=True)
class TourStep:
    title: str  # plain text
    text: str  # sanitised HTML
    kind: str  # one of KINDS
    target: str  # the widget id, page part or CSS selector
    part: str | None = None

    def public(self, selector: str) -> dict[str, str]:
        return {"element": selector, "title": self.title, "text": self.text}


def parse_steps(body: str, render: Callable[[str], str]) -> tuple[TourStep, ...]:
    """The steps of a tour block's raw body; TourError on anything unexpected."""
    try:
        steps = yaml.safe_load(body)
    except yaml.YAMLError as error:
        raise TourError(f"tour: not valid YAML: {error}") from None
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
        raise TourError(f"tour: give a list of 1–{MAX_STEPS} steps")
    return tuple(_parse_step(n, raw, render) for n, raw in enumerate(steps, 1))


def _parse_step(number: int, raw: Any, render: Callable[[str], str]) -> TourStep:
    where = f"tour step {number}"
    if not isinstance(raw, dict):
        raise TourError(f"{where}: a step is a mapping with title, text and a target")
    unknown = sorted(set(raw) - {"title", "text", "part", *KINDS})
    if unknown:
        raise TourError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}")
    for key in ("title", "text"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise TourError(f"{where}: {key} must be non-empty text")
    kinds = [k for k in KINDS if k in raw]
    if len(kinds) != 1 or not isinstance(raw[kinds[0]], str | int):
        raise TourError(f"{where}: give exactly one target of {', '.join(KINDS)}")
    part = raw.get("part")
    if part is not None and (
        kinds[0] not in ("lab", "playground", "task") or not isinstance(part, str)
    ):
        raise TourError(f"{where}: part applies to a lab, a playground or a task")
    return TourStep(
        title=raw["title"].strip(),
        text=render(raw["text"]),
        kind=kinds[0],
        target=str(raw[kinds[0]]).strip(),
        part=part,
    )


def selector(
    step: TourStep,
    labs: Mapping[str, Any],
    playgrounds: Mapping[str, Any],
    quizzes: Mapping[str, Any],
    predicts: Mapping[str, Any],
    tasks: Mapping[str, Any] | None = None,
) -> str:
    """The CSS selector of a step's target on the lesson page, checked against the
    lesson's widgets; TourError if it points at something the page will not have."""
    kind, target, part = step.kind, step.target, step.part
    where = f"tour step {step.title!r}"
    if kind == "element":
        if not target or "<" in target or len(target) > 200:
            raise TourError(f"{where}: element must be a CSS selector")
        return target
    if kind == "page":
        if target not in PAGE_PARTS:
            raise TourError(f"{where}: page part must be one of {sorted(PAGE_PARTS)}")
        return PAGE_PARTS[target]
    found = {
        "lab": labs,
        "playground": playgrounds,
        "quiz": quizzes,
        "predict": predicts,
        "task": tasks or {},
    }[kind]
    if target not in found:
        raise TourError(f"{where}: this lesson has no {kind} {target!r}")
    root = f"#{kind}-{target}"
    if part is None:
        return root
    if kind == "task":
        if part not in TASK_PARTS:
            raise TourError(f"{where}: a task's part is one of {sorted(TASK_PARTS)}")
        return f"{root} {TASK_PARTS[part]}"
    if kind == "lab":
        views = found[target].views
        if part in LAB_PARTS:
            return f"{root} {LAB_PARTS[part]}"
        if (part in views) or (LAB_VIEWS.get(part) in views):
            return f"{root} .view-{part}"
        if part == "unit" and "cell" in views:
            return f'{root} [data-control="unit"]'
        known = sorted({*LAB_PARTS, *views, *(k for k, v in LAB_VIEWS.items() if v in views)})
        raise TourError(f"{where}: lab {target!r} has no part {part!r} (one of {known})")
    controls = found[target].controls
    if part in PLAYGROUND_PARTS:
        return f"{root} {PLAYGROUND_PARTS[part]}"
    if part in controls:
        return f'{root} [data-control="{part}"]'
    known = sorted({*PLAYGROUND_PARTS, *controls})
    raise TourError(f"{where}: playground {target!r} has no part {part!r} (one of {known})")


class TourBlock(Block):
    """Config: ``found`` (its ``tour`` set to this block's steps) and ``render``."""

    NAME = "tour"
    ARGUMENT = False
    OPTIONS: dict[str, Any] = {}

    def on_markdown(self) -> str:
        return "raw"

    def on_validate(self, parent: etree.Element) -> bool:
        if self.config["found"].tour is not None:
            raise TourError("a lesson has one tour block")
        return True

    def on_create(self, parent: etree.Element) -> etree.Element:
        return etree.SubElement(parent, "div", {"class": "tour-slot"})

    def on_end(self, block: etree.Element) -> None:
        body = str(block.text or "")
        block.text = None
        self.config["found"].tour = parse_steps(body, self.config["render"])
