#!/usr/bin/env bash
# The main job: set up, load the sample people and content/ into the data folder (KB_HOME,
# default ./.kb), then serve the web pages and the API on KB_HOST:KB_PORT (default 127.0.0.1:8000).
# Safe to run again: unchanged files write nothing, edits made over the API since stand, and
# people disabled since stay disabled. Each run prints a new token for the sample manager.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
kb=.venv/bin/kb
$kb users import content/people.yaml
# The import is the set-up's work, not the documents' owners': a system identity writes it.
$kb ingest content/ --author kb-import
token=$($kb users token zhang.wei --quiet)
url="http://${KB_HOST:-127.0.0.1}:${KB_PORT:-8000}"
home="${KB_HOME:-.kb}"
cat <<TXT

kb is ready. Open $url/ and sign in as zhang.wei (a manager) with this token
(then set a password under your name), or use it for the API:
  export KB_TOKEN=$token
Search from another terminal:
  curl -s -H "Authorization: Bearer \$KB_TOKEN" -H 'Content-Type: application/json' \\
       -d '{"query": "华为云 数据集成 报价", "top_k": 5}' $url/search
or on the command line:  KB_HOME=$home .venv/bin/kb search "X-200 competitor pricing"
API docs: $url/docs
TXT
exec $kb serve
