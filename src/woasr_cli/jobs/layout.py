"""Where each input's outputs go: the input tree mirrored under the output directory.

Two inputs that would share an output stem (``a.mp3`` and ``a.wav`` in one folder) both keep
their extension in the stem (``a.mp3.srt``, ``a.wav.srt``); inputs from different folders given
by name that still clash get a short hash of their full path. No input overwrites another's.
Stems that differ only in case (``A.wav``, ``a.flac``) or in Unicode normalisation (``é`` as
one code point or two) clash too: on a case-insensitive file system (macOS, Windows, a FAT or
exFAT drive, most SMB shares) they name the same file, and the second input's files replaced
the first's without a word.

A name is at most 255 bytes, and an input's name can be that long (a download named after a
video's title): its stem is cut, at a character, so that every format's name fits, and ends in
``~`` and the short hash (two long names alike in their first 240 bytes stay apart).
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections import Counter
from pathlib import Path

from woasr_cli.media.discover import InputFile
from woasr_cli.options import FORMAT_NAMES
from woasr_cli.outputs import NAME_MAX

# The room a stem's name has: the longest format suffix (".json") must still fit.
_ROOM = NAME_MAX - max(len(f".{name}") for name in FORMAT_NAMES)


def output_stems(inputs: list[InputFile], output_dir: Path) -> list[Path]:
    plain = [output_dir / item.relative.with_suffix("") for item in inputs]
    counts = Counter(map(_folded, plain))
    stems = [
        output_dir / item.relative if counts[_folded(stem)] > 1 else stem
        for item, stem in zip(inputs, plain, strict=True)
    ]
    counts = Counter(map(_folded, stems))
    unique = [
        stem.with_name(f"{stem.name}.{_short_hash(item.path)}")
        if counts[_folded(stem)] > 1
        else stem
        for item, stem in zip(inputs, stems, strict=True)
    ]
    return [_fitted(stem, item.path) for item, stem in zip(inputs, unique, strict=True)]


def _folded(stem: Path) -> str:
    """What a case- and normalisation-insensitive file system makes of a name."""
    return unicodedata.normalize("NFC", str(stem)).casefold()


def _fitted(stem: Path, path: Path) -> Path:
    raw = os.fsencode(stem.name)
    if len(raw) <= _ROOM:
        return stem
    tag = f"~{_short_hash(path)}"
    keep = _ROOM - len(tag)
    for back in range(4):  # a UTF-8 character is at most 4 bytes: cut before the one split
        try:
            return stem.with_name(raw[: keep - back].decode("utf-8") + tag)
        except UnicodeDecodeError:
            continue
    return stem.with_name(os.fsdecode(raw[:keep]) + tag)  # not UTF-8: its own bytes


def _short_hash(path: Path) -> str:
    return hashlib.sha1(os.fsencode(path)).hexdigest()[:8]  # a name need not be UTF-8
