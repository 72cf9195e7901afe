"""Diarization scored from the outside: on the files ``woasr transcribe --diarize`` writes.

Each clip goes through the CLI (``-f json,rttm``, tiny.en, in a subprocess, as a user runs it);
the RTTM is scored against the reference with pyannote.metrics (DER at collar 0 and 0.25), the
speaker count and ``speakers_confidence`` come from the JSON. The meeting dialogues
(``diarization_meetings.py``) run twice more with ``--speakers-dir``: once with an enrollment
clip for every voice (the share of words that carry their speaker's name), once with the
least-heard voice left out (its words must stay ``SPEAKER_NN``).

    .venv/bin/python benchmarks/diarization_files.py [--shared-only] [--no-names]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
import wave
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO / "src"), str(REPO / "tests" / "processing"), str(BENCH)]

from rttm import der, read_rttm  # noqa: E402

from woasr_cli.processing.diarization import Turn  # noqa: E402
from woasr_cli.processing.speakers import speaker_at  # noqa: E402

AUDIO = (REPO / ".." / "shared" / "audio").resolve()
SHARED = [  # clip, reference RTTM, true count
    ("pyannote_sample.wav", "pyannote_sample.rttm", 2),
    ("synth/espeak_dialogue_2voices.wav", "synth/espeak_dialogue_2voices.rttm", 2),
    ("fw_stereo_diarization.wav", None, 2),
    ("synth/espeak_dialogue_2spk.wav", None, 1),  # one voice in two accents
    ("jfk.wav", None, 1),
    ("librispeech_1272-128104-0000.wav", None, 1),
    ("synth/hibari_en_1.wav", None, 1),
    ("synth/espeak_en_1.wav", None, 1),
]


def write_wav(path: Path, audio: np.ndarray) -> Path:
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm.tobytes())
    return path


def transcribe(clips: list[Path], out: Path, *extra: str) -> float:
    """Run the CLI on ``clips``; wall seconds."""
    cmd = [sys.executable, "-m", "woasr_cli", "transcribe", *map(str, clips), "-o", str(out),
           "--diarize", "-f", "json,rttm", "-q", "--force", *extra]  # fmt: skip
    t = time.perf_counter()
    subprocess.run(cmd, check=True, env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"})
    return time.perf_counter() - t


def row(name: str, out: Path, stem: str, count: int, ref: list[Turn] | None) -> bool:
    doc = json.loads((out / f"{stem}.json").read_text())
    hyp = read_rttm(out / f"{stem}.rttm")
    est = len(doc["speakers"])
    cells = [f"{der(ref, hyp, c):.3f}" for c in (0.0, 0.25)] if ref else ["-", "-"]
    conf = doc.get("speakers_confidence")
    print(f"{name:34s} {count:>5d} {est:>5d} {'-' if conf is None else f'{conf:.2f}':>6s} "
          f"{cells[0]:>7s} {cells[1]:>7s}", flush=True)  # fmt: skip
    return est == count


def named_words(doc: dict[str, object], ref: list[Turn]) -> list[tuple[str, str | None]]:
    """(true speaker, label in the JSON) for every word."""
    out = []
    for seg in doc["segments"]:  # type: ignore[attr-defined]
        for w in seg["words"]:
            out.append((speaker_at(w["start"], w["end"], ref) or "", w.get("speaker")))
    return out


def main() -> None:
    from diarization_meetings import meetings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared-only", action="store_true")
    ap.add_argument("--no-names", action="store_true", help="skip the enrollment runs")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    tmp = Path(tempfile.mkdtemp(prefix="woasr-diar-files-"))
    print(f"{'clip':34s} {'true':>5s} {'est':>5s} {'conf':>6s} {'DER0':>7s} {'DER.25':>7s}")
    out = tmp / "shared"
    took = transcribe([AUDIO / c for c, _, _ in SHARED], out)
    right = sum(
        row(c, out, Path(c).stem, n, read_rttm(AUDIO / r) if r else None) for c, r, n in SHARED
    )
    total = len(SHARED)
    print(f"(shared clips: {took:.0f} s through the CLI)")
    if args.shared_only:
        print(f"speaker count right on {right}/{total}")
        return
    built = list(meetings())
    paths = [write_wav(tmp / f"{m.name.split('/')[-1]}.wav", m.audio) for m in built]
    out = tmp / "meetings"
    took = transcribe(paths, out)
    right += sum(
        row(m.name, out, p.stem, m.count, m.turns) for m, p in zip(built, paths, strict=True)
    )
    total += len(built)
    print(f"(meetings: {took:.0f} s through the CLI)\nspeaker count right on {right}/{total}")
    if args.no_names:
        return
    print(f"{'enrollment':34s} {'named':>7s} {'words':>6s} {'unknown':>8s}")
    pairs, unknown_ok = [], 0
    for m, p in zip(built, paths, strict=True):
        last = m.turns and min(
            m.enroll, key=lambda v: sum(t.end - t.start for t in m.turns if t.speaker == v)
        )
        for leave_out in (None, last):
            d = tmp / f"enroll-{p.stem}-{leave_out}"
            d.mkdir()
            for voice, clip in m.enroll.items():
                if voice != leave_out:
                    write_wav(d / f"{voice}.wav", clip)
            o = tmp / f"named-{p.stem}-{leave_out}"
            transcribe([p], o, "--speakers-dir", str(d))
            words = named_words(json.loads((o / f"{p.stem}.json").read_text()), m.turns)
            if leave_out is None:
                pairs += words
                share = np.mean([a == b for a, b in words])
                print(f"{m.name:34s} {share:7.3f} {len(words):6d}", end="", flush=True)
            else:
                mine = [b for a, b in words if a == leave_out]
                ok = all(b is None or b.startswith("SPEAKER_") for b in mine)
                unknown_ok += ok
                print(f" {leave_out + (' unnamed' if ok else ' NAMED'):>8s}", flush=True)
    share = np.mean([a == b for a, b in pairs])
    print(f"names right on {share:.3f} of {len(pairs)} words; unknown voice unnamed in "
          f"{unknown_ok}/{len(built)} dialogues")  # fmt: skip


if __name__ == "__main__":
    main()
