"""A lesson page's figures already show a new lab's first frame (the browser draws each
figure once); that is only right if `open` answers exactly that frame."""

from __future__ import annotations

import base64
import gzip
import json
import math
import re
from typing import Any

import numpy as np
import pytest
from labkit import LAB, LESSON, as_drawn
from socketkit import ok


def _page_sources(client, slug: str, lab: str) -> dict[str, dict[str, Any]]:
    """Every named source's data as the lesson page's figure JSON holds it (and each
    named ticker's ticks)."""
    html = client.get(f"/lessons/{slug}").get_data(as_text=True)
    section = html[html.index(f'data-lab="{lab}"') :]
    section = section[: section.find('data-lab="', 1)]  # up to the next lab, if any
    found: dict[str, dict[str, Any]] = {}
    for match in re.finditer(r'data-figure-json="\w+">(.*?)</script>', section, re.S):

        def walk(node: Any) -> None:
            if isinstance(node, list):
                for item in node:
                    walk(item)
            elif isinstance(node, dict):
                attributes = node.get("attributes", {})
                if node.get("name") == "ColumnDataSource" and attributes.get("name"):
                    found[attributes["name"]] = dict(attributes["data"]["entries"])
                if node.get("name") == "FixedTicker" and attributes.get("name"):  # a log axis's
                    found[attributes["name"]] = {"ticks": attributes["ticks"]}
                for value in node.values():
                    walk(value)

        walk(json.loads(match.group(1).replace("<\\/", "</")))
    return found


def _decoded(value: Any) -> Any:
    """Bokeh's base64 ndarray (an image's rows) as nested lists, NaN as None."""
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    if isinstance(value, dict) and value.get("type") == "ndarray":
        raw = base64.b64decode(value["array"]["data"])
        raw = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw  # Bokeh gzips large arrays
        flat = np.frombuffer(raw, dtype=value["dtype"])
        grid = flat.reshape(value["shape"]).tolist()
        return [[None if math.isnan(v) else v for v in row] for row in grid]
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float | int):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


@pytest.mark.parametrize(("slug", "lab"), [(LESSON, LAB), ("training", "lstm-window")])
def test_the_page_draws_the_first_frame_that_open_answers(client, lab_client, slug, lab):
    """A lesson page's figures already show a new lab's first frame, so the browser
    does not draw them twice; that is only right if open answers exactly that frame."""
    drawn = _page_sources(client, slug, lab)
    ack = ok(lab_client, "open", {"lesson": slug, "lab": lab})
    assert ack["sources"]
    for name, columns in as_drawn(ack["sources"]).items():
        if name in ("cell_arithmetic", "cell_code", "cell_code_table"):  # HTML, filled by the page
            continue
        assert name in drawn, name
        for column, values in columns.items():
            assert _same(_decoded(drawn[name][column]), values), (name, column)
