"""Pages and assets over HTTP: the course home, a lesson, vendored libraries, security headers."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from urllib.parse import urlsplit

import bokeh
import pytest

MODULE_TITLES = ["Justification", "Data", "Training", "LSTM cells", "Tasks"]
PAGES = ["/", "/lessons/lstm-cell"]


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside each <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.headings: list[str] = []
        self._open: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "h1", "h2"):
            self._open, self._text = tag, ""

    def handle_data(self, data: str) -> None:
        if self._open:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open == "script":
            self.scripts.append((self.tags[-1][1], self._text))
        elif tag == self._open:
            self.headings.append(" ".join(self._text.split()))
        if tag == self._open:
            self._open = None

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def parse(response) -> Tags:
    assert response.status_code == 200
    tags = Tags()
    tags.feed(response.get_data(as_text=True))
    return tags


def test_home_lists_the_five_modules_in_order(client):
    page = parse(client.get("/"))
    modules = [h for h in page.headings if h.startswith("Module ")]
    assert modules == [f"Module {n} · {t}" for n, t in enumerate(MODULE_TITLES, 1)]


def test_home_links_the_lstm_lesson(client):
    assert parse(client.get("/")).find("a", href="/lessons/lstm-cell")


def test_lesson_page_shows_title_and_objectives(client):
    response = client.get("/lessons/lstm-cell")
    page = parse(response)
    assert "Inside an LSTM cell" in page.headings
    assert "<title>Inside an LSTM cell · Unrolled</title>" in response.get_data(as_text=True)
    assert "Module 4 · LSTM cells" in response.get_data(as_text=True)


def test_lesson_page_has_the_lab_and_its_controls(client):
    page = parse(client.get("/lessons/lstm-cell"))
    (lab,) = page.find("section", **{"data-lab": "cell-walk"})
    assert lab["data-granularity"] == "compute"
    for action in ("step", "play", "train", "reset"):
        assert page.find("button", **{"data-action": action}), action
    assert page.find("select", **{"data-control": "granularity"})
    options = [a["value"] for t, a in page.tags if t == "option"]
    assert {"compute", "timestep", "epoch"} <= set(options)


def test_lesson_page_embeds_each_bokeh_figure_as_json(client):
    page = parse(client.get("/lessons/lstm-cell"))
    figures = {
        attrs["data-figure-json"]: json.loads(text)
        for attrs, text in page.scripts
        if attrs.get("type") == "application/json" and "data-figure-json" in attrs
    }
    assert set(figures) == {
        "cell",
        "cell_narrow",
        "heatmap",
        "weights",
        "weights_delta",
        "sequence",
        "loss",
    }
    for item in figures.values():
        assert item["doc"]["roots"] and item["root_id"]
    # The browser updates figures by source name; the names must be in the documents.
    assert '"cell_boxes"' in json.dumps(figures["cell"])
    assert '"cell_boxes"' in json.dumps(figures["cell_narrow"])  # the phone's variant
    assert '"seq_prediction"' in json.dumps(figures["sequence"])
    assert '"loss"' in json.dumps(figures["loss"])


def test_unknown_lesson_is_404(client):
    assert client.get("/lessons/no-such-lesson").status_code == 404


def test_healthz(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok" and response.json["down"] == []
    assert response.json["lessons"] == len(app.extensions["lessons"].lessons)
    assert client.get("/readyz").status_code == 200


def test_bokehjs_is_served_from_the_installed_bokeh(client):
    with client.get("/vendor/bokeh/bokeh.min.js") as response:
        assert response.status_code == 200
        assert "javascript" in response.mimetype
        # Same version as the Python package that built the figures' JSON.
        assert bokeh.__version__.encode() in response.data


@pytest.mark.parametrize(
    "path",
    [
        "/vendor/npm/socket.io-client/socket.io.min.js",
        "/vendor/npm/katex/katex.min.js",
        "/vendor/npm/katex/katex.min.css",
    ],
)
def test_npm_files_the_pages_use_are_served(client, path):
    with client.get(path) as response:
        assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/vendor/bokeh/bokeh-gl.min.js",
        "/vendor/bokeh/nothing.js",
        "/vendor/npm/left-pad/index.js",
        "/vendor/npm/katex/nothing.js",
    ],
)
def test_unknown_vendor_files_are_404(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/vendor/npm/katex/../../package.json",
        "/vendor/npm/katex/../package.json",
        "/vendor/npm/katex/..%2f..%2fpackage.json",
        "/vendor/npm/katex/..%2F..%2F..%2Fpackage.json",
        "/vendor/npm/katex/%2e%2e/%2e%2e/package.json",
        "/vendor/npm/katex/..%252f..%252fpackage.json",
        "/vendor/npm/katex/..%5c..%5cpackage.json",
        "/vendor/npm/katex/%2fetc%2fpasswd",
        "/vendor/npm/..%2f..%2fpackage.json/x",
        "/vendor/bokeh/..%2f__init__.py",
    ],
)
def test_path_traversal_leaks_nothing(client, path):
    # Werkzeug may first redirect a doubled slash to its merged form; follow it.
    with client.get(path, follow_redirects=True) as response:
        assert response.status_code in (400, 404)
        assert b'"name"' not in response.data
        assert b"root:" not in response.data


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_a_strict_content_security_policy(client, path):
    csp = client.get(path).headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_code(client, path):
    page = parse(client.get(path))
    for attrs, text in page.scripts:
        assert attrs.get("src") or attrs.get("type") == "application/json", attrs
        assert not (attrs.get("src") and text.strip())
    handlers = [(t, k) for t, a in page.tags for k in a if k.startswith("on")]
    assert handlers == []


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_nothing_from_other_hosts(client, path):
    page = parse(client.get(path))
    urls = [a[k] for _, a in page.tags for k in ("src", "href") if a.get(k)]
    assert urls
    assert [u for u in urls if urlsplit(u).netloc or urlsplit(u).scheme] == []


def test_every_view_has_an_information_icon_with_its_explanation(client):
    from course.lab.explanations import VIEW_NOTES

    for slug in ("lstm-cell", "training", "data"):
        page = client.get(f"/lessons/{slug}").get_data(as_text=True)
        figures = page.count('<figure class="view ') + page.count('<figure class="view">')
        panels = page.count('<section class="cell-arithmetic"')  # an HTML view, with its own
        panels += page.count('<section class="cell-code"')  # the code of the step, too
        icons = page.count('<details class="info">')
        assert figures and icons == figures + panels, (slug, figures, panels, icons)
    page = client.get("/lessons/lstm-cell").get_data(as_text=True)
    assert 'aria-label="About the cell diagram"' in page
    assert VIEW_NOTES["cell"].split(".")[0] in page


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "/lessons/lstm-cell",
            {"main.js", "lab.js", "views.js", "connection.js", "api.js", "tour.js"},
        ),
        ("/lessons/why-recurrence", {"main.js", "playground.js", "views.js"}),
        ("/lessons/tasks", {"main.js", "task.js", "task-paint.js"}),
    ],
)
def test_lesson_pages_preload_every_module_they_run(client, path, expected):
    """Modules are fetched at once, not one import level at a time; each link works."""
    page = client.get(path)
    tags = Tags()
    tags.feed(page.get_data(as_text=True))
    preloads = [
        a["href"] for tag, a in tags.tags if tag == "link" and a.get("rel") == "modulepreload"
    ]
    names = {href.rsplit("/", 1)[1] for href in preloads}
    assert expected <= names
    assert len(names) == len(preloads)
    for href in preloads:
        assert client.get(href).status_code == 200
