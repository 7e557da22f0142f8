#!/usr/bin/env bash
# The whole test suite: set-up, lint, format check, type check, tests (SQLite and PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -z "${KB_TEST_POSTGRES_URL:-}" ] && [ "${KB_TEST_POSTGRES:-on}" != "skip" ]; then
  KB_TEST_POSTGRES_URL=$(bash scripts/postgres.sh)
  if [[ ! "$KB_TEST_POSTGRES_URL" =~ ^postgresql\+psycopg://[^[:space:]]+$ ]]; then
    echo "scripts/postgres.sh printed no usable URL: '$KB_TEST_POSTGRES_URL'" >&2
    exit 1
  fi
  export KB_TEST_POSTGRES_URL
fi
export HF_HUB_OFFLINE=1
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy kb ingest search api
.venv/bin/pytest "$@"
