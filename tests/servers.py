"""Real servers for the tests: Debian's redis-server, and `unrolled serve` processes.

Both run as subprocesses on free loopback ports and are stopped by the fixture that
started them. A server that does not come up fails the test (never a skip).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def signed_cookie(secret: str, data: dict[str, str]) -> str:
    """The session cookie a server with ``secret`` would set holding ``data`` (a learner
    id for the bench's bare clients, which load no page)."""
    from flask import Flask

    app = Flask(__name__)
    app.secret_key = secret
    return app.session_interface.get_signing_serializer(app).dumps(data)  # type: ignore[attr-defined,no-any-return]


def rss_mb(pid: int) -> float:
    """A process's resident memory, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """CPU time process ``pid`` has used so far, user and system (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_warmed(url: str, timeout: float = 900.0) -> None:
    """Until the server at ``url`` says its warm-up is done (/healthz ``warmup.state``;
    a server that does not say is taken as done: callers also wait for it to idle)."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError, ValueError):
            with urllib.request.urlopen(url + "/healthz", timeout=10) as reply:
                state = json.load(reply).get("warmup", {}).get("state", "done")
            if state in ("done", "off"):
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server at {url} did not finish its warm-up")
        time.sleep(0.5)


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of process ``pid`` and its living children (a server's warm-up child or
    compile worker), theirs too, so far."""
    total = 0.0
    with contextlib.suppress(OSError):  # ended meanwhile
        total += cpu_seconds(pid)
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                children = (task / "children").read_text().split()
                total += sum(tree_cpu_seconds(int(child)) for child in children)
    return total


def children_rss_mb(pid: int) -> float:
    """The resident memory of a process's children (a server's compile worker), in MB."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, RuntimeError):  # a thread or child that ended
            total += sum(rss_mb(int(child)) for child in (task / "children").read_text().split())
    return total


def wait_until(ready, proc: subprocess.Popen, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.1)


class RedisServer:
    """A private redis-server without persistence (so a restart starts it empty)."""

    def __init__(self, directory: Path) -> None:
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(self.binary).exists():
            raise RuntimeError("redis-server not found: run scripts/setup.sh --browser")
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self) -> None:
        """Start it (again, empty, on the same port)."""
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip

        def ready() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    return s.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_until(ready, self.proc, "redis-server")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


class CourseServer:
    """`python -m course.cli serve` on a free port with the given environment."""

    def __init__(
        self, env: dict[str, str], log: Path, *, warmup: bool = False, production: bool = False
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log, "w")  # noqa: SIM115 - closed in stop()
        command = [sys.executable, "-m", "course.cli", "serve", "--port", str(self.port)]
        if not warmup:
            command.append("--no-warmup")
        if production:  # Gunicorn, as docs/deployment.md runs it
            command += ["--production", "--threads", "64", "--graceful-timeout", "20"]
        self.proc = subprocess.Popen(
            command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
            env=os.environ | {"PYTHONUNBUFFERED": "1"} | env,
        )  # fmt: skip

        def ready() -> bool:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
                return True
            except OSError:
                return False

        wait_until(ready, self.proc, f"the course server (see {log})")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=60)  # a production process drains first
        self.log.close()

    def kill(self) -> None:
        """``kill -9``: no clean-up of any kind, as when a machine or a container dies."""
        self.proc.kill()
        self.proc.wait(timeout=10)


class NginxServer:
    """Debian's nginx in front of ``backends`` (host:port), configured as
    docs/deployment.md says: sticky by client address, websockets upgraded."""

    def __init__(self, directory: Path, backends: list[str]) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise RuntimeError("nginx not found: run scripts/setup.sh --browser")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        upstream = "\n".join(f"        server {b} max_fails=1 fail_timeout=30s;" for b in backends)
        (directory / "nginx.conf").write_text(NGINX_CONF.format(
            port=self.port, upstream=upstream, dir=directory))  # fmt: skip
        self.proc = subprocess.Popen(
            [binary, "-p", str(directory), "-c", str(directory / "nginx.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip

        def ready() -> bool:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
                return True
            except OSError:
                return False

        wait_until(ready, self.proc, f"nginx (see {directory}/error.log)")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


# The recipe's proxy (docs/deployment.md), with its paths in a private directory.
NGINX_CONF = """
daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    upstream unrolled {{
        hash $remote_addr consistent;
{upstream}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://unrolled;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 120s;
            proxy_next_upstream error timeout http_502 http_503;
        }}
    }}
}}
"""


TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def create_instructor(
    env: dict[str, str], email: str, password: str, name: str = "Teacher"
) -> None:
    """`unrolled create-instructor`, as an administrator runs it, on ``env``'s database."""
    subprocess.run(
        [sys.executable, "-m", "course.cli", "create-instructor", "--email", email,
         "--name", name, "--password-stdin"],
        input=password + "\n", text=True, check=True, cwd=ROOT, capture_output=True,
        env=os.environ | env,
    )  # fmt: skip


def csrf(http: requests.Session, url: str) -> str:
    found = TOKEN.search(http.get(url).text)
    assert found, f"no CSRF token on {url}"
    return found.group(1)


def log_in(base: str, email: str, password: str) -> requests.Session:
    """An instructor's browser session, logged in through the form."""
    http = requests.Session()
    token = csrf(http, f"{base}/login")
    form = {"email": email, "password": password, "csrf_token": token}
    reply = http.post(f"{base}/login", data=form, allow_redirects=False)
    assert reply.status_code in (302, 303), reply.text[:500]
    return http


def start_live(http: requests.Session, base: str, lab: str = "lstm-cell/cell-walk") -> str:
    """Create a class and start a live session on ``lab`` from its page, open to guests
    with the code (the followers of the benches are not in the class); the code."""
    token = csrf(http, f"{base}/teach/")
    made = http.post(f"{base}/teach/classes", data={"name": "Bench class", "csrf_token": token},
                     allow_redirects=False)  # fmt: skip
    class_id = re.search(r"/teach/classes/(\d+)", made.headers["Location"]).group(1)  # type: ignore[union-attr]
    token = csrf(http, f"{base}/teach/classes/{class_id}")
    started = http.post(f"{base}/teach/live", allow_redirects=False,
                        data={"class_id": class_id, "lab": lab, "access": "open",
                              "csrf_token": token})  # fmt: skip
    found = re.search(r"/live/([A-Z0-9]{6})/present", started.headers.get("Location", ""))
    assert found, started.text[:500]
    return found.group(1)
