"""``origin_whisper`` on a small Whisper the test builds (random weights), loaded from a .pt file
through openai-whisper's own ``load_model``, decoded with its real tokenizer."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import write_wav
from tinymodels import torch_threads_in
from woasr_cli.cli.app import app
from woasr_cli.errors import CapabilityError, ModelNotFound
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers import load_provider

whisper = pytest.importorskip("whisper", reason="needs pip install 'woasr[openai-whisper]'")
torch = pytest.importorskip("torch", reason="needs torch (pip install torch==2.13.0)")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from whisper.model import ModelDimensions, Whisper

    dims = ModelDimensions(
        n_mels=80,
        n_audio_ctx=1500,
        n_audio_state=64,
        n_audio_head=2,
        n_audio_layer=1,
        n_vocab=51864,
        n_text_ctx=448,
        n_text_state=64,
        n_text_head=2,
        n_text_layer=1,
    )  # fmt: skip  (51864 tokens: the English-only GPT-2 vocabulary, like tiny.en)
    # One thread: multi-threaded CPU sums vary in the last bits, and a random model's greedy
    # decode is chaotic enough for that to change what it emits.
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = Whisper(dims)
    # Random weights put the "no speech" probability near Whisper's skip threshold, so windows
    # were dropped or kept from run to run; a zero logit for that token makes it negligible.
    no_speech = whisper.tokenizer.get_tokenizer(multilingual=False).no_speech
    with torch.no_grad():
        model.decoder.token_embedding.weight[no_speech] = 0.0
    path = tmp_path_factory.mktemp("ow") / "tiny-random.en.pt"
    torch.save({"dims": asdict(dims), "model_state_dict": model.state_dict()}, path)
    return path


def noise(seconds: float) -> np.ndarray:
    return (0.1 * np.random.default_rng(3).standard_normal(int(seconds * 16000))).astype(np.float32)


def options(path: Path, **extra: object) -> TranscribeOptions:
    return TranscribeOptions(
        provider="origin_whisper", model=str(path), offline=True, beam_size=1, temperature=(0.0,),
        **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def test_random_checkpoint_transcribes_long_audio_with_words(checkpoint: Path) -> None:
    opts = options(checkpoint, word_timestamps=True)
    provider = load_provider(opts)
    segments, lang = provider.transcribe(noise(40.0), opts)  # two 30 s windows
    segments = list(segments)
    assert lang.language == "en"
    # A random model's decode is chaotic (from one process to the next it may emit text or only
    # special tokens); whatever it emits must be well-formed.
    tokenizer = whisper.tokenizer.get_tokenizer(multilingual=False)
    previous = 0.0
    for seg in segments:
        assert previous - 1e-6 <= seg.start <= seg.end <= 40.0 + 1e-6
        previous = seg.start
        # Text decoded by the real tokenizer round-trips through it.
        assert tokenizer.decode(tokenizer.encode(" " + seg.text)).strip() == seg.text
        for w in seg.words:
            assert seg.start - 0.01 <= w.start <= w.end <= seg.end + 0.01


def test_english_only_checkpoint_refuses_translate(checkpoint: Path) -> None:
    opts = options(checkpoint, task="translate")
    with pytest.raises(CapabilityError, match="English-only"):
        load_provider(opts).transcribe(noise(1.0), opts)


def test_missing_and_unknown_models_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="no openai-whisper checkpoint"):
        load_provider(options(tmp_path / "nope.pt"))
    with pytest.raises(ModelNotFound, match="unknown openai-whisper model 'huge-v9'"):
        load_provider(TranscribeOptions(provider="origin_whisper", model="huge-v9"))
    with pytest.raises(ModelNotFound, match="offline"):
        load_provider(TranscribeOptions(provider="origin_whisper", model="tiny", offline=True,
                                        model_cache_dir=str(tmp_path)))  # fmt: skip
    # A file that is not a checkpoint (a .safetensors, a download cut short): a page of
    # torch's weights_only advice or an UnpicklingError traceback, exit 1.
    for name, data in (("garbage.pt", b"garbage\n"), ("model.safetensors", b"\x08\x00" * 64)):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ModelNotFound, match="not an openai-whisper checkpoint") as err:
            load_provider(options(tmp_path / name))
        assert "\n" not in str(err.value)


def test_cli_end_to_end(checkpoint: Path, tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "n.wav", noise(8.0), 16000)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["transcribe", str(wav), "-o", str(out), "--provider", "origin_whisper",
              "--model", str(checkpoint), "--temperature", "0", "--beam-size", "1",
              "-f", "json,srt,vtt"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    doc = json.loads((out / "n.json").read_text())
    assert doc["provider"] == "origin_whisper" and doc["language"] == "en"
    assert (out / "n.vtt").read_text().startswith("WEBVTT")


def test_compute_type_float32_and_float16(checkpoint: Path) -> None:
    # --compute-type was ignored: float16 on a CPU ran float32 (openai-whisper warns and falls
    # back), float32 on a GPU ran float16.
    from woasr_cli.providers.openai_whisper_engine import half_precision

    with pytest.raises(CapabilityError, match="float16 on a GPU only"):
        load_provider(options(checkpoint, compute_type="float16", device="cpu"))
    provider = load_provider(options(checkpoint, compute_type="float32", device="cpu"))
    assert provider.fp16 is False  # type: ignore[attr-defined]
    assert half_precision("default", "cuda") and half_precision("float16", "cuda")
    assert not half_precision("float32", "cuda") and not half_precision("default", "cpu")


def test_a_language_an_english_only_checkpoint_lacks_is_refused_before_any_audio(
    checkpoint: Path,
) -> None:
    # The server and live transcription check a loaded model before taking audio; this
    # provider had no check, so -l ko failed only on the first file.
    from woasr_cli.providers.base import check_options

    opts = options(checkpoint, language="ko")
    with pytest.raises(CapabilityError, match="English-only"):
        check_options(load_provider(opts), opts)


def test_threads_is_the_torch_threads_the_model_runs_on(checkpoint: Path) -> None:
    # --threads (and each --workers worker's share of the cores) never reached this engine:
    # torch ran one thread per core whatever was asked (docs/performance.md: beside a busy
    # core, 2 threads took 51-57 s for what 1 did in 18-35 s).
    opts = options(checkpoint, threads=1)
    provider: Any = load_provider(opts)
    seen, after = torch_threads_in(
        provider._model.encoder, lambda: list(provider.transcribe(noise(2.0), opts)[0])
    )
    assert seen == {1}
    assert after == 3  # as it was, after
