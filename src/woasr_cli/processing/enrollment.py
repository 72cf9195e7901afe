"""Speakers by name from enrollment clips: one short recording per person in a folder, named for
the person (``alice.wav``, ``bob.mp3``: the file's stem is the name).

Each diarized speaker's voice (its turns, less the stretches where another speaker overlaps,
embedded in windows as the diarizer embeds them, averaged) is compared with each enrolled voice
by cosine similarity. Pairs are matched one to one, most alike first; a speaker whose best
remaining match is below the encoder's one-voice threshold (the same-voice bound of
:mod:`.speaker_count`) keeps its ``SPEAKER_NN`` label, so a voice nobody enrolled stays unnamed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from woasr_cli.errors import UsageError
from woasr_cli.media.audio import Audio
from woasr_cli.processing.diarization import Turn
from woasr_cli.processing.speaker_encoders import SpeakerEncoder

Voice = npt.NDArray[np.float64]
CLIP_SUFFIXES = frozenset({".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".webm", ".aac"})


def enrollment_clips(folder: Path) -> dict[str, Path]:
    """Name -> clip for every audio file in ``folder``; a usage error when there is none."""
    if not folder.is_dir():
        raise UsageError(f"--speakers-dir {folder}: not a folder")
    clips = {
        p.stem: p
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix.lower() in CLIP_SUFFIXES
    }
    if not clips:
        raise UsageError(f"--speakers-dir {folder}: no audio clips (name.wav, name.mp3, ...)")
    return clips


def voice(encoder: SpeakerEncoder, audio: Audio, regions: list[tuple[int, int]]) -> Voice | None:
    """Mean unit-length embedding of the diarizer's windows over ``regions`` (10 ms frames);
    None when they hold too little speech for one window."""
    from woasr_cli.processing.diarize_offline import OfflineSettings, even_levels, window_spans

    regions = [(a, b) for a, b in regions if b > a]
    spans = window_spans(regions, OfflineSettings()) if regions else []
    if not spans:
        return None
    x = encoder.embed(encoder.features(even_levels(audio, regions)), spans).astype(np.float64)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
    mean: Voice = x.mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-9)


def enrolled_voices(encoder: SpeakerEncoder, folder: Path) -> dict[str, Voice]:
    from woasr_cli.media import decode_audio
    from woasr_cli.processing.diarize_offline import OfflineSettings, speech_regions

    out: dict[str, Voice] = {}
    for name, path in enrollment_clips(folder).items():
        audio = decode_audio(path)
        found = voice(encoder, audio, speech_regions(audio, OfflineSettings()))
        if found is None:
            raise UsageError(f"--speakers-dir: {path.name} has too little speech (use 3-20 s)")
        out[name] = found
    return out


def speaker_voices(encoder: SpeakerEncoder, audio: Audio, turns: list[Turn]) -> dict[str, Voice]:
    """Each speaker's voice from its turns, overlapped speech left out."""
    frames = int(len(audio) / 160) + 1
    owner = np.full(frames, -1, dtype=np.int64)  # speaker index, -2 where several talk
    speakers = sorted({t.speaker for t in turns})
    for t in turns:
        a, b = int(t.start * 100), min(frames, int(np.ceil(t.end * 100)))
        k = speakers.index(t.speaker)
        seg = owner[a:b]
        seg[(seg >= 0) & (seg != k)] = -2
        seg[seg == -1] = k
    out: dict[str, Voice] = {}
    for k, label in enumerate(speakers):
        mask = np.concatenate([[False], owner == k, [False]])
        edges = np.flatnonzero(np.diff(mask.astype(np.int8)))
        found = voice(encoder, audio, list(zip(edges[::2], edges[1::2], strict=True)))
        if found is not None:
            out[label] = found
    return out


def match_names(
    speakers: dict[str, Voice], enrolled: dict[str, Voice], threshold: float
) -> dict[str, str]:
    """Speaker label -> enrolled name, one to one, most alike pairs first, none below
    ``threshold``."""
    pairs = sorted(
        (
            (float(v @ e), label, name)
            for label, v in speakers.items()
            for name, e in enrolled.items()
        ),
        reverse=True,
    )
    out: dict[str, str] = {}
    for score, label, name in pairs:
        if score >= threshold and label not in out and name not in out.values():
            out[label] = name
    return out
