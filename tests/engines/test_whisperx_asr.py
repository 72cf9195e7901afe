"""``whisperx``: real accuracy with the offline tiny.en where whisperX imports; otherwise the
one-line error a user gets."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from conftest import wer
from woasr_cli.errors import ModelNotFound, ProviderUnavailable
from woasr_cli.media import decode_audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers import load_provider


def _whisperx_imports() -> bool:
    if importlib.util.find_spec("whisperx") is None:
        return False
    try:
        import whisperx.asr  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


@pytest.mark.skipif(_whisperx_imports(), reason="whisperX imports here: the accuracy test runs")
def test_missing_whisperx_is_one_line() -> None:
    with pytest.raises(ProviderUnavailable) as err:
        load_provider(TranscribeOptions(provider="whisperx", offline=True))
    message = str(err.value)
    assert message.startswith("provider 'whisperx' needs: pip install 'woasr[whisperx]'")
    assert "\n" not in message


@pytest.mark.skipif(
    not _whisperx_imports(),
    reason="needs pip install 'woasr[whisperx]' (whisperX imports pyannote.audio/torchaudio)",
)
def test_tiny_en_accuracy(shared_audio: Path, references: dict[str, str]) -> None:
    options = TranscribeOptions(provider="whisperx", model="tiny.en", offline=True)
    segments, _ = load_provider(options).transcribe(
        decode_audio(shared_audio / "jfk.flac"), options
    )
    assert wer(references["jfk.flac"], " ".join(s.text for s in segments)) <= 0.10


@pytest.mark.skipif(
    not _whisperx_imports(),
    reason="needs pip install 'woasr[whisperx]' (whisperX imports pyannote.audio/torchaudio)",
)
def test_loading_prints_nothing() -> None:
    # A fresh process: the library lines come once, at first import and model load.
    import os
    import subprocess
    import sys

    code = (
        "from woasr_cli.options import TranscribeOptions\n"
        "from woasr_cli.providers import load_provider\n"
        "load_provider(TranscribeOptions(provider='whisperx', model='tiny.en', offline=True))\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("", "")


@pytest.mark.skipif(
    not _whisperx_imports(),
    reason="needs pip install 'woasr[whisperx]' (whisperX imports pyannote.audio/torchaudio)",
)
def test_long_speech_a_calls_own_prompt_and_a_bad_model(
    shared_audio: Path, references: dict[str, str], tmp_path: Path
) -> None:
    import numpy as np

    options = TranscribeOptions(provider="whisperx", model="tiny.en", offline=True)
    provider = load_provider(options)
    # 44 s of speech without a pause of 2 s (a lecture): whisperX never splits a stretch of
    # speech, and the file failed ("expected (1, 80, 3000) ... got (1, 80, 4400)").
    jfk = decode_audio(shared_audio / "jfk.flac")
    segments, _ = provider.transcribe(np.concatenate([jfk] * 4), options)
    said = " ".join(s.text for s in segments)
    assert wer(" ".join([references["jfk.flac"]] * 4), said) <= 0.15, said
    # A call's own decoding options (a Transcriber's per-call prompt): whisperX kept those it
    # was loaded with, and the prompt was dropped.
    plain = " ".join(s.text for s in provider.transcribe(jfk, options)[0])
    prompt = "THE FOLLOWING IS A TRANSCRIPT IN CAPITAL LETTERS. AND SO MY FELLOW AMERICANS"
    prompted = options.with_changes(initial_prompt=prompt)
    assert " ".join(s.text for s in provider.transcribe(jfk, prompted)[0]) != plain
    assert " ".join(s.text for s in provider.transcribe(jfk, options)[0]) == plain
    # A model.bin CTranslate2 cannot read: one line, as faster_whisper says it (a traceback).
    model = tmp_path / "broken"
    model.mkdir()
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        (model / name).write_text("{}" if name != "vocabulary.json" else "[]")
    (model / "model.bin").write_bytes(b"garbage")
    with pytest.raises(ModelNotFound, match=r"^cannot load model '.*broken' from .*: ") as err:
        load_provider(options.with_changes(model=str(model)))
    assert "\n" not in str(err.value)


@pytest.mark.skipif(
    not _whisperx_imports(),
    reason="needs pip install 'woasr[whisperx]' (whisperX imports pyannote.audio/torchaudio)",
)
def test_live_keeps_the_last_words_of_each_utterance(
    shared_audio: Path, references: dict[str, str]
) -> None:
    # whisperX gives segments without word times, spanning the silence after the speech; the
    # words shared out over it were dropped as invented there ("for you." before jfk's pause,
    # "country." at the end), and a committed word's spread time cut "ask" from the next pass.
    import itertools

    from woasr_cli.live import open_processor

    processor = open_processor(
        TranscribeOptions(provider="whisperx", model="tiny.en", language="en", offline=True)
    )
    processor.clock = itertools.count(step=0.2).__next__  # type: ignore[assignment]  # passes of 0.2 s
    audio = decode_audio(shared_audio / "jfk.flac")
    events = [e for i in range(0, len(audio), 1600) for e in processor.feed(audio[i : i + 1600])]
    events += processor.finish()
    text = " ".join(e.text for e in events if e.type == "final")
    # "And so my" heard as "And so am I" and "ask" as "asked" by passes over too little audio
    # after them (as faster_whisper's passes at some timings): 3 of 22 words
    assert wer(references["jfk.flac"], text) <= 0.15, text
    assert "for you" in text.lower() and text.rstrip(".").endswith("your country"), text


@pytest.mark.skipif(
    not _whisperx_imports(),
    reason="needs pip install 'woasr[whisperx]' (whisperX imports pyannote.audio/torchaudio)",
)
def test_a_file_without_speech_gives_no_segments_and_no_language(tmp_path: Path) -> None:
    # whisperX merged the VAD's turns by taking the first before looking: 10 s of silence
    # failed the file with "IndexError: list index out of range".
    from typer.testing import CliRunner

    from conftest import write_wav
    from woasr_cli.cli.app import app

    wav = write_wav(tmp_path / "silence.wav", np.zeros(10 * 16000, dtype=np.float32), 16000)
    out = tmp_path / "out"
    args = ["transcribe", str(wav), "-o", str(out), "-q", "-f", "json"]
    result = CliRunner().invoke(app, [*args, "--provider", "whisperx", "-m", "tiny.en"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads((out / "silence.json").read_text())
    assert doc["segments"] == [] and doc["language"] is None and doc["duration"] == 10.0
