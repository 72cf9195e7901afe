"""The pyannote backend without gated weights: clear errors, and what can run offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from woasr_cli.errors import ModelNotFound, ProviderUnavailable
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
    assert pipeline_source(None, TranscribeOptions(hf_token="hf_x")) == (HUB_PIPELINE, "hf_x")
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
