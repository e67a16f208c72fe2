"""Throw-away databases for the tests: SQLite files and a private PostgreSQL server.

``PostgresServer`` runs Debian's PostgreSQL binaries (``/usr/lib/postgresql/*/bin``)
on a fresh cluster in a temporary directory: trust authentication, a free port on
127.0.0.1, durability off for speed. PostgreSQL refuses to run as root, so as root
the cluster belongs to the ``postgres`` system user (made by Debian's package; else
``nobody``). ``UNROLLED_TEST_POSTGRES_URL`` points the tests at an existing server
instead. Tests that need PostgreSQL fail, never skip, when it cannot start.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

import psycopg

ADMIN_URL_VARIABLE = "UNROLLED_TEST_POSTGRES_URL"
FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's bin directory."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if not found:
        raise RuntimeError(
            "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin: "
            "run scripts/setup.sh --browser (it installs Debian's postgresql package)"
        )
    newest = max(found, key=lambda path: int(Path(path).parent.parent.name))
    return Path(newest).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PostgresServer:
    """A private PostgreSQL cluster; ``database()`` hands out fresh empty databases."""

    def __init__(self) -> None:
        self.root: Path | None = None
        # psycopg wants the plain libpq form of the URL.
        given = os.environ.get(ADMIN_URL_VARIABLE, "")
        self.admin_url = given.replace("postgresql+psycopg://", "postgresql://", 1)
        self.run_as: dict[str, Any] = {}

    def start(self) -> None:
        if self.admin_url:
            return
        bin_dir = postgres_bin()
        self.root = Path(tempfile.mkdtemp(prefix="unrolled-pg-"))
        if os.geteuid() == 0:
            user = next(u for u in ("postgres", "nobody") if _exists(u))
            entry = pwd.getpwnam(user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            self.run_as = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        port = free_port()
        data = self.root / "data"
        self._run(
            bin_dir / "initdb", "-D", data, "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {self.root} {FAST}"
        self._run(
            bin_dir / "pg_ctl", "-D", data, "-l", self.root / "log", "-o", options,
            "-w", "-t", "60", "start",
        )  # fmt: skip
        self.bin_dir, self.data = bin_dir, data
        self.admin_url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def stop(self) -> None:
        if self.root is None:
            return
        try:
            self._run(self.bin_dir / "pg_ctl", "-D", self.data, "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def database(self) -> str:
        """A new empty database's URL (SQLAlchemy form, psycopg 3 driver)."""
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        base, _, _ = self.admin_url.rpartition("/")
        return base.replace("postgresql://", "postgresql+psycopg://", 1) + "/" + name

    def drop(self, url: str) -> None:
        name = url.rpartition("/")[2]
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _run(self, *command: Any) -> None:
        done = subprocess.run(
            [str(part) for part in command],
            capture_output=True,
            text=True,
            cwd=self.root,
            **self.run_as,
        )
        if done.returncode != 0:
            log = self.root / "log" if self.root else None
            tail = log.read_text()[-2000:] if log and log.exists() else ""
            raise RuntimeError(
                f"{command[0]} failed ({done.returncode}):\n{done.stdout}{done.stderr}{tail}"
            )


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True
