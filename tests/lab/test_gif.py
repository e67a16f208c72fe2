"""The forward pass as an animated GIF: from a lab's export route and from
``unrolled export-gif``. A GIF is valid when Pillow opens it with the requested
frames and frame time; bad options get a clear error (HTTP 400 JSON, exit 2). The
route draws the learner's own open lab as it is now, else the lesson's fresh lab."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from PIL import Image
from socketkit import Socket, ok

from course import cli
from course.lab import gif
from course.lab.gif import GifOptions, forward_positions, render_gif
from engine import Lab, LabConfig, ModelConfig

LESSON, LAB = "training", "rnn-window"
ROUTE = f"/export/{LESSON}/{LAB}.gif"
SMALL = "steps=4&size=320&frame_ms=50"


@pytest.fixture
def titles(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The title line of every frame drawn from here on, in order (none kept from before)."""
    app.extensions["gif_exports"].cache.clear()
    drawn: list[str] = []
    title_line = gif.title_line

    def spy(lab: Lab) -> str:
        drawn.append(title_line(lab))
        return drawn[-1]

    monkeypatch.setattr(gif, "title_line", spy)
    return drawn


@pytest.fixture
def learner(client: FlaskClient, socket: Callable[..., Socket]) -> Socket:
    """A learner who loaded the lesson page (which gives them their id) and opened its lab."""
    assert client.get(f"/lessons/{LESSON}").status_code == 200
    sock = socket("/lab")
    ok(sock, "open", {"lesson": LESSON, "lab": LAB})
    return sock


def config_of(app: Flask) -> LabConfig:
    return app.extensions["lessons"].get(LESSON).labs[LAB].config


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


# -- the learner's own lab ---------------------------------------------------------


def test_the_gif_is_of_the_learners_trained_lab_from_its_first_frame(app, client, learner, titles):
    ok(learner, "train", {"lab": LAB, "epochs": 3})
    ok(learner, "step", {"lab": LAB, "granularity": "timestep"})  # anywhere in the window
    response = client.get(f"{ROUTE}?{SMALL}")
    assert response.status_code == 200
    assert "epoch3.gif" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]  # the same address, new weights
    assert len(titles) == 4 and all(title.endswith("· epoch 3") for title in titles)
    assert titles[0].startswith("Vanilla RNN · 2 layer(s) × 8 units · sine")
    options = GifOptions(steps=4, size=320, frame_ms=50)
    assert response.data == render_gif(config_of(app), options, epochs=3)  # every pixel
    assert response.data != render_gif(config_of(app), options)
    assert opened(response.data).n_frames == 4


def test_a_learner_without_the_lab_open_gets_the_fresh_lab(app, client, learner, titles):
    ok(learner, "train", {"lab": LAB, "epochs": 1})
    stranger = app.test_client()
    assert stranger.get(f"/lessons/{LESSON}").status_code == 200  # an id, but no lab open
    response = stranger.get(f"{ROUTE}?{SMALL}")
    assert response.status_code == 200
    assert titles and titles[0].endswith("· epoch 0")
    assert "epoch0.gif" in response.headers["Content-Disposition"]
    assert response.data == render_gif(config_of(app), GifOptions(steps=4, size=320, frame_ms=50))


def test_more_training_is_never_served_from_the_cache(app, client, learner, titles):
    ok(learner, "train", {"lab": LAB, "epochs": 1})
    first = client.get(f"{ROUTE}?{SMALL}").data
    drawn = len(titles)
    assert client.get(f"{ROUTE}?{SMALL}").data == first
    assert len(titles) == drawn  # the same weights: from the cache, not drawn again
    ok(learner, "train", {"lab": LAB, "epochs": 1})
    second = client.get(f"{ROUTE}?{SMALL}")
    assert second.data != first
    assert titles[-1].endswith("· epoch 2")
    assert "epoch2.gif" in second.headers["Content-Disposition"]


def test_the_learners_own_shape_sets_the_frames_allowed(client, learner):
    ok(learner, "configure", {"lab": LAB, "config": {"layers": 1}})
    assert client.get(f"{ROUTE}?steps=45&size=320").status_code == 200  # 15 × 1 × (x, a, h)
    response = client.get(f"{ROUTE}?steps=46&size=320")
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "steps"
    assert "45" in response.get_json()["error"]["message"]


def test_a_bad_option_changes_nothing_in_the_learners_lab(client, learner):
    before = ok(learner, "pause", {"lab": LAB})["frame"]
    response = client.get(f"{ROUTE}?size=99999")
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "size"
    assert ok(learner, "pause", {"lab": LAB})["frame"] == before


def test_the_page_offers_a_gif_of_every_lab_with_the_servers_limits(client):
    for slug in ("data", "training", "lstm-cell"):
        page = client.get(f"/lessons/{slug}").get_data(as_text=True)
        assert page.count('class="lab-gif"') == page.count('class="lab"')
    page = client.get(f"/lessons/{LESSON}").get_data(as_text=True)
    assert f'action="{ROUTE}"' in page
    assert 'name="steps" value="30" min="2" max="90"' in page  # 15 × 2 layers × (x, a, h)
    assert 'name="size" value="800" min="320" max="1600"' in page
    assert 'name="frame_ms" value="120" min="20" max="2000"' in page


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
