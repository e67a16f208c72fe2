"""A learner's own data for a function lab: the text they paste or the file they
choose, read at the edge into an ``engine.series.Series``. Every refusal names the
problem and the line, and changes nothing.

The format (said on the page too):

- one number per line (a first line that is not a number is the column's name), or
- two columns with a header line: a position (time, year, …: numbers that increase),
  then the value; the network reads the values in order, the positions label the axis.

Columns are separated by a comma, a semicolon or a tab (whichever the first line
uses); blank lines are skipped; numbers are written as 3, -0.5, 1.2e3. At most
``MAX_BYTES`` of text and ``MAX_POINTS`` points; at least one window's worth (T + 1).
"""

from __future__ import annotations

import csv
import re
from typing import Any

from course.web.validation import Field, PayloadError, plain_text
from engine.series import MAX_NAME, MAX_POINTS, UNSCALED_LIMIT, VALUE_LIMIT, Series

MAX_BYTES = 256 * 1024  # of text or file: 5,000 lines of two long numbers fit easily
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
SEPARATORS = (",", ";", "\t")
FIELD = "data"

# The ``data`` event of /lab: pasted ``text`` or a file's bytes (``file``, with its
# ``name``), or neither to scale the data in use again; ``scale``: the checkbox.
SCHEMA: dict[str, Field] = {
    "text": Field(str),  # sizes are checked by ``parse`` and ``decode``, which say them
    "file": Field(bytes),
    "name": Field(str, max_length=255),
    "scale": Field(bool, default=True),
}


def refuse(code: str, message: str) -> PayloadError:
    return PayloadError(code, message, FIELD)


def decode(data: bytes, name: str) -> str:
    """A file's bytes as text (UTF-8, a byte-order mark dropped); a refusal if they are
    not text."""
    what = name or "The file"
    if len(data) > MAX_BYTES:
        raise refuse("too_large", f"{what} is {_kb(len(data))}; the data may be {_kb(MAX_BYTES)}.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refuse(
            "not_text",
            f"{what} is not a text file (a spreadsheet or an image?): save it as CSV, "
            "comma-separated values, and choose that.",
        ) from None
    _textual(text, what)
    return text


def _textual(text: str, what: str) -> None:
    for number, line in enumerate(text.splitlines(), 1):
        if any(c < " " and c != "\t" for c in line):
            raise refuse(
                "not_text",
                f"{what} is not plain text: line {number} holds control characters. "
                "Save it as CSV, comma-separated values.",
            )


def _kb(size: int) -> str:
    return f"{size / 1024:,.0f} KB" if size >= 1024 else f"{size} bytes"


