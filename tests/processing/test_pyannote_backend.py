"""The pyannote backend without gated weights: clear errors, and a real pipeline built from
random-weight models saved locally (tests/tinymodels.py), run on real speech."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinymodels import build_pyannote_pipeline
from woasr_cli.errors import ModelNotFound, ProviderUnavailable
from woasr_cli.media import decode_audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.processing.diarization import load_diarizer
from woasr_cli.processing.diarize_pyannote import HUB_PIPELINE, PyannoteDiarizer, pipeline_source


def test_no_pipeline_no_token_is_one_clear_line() -> None:
    with pytest.raises(ModelNotFound) as err:
        load_diarizer(TranscribeOptions(diarize=True, diarize_backend="pyannote"))
    message = str(err.value)
    assert "\n" not in message
    assert "config.yaml" in message and "token" in message and "offline" in message


def test_offline_mode_never_uses_the_hub() -> None:
    with pytest.raises(ModelNotFound):
        pipeline_source(None, TranscribeOptions(hf_token="hf_x", offline=True))


def test_sources() -> None:
    online = TranscribeOptions(hf_token="hf_x", offline=False)
    assert pipeline_source(None, online) == (HUB_PIPELINE, "hf_x")
    with pytest.raises(ModelNotFound, match="not found"):
        pipeline_source("/nonexistent/pipeline", TranscribeOptions())


def test_local_directory_resolves_to_its_config(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("pipeline:\n  name: x\n")
    assert pipeline_source(str(tmp_path), TranscribeOptions()) == (
        str(tmp_path / "config.yaml"),
        None,
    )


def _pyannote_importable() -> bool:
    try:
        import pyannote.audio  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


@pytest.mark.skipif(_pyannote_importable(), reason="pyannote.audio imports here")
def test_missing_pyannote_is_provider_unavailable(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("pipeline:\n  name: x\n")
    with pytest.raises(ProviderUnavailable, match=r"pip install 'woasr\[pyannote\]'"):
        PyannoteDiarizer.load(TranscribeOptions(), pipeline=str(tmp_path))


@pytest.mark.skipif(not _pyannote_importable(), reason="pyannote.audio is not importable here")
def test_broken_local_pipeline_is_model_not_found(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("pipeline:\n  name: no.such.Pipeline\n")
    with pytest.raises(ModelNotFound, match="cannot load pyannote pipeline"):
        PyannoteDiarizer.load(TranscribeOptions(), pipeline=str(tmp_path))


needs_pyannote = pytest.mark.skipif(
    not _pyannote_importable(), reason="pyannote.audio is not importable here"
)


@pytest.fixture(scope="module")
def local_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_pyannote_pipeline(tmp_path_factory.mktemp("pyannote-pipeline"))


@pytest.fixture(scope="module")
def diarizer(local_pipeline: Path) -> PyannoteDiarizer:
    options = TranscribeOptions(diarize=True, diarize_backend="pyannote", offline=True)
    return PyannoteDiarizer.load(options, pipeline=str(local_pipeline))


@needs_pyannote
def test_local_pipeline_loads_through_load_diarizer(local_pipeline: Path) -> None:
    options = TranscribeOptions(
        diarize=True, diarize_backend="pyannote", diarize_model=str(local_pipeline), offline=True
    )
    assert isinstance(load_diarizer(options), PyannoteDiarizer)


@needs_pyannote
def test_local_pipeline_labels_real_speech(diarizer: PyannoteDiarizer, shared_audio: Path) -> None:
    audio = decode_audio(shared_audio / "jfk.wav")
    duration = len(audio) / 16000
    turns = diarizer.diarize(audio)
    assert turns
    assert all(0 <= t.start < t.end <= duration for t in turns)
    # The segmentation model says "one speaker" on every frame: speech covers the clip.
    assert sum(t.end - t.start for t in turns) >= 0.9 * duration
    assert turns[0].speaker == "SPEAKER_00"


@needs_pyannote
def test_local_pipeline_honours_speaker_counts(
    diarizer: PyannoteDiarizer, shared_audio: Path
) -> None:
    audio = decode_audio(shared_audio / "jfk.wav")
    assert {t.speaker for t in diarizer.diarize(audio, max_speakers=1)} == {"SPEAKER_00"}
    two = diarizer.diarize(audio, num_speakers=2)
    assert {t.speaker for t in two} == {"SPEAKER_00", "SPEAKER_01"}


@needs_pyannote
def test_pyannote_runs_torch_on_few_threads(
    diarizer: PyannoteDiarizer, shared_audio: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library caller's ``diarize`` ran pyannote's torch on every core, whose OpenMP threads
    stall each other wherever a core is taken; only the pipeline set this."""
    import torch

    seen: set[int] = set()
    real = diarizer._pipeline

    def pipeline(*args: object, **kwargs: object) -> object:
        seen.add(torch.get_num_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(diarizer, "_pipeline", pipeline)
    monkeypatch.setattr("woasr_cli.runtime.usable_cores", lambda: 2)
    before = torch.get_num_threads()
    torch.set_num_threads(2)  # torch's default on 2 cores
    try:
        turns = diarizer.diarize(decode_audio(shared_audio / "jfk.wav"))
        after = torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
    assert turns
    assert seen == {1}
    assert after == 2
