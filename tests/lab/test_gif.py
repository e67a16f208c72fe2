"""The forward pass as an animated GIF: from a lab's export route and from
``unrolled export-gif``. A GIF is valid when Pillow opens it with the requested
frames and frame time; bad options get a clear error (HTTP 400 JSON, exit 2)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from PIL import Image

from course import cli
from course.lab import exports
from course.lab.gif import GifOptions, forward_positions
from course.lessons.registry import LessonRegistry
from engine import LabConfig, ModelConfig

ROUTE = "/export/training/rnn-window.gif"


@pytest.fixture(scope="module")
def app() -> Flask:
    """Just the lessons and the export blueprint (no sockets, no database)."""
    app = Flask(__name__)
    app.config["TESTING"] = True
    registry = LessonRegistry.load("lessons")
    app.extensions["lessons"] = registry
    exports.init_app(app, registry.get)
    return app


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "GIF"
    return image


def durations(image: Image.Image) -> list[int]:
    out = []
    for n in range(image.n_frames):
        image.seek(n)
        out.append(image.info["duration"])
    return out


def test_the_route_sends_an_animated_gif_with_the_frames_and_timing_asked_for(app):
    response = app.test_client().get(f"{ROUTE}?steps=12&size=400&frame_ms=50")
    assert response.status_code == 200
    assert response.mimetype == "image/gif"
    assert "attachment" in response.headers["Content-Disposition"]
    image = opened(response.data)
    assert image.is_animated
    assert image.n_frames == 12
    assert image.width == 400
    assert durations(image) == [50] * 12


def test_the_route_defaults_to_one_frame_per_cell(app):
    image = opened(app.test_client().get(ROUTE + "?size=320").data)
    assert image.n_frames == 15 * 2  # time steps × layers of the lab block


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("steps=1", "steps"),
        ("steps=121", "steps"),
        ("steps=many", "steps"),
        ("size=100", "size"),
        ("size=5000", "size"),
        ("frame_ms=5", "frame_ms"),
        ("frame_ms=2.5", "frame_ms"),
        ("colour=red", "colour"),
    ],
)
def test_bad_options_are_a_400_that_names_the_option(app, query, field):
    response = app.test_client().get(f"{ROUTE}?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["ok"] is False
    assert body["error"]["field"] == field
    assert body["error"]["message"]


def test_more_frames_than_compute_steps_is_refused(app):
    lab = app.extensions["lessons"].get("training").labs["rnn-window"]
    config = lab.config
    assert forward_positions(config, 90)[-1] == 89  # 15 steps × 2 layers × (x, a, h)
    response = app.test_client().get(f"{ROUTE}?steps=91")
    assert response.status_code == 400
    assert "90" in response.get_json()["error"]["message"]


def test_unknown_lessons_and_labs_are_404_json(app):
    client = app.test_client()
    for path in ("/export/nope/rnn-window.gif", "/export/training/nope.gif"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


def test_pages_get_a_download_link_once_the_blueprint_is_registered(app):
    spec = app.extensions["lessons"].get("training").labs["rnn-window"]
    with app.test_request_context():
        url = render_template_string("{{ gif_url('training', spec) }}", spec=spec)
    assert url == f"{ROUTE}?steps=30"


def test_frames_step_evenly_through_the_forward_pass_and_end_on_its_last_step():
    config = LabConfig(model=ModelConfig(cell="gru", layers=1, hidden=4))
    steps = 15 * 1 * 5
    assert forward_positions(config, 15) == [5 * k - 1 for k in range(1, 16)]  # each time step
    assert forward_positions(config, steps) == list(range(steps))
    with pytest.raises(ValueError, match="frame_ms"):
        GifOptions(frame_ms=10)


def test_the_command_writes_the_gif_asked_for(tmp_path: Path, capsys):
    out = tmp_path / "out.gif"
    command = "export-gif --model lstm --dataset sine --steps 30 --size 800 --frame-ms 120"
    code = cli.main([*command.split(), "-o", str(out)])
    assert code == 0
    assert "30 frames" in capsys.readouterr().out
    image = opened(out.read_bytes())
    assert image.is_animated and image.n_frames == 30 and image.width == 800
    assert durations(image) == [120] * 30


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--steps", "0"], "steps must be from 2 to 120"),
        (["--size", "99999"], "size must be from 320 to 1600"),
        (["--frame-ms", "fast"], "frame-ms must be a whole number"),
        (["--model", "transformer"], "invalid choice"),
        (["--model", "rnn", "--layers", "1", "--window", "2", "--steps", "7"], "at most 6"),
    ],
)
def test_bad_command_options_exit_2_with_a_message(tmp_path: Path, capsys, arguments, message):
    with pytest.raises(SystemExit) as exited:
        cli.main(["export-gif", *arguments, "-o", str(tmp_path / "x.gif")])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.gif").exists()
