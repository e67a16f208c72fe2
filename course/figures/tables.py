"""A figure's numbers as tables a screen reader can reach: a figure declares, in a tag,
which columns of which of its named sources the table shows, and the page builds the
tables under the figure from the very data the figure draws (static/js/tables.js),
refreshed with each frame while they are open. Nothing extra goes on the wire."""

from __future__ import annotations

from typing import Any

Columns = list[tuple[str, str]]  # (the source's column, the table's header)


def columns_table(caption: str, source: str, columns: Columns) -> dict[str, Any]:
    """A row per row of ``source``: its ``columns``, under their headers."""
    return {"kind": "columns", "caption": caption, "source": source, "columns": columns}


def pivot_table(
    caption: str,
    source: str,
    *,
    rows: tuple[tuple[str, str], ...],
    columns: tuple[str, str],
    value: str,
    row_key: str | None = None,
    column_key: str | None = None,
) -> dict[str, Any]:
    """``source``'s long rows spread out: a table row per distinct ``rows`` columns
    (their values label it, under their headers), a table column per distinct value of
    ``columns[0]`` (headed ``columns[1]`` and the value), the ``value`` column in the
    cells. ``row_key``, ``column_key``: columns that tell rows (columns) apart where
    their labels may repeat (a letter twice in a sentence)."""
    spec = {"kind": "pivot", "caption": caption, "source": source, "rows": rows}
    spec |= {"columns": columns, "value": value}
    if row_key:
        spec["row_key"] = row_key
    if column_key:
        spec["column_key"] = column_key
    return spec


def image_tables(
    caption: str, source: str, *, label: str, rows: str, columns: str, first: int = 1
) -> dict[str, Any]:
    """One table per image glyph of ``source`` (its caption the image's ``label``
    column): a row per image row (headed ``rows`` and its number), a column per image
    column (``columns`` and its number, counted from ``first``)."""
    return {
        "kind": "images",
        "caption": caption,
        "source": source,
        "label": label,
        "rows": rows,
        "columns": columns,
        "first": first,
    }


def every_column_table(caption: str, source: str, index: str) -> dict[str, Any]:
    """Every column of ``source`` (their number varies, e.g. one per layer), ``index``
    first: for sources whose columns are named for the reader (``t``, ``h1``, ``h2``)."""
    return {"kind": "all", "caption": caption, "source": source, "index": index}


def add_tables(root: Any, caption: str, *tables: dict[str, Any]) -> None:
    """Tag figure (or layout) ``root`` with its tables, shown under it behind a
    "Show as table" toggle titled ``caption``."""
    root.tags = [*root.tags, {"tables": {"caption": caption, "tables": list(tables)}}]
