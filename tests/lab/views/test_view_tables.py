"""Each figure's tables (course/figures/tables.py) name sources and columns the
figure really has, so a renamed column cannot leave a table empty; and a lab's
tables cover every view it draws."""

from __future__ import annotations

import json
from typing import Any

import pytest

from course.lab import views
from course.lessons.registry import LessonRegistry
from course.playground import views as playground_views
from course.tasks import views as task_views

REGISTRY = LessonRegistry.load("lessons")
LABS = [spec for lesson in REGISTRY.lessons.values() for spec in lesson.labs.values()]


def plain(value: Any) -> Any:
    """A tag as the page reads it (views.js ``tags``): Bokeh's maps as dicts."""
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict) and value.get("type") == "map":
        return {k: plain(v) for k, v in value["entries"]}
    return value


def sources_and_tables(item: dict[str, Any]) -> tuple[dict[str, set[str]], list[dict[str, Any]]]:
    """The named sources (their columns) in a figure's JSON, and its root's tables."""
    sources: dict[str, set[str]] = {}
    tables: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("name") == "ColumnDataSource":
                attributes = node["attributes"]
                entries = attributes["data"]["entries"]
                if "name" in attributes:  # an unnamed source is not updated, nor tabled
                    sources[attributes["name"]] = {column for column, _ in entries}
            if node.get("id") == item["root_id"]:
                for tag in plain(node["attributes"].get("tags", [])):
                    found = tag.get("tables") if isinstance(tag, dict) else None
                    if found:
                        tables.extend(found["tables"])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(item["doc"])
    return sources, tables


def needed(table: dict[str, Any]) -> set[str]:
    """The columns a table reads."""
    kind = table["kind"]
    if kind == "columns":
        return {column for column, _ in table["columns"]}
    if kind == "pivot":
        keys = {table.get("row_key"), table.get("column_key")} - {None}
        return {c for c, _ in table["rows"]} | {table["columns"][0], table["value"]} | keys
    if kind == "images":
        return {"image", table["label"]}
    return {table["index"]}


def check(figures: dict[str, str]) -> int:
    """Every table of every figure reads columns its source has; the number of tables."""
    count = 0
    for role, text in figures.items():
        sources, tables = sources_and_tables(json.loads(text))
        assert tables, f"figure {role!r} has no table"
        for table in tables:
            columns = sources.get(table["source"])
            assert columns is not None, f"{role}: no source {table['source']!r}"
            assert needed(table) <= columns, f"{role}: {needed(table) - columns} missing"
            assert table["caption"]
            count += 1
    return count


@pytest.mark.parametrize("spec", LABS, ids=lambda s: s.id)
def test_every_lab_view_has_tables_of_its_own_columns(spec):
    assert check(views.figures(spec, drawn=True)) >= len(spec.views)


def test_the_playground_figures_have_tables():
    assert check(playground_views.figures()) == 4


@pytest.mark.parametrize("kind", sorted(task_views.FIGURES))
def test_every_task_figure_has_tables(kind):
    assert check(task_views.figures(kind)) == len(task_views.FIGURES[kind])
