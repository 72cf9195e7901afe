"""Cross-file batching with the real tiny.en model: files decoded in shared batches come out as
they would alone, at the right times."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from conftest import SYNTH_SENTENCES, synthesize, wer
from woasr_cli.media import decode_audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers import load_provider
from woasr_cli.providers.base import Audio, concurrent_files, file_session
from woasr_cli.transcript import Segment

pytestmark = pytest.mark.slow
RATE = 16000
SENTENCES = (
    *SYNTH_SENTENCES,
    "Old lighthouses stood along the northern coast for many long years.",
    "My grandmother grew tomatoes, beans and sunflowers in her garden.",
)


def speech(text: str, lead_s: float, gap_s: float = 0.0, then: str | None = None) -> Audio:
    import scipy.signal

    audio, rate = synthesize(text)
    parts = [np.zeros(int(lead_s * RATE), dtype=np.float32)]
    parts.append(scipy.signal.resample_poly(audio, RATE, rate).astype(np.float32))
    if then is not None:
        more, _ = synthesize(then)
        parts += [np.zeros(int(gap_s * RATE), dtype=np.float32)]
        parts.append(scipy.signal.resample_poly(more, RATE, rate).astype(np.float32))
    return np.concatenate(parts)


def transcribe_together(options: TranscribeOptions, audios: list[Audio]) -> list[list[Segment]]:
    provider = load_provider(options)
    out: list[list[Segment]] = [[] for _ in audios]

    def one(i: int) -> None:
        with file_session(provider):
            segments, _ = provider.transcribe(audios[i], options)
            out[i] = list(segments)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(audios))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert concurrent_files(provider) >= options.batch_size  # a batch per core on CPU
    return out


@pytest.mark.parametrize("pack", [True, False], ids=["shared-slots", "own-slots"])
def test_files_in_shared_batches_keep_their_own_text_and_times(tiny_en: Path, pack: bool) -> None:
    # The four short files fit into two 30 s slots when packed.
    leads = [0.5, 4.0, 9.0, 2.0]
    audios = [speech(text, lead) for text, lead in zip(SENTENCES, leads, strict=True)]
    options = TranscribeOptions(model=str(tiny_en), offline=True, batch_size=4, pack=pack)
    results = transcribe_together(options, audios)
    for text, lead, audio, segments in zip(SENTENCES, leads, audios, results, strict=True):
        assert wer(text, " ".join(s.text for s in segments)) == 0.0, segments
        # Silence before the speech is cut for decoding and restored in the times.
        assert lead - 0.6 <= segments[0].start <= lead + 0.6
        assert segments[-1].end <= len(audio) / RATE + 0.01
        assert [s.start for s in segments] == sorted(s.start for s in segments)


def test_word_times_survive_the_batch(tiny_en: Path) -> None:
    audios = [speech(SENTENCES[0], 6.0), speech(SENTENCES[1], 1.0)]
    options = TranscribeOptions(
        model=str(tiny_en), offline=True, batch_size=2, word_timestamps=True
    )
    for segments, lead in zip(transcribe_together(options, audios), (6.0, 1.0), strict=True):
        words = [w for s in segments for w in s.words]
        assert len(words) >= 8
        assert lead - 0.6 <= words[0].start
        assert [w.start for w in words] == sorted(w.start for w in words)
        for seg in segments:
            assert all(seg.start - 0.01 <= w.start <= w.end <= seg.end + 0.01 for w in seg.words)


def test_two_speakers_clips_in_one_chunk_are_both_decoded(
    tiny_en: Path, shared_audio: Path, references: dict[str, str]
) -> None:
    # Read speech, a short pause, then the JFK speech: one 17 s chunk. On a clip like this tiny.en
    # can close the chunk after the first sentence (test_cross_file_decoder covers what follows).
    first, second = "librispeech_1272-128104-0000.wav", "jfk.flac"
    pause = np.zeros(RATE // 2, dtype=np.float32)
    audio = np.concatenate(
        [decode_audio(shared_audio / first), pause, decode_audio(shared_audio / second)]
    )
    options = TranscribeOptions(model=str(tiny_en), offline=True, batch_size=2)
    (segments,) = transcribe_together(options, [audio])
    text = " ".join(s.text for s in segments)
    assert wer(f"{references[first]} {references[second]}", text) <= 0.1, text
    assert segments[-1].end > 15.0


def test_real_clips_match_their_references(
    tiny_en: Path, shared_audio: Path, references: dict[str, str]
) -> None:
    clips = ["jfk.flac", "librispeech_1272-128104-0000.wav", "pyannote_sample.wav"]
    options = TranscribeOptions(model=str(tiny_en), offline=True, batch_size=4)
    results = transcribe_together(options, [decode_audio(shared_audio / c) for c in clips])
    for clip, segments in zip(clips, results, strict=True):
        limit = 0.25 if clip == "pyannote_sample.wav" else 0.05  # fast, overlapping speech
        assert wer(references[clip], " ".join(s.text for s in segments)) <= limit, clip
