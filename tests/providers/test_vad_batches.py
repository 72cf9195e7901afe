"""Silero VAD in short batches and chunk-at-a-time encoding: the same results as faster-whisper's
own calls, in bounded memory (issue 17, long recordings)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import intro
from woasr_cli.media import decode_audio

pytest.importorskip("faster_whisper", reason="needs the faster-whisper extra")


@pytest.fixture(scope="module")
def speech(shared_audio: Path) -> np.ndarray:
    audio = decode_audio(shared_audio / "pyannote_sample.wav")
    return np.asarray(audio[: len(audio) - len(audio) % 512], dtype=np.float32)


def test_batched_vad_gives_faster_whispers_probabilities_exactly(speech: np.ndarray) -> None:
    from faster_whisper.utils import get_assets_path
    from faster_whisper.vad import SileroVADModel

    from woasr_cli.providers.vad_batches import RESET_AFTER_FRAMES, BatchedSilero

    model = SileroVADModel(str(Path(get_assets_path()) / "silero_vad_v6.onnx"))
    whole = model(speech)  # faster-whisper's one call over the clip
    for batch in (1, 7, 32, 256):  # the LSTM state carried between calls: identical
        assert np.array_equal(BatchedSilero(model, batch)(speech), whole)
    # Where no 2 s go by without a sign of speech, starting again changes nothing.
    talk = speech[int(7.0 * 16000) // 512 * 512 :]  # from the first words on
    assert np.array_equal(BatchedSilero(model, reset_after=RESET_AFTER_FRAMES)(talk), model(talk))


@pytest.mark.parametrize("kind", ["tone", "room tone"])
def test_speech_after_a_long_sound_is_heard_as_after_silence(shared_audio: Path, kind: str) -> None:
    # With the state carried through 15 s of a tone, the first second of jfk.wav scored
    # 0.01-0.2 and "And" and "ask" were lost; after room tone its first five words.
    from faster_whisper.utils import get_assets_path
    from faster_whisper.vad import SileroVADModel

    from woasr_cli.providers.vad_batches import BatchedSilero, starting_again_after_quiet

    model = SileroVADModel(str(Path(get_assets_path()) / "silero_vad_v6.onnx"))
    jfk = decode_audio(shared_audio / "jfk.wav")
    jfk = np.asarray(jfk[: len(jfk) - len(jfk) % 512], dtype=np.float32)
    tone = intro(kind, shared_audio)
    frames = len(tone) // 512
    tone = tone[: frames * 512]
    first_second = slice(frames + 12, frames + 31)  # jfk's "And so" (0.4-1.0 s)

    vad = BatchedSilero(model)
    alone = vad(jfk).reshape(-1)[12:31]
    carried = vad(np.concatenate([tone, jfk])).reshape(-1)
    with starting_again_after_quiet():
        fresh = vad(np.concatenate([tone, jfk])).reshape(-1)
    assert alone.min() > 0.5
    assert carried[first_second].max() < 0.5  # deaf after the tone
    assert fresh[first_second].min() > 0.5
    assert fresh[:frames].max() < 0.5  # the sound itself is still no speech
    assert np.array_equal(vad(np.concatenate([tone, jfk])).reshape(-1), carried)  # only within


def test_installed_vad_gives_the_same_speech_spans(
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
    assert fwv.get_speech_timestamps(speech, options) == reference
    assert len(reference) >= 3
    # Cutting speech to transcribe: the clip opens with 6 s of near silence (-62 dBFS), which
    # is no reason to start again: the same spans.
    with vad_batches.starting_again_after_quiet():
        assert fwv.get_speech_timestamps(speech, options) == reference


class _Unrunnable:
    """A VAD model whose session must not run."""

    class session:  # SileroVADModel's attribute
        @staticmethod
        def run(*_: object, **__: object) -> object:
            raise AssertionError("the model ran")


def test_replayed_scores_give_other_options_spans_without_the_model(
    speech: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sequential decoding reads the speech once with its own options and again as the batched
    # cut reads it (providers/sequential_speech.py): the second read costs no model run.
    import faster_whisper.vad as fwv
    from faster_whisper.utils import get_assets_path

    from woasr_cli.providers.vad_batches import BatchedSilero, replaying, starting_again_after_quiet

    model = fwv.SileroVADModel(str(Path(get_assets_path()) / "silero_vad_v6.onnx"))
    monkeypatch.setattr(fwv, "get_vad_model", lambda: BatchedSilero(model))
    with starting_again_after_quiet() as scores:
        coarse = fwv.get_speech_timestamps(speech, fwv.VadOptions(speech_pad_ms=800))
    fine = fwv.VadOptions(speech_pad_ms=400, min_silence_duration_ms=160)
    reference = fwv.get_speech_timestamps(speech, fine)
    assert len(reference) > len(coarse)  # the same scores read otherwise
    monkeypatch.setattr(fwv, "get_vad_model", lambda: BatchedSilero(_Unrunnable()))
    with replaying(scores[-1]):
        assert fwv.get_speech_timestamps(speech, fine) == reference
        with pytest.raises(AssertionError, match="other audio"):
            fwv.get_speech_timestamps(speech[: 16000 * 5], fine)
    with pytest.raises(AssertionError, match="the model ran"):  # only within
        fwv.get_speech_timestamps(speech, fine)


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
    # Told a frame count, it encodes the features cut to it (the speech and some padding).
    fitted = ChunkwiseEncoder(model)
    fitted.frames = 1400
    cut = np.asarray(fitted.encode(features))
    assert cut.shape == (2, 700, 384)
    assert np.allclose(cut, np.asarray(model.encode(features[..., :1400].copy())), atol=1e-3)


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
