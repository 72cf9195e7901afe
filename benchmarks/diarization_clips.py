"""Clips for the diarization benchmark beyond the shared ones, built from them and from speech
synthesised here, so that the one-speaker-or-several decision is judged on more than a handful
of recordings.

One speaker: each pyannote_sample speaker alone (their turns without overlap, joined by 0.3 s
pauses), each channel of the stereo clip, jfk three times over (34 s of one emphatic voice),
a ~25 s hibari-tts paragraph at two speeds, the same paragraph from two espeak-ng voices.
Several: real and synthetic voices one after another (jfk + LibriSpeech, the stereo channels in
turn, LibriSpeech + the Korean reader, jfk + hibari, two espeak-ng voices) and three voices.
"""

from __future__ import annotations

import io
import subprocess
import sys
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO / "tests" / "processing")]
AUDIO = (REPO / ".." / "shared" / "audio").resolve()
SR = 16000

from rttm import read_rttm  # noqa: E402

from woasr_cli.media import decode_audio  # noqa: E402
from woasr_cli.processing.diarization import Turn  # noqa: E402

PARAGRAPH = (
    "Yesterday afternoon the committee met to discuss the budget for next year. Most members "
    "agreed that the library needs new computers, but nobody could say where the money would "
    "come from. After an hour of debate they decided to ask the city council for a small grant, "
    "and to raise the rest with a book sale in the spring. The meeting ended a little after "
    "five, and everyone went home hoping for good news."
)


def _resample(x: np.ndarray, rate: int) -> np.ndarray:
    from scipy.signal import resample_poly

    return np.asarray(resample_poly(x, SR, rate) if rate != SR else x, dtype=np.float32)


def _pause(seconds: float = 0.5) -> np.ndarray:
    return np.zeros(int(seconds * SR), dtype=np.float32)


def _channel(ch: int) -> np.ndarray:
    with wave.open(str(AUDIO / "fw_stereo_diarization.wav")) as w:
        rate, data = w.getframerate(), w.readframes(w.getnframes())
    pcm = np.frombuffer(data, dtype="<i2").reshape(-1, 2)[:, ch]
    return _resample(pcm.astype(np.float32) / 32768, rate)


def _espeak(text: str, voice: str) -> np.ndarray:
    out = subprocess.run(
        ["espeak-ng", "-v", voice, "--stdout", text], capture_output=True, check=True
    ).stdout
    with wave.open(io.BytesIO(out)) as w:
        rate, data = w.getframerate(), w.readframes(w.getnframes())
    return _resample(np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768, rate)


def _hibari(text: str, speed: float = 1.0, seed: int = 7) -> np.ndarray:
    import hibari

    audio = np.asarray(hibari.Hibari()(text, speed=speed, seed=seed), dtype=np.float32)
    return _resample(audio, int(hibari.SAMPLE_RATE))


def _speaker_alone(audio: np.ndarray, speaker: str) -> np.ndarray:
    """One pyannote_sample speaker's turns, with the stretches the other speaker overlaps cut."""
    ref = read_rttm(AUDIO / "pyannote_sample.rttm")
    parts = []
    for t in (t for t in ref if t.speaker == speaker):
        a, b = t.start, t.end
        for o in (o for o in ref if o.speaker != speaker and o.start < b and o.end > a):
            a, b = (max(a, o.end), b) if o.start <= a else (a, min(b, o.start))
        if b - a > 0.3:
            parts += [audio[int(a * SR) : int(b * SR)], _pause(0.3)]
    return np.concatenate(parts)


Piece = tuple[np.ndarray, str]  # audio, speaker name


def _join(pieces: list[Piece]) -> tuple[np.ndarray, list[Turn]]:
    """The pieces one after another with 0.5 s pauses, and who speaks when.

    The reference is each piece's speech as Silero VAD (woasr's settings) finds it, so that a
    DER against it measures speaker confusion, not the pauses inside a piece.
    """
    from woasr_cli.processing.diarize_offline import FRAME, OfflineSettings, speech_regions

    parts, turns, at = [], [], 0.0
    for audio, speaker in pieces:
        regions = speech_regions(audio, OfflineSettings())
        turns += [Turn(at + a * FRAME, at + b * FRAME, speaker) for a, b in regions]
        parts += [audio, _pause()]
        at += (len(audio) + len(parts[-1])) / SR
    return np.concatenate(parts), turns


def built_clips() -> Iterator[tuple[str, np.ndarray, int, list[Turn] | None]]:
    """(name, 16 kHz mono audio, true speaker count, reference turns where known)."""
    jfk = decode_audio(AUDIO / "jfk.wav")
    libri = decode_audio(AUDIO / "librispeech_1272-128104-0000.wav")
    korean = decode_audio(AUDIO / "korean_read_1.wav")
    sample = decode_audio(AUDIO / "pyannote_sample.wav")
    left, right = _channel(0), _channel(1)
    yield "built/pyannote_speaker90_alone", _speaker_alone(sample, "speaker90"), 1, None
    yield "built/pyannote_speaker91_alone", _speaker_alone(sample, "speaker91"), 1, None
    yield "built/stereo_left", left, 1, None
    yield "built/stereo_right", right, 1, None
    yield "built/jfk_x3", _join([(jfk, "jfk")] * 3)[0], 1, None
    yield "built/hibari_paragraph", _hibari(PARAGRAPH), 1, None
    yield "built/hibari_paragraph_slow", _hibari(PARAGRAPH, 0.85, 3), 1, None
    yield "built/espeak_paragraph_m3", _espeak(PARAGRAPH, "en-us+m3"), 1, None
    yield "built/espeak_paragraph_f2", _espeak(PARAGRAPH, "en+f2"), 1, None
    several: list[tuple[str, list[Piece]]] = [
        ("jfk+libri", [(jfk, "jfk"), (libri, "libri"), (jfk[: 5 * SR], "jfk")]),
        ("left+right", [(left, "left"), (right, "right"), (left, "left")]),
        ("libri+korean", [(libri, "libri"), (korean, "korean"), (libri, "libri")]),
        ("jfk+hibari", [(jfk, "jfk"), (_hibari(PARAGRAPH[:200]), "hibari")]),
        (
            "espeak_m3+f2",
            [
                (_espeak(PARAGRAPH[:150], "en-us+m3"), "m3"),
                (_espeak(PARAGRAPH[150:300], "en+f2"), "f2"),
                (_espeak(PARAGRAPH[300:], "en-us+m3"), "m3"),
            ],
        ),
        (
            "jfk+libri+hibari",
            [
                (jfk, "jfk"),
                (libri, "libri"),
                (_hibari(PARAGRAPH[:150]), "hibari"),
                (libri, "libri"),
            ],
        ),
        ("left+right+jfk", [(left, "left"), (right, "right"), (jfk, "jfk")]),
    ]
    for name, pieces in several:
        audio, turns = _join(pieces)
        yield f"built/{name}", audio, len({t.speaker for t in turns}), turns
