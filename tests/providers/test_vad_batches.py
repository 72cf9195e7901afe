"""Silero VAD in short batches and chunk-at-a-time encoding: the same results as faster-whisper's
own calls, in bounded memory (issue 17, long recordings)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from woasr_cli.media import decode_audio

pytest.importorskip("faster_whisper", reason="needs the faster-whisper extra")


@pytest.fixture(scope="module")
def speech(shared_audio: Path) -> np.ndarray:
    audio = decode_audio(shared_audio / "pyannote_sample.wav")
    return np.asarray(audio[: len(audio) - len(audio) % 512], dtype=np.float32)


def test_batched_vad_gives_faster_whispers_probabilities_exactly(speech: np.ndarray) -> None:
    from faster_whisper.utils import get_assets_path
    from faster_whisper.vad import SileroVADModel

    from woasr_cli.providers.vad_batches import BatchedSilero

    model = SileroVADModel(str(Path(get_assets_path()) / "silero_vad_v6.onnx"))
    whole = model(speech)  # faster-whisper's one call over the clip
    for batch in (1, 7, 32, 256):  # the LSTM state carried between calls: identical
        assert np.array_equal(BatchedSilero(model, batch, reset_after=None)(speech), whole)
    # Where no 2 s go by without a sign of speech, the fresh starts change nothing.
    talk = speech[int(7.0 * 16000) // 512 * 512 :]  # from the first words on
    assert np.array_equal(BatchedSilero(model)(talk), model(talk))


def test_speech_after_a_long_tone_is_heard_as_after_silence(shared_audio: Path) -> None:
    # 15 s of a sweeping tone (an intro jingle) before jfk.wav: with the state carried through
    # it, the first second of speech scored 0.01-0.2, and "And" and "ask" were lost.
    from faster_whisper.utils import get_assets_path
    from faster_whisper.vad import SileroVADModel

    from woasr_cli.providers.vad_batches import BatchedSilero

    model = SileroVADModel(str(Path(get_assets_path()) / "silero_vad_v6.onnx"))
    jfk = decode_audio(shared_audio / "jfk.wav")
    jfk = np.asarray(jfk[: len(jfk) - len(jfk) % 512], dtype=np.float32)
    t = np.arange(15 * 16000) / 16000
    tone = (0.3 * np.sin(2 * np.pi * (440 * t + 440 * t * t / 30))).astype(np.float32)
    frames = len(tone) // 512
    tone = tone[: frames * 512]
    first_second = slice(frames + 12, frames + 31)  # jfk's "And so" (0.4-1.0 s)

    alone = BatchedSilero(model)(jfk).reshape(-1)[12:31]
    carried = BatchedSilero(model, reset_after=None)(np.concatenate([tone, jfk])).reshape(-1)
    fresh = BatchedSilero(model)(np.concatenate([tone, jfk])).reshape(-1)
    assert alone.min() > 0.5
    assert carried[first_second].max() < 0.5  # deaf after the tone
    assert fresh[first_second].min() > 0.5
    assert fresh[:frames].max() < 0.2  # the tone itself is still no speech


def test_installed_vad_gives_faster_whispers_speech_spans(
    speech: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    import faster_whisper.vad as fwv
    from faster_whisper.utils import get_assets_path

    from woasr_cli.providers import vad_batches

    model = fwv.SileroVADModel(str(Path(get_assets_path()) / "silero_vad_v6.onnx"))
    monkeypatch.setattr(fwv, "get_vad_model", lambda: model)  # restored after the test
    options = fwv.VadOptions(
        speech_pad_ms=400, max_speech_duration_s=30.0, min_silence_duration_ms=160
    )
    reference = fwv.get_speech_timestamps(speech, options)
    vad_batches.install()
    vad_batches.install()  # a second call keeps the one wrapper
    wrapper = fwv.get_vad_model()
    assert isinstance(wrapper, vad_batches.BatchedSilero) and wrapper.model is model
    found = fwv.get_speech_timestamps(speech, options)
    # The same spans; an edge may move by a frame or two where the state started again in the
    # silence before the speech (a span began 32 ms earlier here).
    assert len(found) == len(reference) >= 3
    for ours, theirs in zip(found, reference, strict=True):
        assert abs(ours["start"] - theirs["start"]) <= 2 * 512
        assert abs(ours["end"] - theirs["end"]) <= 2 * 512


def test_chunkwise_encoding_matches_the_batched_encoder(tiny_en: Path, speech: np.ndarray) -> None:
    from faster_whisper import WhisperModel
    from faster_whisper.audio import pad_or_trim

    from woasr_cli.providers.faster_whisper_batch import ChunkwiseEncoder

    model = WhisperModel(str(tiny_en), device="cpu", compute_type="int8", cpu_threads=1)
    pieces = [speech[k * 16000 * 10 : (k + 1) * 16000 * 10] for k in range(2)]
    features = np.stack([pad_or_trim(model.feature_extractor(p)[..., :-1]) for p in pieces])
    batched = np.asarray(model.encode(features))
    chunkwise = np.asarray(ChunkwiseEncoder(model).encode(features))
    assert chunkwise.shape == batched.shape == (2, 1500, 384)
    assert np.allclose(chunkwise, batched, atol=1e-3)
    # Everything but ``encode`` is the model's own.
    assert ChunkwiseEncoder(model).feature_extractor is model.feature_extractor


class _CountingAligner:
    """CTranslate2's Whisper with the batch size of each ``align`` call recorded."""

    def __init__(self, whisper: object) -> None:
        self._whisper = whisper
        self.aligned: list[int] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self._whisper, name)

    def align(self, encoder_output: object, *args: object, **kwargs: object) -> object:
        self.aligned.append(int(encoder_output.shape[0]))  # type: ignore[attr-defined]
        return self._whisper.align(encoder_output, *args, **kwargs)  # type: ignore[attr-defined]


def test_word_alignment_runs_one_chunk_at_a_time_with_the_same_words(
    tiny_en: Path, speech: np.ndarray
) -> None:
    """Aligning a batch's chunks together held +125 MB on a long file (docs/performance.md,
    w17s): the wrapper aligns them one at a time, and the words come out the same."""
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    from woasr_cli.providers.faster_whisper_batch import ChunkwiseEncoder

    model = WhisperModel(str(tiny_en), device="cpu", compute_type="int8", cpu_threads=1)
    audio = np.concatenate([speech[: 16000 * 25], np.zeros(16000 * 5, np.float32)] * 2)
    clips = [{"start": 0.0, "end": 25.0}, {"start": 30.0, "end": 55.0}]

    def words(pipeline_model: object) -> list[tuple[str, float, float]]:
        pipeline = BatchedInferencePipeline(pipeline_model)
        found, _ = pipeline.transcribe(
            audio, language="en", beam_size=5, word_timestamps=True, vad_filter=False,
            clip_timestamps=clips, batch_size=2,
        )  # fmt: skip
        return [(w.word, w.start, w.end) for s in found for w in s.words]

    counter = _CountingAligner(model.model)
    model.model = counter
    together = words(model)
    assert counter.aligned == [2]  # faster-whisper's own: both chunks in one call
    counter.aligned.clear()
    one_at_a_time = words(ChunkwiseEncoder(model))
    assert counter.aligned == [1, 1]
    assert len(together) > 40
    assert [w for w, _, _ in one_at_a_time] == [w for w, _, _ in together]
    starts = np.array([s for _, s, _ in one_at_a_time]) - np.array([s for _, s, _ in together])
    assert np.abs(starts).max() <= 0.02  # the encoder's float differences at most
