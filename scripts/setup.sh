#!/usr/bin/env bash
# Install what is missing; safe to re-run. Usage: scripts/setup.sh [--browser]
#   Python packages from requirements.lock (hashes checked) into .venv,
#   browser libraries from package-lock.json into node_modules,
#   and with --browser, Debian's chromium for the browser tests and postgresql
#   for the storage tests.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
stamp() { cat "$@" | sha256sum | cut -d' ' -f1; }
mkdir -p .setup-stamps

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  say "Python 3.11 or newer is needed"; exit 1
fi

if [ ! -x .venv/bin/python ]; then
  # Debian keeps venv's pip bootstrap (ensurepip) in a package of its own.
  if ! "$PYTHON" -c 'import ensurepip' 2>/dev/null; then
    say "installing Debian's python3-venv"
    apt_install python3-venv
  fi
  say "creating .venv"
  "$PYTHON" -m venv .venv
fi
want="$(stamp requirements.lock pyproject.toml)"
if [ "$(cat .setup-stamps/python 2>/dev/null)" != "$want" ]; then
  say "installing Python packages from requirements.lock"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q --require-hashes -r requirements.lock
  .venv/bin/python -m pip install -q --no-deps -e .
  echo "$want" > .setup-stamps/python
fi

if ! command -v npm >/dev/null; then
  say "installing Node.js and npm from Debian"
  apt_install nodejs npm
fi
want="$(stamp package-lock.json)"
if [ ! -d node_modules ] || [ "$(cat .setup-stamps/npm 2>/dev/null)" != "$want" ]; then
  say "installing browser libraries from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > .setup-stamps/npm
fi

if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's chromium for the browser tests"
  apt_install chromium fonts-dejavu-core
fi

# The storage tests run on PostgreSQL too, on a private throw-away server
# (tests/databases.py), so they need the server binaries, not a running service.
if [ "${1:-}" = "--browser" ] && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  say "installing Debian's postgresql for the storage tests"
  apt_install postgresql
fi

# Live sessions across several processes share rooms through Redis; the tests start
# a private redis-server (tests/servers.py).
if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/redis-server ]; then
  say "installing Debian's redis-server for the live-session tests"
  apt_install redis-server
fi

# The deployment recipe (docs/deployment.md) is tested through Debian's nginx in front
# of two production processes (tests/web/test_deployment_nginx.py, tests/servers.py).
if [ "${1:-}" = "--browser" ] && [ ! -x /usr/sbin/nginx ]; then
  say "installing Debian's nginx for the deployment test"
  apt_install nginx
fi
