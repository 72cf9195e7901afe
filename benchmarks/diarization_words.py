"""Speakers at word resolution, on the built meetings: the share of words that carry their
speaker, and the share of speaker changes placed between the right two words.

Each meeting (``diarization_meetings.py``) goes through ``woasr transcribe --diarize -f json,rttm``
(tiny.en), or the JSON files an earlier run wrote are read from ``--from`` (for instance the
``meetings`` folder ``diarization_files.py`` leaves in its temporary directory). A word's true
speaker is the reference turn it overlaps most; the JSON's labels are mapped one to one onto
the true speakers (most shared words). A change of speaker between words *i* and *i+1* is placed
right when both words carry their own speaker after the mapping; a change the reference does not
have is counted as spurious.

    .venv/bin/python benchmarks/diarization_words.py [--from DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent / "src"), str(BENCH.parent / "tests" / "processing"), str(BENCH)]

from woasr_cli.processing.diarization import Turn  # noqa: E402
from woasr_cli.processing.speakers import speaker_at  # noqa: E402


def score(words: list[dict[str, object]], ref: list[Turn]) -> tuple[int, int, int, int]:
    """(words right, changes, changes placed right, spurious changes)."""
    from scipy.optimize import linear_sum_assignment

    truth = [speaker_at(float(w["start"]), float(w["end"]), ref) for w in words]  # type: ignore[arg-type]
    hyp = [str(w.get("speaker")) for w in words]
    names, labels = sorted(set(map(str, truth))), sorted(set(hyp))
    shared = np.array([[sum(t == r and h == lab for t, h in zip(truth, hyp, strict=True))
                        for r in names] for lab in labels])  # fmt: skip
    rows, cols = linear_sum_assignment(-shared)
    mapped = [dict(zip((labels[i] for i in rows), (names[j] for j in cols), strict=True)).get(h)
              for h in hyp]  # fmt: skip
    right = sum(t == m for t, m in zip(truth, mapped, strict=True))
    changes = [i for i in range(len(words) - 1) if truth[i] != truth[i + 1]]
    placed = sum(mapped[i] == truth[i] and mapped[i + 1] == truth[i + 1] for i in changes)
    spurious = sum(truth[i] == truth[i + 1] and hyp[i] != hyp[i + 1] for i in range(len(words) - 1))
    return right, len(changes), placed, spurious


def main() -> None:
    from diarization_files import transcribe, write_wav
    from diarization_meetings import meetings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="source", type=Path, help="JSON files of an earlier run")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    built = list(meetings())
    out = args.source
    if out is None:
        tmp = Path(tempfile.mkdtemp(prefix="woasr-diar-words-"))
        paths = [write_wav(tmp / f"{m.name.split('/')[-1]}.wav", m.audio) for m in built]
        out = tmp / "out"
        transcribe(paths, out)
    total = np.zeros(5, dtype=np.int64)
    head = ("dialogue", "words", "right", "changes", "placed", "spurious")
    print(f"{head[0]:26s} " + " ".join(f"{h:>8s}" for h in head[1:]))
    for m in built:
        doc = json.loads((out / f"{m.name.split('/')[-1]}.json").read_text())
        words = [w for seg in doc["segments"] for w in seg["words"]]
        right, changes, placed, spurious = score(words, m.turns)
        total += [len(words), right, changes, placed, spurious]
        cells = (len(words), f"{right / len(words):.3f}", changes,
                 f"{placed / max(changes, 1):.3f}", spurious)  # fmt: skip
        print(f"{m.name:26s} " + " ".join(f"{c:>8}" for c in cells), flush=True)
    n, right, changes, placed, spurious = total.tolist()
    print(
        f"words with their speaker {right}/{n} = {right / n:.3f}; changes between the "
        f"right two words {placed}/{changes} = {placed / changes:.3f}; spurious {spurious}"
    )


if __name__ == "__main__":
    main()
