#!/usr/bin/env bash
# Idempotent setup of a fresh clone: .venv with PartLedger (+dev tools) and the pinned Node tools.
# Re-runs only the steps whose inputs (pyproject.toml, package-lock.json) changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "bootstrap: Python >= 3.11 is required (set PYTHON=...)" >&2; exit 1; }
command -v npm >/dev/null || { echo "bootstrap: npm (Node >= 18) is required" >&2; exit 1; }

stamp_of() { sha256sum "$@" | sha256sum | cut -c1-16; }

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
py_stamp=$(stamp_of pyproject.toml)
if [ "$(cat .venv/.partledger-stamp 2>/dev/null)" != "$py_stamp" ]; then
  echo "bootstrap: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]"
  echo "$py_stamp" > .venv/.partledger-stamp
fi

# Slither pins web3<8, so it gets a venv of its own (used by tests/contracts/test_slither.py).
SLITHER_VERSION=0.11.6
if [ "$(cat .tools/slither/.partledger-stamp 2>/dev/null)" != "$SLITHER_VERSION" ]; then
  echo "bootstrap: installing slither-analyzer $SLITHER_VERSION into .tools/slither"
  "$PYTHON" -m venv .tools/slither
  .tools/slither/bin/python -m pip install -q --disable-pip-version-check \
    "slither-analyzer==$SLITHER_VERSION"
  echo "$SLITHER_VERSION" > .tools/slither/.partledger-stamp
fi

node_stamp=$(stamp_of package.json package-lock.json)
if [ "$(cat node_modules/.partledger-stamp 2>/dev/null)" != "$node_stamp" ]; then
  echo "bootstrap: installing Node tools (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$node_stamp" > node_modules/.partledger-stamp
fi
