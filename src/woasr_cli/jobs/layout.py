"""Where each input's outputs go: the input tree mirrored under the output directory.

Two inputs that would share an output stem (``a.mp3`` and ``a.wav`` in one folder) both keep
their extension in the stem (``a.mp3.srt``, ``a.wav.srt``); inputs from different folders given
by name that still clash get a short hash of their full path. No input overwrites another's.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

from woasr_cli.media.discover import InputFile


def output_stems(inputs: list[InputFile], output_dir: Path) -> list[Path]:
    plain = [output_dir / item.relative.with_suffix("") for item in inputs]
    counts = Counter(plain)
    stems = [
        output_dir / item.relative if counts[stem] > 1 else stem
        for item, stem in zip(inputs, plain, strict=True)
    ]
    counts = Counter(stems)
    return [
        stem.with_name(f"{stem.name}.{_short_hash(item.path)}") if counts[stem] > 1 else stem
        for item, stem in zip(inputs, stems, strict=True)
    ]


def _short_hash(path: Path) -> str:
    return hashlib.sha1(str(path).encode()).hexdigest()[:8]
