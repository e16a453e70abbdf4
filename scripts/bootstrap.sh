#!/usr/bin/env bash
# Idempotent setup of a fresh clone: .venv with PartLedger (+dev tools) and the pinned Node tools;
# with --test-tools also the test-only tools (Slither, in a venv of its own).
# Re-runs only the steps whose inputs (pyproject.toml, package-lock.json, versions) changed,
# and says what each step does and how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."

test_tools=0
for arg in "$@"; do
  case "$arg" in
    --test-tools) test_tools=1 ;;
    *) echo "bootstrap: unknown option $arg (use --test-tools)" >&2; exit 2 ;;
  esac
done

PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "bootstrap: Python >= 3.11 is required (set PYTHON=...)" >&2; exit 1; }
command -v npm >/dev/null || { echo "bootstrap: npm (Node >= 18) is required" >&2; exit 1; }

stamp_of() { sha256sum "$@" | sha256sum | cut -c1-16; }
say() { printf 'bootstrap: %s\n' "$*"; }
started=$SECONDS
steps=0

# step TITLE COMMAND...: announce, run (its own progress shows), report the time taken
step() {
  local title=$1 began=$SECONDS
  shift
  steps=$((steps + 1))
  say "$title ..."
  "$@"
  say "$title: done in $((SECONDS - began)) s"
}

PIP=(--disable-pip-version-check --progress-bar on)

install_python_packages() {
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install "${PIP[@]}" --upgrade pip
  .venv/bin/python -m pip install "${PIP[@]}" -e ".[dev]"
}
py_stamp=$(stamp_of pyproject.toml)
if [ "$(cat .venv/.partledger-stamp 2>/dev/null)" != "$py_stamp" ]; then
  step "installing Python packages into .venv (first time: about 2 minutes)" install_python_packages
  echo "$py_stamp" > .venv/.partledger-stamp
fi

node_stamp=$(stamp_of package.json package-lock.json)
if [ "$(cat node_modules/.partledger-stamp 2>/dev/null)" != "$node_stamp" ]; then
  step "installing the pinned Node tools: solc, anvil (npm ci)" \
    npm ci --no-audit --no-fund
  echo "$node_stamp" > node_modules/.partledger-stamp
fi

# Test-only: Slither pins web3<8, so it gets a venv of its own (tests/contracts/test_slither.py).
SLITHER_VERSION=0.11.6
install_slither() {
  "$PYTHON" -m venv .tools/slither
  .tools/slither/bin/python -m pip install "${PIP[@]}" "slither-analyzer==$SLITHER_VERSION"
}
if [ "$test_tools" = 1 ] \
  && [ "$(cat .tools/slither/.partledger-stamp 2>/dev/null)" != "$SLITHER_VERSION" ]; then
  step "installing the test-only slither-analyzer $SLITHER_VERSION into .tools/slither" install_slither
  echo "$SLITHER_VERSION" > .tools/slither/.partledger-stamp
fi

# Test-only: Debian's chromium for the browser tests (tests/browser; Playwright never downloads
# a browser). Installed with apt when missing and we are root; otherwise those tests skip.
install_chromium() {
  apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }
}
if [ "$test_tools" = 1 ] && ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "installing Debian's chromium for the browser tests (apt)" install_chromium
  else
    say "no chromium and not root: the browser tests will be skipped (apt-get install chromium)"
  fi
fi

if [ "$steps" -gt 0 ]; then
  say "ready in $((SECONDS - started)) s"
fi