def parse(text: str, *, window: int, scale: bool, name: str = "") -> Series:
    """The series ``text`` holds, for a lab whose window is ``window`` points; a
    PayloadError naming the problem (and the line) otherwise."""
    size = len(text.encode())
    if size > MAX_BYTES:
        raise refuse("too_large", f"The data is {_kb(size)}; it may be {_kb(MAX_BYTES)}.")
    _textual(text, "The data")
    lines = [(k, line.strip()) for k, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise refuse("empty", "There is no data: paste numbers, one per line, or choose a file.")
    if len(lines) > MAX_POINTS + 1:
        raise refuse(
            "too_long",
            f"{len(lines):,} lines are too many: a series may have {MAX_POINTS:,} points.",
        )
    separator = next((s for s in SEPARATORS if s in lines[0][1]), ",")
    rows = [(k, [cell.strip() for cell in cells]) for k, cells in _split(lines, separator)]
    first_line, first = rows[0]
    header: list[str] | None = None
    if not all(NUMBER.fullmatch(cell) for cell in first):
        header, rows = first, rows[1:]
    columns = len(header if header is not None else first)
    if columns > 2:
        raise refuse(
            "too_many_columns",
            f"Line {first_line} has {columns} columns: the data is one column of values, "
            "or two (a position, then the value) under a header line.",
        )
    if columns == 2 and header is None:
        raise refuse(
            "no_header",
            "Two columns need a header line naming them first (for example: year,value): "
            "the first column is the position, the second the value.",
        )
    if not rows:
        raise refuse("empty", f"There are no numbers under the header on line {first_line}.")
    positions: list[float] = []
    values: list[float] = []
    for number, cells in rows:
        if len(cells) != columns:
            raise refuse(
                "ragged",
                f"Line {number} has {len(cells)} column{'s' if len(cells) != 1 else ''} "
                f"where the data has {columns}.",
            )
        read = [_number(cell, number) for cell in cells]
        if columns == 2:
            if positions and read[0] <= positions[-1]:
                raise refuse(
                    "not_increasing",
                    f"Line {number}: the position {cells[0]} does not come after the one "
                    f"before it ({positions[-1]:g}): positions must increase.",
                )
            positions.append(read[0])
        values.append(read[-1])
    return _series(values, positions or None, header, name, window=window, scale=scale)


def _split(lines: list[tuple[int, str]], separator: str) -> list[tuple[int, list[str]]]:
    """Each line's cells (one reader for all: building a reader per line costs more than
    reading the line). A quote left open joins lines, which the count shows."""
    try:
        rows = list(csv.reader((line for _, line in lines), delimiter=separator))
    except csv.Error as error:
        raise refuse("not_csv", f"The data is not CSV: {error}.") from None
    if len(rows) != len(lines):
        raise refuse("not_csv", "The data is not CSV: a quoted cell runs over several lines.")
    return [(k, cells) for (k, _), cells in zip(lines, rows, strict=True)]


def _number(cell: str, line: int) -> float:
    if cell.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise refuse("not_finite", f"Line {line}: {cell!r} is not a finite number.")
    if not cell:
        raise refuse("not_a_number", f"Line {line} has an empty cell where a number should be.")
    if not NUMBER.fullmatch(cell):
        raise refuse(
            "not_a_number",
            f"Line {line}: {cell[:40]!r} is not a number (write numbers as 3, -0.5 or 1.2e3).",
        )
    value = float(cell)
    if abs(value) > VALUE_LIMIT:
        raise refuse(
            "out_of_range", f"Line {line}: {cell[:40]} is beyond ±{VALUE_LIMIT:g}: too large."
        )
    return value


def _series(
    values: list[float],
    positions: list[float] | None,
    header: list[str] | None,
    name: str,
    *,
    window: int,
    scale: bool,
) -> Series:
    n = len(values)
    if n > MAX_POINTS:
        raise refuse("too_long", f"{n:,} points are too many: a series may have {MAX_POINTS:,}.")
    if n < window + 1:
        raise refuse(
            "too_short",
            f"{n} point{'s are' if n != 1 else ' is'} too few: one window of {window} inputs "
            f"needs {window + 1} points (each input's target is the point after it).",
        )
    if scale and min(values) == max(values):
        raise refuse(
            "constant",
            f"Every value is {values[0]:g}: a constant series cannot be scaled into "
            "[−1, 1], and there is nothing in it to predict.",
        )
    worst = max(values, key=abs)
    if not scale and abs(worst) > UNSCALED_LIMIT:
        raise refuse(
            "unscaled_range",
            f"Read as they are, values must lie within ±{UNSCALED_LIMIT} (the range the views "
            f"draw), and {worst:g} does not: tick “scale into [−1, 1]”.",
        )
    names = [_name(h) for h in header] if header else []
    return Series(
        tuple(values),
        scaled=scale,
        positions=tuple(positions) if positions else None,
        name=_name(name),
        column=names[-1] if names else "",
        axis=names[0] if len(names) == 2 else "",
    )


def _name(text: str) -> str:
    return plain_text(text)[:MAX_NAME]


def read(payload: dict[str, Any], *, window: int, current: Series | None) -> Series:
    """The series a ``data`` event (checked against SCHEMA) asks for: its text, its
    file, or (neither) the data in use, scaled as ``scale`` says."""
    text, file, scale = payload["text"], payload["file"], payload["scale"]
    name = payload["name"] or ""
    if text is not None and file is not None:
        raise refuse("bad_value", "Send pasted text or a file, not both.")
    if file is not None:
        return parse(decode(file, name), window=window, scale=scale, name=name)
    if text is not None:
        return parse(text, window=window, scale=scale, name=name)
    if current is None:
        raise refuse("empty", "There is no data yet: paste numbers or choose a file first.")
    return rescaled(current, scale)


def rescaled(series: Series, scale: bool) -> Series:
    """The same data, scaled or not; a refusal if it cannot be."""
    values = list(series.values)
    positions = list(series.positions) if series.positions is not None else None
    header = [series.axis, series.column] if series.axis else [series.column]
    return _series(values, positions, header, series.name, window=1, scale=scale)


def summary(series: Series) -> dict[str, Any]:
    """What the page shows of the data in use: its name, size and scaling, and a
    sentence that says exactly how the network reads it."""
    return {
        "name": series.name,
        "column": series.column,
        "axis": series.axis,
        "points": len(series),
        "scaled": series.scaled,
        "low": series.low,
        "high": series.high,
        "note": describe(series),
    }


def title(series: Series) -> str:
    """The data's name in a few words: “your data (prices.csv: price)”."""
    named = ": ".join(filter(None, [series.name, series.column]))
    return f"your data ({named})" if named else "your data"


def describe(series: Series) -> str:
    """Which data, how many points, how the network reads them, what the plot's axis is."""
    head = f"Training on {title(series)}: {len(series):,} points"
    axis = (
        f"The plot's axis is its first column{f' ({series.axis})' if series.axis else ''}."
        if series.positions is not None
        else "The plot's axis counts the points from 1."
    )
    if not series.scaled:
        return f"{head}, read as they are (from {series.low:g} to {series.high:g}). {axis}"
    low, high = series.low, series.high
    return (
        f"{head}, scaled into [−1, 1]: x′ = 2·(x − {low:g}) / ({high:g} − {low:g}) − 1, "
        f"so {low:g} reads −1 and {high:g} reads +1. {axis}"
    )
