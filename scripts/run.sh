#!/usr/bin/env bash
# The main job: set up, load the sample people and content/ into the data folder (KB_HOME,
# default ./.kb), then serve the API on 127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1
kb=.venv/bin/kb
$kb users import content/people.yaml
$kb ingest content/
token=$($kb users token zhang.wei --quiet)
cat <<TXT

kb is ready. A manager token for trying the API (zhang.wei):
  export KB_TOKEN=$token
Search from another terminal:
  curl -s -H "Authorization: Bearer \$KB_TOKEN" -H 'Content-Type: application/json' \\
       -d '{"query": "华为云 数据集成 报价", "top_k": 5}' http://127.0.0.1:8000/search
or on the command line:  .venv/bin/kb search "X-200 competitor pricing"
API docs: http://127.0.0.1:8000/docs
TXT
exec $kb serve
