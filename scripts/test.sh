#!/usr/bin/env bash
# The whole check: lint, format, types, then the test suite (arguments go to pytest).
# Bootstraps everything, the test-only tools (Slither) included, on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --test-tools
.venv/bin/ruff check src tests scripts
.venv/bin/ruff format --check src tests scripts
.venv/bin/mypy
export PARTLEDGER_SLITHER="${PARTLEDGER_SLITHER:-$PWD/.tools/slither/bin/slither}"
exec .venv/bin/pytest "$@"
