#!/usr/bin/env bash
# The service on its embedded defaults: local anvil (state in .partledger/), SQLite, filesystem store.
# Bootstraps what the service needs (not the test-only tools) on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/partledger serve "$@"
