#!/usr/bin/env bash
# Creates .venv and installs kb with its test tools; does nothing when already up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
# The browser tests drive Debian's Chromium (Playwright cannot download its own browser here);
# a small CJK font makes their screenshots of Chinese pages readable.
if ! dpkg -s chromium fonts-wqy-microhei >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
  else
    echo "warning: run 'sudo apt-get install -y chromium fonts-wqy-microhei'; the browser tests need chromium" >&2
  fi
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ -f "$stamp" ]; then exit 0; fi
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
# torch is pinned to 2.13.0 (a CPU build); an unpinned torch would pull a multi-GB CUDA build.
.venv/bin/pip install --quiet --no-warn-script-location "torch==2.13.0" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/pip install --quiet --no-warn-script-location -e '.[test]' 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import kb, ingest, search, api, torch, faiss, sentence_transformers" 
rm -f .venv/.installed-*
touch "$stamp"
