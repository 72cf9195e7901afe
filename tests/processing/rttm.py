"""Reading reference RTTM files and scoring with pyannote.metrics (shared by tests/benchmark)."""

from __future__ import annotations

from pathlib import Path

from woasr_cli.processing.diarization import Turn


def read_rttm(path: Path) -> list[Turn]:
    turns = []
    for line in path.read_text().splitlines():
        f = line.split()
        if f and f[0] == "SPEAKER":
            start, dur = float(f[3]), float(f[4])
            turns.append(Turn(start, start + dur, f[7]))
    return turns


def der(reference: list[Turn], hypothesis: list[Turn], collar: float) -> float:
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    def annotate(turns: list[Turn]) -> Annotation:
        ann = Annotation()
        for i, t in enumerate(turns):
            ann[Segment(t.start, t.end), i] = t.speaker
        return ann

    metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
    return float(metric(annotate(reference), annotate(hypothesis)))
