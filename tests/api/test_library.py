"""The library API (``from woasr_cli import ...``): what the CLI, the server, Ray workers and
live streaming build on."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import REPO, wer
from woasr_cli import (
    BatchResult,
    CapabilityError,
    InputError,
    TranscribeOptions,
    Transcriber,
    Transcript,
    UsageError,
    render,
    run_batch,
    write_outputs,
)
from woasr_cli.cli.app import app
from woasr_cli.media import decode_audio

pytestmark = pytest.mark.slow


def readme_example() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"## Python\n.*?```python\n(.*?)```", text, re.S)
    assert match, "README has a '## Python' section with a python block"
    return match.group(1)


def test_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    code = readme_example()
    assert len(code.strip().splitlines()) <= 12
    (tmp_path / "examples").mkdir()
    shutil.copy(REPO / "examples" / "welcome.ogg", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "welcome" in printed.lower()
    assert "-->" in printed  # the SRT text
    assert (tmp_path / "out" / "welcome.srt").is_file()
    assert (tmp_path / "out" / "welcome.json").is_file()


def test_options_validate_before_any_model_loads() -> None:
    assert TranscribeOptions(language="Korean").language == "ko"
    assert TranscribeOptions(language="KO").language == "ko"
    # whisper.cpp's and subtitle tools' word for "detect it"
    assert TranscribeOptions(language="auto").language is None
    assert TranscribeOptions(language="Auto").language is None
    assert TranscribeOptions(temperature="0,0.4").temperature == (0.0, 0.4)  # type: ignore[arg-type]
    assert TranscribeOptions(formats="srt,vtt").formats == ("srt", "vtt")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="--language 'xx' is not a language"):
        TranscribeOptions(language="xx")
    with pytest.raises(UsageError, match="unknown output format 'docx'"):
        TranscribeOptions(formats=("docx",))
    with pytest.raises(UsageError, match="--task must be"):
        TranscribeOptions(task="summarise")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="--min-speakers"):
        TranscribeOptions(min_speakers=3, max_speakers=2)
    # both asked for: the word times were computed and written anyway
    with pytest.raises(UsageError, match="needs word timestamps"):
        TranscribeOptions(highlight_words=True, word_timestamps=False)
    assert TranscribeOptions(highlight_words=True).word_timestamps is True
    # Types, as a request or a stored job may carry them: "5" raised a TypeError, 2.5 reached
    # CTranslate2, and "false" turned diarization on.
    for bad, message in (({"beam_size": "5"}, "--beam-size takes a whole number, not '5'"),
                         ({"beam_size": 2.5}, "--beam-size takes a whole number"),
                         ({"diarize": "false"}, "--diarize takes true or false"),
                         ({"compression_ratio_threshold": "x"}, "takes a number")):  # fmt: skip
        with pytest.raises(UsageError, match=message):
            TranscribeOptions.from_mapping(bad)
    assert TranscribeOptions(beam_size=np.int64(3)).beam_size.__class__ is int  # type: ignore[arg-type,union-attr]
    assert TranscribeOptions(model_cache_dir=Path("/m")).model_cache_dir == "/m"  # type: ignore[arg-type]
    # The CLI prints the very same message and exits 2, before any model loads.
    result = CliRunner().invoke(app, ["transcribe", "nothing.wav", "--language", "xx"])
    assert result.exit_code == 2
    assert "--language 'xx' is not a language" in result.stderr


def test_capabilities_refused_by_the_transcriber() -> None:
    with pytest.raises(CapabilityError, match="does not support --hotwords"):
        Transcriber(TranscribeOptions(provider="origin_whisper", hotwords="woasr"))
    with pytest.raises(UsageError, match="unknown provider"):
        Transcriber(TranscribeOptions(provider="nope"))


def test_path_and_array_give_the_same_transcript(shared_audio: Path) -> None:
    clip = shared_audio / "jfk.wav"
    with Transcriber(TranscribeOptions(model="tiny.en", word_timestamps=True)) as tr:
        seen: list[float] = []
        from_path = tr.transcribe(clip, on_progress=lambda done, total: seen.append(done))
        from_array = tr.transcribe(decode_audio(clip))
    assert isinstance(from_path, Transcript) and from_path.source == str(clip)
    assert [s.text for s in from_path.segments] == [s.text for s in from_array.segments]
    # 16-bit PCM, float64 and a (1, N) row are the same samples: int16 was read as floats of
    # thousands (no text, or made-up text), float64 failed in onnxruntime, a row in an assert.
    pcm = (np.clip(decode_audio(clip), -1, 1) * 32767).astype(np.int16)
    for same in (pcm, decode_audio(clip).astype(np.float64), decode_audio(clip)[None, :]):
        with Transcriber(TranscribeOptions(model="tiny.en")) as tr:
            assert wer(from_path.text, tr.transcribe(same).text) <= 0.05, same.dtype
    stereo = np.stack([decode_audio(clip)] * 2, axis=1)
    broken = decode_audio(clip).copy()
    broken[5000] = np.nan  # the whole file came back as "" without a word
    with Transcriber(TranscribeOptions(model="tiny.en")) as tr:
        with pytest.raises(InputError, match=r"shape \(176000, 2\).*mean"):
            tr.transcribe(stereo)
        with pytest.raises(InputError, match="1 of 176000 samples are NaN or infinite"):
            tr.transcribe(broken)
    assert seen and seen == sorted(seen) and seen[-1] == pytest.approx(from_path.duration, abs=0.1)
    assert all(w.start <= w.end for s in from_path.segments for w in s.words)
    texts = render(from_path, ("srt", "txt"), max_line_width=30)
    assert set(texts) == {"srt", "txt"}
    assert all(len(line) <= 30 for line in texts["srt"].splitlines())


def test_per_call_options_and_their_limits(shared_audio: Path) -> None:
    with Transcriber(TranscribeOptions(model="tiny.en")) as tr:
        prompted = tr.transcribe(
            shared_audio / "jfk.wav",
            options=TranscribeOptions(model="tiny.en", language="en", beam_size=1),
        )
        assert prompted.language == "en" and prompted.text
        with pytest.raises(UsageError, match="make another Transcriber"):
            tr.transcribe(shared_audio / "jfk.wav", options=TranscribeOptions(model="base"))


def test_no_word_timestamps_gives_a_transcript_without_words(
    shared_audio: Path, references: dict[str, str]
) -> None:
    """``--no-word-timestamps`` (``word_timestamps=False``): no word times in the transcript, as
    sequential decoding gives none. Batched decoding (the default) times words anyway (it cuts
    its chunks' text at them) and wrote all 22 of jfk's into the JSON while its options said
    ``word_timestamps: false``."""
    options = TranscribeOptions(model="tiny.en", word_timestamps=False)
    with Transcriber(options) as tr:
        found = tr.transcribe(shared_audio / "jfk.wav")
    assert wer(references["jfk.wav"], found.text) <= 0.1, found.text
    assert found.segments and [s.words for s in found.segments] == [[]] * len(found.segments)


def test_write_outputs_is_atomic_and_named_by_format(tmp_path: Path, shared_audio: Path) -> None:
    with Transcriber(TranscribeOptions(model="tiny.en")) as tr:
        transcript = tr.transcribe(shared_audio / "librispeech_1272-128104-0000.wav")
    paths = write_outputs(transcript, tmp_path / "talk", ("srt", "json"))
    assert [p.name for p in paths] == ["talk.srt", "talk.json"]
    assert json.loads(paths[1].read_text())["text"] == transcript.text
    assert not list(tmp_path.glob(".*.part"))


def test_one_transcriber_loads_asr_and_diarizer_once(
    shared_audio: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from woasr_cli.processing import diarization
    from woasr_cli.providers import registry

    loads = {"asr": 0, "diarizer": 0}
    real_provider, real_diarizer = registry.load_provider, diarization.load_diarizer

    def count_provider(options: TranscribeOptions):  # type: ignore[no-untyped-def]
        loads["asr"] += 1
        return real_provider(options)

    def count_diarizer(options: TranscribeOptions):  # type: ignore[no-untyped-def]
        loads["diarizer"] += 1
        return real_diarizer(options)

    monkeypatch.setattr(registry, "load_provider", count_provider)
    monkeypatch.setattr(diarization, "load_diarizer", count_diarizer)
    clips = [
        shared_audio / "pyannote_sample.wav",
        shared_audio / "jfk.wav",
        shared_audio / "fw_stereo_diarization.wav",
    ]
    options = TranscribeOptions(model="tiny.en", diarize=True, formats=("json", "rttm"))
    with Transcriber(options) as tr:
        transcripts = [tr.transcribe(clip) for clip in clips]
    assert loads == {"asr": 1, "diarizer": 1}
    assert tr.options.word_timestamps  # --diarize turns word times on (policy, not the CLI)
    assert len(transcripts[0].speakers) == 2 and len(transcripts[1].speakers) == 1
    # The batch runner shares one Transcriber across its files in the same way.
    result = run_batch(clips, options, tmp_path / "out")
    assert isinstance(result, BatchResult) and result.done == 3 and result.failed == 0
    assert loads == {"asr": 2, "diarizer": 2}


def test_run_batch_reports_what_matched_nothing(tmp_path: Path, shared_audio: Path) -> None:
    options = TranscribeOptions(model="tiny.en", formats=("txt",))
    result = run_batch(
        [shared_audio / "jfk.wav", str(tmp_path / "nothing-*.wav")], options, tmp_path / "o"
    )
    assert result.done == 1 and result.missing == [str(tmp_path / "nothing-*.wav")]
    again = run_batch([shared_audio / "jfk.wav"], options, tmp_path / "o")
    assert again.skipped == 1 and again.done == 0


def test_a_sixth_provider_is_one_module_and_one_registration(
    shared_audio: Path, tmp_path: Path, references: dict[str, str]
) -> None:
    from woasr_cli.providers.base import Capabilities
    from woasr_cli.providers.registry import _SPECS, ProviderSpec, register

    register(
        ProviderSpec(
            name="plain_whisper",
            module="providers.sixth_provider",  # tests/providers/sixth_provider.py
            extra="test",
            requires=("faster_whisper",),
            default_model="tiny.en",
            capabilities=Capabilities(
                translate=False,
                word_timestamps=True,
                language_detection=True,
                needs_torch=False,
                gpu=False,
            ),
            summary="plain faster-whisper, one stream (a test's provider)",
        )
    )
    try:
        runner = CliRunner()
        listed = runner.invoke(app, ["providers", "--json"])
        assert any(p["name"] == "plain_whisper" for p in json.loads(listed.stdout))
        out = tmp_path / "out"
        result = runner.invoke(
            app, ["transcribe", str(shared_audio / "jfk.wav"), "-p", "plain_whisper", "-o",
                  str(out), "-f", "json,srt"],
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        doc = json.loads((out / "jfk.json").read_text())
        assert doc["provider"] == "plain_whisper"
        assert wer(references["jfk.wav"], doc["text"]) < 0.1
        refused = runner.invoke(
            app, ["transcribe", str(shared_audio / "jfk.wav"), "-p", "plain_whisper",
                  "--task", "translate", "-o", str(out)],
        )  # fmt: skip
        assert refused.exit_code == 2 and "cannot translate" in refused.stderr
    finally:
        _SPECS.pop("plain_whisper", None)


def _failed_batch(tmp_path: Path, shared_audio: Path) -> Path:
    """A batch whose two inputs failed (broken when it ran) and have been fixed since."""
    media = tmp_path / "media"
    media.mkdir()
    names = ("jfk.wav", "librispeech_1272-128104-0000.wav")
    for name in names:
        (media / name).write_bytes(b"RIFF\x00\x00 truncated upload")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["transcribe", str(media), "-o", str(out), "-f", "txt", "--model", "tiny.en"]
    )
    assert result.exit_code == 1
    for name in names:
        shutil.copy(shared_audio / name, media / name)
    return out


def test_retry_honours_workers(tmp_path: Path, shared_audio: Path) -> None:
    out = _failed_batch(tmp_path, shared_audio)
    result = CliRunner().invoke(app, ["retry", "-o", str(out), "--workers", "2", "--json"])
    assert result.exit_code == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    done = [e for e in events if e["event"] == "done"]
    assert len(done) == 2
    # Done in worker processes (each event names its worker), not in this process.
    assert all(e.get("worker", "").startswith("worker-") for e in done), done


def test_retry_checks_capabilities_before_any_work(tmp_path: Path, shared_audio: Path) -> None:
    out = tmp_path / "out"
    media = tmp_path / "media"
    media.mkdir()
    (media / "broken.wav").write_bytes(b"RIFF not really")
    shutil.copy(shared_audio / "jfk.wav", media / "jfk.wav")
    first = CliRunner().invoke(
        app, ["transcribe", str(media), "-o", str(out), "-f", "txt", "--model", "tiny.en"]
    )
    assert first.exit_code == 1
    manifest = out / ".woasr-manifest.db"
    with sqlite3.connect(manifest) as conn:
        ((job_id, options_json),) = conn.execute(
            "SELECT j.id, m.value FROM jobs j JOIN job_meta m ON m.job_id = j.id "
            "WHERE j.state = 'failed' AND m.key = 'options'"
        )
        stored = json.loads(options_json)
        stored.update(provider="origin_whisper", hotwords="woasr", vad=None)
        conn.execute(
            "UPDATE job_meta SET value = ? WHERE job_id = ? AND key = 'options'",
            (json.dumps(stored), job_id),
        )
    result = CliRunner().invoke(app, ["retry", "-o", str(out)])
    assert result.exit_code == 2
    assert "does not support --hotwords" in result.stderr
    with sqlite3.connect(manifest) as conn:
        states = dict(conn.execute("SELECT id, state FROM jobs"))
    assert states[job_id] == "failed"  # nothing was attempted


def test_array_input_is_16k_mono_float32() -> None:
    silence = np.zeros(16000 * 3, dtype=np.float32)
    with Transcriber(TranscribeOptions(model="tiny.en")) as tr:
        transcript = tr.transcribe(silence)
    assert transcript.text == "" and transcript.duration == pytest.approx(3.0)


def test_a_bad_input_names_itself_to_a_library_caller(tmp_path: Path) -> None:
    # `except WoasrError as e: print(e)` printed "no such file" - which one, in a loop over a
    # folder? The CLI, the server and Ray name the input themselves (errors.reason).
    from woasr_cli.errors import MediaError, reason

    notes = tmp_path / "notes.wav"
    notes.write_text("not audio")
    with Transcriber(TranscribeOptions(model="tiny.en")) as tr:
        for path, why in ((tmp_path / "gone.wav", "no such file"),
                          (notes, "not a media file FFmpeg can read")):  # fmt: skip
            with pytest.raises(MediaError) as err:
                tr.transcribe(path)
            assert str(err.value) == f"{path}: {why}"
            assert reason(err.value) == why


def test_what_is_not_a_path_or_samples_is_refused_by_name() -> None:
    # transcribe("") read the current folder: "is a directory, not a media file", naming
    # nothing; a file's bytes were "samples of shape (): ... mix the channels first".
    with Transcriber(TranscribeOptions(model="tiny.en")) as tr:
        with pytest.raises(InputError, match=r"^an empty path: give a media file$"):
            tr.transcribe("")
        with pytest.raises(InputError, match=r"^bytes given as audio: give a path"):
            tr.transcribe(b"RIFF\x00\x00\x00\x00WAVE")


def test_options_given_as_a_mapping_are_refused_by_name() -> None:
    # transcribe(path, options={"language": "en"}) raised "'dict' object has no attribute
    # 'provider'" from deep in the policy; Transcriber({...}) the same.
    wanted = r"^options must be TranscribeOptions, not dict: TranscribeOptions.from_mapping"
    with pytest.raises(TypeError, match=wanted):
        Transcriber({"model": "tiny.en"})  # type: ignore[arg-type]
    with (
        Transcriber(TranscribeOptions(model="tiny.en")) as tr,
        pytest.raises(TypeError, match=wanted),
    ):
        tr.transcribe("clip.wav", options={"language": "en"})  # type: ignore[arg-type]
    assert TranscribeOptions.from_mapping({"language": "en"}).language == "en"  # the way shown
