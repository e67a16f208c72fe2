"""The cell view: its neighbours' pictograms name the cells around the one shown, as the
readout counts them, and every box has the short label the narrow (phone) figure draws."""

from __future__ import annotations

import json
from typing import Any

import pytest
from bokeh.embed import json_item

from course.figures.palette import LIGHT
from course.lab import views
from course.lab.views import cell as view
from course.lab.views import cell_layout as geometry
from course.live.state import LAYOUT_COLUMNS
from engine import Lab, LabConfig, ModelConfig


def make_lab(model: str = "lstm", layers: int = 3) -> Lab:
    return Lab(LabConfig(model=ModelConfig(cell=model, layers=layers, hidden=4)))


@pytest.fixture(scope="module")
def lstm() -> Lab:
    return make_lab()


def neighbours_at(lab: Lab, t: int, layer: int, step: int = 0) -> dict[str, Any]:
    """The ``cell_neighbours`` source once the stepper stands at (t, layer, step)."""
    lab.jump("forward", t)
    for _ in range(layer * len(lab.steps) + step):
        lab.advance("compute")
    frame = lab.frame()
    assert (frame["t"], frame["layer"]) == (t, layer)
    data = views.sources(lab, 0, full=True, views=["cell"])["cell_neighbours"]
    return dict(zip(data["name"], zip(data["title"], data["fill"], strict=True), strict=True))


def titles(shown: dict[str, Any]) -> dict[str, str]:
    return {name: title for name, (title, _) in shown.items()}


def greyed(shown: dict[str, Any]) -> set[str]:
    return {name for name, (_, fill) in shown.items() if fill == LIGHT}


def test_mid_sequence_the_neighbours_are_the_cells_around_it(lstm: Lab) -> None:
    shown = neighbours_at(lstm, t=3, layer=1, step=2)  # the readout says t 4, layer 2
    assert titles(shown) == {
        "prev": "t = 3",
        "next": "t = 5",
        "below": "layer 1",
        "above": "layer 3",
    }
    assert greyed(shown) == set()


def test_the_first_step_has_no_past_and_the_first_layer_reads_the_data(lstm: Lab) -> None:
    shown = neighbours_at(lstm, t=0, layer=0)
    assert titles(shown)["prev"] == "h₀, c₀ = 0"
    assert titles(shown)["below"] == "input xₜ"
    assert titles(shown)["next"] == "t = 2"
    assert greyed(shown) == {"prev"}


def test_the_last_step_has_no_future_and_the_top_layer_feeds_the_readout(lstm: Lab) -> None:
    T = lstm.config.train.window
    shown = neighbours_at(lstm, t=T - 1, layer=2)
    assert titles(shown) == {"prev": f"t = {T - 1}", "next": "end", "below": "layer 2",
                             "above": "readout ŷₜ"}  # fmt: skip
    assert greyed(shown) == {"next"}


def test_a_gru_starts_from_h_alone_and_one_layer_is_both_first_and_last() -> None:
    shown = neighbours_at(make_lab("gru", layers=1), t=0, layer=0)
    assert titles(shown) == {"prev": "h₀ = 0", "next": "t = 2", "below": "input xₜ",
                             "above": "readout ŷₜ"}  # fmt: skip


def test_without_a_cell_every_neighbour_is_greyed(lstm: Lab) -> None:
    lstm.jump("validate")
    data = views.sources(lstm, 0, full=True, views=["cell"])["cell_neighbours"]
    assert set(data["fill"]) == {LIGHT}
    assert "t − 1" in data["title"]


def test_the_labels_change_when_the_stepper_moves_on(lstm: Lab) -> None:
    before = titles(neighbours_at(lstm, t=1, layer=0, step=len(lstm.steps) - 1))
    lstm.advance("compute")  # after hₜ: the same time step, one layer up
    data = views.sources(lstm, 0, full=False, views=["cell"])["cell_neighbours"]
    after = dict(zip(data["name"], data["title"], strict=True))
    assert (before["below"], before["above"]) == ("input xₜ", "layer 2")
    assert (after["below"], after["above"]) == ("layer 1", "layer 3")
    assert after["prev"] == before["prev"] == "t = 1"


@pytest.mark.parametrize("cell", list(geometry.LAYOUTS))
@pytest.mark.parametrize("gradient", [False, True])
def test_every_box_has_a_short_label_and_a_short_number(cell: str, gradient: bool) -> None:
    values = {name: [-1.2345e-4] for name in geometry.LAYOUTS[cell]}
    data = view.box_data(cell, values, None, 0, gradient=gradient)
    assert data["name"] == list(geometry.LAYOUTS[cell])
    for label, short, value, brief in zip(
        data["label"], data["label_short"], data["value"], data["value_short"], strict=True
    ):
        assert short and len(short) <= len(label)
        assert len(short) <= 8 and len(brief) <= len(value)
    assert data["label_short"][data["name"].index("h")] == ("∂L/∂hₜ" if gradient else "hₜ")


@pytest.mark.parametrize("cell", list(geometry.LAYOUTS))
def test_each_variant_stands_alone_for_one_width(cell: str) -> None:
    """The page builds one of the two (static/js/views.js): each has the named sources
    the updates go to, and the same slot; their media queries split the widths."""
    figures = view.diagram_figures(cell)
    assert list(figures) == ["cell", "cell_narrow"]
    for role, figure in figures.items():
        text = json.dumps(json_item(figure)).replace(" ", "")
        for name in ("cell_boxes", "cell_neighbours", f"fig_{role}"):
            assert text.count(f'"name":"{name}"') == 1
        assert figure.tags[0]["slot"] == "cell"
    wide, narrow = (figure.tags[0]["media"] for figure in figures.values())
    assert wide == "(min-width: 64.01rem)" and narrow == "(max-width: 64rem)"


@pytest.mark.parametrize("cell", list(geometry.LAYOUTS))
@pytest.mark.parametrize("sizes", [geometry.WIDE, geometry.NARROW])
def test_pictograms_stay_clear_of_the_diagram(cell: str, sizes: geometry.Sizes) -> None:
    layout = geometry.placed(cell, sizes)
    for x, y, w, h in geometry.neighbour_boxes(cell, sizes).values():
        for bx, by in layout.values():
            apart_x = abs(x - bx) >= (w + geometry.BOX_W) / 2
            apart_y = abs(y - by) >= (h + geometry.BOX_H) / 2
            assert apart_x or apart_y


@pytest.mark.parametrize("cell", list(geometry.LAYOUTS))
def test_the_columns_a_live_session_sends_once_never_change(cell: str) -> None:
    """A live state leaves LAYOUT_COLUMNS out of its partial views: they must be the
    same at every position of the stepper, forward, validate, backward and update."""
    lab = make_lab(cell, layers=2)
    first = views.sources(lab, 1, full=True, views=["cell"])
    for position in range(lab.total_positions):
        lab.position = position
        now = views.sources(lab, 1, full=True, views=["cell"])
        for name, fixed in LAYOUT_COLUMNS.items():
            assert {k: now[name][k] for k in fixed} == {k: first[name][k] for k in fixed}
