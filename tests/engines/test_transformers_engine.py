"""``hf_auto_asr`` on small models the test builds (random weights): real loading through the
transformers pipeline, long-audio chunking, timestamps, and conversion to the transcript."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import write_wav
from tinymodels import build_ctc_model, torch_threads_in
from woasr_cli.cli.app import app
from woasr_cli.errors import ModelNotFound
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers import load_provider

transformers = pytest.importorskip("transformers", reason="needs pip install 'woasr[transformers]'")
torch = pytest.importorskip("torch", reason="needs torch (pip install torch==2.13.0)")


@pytest.fixture(scope="module")
def ctc_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Random weights mostly emit blanks; a lower blank/<unk> bias makes letters and word breaks
    # come out, so the word-timestamp path has words to place.
    return build_ctc_model(tmp_path_factory.mktemp("tiny-w2v2"), "ABCDEFGH", blank_bias=-3.0)


def noise(seconds: float) -> np.ndarray:
    rng = np.random.default_rng(7)
    return (0.1 * rng.standard_normal(int(seconds * 16000))).astype(np.float32)


def test_ctc_model_from_a_local_directory_long_audio(ctc_model: Path) -> None:
    options = TranscribeOptions(provider="hf_auto_asr", model=str(ctc_model), offline=True)
    provider = load_provider(options)
    audio = noise(70.0)  # over 30 s: the strided chunking path
    segments, lang = provider.transcribe(audio, options)
    segments = list(segments)
    assert segments, "the biased random model must emit words"
    alphabet = set("ABCDEFGH'")
    for seg in segments:
        assert 0.0 <= seg.start <= seg.end <= 70.0
        assert seg.words and seg.text == " ".join(w.text for w in seg.words)
        for w in seg.words:
            assert set(w.text) <= alphabet  # decoded by the model's own tokenizer
            assert seg.start <= w.start <= w.end <= seg.end
    starts = [w.start for s in segments for w in s.words]
    assert starts == sorted(starts)
    assert segments[-1].end > 35.0  # the later chunks were transcribed too
    assert lang.language is None


def test_cli_end_to_end_with_the_built_model(ctc_model: Path, tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "noise.wav", noise(12.0), 16000)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["transcribe", str(wav), "-o", str(out), "--provider", "hf_auto_asr",
              "--model", str(ctc_model), "-f", "json,srt"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    doc = json.loads((out / "noise.json").read_text())
    assert doc["provider"] == "hf_auto_asr" and doc["model"] == str(ctc_model)
    assert doc["segments"] and (out / "noise.srt").read_text().startswith("1\n")


def test_unknown_hub_id_offline_is_one_line(tmp_path: Path) -> None:
    options = TranscribeOptions(provider="hf_auto_asr", model="nobody/no-such-model", offline=True)
    with pytest.raises(ModelNotFound) as err:
        load_provider(options)
    assert "no-such-model" in str(err.value) and "\n" not in str(err.value)


def test_a_directory_without_its_tokenizer_is_one_line(tmp_path: Path, ctc_model: Path) -> None:
    # Weights and config saved without the processor: a TypeError deep in transformers.
    weights_only = tmp_path / "weights-only"
    weights_only.mkdir()
    for name in ("config.json", "model.safetensors"):
        (weights_only / name).write_bytes((ctc_model / name).read_bytes())
    options = TranscribeOptions(provider="hf_auto_asr", model=str(weights_only))
    with pytest.raises(ModelNotFound, match=r"has no tokenizer .*save_pretrained") as err:
        load_provider(options)
    assert "\n" not in str(err.value)


@pytest.fixture(scope="module")
def whisper_model(tmp_path_factory: pytest.TempPathFactory, tiny_en: Path) -> Path:
    """A 1-layer Whisper with random weights and the real tiny.en tokenizer."""
    out = tmp_path_factory.mktemp("tiny-whisper")
    special = "<|endoftext|>"
    tok = transformers.WhisperTokenizerFast(
        tokenizer_file=str(tiny_en / "tokenizer.json"),
        bos_token=special, eos_token=special, unk_token=special, pad_token=special,
    )  # fmt: skip
    transformers.WhisperProcessor(
        feature_extractor=transformers.WhisperFeatureExtractor(), tokenizer=tok
    ).save_pretrained(out)
    ids = tok.convert_tokens_to_ids
    tokens = {
        "decoder_start_token_id": ids("<|startoftranscript|>"),
        "eos_token_id": ids(special),
        "pad_token_id": ids(special),
        "bos_token_id": ids(special),
    }
    config = transformers.WhisperConfig(
        vocab_size=len(tok), d_model=64, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=128,
        decoder_ffn_dim=128, max_target_positions=448, **tokens,
    )  # fmt: skip
    torch.manual_seed(0)
    transformers.WhisperForConditionalGeneration(config).save_pretrained(out)
    transformers.GenerationConfig(
        **tokens, no_timestamps_token_id=ids("<|notimestamps|>"), is_multilingual=False,
        max_length=24, max_initial_timestamp_index=50,
    ).save_pretrained(out)  # fmt: skip
    return out


def test_whisper_style_model_long_form(whisper_model: Path, tiny_en: Path) -> None:
    options = TranscribeOptions(provider="hf_auto_asr", model=str(whisper_model), offline=True,
                                beam_size=1)  # fmt: skip
    provider = load_provider(options)
    segments = list(provider.transcribe(noise(45.0), options)[0])
    assert segments
    vocabulary = json.loads((tiny_en / "tokenizer.json").read_text())["model"]["vocab"]
    for seg in segments:
        assert 0.0 <= seg.start <= seg.end <= 45.0
        # Text comes from the real tokenizer: every piece is a vocabulary entry, no raw ids.
        assert seg.text and "<|" not in seg.text
    assert any(piece in vocabulary for piece in ("Ġ" + segments[0].text.split()[0],
                                                 segments[0].text.split()[0]))  # fmt: skip


def test_the_language_is_reported(whisper_model: Path, ctc_model: Path) -> None:
    # JSON said "language": null for every hf_auto_asr file, though lang-id is listed.
    options = TranscribeOptions(provider="hf_auto_asr", model=str(whisper_model), offline=True,
                                beam_size=1)  # fmt: skip
    provider: Any = load_provider(options)
    assert provider.transcribe(noise(2.0), options)[1].language == "en"  # English-only
    # A multilingual Whisper's chunks name the language it heard (transformers' names).
    provider.multilingual = True
    assert provider._language([{"language": None}, {"language": "korean"}], options) == "ko"
    assert provider._language([{"language": "ko"}], options) == "ko"
    assert provider._language([], options) is None
    assert provider._language([{"language": "korean"}], options.with_changes(language="de")) == "de"
    ctc = TranscribeOptions(provider="hf_auto_asr", model=str(ctc_model))
    assert load_provider(ctc).transcribe(noise(1.0), ctc)[1].language is None


def test_english_only_whisper_refuses_translate(whisper_model: Path) -> None:
    from woasr_cli.errors import CapabilityError

    options = TranscribeOptions(provider="hf_auto_asr", model=str(whisper_model), offline=True,
                                task="translate")  # fmt: skip
    with pytest.raises(CapabilityError, match="English-only"):
        load_provider(options).transcribe(noise(2.0), options)


def test_word_times_from_a_whisper_without_alignment_heads_are_refused(
    whisper_model: Path,
) -> None:
    # Fine-tuned Whisper models often ship without them: every file failed with a page of
    # transformers' ValueError (and --diarize turns word times on).
    from woasr_cli.errors import CapabilityError
    from woasr_cli.providers.base import check_options

    options = TranscribeOptions(provider="hf_auto_asr", model=str(whisper_model), offline=True,
                                word_timestamps=True, beam_size=1)  # fmt: skip
    provider = load_provider(options)
    with pytest.raises(CapabilityError, match=r"names no alignment heads .* use --align"):
        check_options(provider, options)
    with pytest.raises(CapabilityError, match="alignment heads"):
        provider.transcribe(noise(2.0), options)


def test_a_ctc_model_refuses_a_language_before_any_file(ctc_model: Path, tmp_path: Path) -> None:
    # A CTC model is told no language: -l ko ran it as ever and the JSON said "language": "ko".
    wav = write_wav(tmp_path / "noise.wav", noise(2.0), 16000)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["transcribe", str(wav), "-o", str(out), "--provider", "hf_auto_asr",
              "--model", str(ctc_model), "-l", "ko", "-f", "json"],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("woasr: error:")]
    assert errors == [
        f"woasr: error: model '{ctc_model}' (wav2vec2) cannot be told a language (--language "
        "ko): it transcribes the one it was trained on; drop --language"
    ]
    assert not (out / "noise.json").exists()
    # The library refuses it when the Transcriber is made, before any file.
    from woasr_cli import Transcriber
    from woasr_cli.errors import CapabilityError

    options = TranscribeOptions(provider="hf_auto_asr", model=str(ctc_model), language="en")
    with pytest.raises(CapabilityError, match="cannot be told a language"):
        Transcriber(options)


@pytest.mark.parametrize("compute_type", ["float16", "bfloat16", "float32"])
def test_the_compute_type_is_the_models_dtype(ctc_model: Path, compute_type: str) -> None:
    # --compute-type was ignored: the model ran float32 whatever was asked.
    options = TranscribeOptions(provider="hf_auto_asr", model=str(ctc_model),
                                compute_type=compute_type, device="cpu")  # fmt: skip
    provider: Any = load_provider(options)
    assert provider._pipe.model.dtype == getattr(torch, compute_type)
    segments = list(provider.transcribe(noise(3.0), options)[0])
    assert segments and all(0.0 <= s.start <= s.end <= 3.0 for s in segments)


def test_quiet_loading_prints_nothing(ctc_model: Path, tmp_path: Path) -> None:
    # -q printed one thing: transformers' "Loading weights: 100%|####| 37/37" bar.
    from transformers.utils import logging as transformers_logging

    wav = write_wav(tmp_path / "noise.wav", noise(2.0), 16000)
    result = CliRunner().invoke(
        app, ["transcribe", str(wav), "-o", str(tmp_path / "out"), "-q", "--provider",
              "hf_auto_asr", "--model", str(ctc_model), "-f", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "" and result.stdout == ""
    assert transformers_logging.is_progress_bar_enabled()  # left as it was


def test_threads_is_the_torch_threads_the_model_runs_on(ctc_model: Path) -> None:
    # --threads (and each --workers worker's share of the cores) never reached this engine.
    options = TranscribeOptions(provider="hf_auto_asr", model=str(ctc_model), threads=1)
    provider: Any = load_provider(options)
    seen, after = torch_threads_in(
        provider._pipe.model, lambda: provider.transcribe(noise(2.0), options)
    )
    assert seen == {1}
    assert after == 3
