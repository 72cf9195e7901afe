"""``woasr transcribe`` end to end: real model, real media, every format, bad inputs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import srt
import webvtt
from typer.testing import CliRunner

from conftest import SYNTH_SENTENCES, synthesize, wer
from mediafiles import encode_audio, video_only
from woasr_cli.cli.app import app

pytestmark = pytest.mark.slow
FORMATS = ("vtt", "srt", "json", "txt", "tsv")


def run(*args: str) -> tuple[int, str, str]:
    if args[:1] == ("transcribe",) and "--model" not in args:
        # fast; the default model is tested on its own (before any "--")
        args = ("transcribe", "--model", "tiny.en", *args[1:])
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_folder_to_every_format(speech_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "subs"
    code, _, err = run("transcribe", str(speech_dir), "-o", str(out))
    assert code == 0, err
    for i, sentence in enumerate(SYNTH_SENTENCES, 1):
        stem = out / f"synth_{i}"
        for fmt in FORMATS:
            assert (stem.with_suffix(f".{fmt}")).is_file(), fmt
        doc = json.loads(stem.with_suffix(".json").read_text())
        assert doc["language"] == "en" and doc["provider"] == "faster_whisper"
        assert doc["model"] == "tiny.en" and doc["duration"] > 1
        assert wer(sentence, doc["text"]) == 0.0, doc["text"]
        cues = list(srt.parse(stem.with_suffix(".srt").read_text()))
        assert wer(sentence, " ".join(c.content for c in cues)) == 0.0
        vtt = webvtt.read(str(stem.with_suffix(".vtt")))
        assert wer(sentence, " ".join(c.text for c in vtt)) == 0.0
        tsv = stem.with_suffix(".tsv").read_text().splitlines()
        assert tsv[0].split("\t")[:3] == ["start", "end", "text"]
        assert all(line.split("\t")[0].isdigit() for line in tsv[1:])
    # Nothing half-written is left behind.
    assert not list(out.rglob("*.part"))


def test_rerun_skips_finished_work(speech_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    assert run("transcribe", str(speech_dir), "-o", str(out), "-f", "srt")[0] == 0
    before = {p: p.stat().st_mtime_ns for p in out.glob("*.srt")}
    code, _, err = run("transcribe", str(speech_dir), "-o", str(out), "-f", "srt")
    assert code == 0 and "2 skipped" in err
    assert {p: p.stat().st_mtime_ns for p in out.glob("*.srt")} == before
    # A vanished output is written again, from the transcript the manifest kept.
    gone = next(iter(before))
    text = gone.read_bytes()
    gone.unlink()
    code, _, err = run("transcribe", str(speech_dir), "-o", str(out), "-f", "srt")
    assert code == 0 and "0 done, 2 skipped" in err and "srt written again" in err, err
    assert gone.read_bytes() == text


def test_a_later_run_does_not_write_over_another_inputs_files(
    speech_dir: Path, tmp_path: Path
) -> None:
    """``media/a/x.wav`` and later ``media/b/x.wav`` (other speech) into one ``-o``: the second
    run wrote over the first's files, and a rerun of the first then skipped it as done, its
    files holding the other's transcript. Now the second is refused with the reason (exit 1),
    until --force; then the first is the one refused."""
    media, out = tmp_path / "media", tmp_path / "o"
    for folder, clip in (("a", "synth_1.wav"), ("b", "synth_2.wav")):
        (media / folder).mkdir(parents=True)
        (media / folder / "x.wav").write_bytes((speech_dir / clip).read_bytes())
    first, second = str(media / "a"), str(media / "b")
    assert run("transcribe", first, "-o", str(out), "-f", "txt,json")[0] == 0
    code, _, err = run("transcribe", second, "-o", str(out), "-f", "txt,json")
    assert code == 1 and "holds the transcript of" in err and "--force" in err, err
    assert wer(SYNTH_SENTENCES[0], (out / "x.txt").read_text()) == 0.0
    code, _, err = run("transcribe", first, "-o", str(out), "-f", "txt,json")
    assert code == 0 and "1 skipped" in err, err
    code, _, err = run("transcribe", second, "-o", str(out), "-f", "txt,json", "--force")
    assert code == 0 and "1 done" in err, err
    assert wer(SYNTH_SENTENCES[1], (out / "x.txt").read_text()) == 0.0
    code, _, err = run("transcribe", first, "-o", str(out), "-f", "txt,json")
    assert code == 1 and "holds the transcript of" in err, err
    assert wer(SYNTH_SENTENCES[1], (out / "x.txt").read_text()) == 0.0
    # The same folder spelled otherwise, or through a symlink: the same files (they went
    # past the check and were written over).
    (tmp_path / "link").symlink_to(out)
    for spelling in (str(out / ".." / "o"), str(tmp_path / "link")):
        code, _, err = run("transcribe", first, "-o", spelling, "-f", "txt,json")
        assert code == 1 and "holds the transcript of" in err, (spelling, err)
    # The same input reached through a symlinked folder, with other options: not "another
    # input" (a normal rerun was refused).
    (tmp_path / "via").symlink_to(media)
    code, _, err = run("transcribe", str(tmp_path / "via" / "b" / "x.wav"), "-o", str(out),
                       "-f", "txt,json", "--beam-size", "2")  # fmt: skip
    assert code == 0 and "1 done" in err, err
    # Both into another folder: nothing stands in the way.
    code, _, err = run("transcribe", str(media), "-o", str(tmp_path / "both"), "-f", "txt")
    assert code == 0 and "2 done" in err, err
    # An input replaced by one of another name (talk.wav converted to talk.mp3, the wav
    # deleted): its files are the newcomer's (every rerun was refused).
    (media / "b" / "x.wav").unlink()
    (media / "b" / "x.flac").write_bytes((speech_dir / "synth_2.wav").read_bytes())
    code, _, err = run("transcribe", second, "-o", str(out), "-f", "txt,json")
    assert code == 0, err  # (from the transcript of the wav: the same media)
    assert json.loads((out / "x.json").read_text())["source"] == str(media / "b" / "x.flac")
    assert wer(SYNTH_SENTENCES[1], (out / "x.txt").read_text()) == 0.0


def test_a_run_that_finishes_into_the_same_files_meanwhile_is_not_written_over(
    speech_dir: Path, tmp_path: Path
) -> None:
    """Two runs at once into one folder, same names, different inputs: both were written and
    both recorded done, the second over the first's files."""
    from woasr_cli import TranscribeOptions, run_batch
    from woasr_cli.events import Event

    media, out = tmp_path / "media", tmp_path / "o"
    for folder, clip in (("a", "synth_1.wav"), ("b", "synth_2.wav")):
        (media / folder).mkdir(parents=True)
        (media / folder / "x.wav").write_bytes((speech_dir / clip).read_bytes())
    options = TranscribeOptions(model="tiny.en", formats=("txt",))
    other: list[object] = []

    def meanwhile(event: Event) -> None:  # b has started: a finishes into the same files
        if event.kind == "started" and not other:
            other.append(run_batch([media / "a"], options, out))

    result = run_batch([media / "b"], options, out, reporter=meanwhile)
    assert (result.done, result.failed) == (0, 1), result
    assert "holds the transcript of" in result.failures[0][1]
    assert wer(SYNTH_SENTENCES[0], (out / "x.txt").read_text()) == 0.0  # a's, kept


def test_the_same_media_under_another_name_is_not_transcribed_again(
    speech_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder renamed (or a file copied): same content, same options, so the files are
    written from the transcript the manifest has, with the new name as their source."""
    media, out = tmp_path / "media", tmp_path / "o"
    media.mkdir()
    (media / "one.wav").write_bytes((speech_dir / "synth_1.wav").read_bytes())
    assert run("transcribe", str(media), "-o", str(out), "-f", "srt,json")[0] == 0
    srt_text = (out / "one.srt").read_text()
    moved = media.rename(tmp_path / "moved")
    (moved / "two.wav").write_bytes((moved / "one.wav").read_bytes())
    from woasr_cli import transcriber

    def no_model(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model ran")

    monkeypatch.setattr(transcriber.Transcriber, "transcribe", no_model)
    code, _, err = run("transcribe", str(moved), "-o", str(out), "-f", "srt,json")
    assert code == 0 and "0 done, 2 skipped" in err and "the same media as" in err, err
    for name in ("one", "two"):
        assert (out / f"{name}.srt").read_text() == srt_text
        doc = json.loads((out / f"{name}.json").read_text())
        assert doc["source"] == str(moved / f"{name}.wav")
    # Other options are other work: not taken from the earlier transcript.
    code, _, err = run("transcribe", str(moved), "-o", str(tmp_path / "b1"), "--beam-size", "1")
    assert code == 1 and "the model ran" in err, err


def test_a_new_layout_is_written_from_the_transcript_without_the_model(
    speech_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Layout flags do not change what was heard: a finished file asked again with other ones
    gets its subtitles rewritten from its own transcript, not skipped with the old layout, nor
    transcribed again."""
    out = tmp_path / "o"
    assert run("transcribe", str(speech_dir), "-o", str(out))[0] == 0
    first = {p.name: p.read_bytes() for p in out.glob("synth_*.*")}

    def no_model(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was loaded")

    monkeypatch.setattr("woasr_cli.jobs.runner.Transcriber", no_model)
    code, _, err = run("transcribe", str(speech_dir), "-o", str(out), "--max-line-width", "16")
    assert code == 0 and "0 done, 2 skipped" in err, err
    assert err.count("(already done; vtt, srt written again from its transcript)") == 2, err
    for name in ("synth_1", "synth_2"):
        cues = list(srt.parse((out / f"{name}.srt").read_text()))
        lines = [line for c in cues for line in c.content.splitlines()]
        assert max(map(len, lines)) <= 16, lines
        before = [c.content for c in srt.parse(first[f"{name}.srt"].decode())]
        assert " ".join(lines).split() == " ".join(before).split()  # the same words
        vtt_lines = [line for c in webvtt.read(str(out / f"{name}.vtt")) for line in c.lines]
        assert max(map(len, vtt_lines)) <= 16, vtt_lines
        for fmt in ("json", "txt", "tsv"):  # what no layout shapes is left alone
            assert (out / f"{name}.{fmt}").read_bytes() == first[f"{name}.{fmt}"], fmt
    # The same layout again: nothing to do. Back to the first layout, one format: that file
    # comes back byte for byte as the run that transcribed it wrote it.
    code, _, err = run("transcribe", str(speech_dir), "-o", str(out), "--max-line-width", "16")
    assert code == 0 and err.count("(already done)") == 2, err
    code, _, err = run("transcribe", str(speech_dir), "-o", str(out), "-f", "srt")
    assert code == 0 and err.count("srt written again") == 2, err
    for name in ("synth_1", "synth_2"):
        assert (out / f"{name}.srt").read_bytes() == first[f"{name}.srt"]
        assert max(map(len, webvtt.read(str(out / f"{name}.vtt"))[0].lines)) <= 16
    # Without its JSON file (or never asked for one) the manifest's copy of the transcript
    # serves: the JSON comes back as it was written, the vtt in the layout asked.
    (out / "synth_1.json").unlink()
    code, _, err = run("transcribe", str(speech_dir), "-o", str(out), "-f", "vtt,json")
    assert code == 0 and "0 done, 2 skipped" in err, err
    assert "synth_1.wav (already done; vtt, json written again" in err, err
    assert "synth_2.wav (already done; vtt written again" in err, err
    assert json.loads((out / "synth_1.json").read_text()) == json.loads(first["synth_1.json"])
    # A file that cannot be written now fails that input; its job and other files stay.
    (out / "synth_2.vtt").unlink()
    (out / "synth_2.vtt").mkdir()
    code, _, err = run("transcribe", str(speech_dir), "-o", str(out), "--max-line-width", "30")
    assert code == 1 and "0 done, 1 skipped, 1 failed" in err, err
    assert "failed   " in err and "synth_2.vtt" in err, err
    assert (out / "synth_2.json").read_bytes() == first["synth_2.json"]


def test_formats_selection_and_mirrored_tree(tmp_path: Path) -> None:
    audio, rate = synthesize(SYNTH_SENTENCES[0])
    media = tmp_path / "media"
    (media / "deep").mkdir(parents=True)
    encode_audio(media / "a.mp3", audio, rate, codec="libmp3lame")
    encode_audio(media / "a.wav", audio, rate, codec="pcm_s16le")
    encode_audio(media / "deep" / "b.flac", audio, rate, codec="flac")
    out = tmp_path / "out"
    code, _, err = run("transcribe", str(media), "-o", str(out), "-f", "srt,txt", "-f", "json")
    assert code == 0, err
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()
                   and not p.name.startswith("."))  # fmt: skip
    assert names == sorted(
        ["a.mp3.srt", "a.mp3.txt", "a.mp3.json", "a.wav.srt", "a.wav.txt", "a.wav.json",
         "deep/b.srt", "deep/b.txt", "deep/b.json"]
    )  # fmt: skip


def test_video_and_multichannel_inputs(tmp_path: Path) -> None:
    audio, rate = synthesize(SYNTH_SENTENCES[1])
    video = encode_audio(tmp_path / "talk.mp4", audio, rate, codec="aac", video=True)
    surround = encode_audio(tmp_path / "six.flac", audio, rate, codec="flac", channels=6)
    out = tmp_path / "out"
    code, _, err = run("transcribe", str(video), str(surround), "-o", str(out), "-f", "json")
    assert code == 0, err
    for stem in ("talk", "six"):
        doc = json.loads((out / f"{stem}.json").read_text())
        assert wer(SYNTH_SENTENCES[1], doc["text"]) <= 0.1, doc["text"]


def test_bad_inputs_fail_one_line_each_and_the_batch_goes_on(
    speech_dir: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.mp3").write_bytes(b"")
    (bad / "notes.mp3").write_text("not audio at all\n" * 100)
    good_mp3 = encode_audio(tmp_path / "g.mp3", *synthesize("Hello there."), codec="libmp3lame")
    (bad / "trunc.mp3").write_bytes(good_mp3.read_bytes()[:120])
    video_only(bad / "silent_video.mp4")
    (bad / "x.wav").mkdir()
    odd = tmp_path / "odd"
    odd.mkdir()
    for name in ("with space.wav", "ünï 한국어.wav", "-dash.wav"):
        (odd / name).write_bytes((speech_dir / "synth_1.wav").read_bytes())
    out = tmp_path / "out"
    args = [str(p) for p in sorted(bad.iterdir())]
    args += [str(tmp_path / "missing.wav"), str(speech_dir / "synth_2.wav"), str(odd)]
    code, _, err = run("transcribe", "-o", str(out), "-f", "txt", "--", *args)
    assert code == 1, err
    failures = [ln for ln in err.splitlines() if ln.startswith("failed ")]
    expected = {
        "empty.mp3": "empty file",
        "notes.mp3": "not a media file",
        "trunc.mp3": "",
        "silent_video.mp4": "no audio stream",
        "x.wav": "is a directory",
        "missing.wav": "no such file",
    }
    assert len(failures) == len(expected), err
    for name, reason in expected.items():
        line = next(ln for ln in failures if f"/{name}: " in ln)
        assert reason in line
        assert sum(f"/{name}: " in ln for ln in err.splitlines()) == 1, err  # printed once
    assert (out / "synth_2.txt").is_file()
    for name in ("with space", "ünï 한국어", "-dash"):
        assert wer(SYNTH_SENTENCES[0], (out / f"{name}.txt").read_text()) == 0.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--provider", "nope"], "unknown provider 'nope'"),
        (["-f", "docx"], "docx"),
        (["--model", "large-v9"], "large-v9"),
        (["--task", "dance"], "--task"),
        (["-f", "rttm"], "-f rttm needs --diarize"),  # it wrote an empty file
    ],
)
def test_usage_errors_exit_2(
    speech_dir: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    code, _, err = run("transcribe", str(speech_dir), "-o", str(tmp_path), *args)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_a_model_that_does_not_load_still_ends_the_batch(speech_dir: Path, tmp_path: Path) -> None:
    """... and leaves its jobs for ``woasr retry`` (they were left pending, which retry did not
    run)."""
    code, out, err = run("transcribe", str(speech_dir), "-o", str(tmp_path), "--json",
                         "--model", "nosuchmodel")  # fmt: skip
    assert code == 2 and "nosuchmodel" in err
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["event"] for e in events] == ["batch_started", "batch_done"]
    assert "nosuchmodel" in events[-1]["reason"]
    code, table, _ = run("status", "-o", str(tmp_path))
    assert "2 pending" in table and "0/0 s of audio (and 2 not yet measured)" in table, table
    code, _, err = run("retry", "-o", str(tmp_path))
    assert code == 2 and "nosuchmodel" in err, err  # run again, with the options they had


def test_subprocess_json_events(speech_dir: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    proc = subprocess.run(
        [sys.executable, "-m", "woasr_cli", "transcribe", str(speech_dir / "synth_1.wav"),
         str(tmp_path / "nope.wav"), "-o", str(tmp_path / "o"), "--json", "--model", "tiny.en"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "batch_started" and kinds[-1] == "batch_done"
    assert "done" in kinds and "failed" in kinds
    failed = next(e for e in events if e["event"] == "failed")
    assert failed["input"].endswith("nope.wav") and "no such file" in failed["reason"]
    assert "\x1b[" not in proc.stderr  # no ANSI when not a terminal


def test_help_imports_no_engine() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    code = (
        "import sys; from woasr_cli.cli.app import app\n"
        "from typer.testing import CliRunner\n"
        "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0\n"
        "r = CliRunner().invoke(app, ['transcribe', '--help']); assert r.exit_code == 0\n"
        "heavy = {'ctranslate2', 'faster_whisper', 'torch', 'av', 'numpy'} & set(sys.modules)\n"
        "print(sorted(heavy))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_unwritable_output_dir_fails_each_job_and_keeps_manifest(
    speech_dir: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    manifest = tmp_path / "m.db"
    code, _, err = run(
        "transcribe", str(speech_dir), "-o", str(blocker / "out"), "--manifest", str(manifest),
        "-f", "txt", "--workers", "1",
    )  # fmt: skip
    assert code == 1
    failures = [ln for ln in err.splitlines() if ln.startswith("failed ")]
    assert len(failures) == 2 and all("cannot write" in ln for ln in failures)
    code, out, _ = run("status", "--manifest", str(manifest), "--json")
    assert {j["state"] for j in json.loads(out)["jobs"]} == {"failed"}


def test_manifest_location_unusable_is_one_line(speech_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, _, err = run("transcribe", str(speech_dir), "-o", str(blocker / "out"), "-f", "txt")
    assert code == 1
    assert err.count("\n") == 1 and "manifest" in err and "Traceback" not in err
    assert f"{blocker} is a file, not a folder" in err  # it said "Not a directory"
    code, _, err = run("transcribe", str(speech_dir), "-o", str(blocker), "-f", "txt")
    assert code == 1 and err.count("\n") == 1, err
    assert f"{blocker} is a file, not a folder" in err  # it said "File exists"
    dangling = tmp_path / "subs"
    dangling.symlink_to(tmp_path / "gone")
    code, _, err = run("transcribe", str(speech_dir), "-o", str(dangling), "-f", "txt")
    assert code == 1 and err.count("\n") == 1, err
    assert f"{dangling} is a symbolic link to {tmp_path / 'gone'}, which does not exist" in err


def test_a_folder_that_cannot_be_read_is_an_error(tmp_path: Path) -> None:
    """A subfolder the walk could not list was passed over without a word, exit 0: the media
    it holds were never reached."""
    from conftest import as_nobody, locked_folder

    with locked_folder(tmp_path) as media:
        (media / "locked").mkdir()
        (media / "locked" / "b.wav").write_bytes(b"x")
        (media / "locked").chmod(0)
        # Once as root first: the modules the command imports as it goes are then loaded (as
        # uid 65534 the interpreter's own files may not be readable).
        run("transcribe", str(media), "-o", str(tmp_path / "warm"))
        with as_nobody():
            code, _, err = run("transcribe", str(media), "-o", str(media / "out"))
        assert code == 1, err
        why = "cannot read the folder: Permission denied"
        assert err.splitlines()[0] == f"woasr: error: {media / 'locked'}: {why}", err


def test_a_wav_with_zero_samples_is_a_finished_job_with_empty_outputs(tmp_path: Path) -> None:
    import wave

    empty = tmp_path / "empty.wav"
    with wave.open(str(empty), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"")
    out = tmp_path / "out"
    code, _, err = run("transcribe", str(empty), "-o", str(out), "-f", "srt,txt,json")
    assert code == 0, err
    assert (out / "empty.srt").read_text() == "" and (out / "empty.txt").read_text() == ""
    doc = json.loads((out / "empty.json").read_text())
    assert (doc["segments"], doc["duration"]) == ([], 0.0)


def test_a_file_without_speech_says_so(speech_dir: Path, tmp_path: Path) -> None:
    """A folder's silent recording came out "done" like the others, its files empty: which of
    them held nothing to transcribe was not said."""
    import numpy as np

    from conftest import write_wav

    media = tmp_path / "media"
    media.mkdir()
    write_wav(media / "silent.wav", np.zeros(5 * 16000, np.float32), 16000)
    (media / "talk.wav").write_bytes((speech_dir / "synth_1.wav").read_bytes())
    code, _, err = run("transcribe", str(media), "-o", str(tmp_path / "out"), "-f", "srt")
    assert code == 0, err
    lines = [ln for ln in err.splitlines() if ln.startswith("done")]
    assert any("silent.wav" in ln and "no speech found" in ln for ln in lines), err
    assert not any("talk.wav" in ln and "no speech found" in ln for ln in lines), err
    code, out, _ = run("transcribe", str(media), "-o", str(tmp_path / "json"), "--json")
    done = {
        Path(e["input"]).name: e for e in map(json.loads, out.splitlines()) if e["event"] == "done"
    }
    assert done["silent.wav"]["words"] == 0 and done["talk.wav"]["words"] >= 5


def test_a_silent_track_among_several_says_which_and_that_others_exist(
    speech_dir: Path, tmp_path: Path
) -> None:
    """A video whose first (default) audio track is silent and whose second holds the talk
    said only "no speech found", exit 0: that the file had another track was nowhere but the
    json's ``audio_track``."""
    import numpy as np

    from mediafiles import two_tracks
    from woasr_cli.media import decode_audio

    talk = decode_audio(speech_dir / "synth_1.wav")
    path = two_tracks(tmp_path / "film.mkv", np.zeros_like(talk), talk, 16000, default=0)
    code, _, err = run("transcribe", str(path), "-o", str(tmp_path / "out"), "-f", "json")
    assert code == 0, err
    done = [ln for ln in err.splitlines() if ln.startswith("done")]
    # numbered as --audio-track counts them, and how to ask the other
    said = "no speech found in audio track 0 of 2 (0-1), the default; --audio-track 1 transcribes"
    assert len(done) == 1 and said in done[0], err
    code, out, err = run("transcribe", str(path), "-o", str(tmp_path / "again"), "--json")
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    (event,) = [e for e in events if e["event"] == "done"]
    assert event["audio_track"] == {"index": 0, "language": None, "of": 2}


def test_another_audio_track_is_transcribed_when_asked(speech_dir: Path, tmp_path: Path) -> None:
    """A video whose default audio track is silent and whose other holds the talk: there was
    no way to transcribe the other. ``--audio-track`` asks it by number (0-based) or tag; the
    same file asked for another track is another job, not "already done"; a track the file
    lacks fails that file alone, saying which it has."""
    import numpy as np

    from mediafiles import audio_tracks
    from woasr_cli.media import decode_audio

    talk = decode_audio(speech_dir / "synth_1.wav")
    silent = np.zeros_like(talk)
    media = tmp_path / "media"
    media.mkdir()
    film = audio_tracks(media / "film.mkv", [silent, talk], 16000, 0, ("eng", "deu"))
    audio_tracks(media / "three.mkv", [silent, silent, talk], 16000, 0)
    out = tmp_path / "out"
    code, _, err = run("transcribe", str(film), "-o", str(out), "-f", "json")
    assert code == 0 and "no speech found" in err, err
    code, stdout, err = run(
        "transcribe", str(film), "-o", str(out), "-f", "json", "--audio-track", "1", "--json"
    )
    assert code == 0, err
    (done,) = [e for e in map(json.loads, stdout.splitlines()) if e["event"] in ("done", "skipped")]
    assert done["event"] == "done" and done["words"] >= 5, done
    assert done["audio_track"] == {"index": 1, "language": "deu", "of": 2, "asked": 1}
    doc = json.loads((out / "film.json").read_text())
    assert "quick brown fox" in doc["text"].lower() and doc["options"]["audio_track"] == 1
    # asked again: done; by its tag: the same words (another job: the ask differs)
    code, _, err = run("transcribe", str(film), "-o", str(out), "-f", "json", "--audio-track", "1")
    assert code == 0 and "skip" in err and "done " not in err, err
    code, _, err = run(
        "transcribe", str(film), "-o", str(tmp_path / "tag"), "-f", "json", "--audio-track", "DEU"
    )
    assert code == 0 and "no speech found" not in err, err
    assert json.loads((tmp_path / "tag" / "film.json").read_text())["text"] == doc["text"]
    # a batch asking track 2: the file with two fails alone, with what it has; exit 1
    code, _, err = run(
        "transcribe", str(media), "-o", str(tmp_path / "two"), "-f", "txt", "--audio-track", "2"
    )
    assert code == 1, err
    lines = err.splitlines()
    assert any(
        ln.startswith("failed") and "film.mkv: audio track 2 asked, the file has 2 (0-1)" in ln
        for ln in lines
    ), err
    assert any(
        ln.startswith("done") and "three.mkv" in ln and "no speech" not in ln for ln in lines
    ), err
    assert (tmp_path / "two" / "three.txt").read_text().strip()
    for bad in ("-1", "1.5", "e n"):
        code, _, err = run("transcribe", str(film), "-o", str(out), "--audio-track", bad)
        assert code == 2 and "--audio-track" in err, (bad, err)


def test_a_file_cut_off_is_told_so(shared_audio: Path, tmp_path: Path) -> None:
    """An MP4 copied only partly (its index, at its start, says 11 s): "done (6.1 s audio)"
    with no word that the file said 11 s. Now a warning says so; its transcript is written,
    the exit code stays 0."""
    from woasr_cli.media import decode_audio

    speech = decode_audio(shared_audio / "jfk.flac")
    media = tmp_path / "media"
    media.mkdir()
    whole = encode_audio(media / "whole.mp4", speech, 16000, codec="aac", faststart=True)
    data = whole.read_bytes()
    (media / "cut.mp4").write_bytes(data[: len(data) * 55 // 100])
    out = tmp_path / "out"
    code, _, err = run("transcribe", str(media), "-o", str(out), "-f", "txt,json")
    assert code == 0, err
    warned = [ln for ln in err.splitlines() if ln.startswith("warning")]
    assert len(warned) == 1, err
    assert re.fullmatch(
        r"warning  cut\.mp4: audio ends at 6\.\d s, the container says 11\.1 s: "
        r"the file may be cut off",
        warned[0],
    ), warned
    assert "my fellow americans" in (out / "cut.txt").read_text().lower()  # its 6 s
    doc = json.loads((out / "cut.json").read_text())
    assert doc["warnings"] == [warned[0].split(": ", 1)[1]]
    assert "warnings" not in json.loads((out / "whole.json").read_text())
    code, stdout, err = run("transcribe", str(media), "-o", str(tmp_path / "j"), "--json")
    assert code == 0, err
    done = {
        Path(e["input"]).name: e
        for e in map(json.loads, stdout.splitlines())
        if e["event"] == "done"
    }
    assert done["cut.mp4"]["warnings"] == doc["warnings"] and "warnings" not in done["whole.mp4"]


def test_a_quiet_recording_is_transcribed(
    shared_audio: Path, references: dict[str, str], tmp_path: Path
) -> None:
    """jfk.wav recorded at a peak of -55 dBFS (a microphone's gain set low): the VAD found no
    speech in it and the transcript was empty, though Whisper reads it. And the same after a
    second of applause at -12 dBFS (a quiet lecture recording), which set the file's level:
    "And so my fellow Americans, ask not" was lost."""
    import numpy as np

    from conftest import write_wav
    from woasr_cli.media import decode_audio

    jfk = decode_audio(shared_audio / "jfk.wav")
    quiet = jfk / np.abs(jfk).max() * 10 ** (-55 / 20)
    applause = np.random.default_rng(3).standard_normal(16000) * 10 ** (-12 / 20) / 3
    gap = np.zeros(2 * 16000)
    files = [
        write_wav(tmp_path / "quiet.wav", quiet, 16000),
        write_wav(tmp_path / "applause.wav", np.concatenate([applause, gap, quiet]), 16000),
    ]
    code, _, err = run("transcribe", *map(str, files), "-o", str(tmp_path / "out"), "-f", "txt")
    assert code == 0, err
    for name in ("quiet", "applause"):
        text = (tmp_path / "out" / f"{name}.txt").read_text()
        assert wer(references["jfk.wav"], text) <= 0.1, (name, text)


def test_mp3s_joined_end_to_end_are_transcribed_whole(speech_dir: Path, tmp_path: Path) -> None:
    """Two recordings joined with ``cat`` (16 kHz mono, then 44.1 kHz stereo): the file
    failed ("Frame does not match AudioResampler setup"); and a length is the audio's as
    decoded, not the container's guess (MP3 without a length header: 18 s for 5 s here)."""
    from woasr_cli.media import decode_audio, probe

    parts = []
    for i, (rate, channels) in enumerate([(16000, 1), (44100, 2)], 1):
        speech = decode_audio(speech_dir / f"synth_{i}.wav")
        mp3 = tmp_path / f"part{i}.mp3"
        parts.append(
            encode_audio(
                mp3, speech, 16000, codec="libmp3lame", channels=channels, out_rate=rate
            ).read_bytes()
        )
    joined = tmp_path / "joined.mp3"
    joined.write_bytes(b"".join(parts))
    code, _, err = run("transcribe", str(joined), "-o", str(tmp_path / "out"), "-f", "json")
    assert code == 0, err
    doc = json.loads((tmp_path / "out" / "joined.json").read_text())
    assert wer(" ".join(SYNTH_SENTENCES), doc["text"]) <= 0.1, doc["text"]
    heard = sum(len(decode_audio(speech_dir / f"synth_{i}.wav")) for i in (1, 2)) / 16000
    assert abs(doc["duration"] - heard) < 0.3
    assert (probe(joined).duration or 0) > heard + 1  # what the container claims


def test_odd_file_names_are_transcribed_and_shown_on_one_line(
    speech_dir: Path, tmp_path: Path
) -> None:
    """A name that is not UTF-8 (a Latin-1 "café" from an old archive) stopped the whole batch
    with a traceback (SQLite holds UTF-8 text only); a newline in a name broke its "done" line
    in two, and an escape sequence in one reached the terminal."""
    media = tmp_path / "media"
    media.mkdir()
    names = [os.fsdecode(b"caf\xe9.wav"), "new\nline.wav", "esc\x1b[2Jclear.wav"]
    for name in names:
        (media / name).write_bytes((speech_dir / "synth_1.wav").read_bytes())
    out = tmp_path / "out"
    code, _, err = run("transcribe", str(media), "-o", str(out), "-f", "txt")
    assert code == 0, err
    done = [ln for ln in err.splitlines() if ln.startswith("done ")]
    for shown in ("caf\\xe9.wav", "new\\nline.wav", "esc\\x1b[2Jclear.wav"):
        assert sum(shown in ln for ln in done) == 1, err
    assert "\x1b" not in err
    for name in names:
        text = (out / name).with_suffix(".txt").read_text()
        assert wer(SYNTH_SENTENCES[0], text) == 0.0
    # Its JSON names its source by the escape (the JSON writer failed on it, and with it the
    # job, once its srt and vtt were written)
    code, _, err = run("transcribe", str(media / names[0]), "-o", str(out), "-f", "json")
    assert code == 0, err
    doc = json.loads((out / names[0]).with_suffix(".json").read_bytes())
    assert os.fsencode(doc["source"]).endswith(b"caf\xe9.wav")
    # An argument too long to be a name: one line for it (it was a traceback)
    code, _, err = run("transcribe", "a" * 300 + ".wav", "-o", str(tmp_path / "long"))
    assert code == 1 and "File name too long" in err and "Traceback" not in err, err
    # A name of 255 bytes: its transcript is written under a cut name, not lost after the work.
    (media / ("t" * 251 + ".wav")).write_bytes((speech_dir / "synth_2.wav").read_bytes())
    code, _, err = run("transcribe", str(media), "-o", str(out), "-f", "txt")
    assert code == 0 and "1 done, 3 skipped" in err, err
    (cut,) = out.glob("ttt*.txt")
    assert cut.name.startswith("t" * 200) and wer(SYNTH_SENTENCES[1], cut.read_text()) == 0.0
    code, _, err = run("transcribe", str(media), "-o", str(out), "-f", "txt")
    assert code == 0 and "4 skipped" in err, err
    code, table, _ = run("status", "-o", str(out))
    assert code == 0 and "caf\\xe9.wav" in table and "\x1b" not in table
    code, _, err = run("status", "-o", str(out), "--state", "bogus")  # was an empty table
    assert code == 2 and "not a job state" in err, err
    code, table, _ = run("status", "-o", str(out), "--state", "DONE")
    assert code == 0 and "caf\\xe9.wav" in table
    code, listing, _ = run("status", "-o", str(out), "--json")
    inputs = {Path(job["input"]).name for job in json.loads(listing)["jobs"]}
    assert inputs == {*names, "t" * 251 + ".wav"}


def test_files_from_a_find_print0_list(speech_dir: Path, tmp_path: Path) -> None:
    """``find media -print0 | woasr transcribe --files-from -``: a name with a newline is one
    input, not two missing files."""
    media = tmp_path / "media"
    media.mkdir()
    (media / "new\nline.wav").write_bytes((speech_dir / "synth_1.wav").read_bytes())
    listing = b"".join(os.fsencode(p) + b"\0" for p in media.iterdir())
    args = ["transcribe", "--model", "tiny.en", "--files-from", "-", "-o", str(tmp_path / "o")]
    result = CliRunner().invoke(app, [*args, "-f", "txt"], input=listing)
    assert result.exit_code == 0, result.stderr
    assert wer(SYNTH_SENTENCES[0], (tmp_path / "o" / "new\nline.txt").read_text()) == 0.0
    # find matched nothing: nothing to do, not a usage error (it was exit 2)
    result = CliRunner().invoke(app, args, input=b"")
    assert result.exit_code == 0 and "nothing to do" in result.stderr, result.stderr


def test_a_url_says_to_download_it_first(speech_dir: Path, tmp_path: Path) -> None:
    url = "https://example.com/talk.mp3"
    code, _, err = run("transcribe", url, str(speech_dir / "synth_1.wav"), "-o", str(tmp_path))
    assert code == 1  # the file was done; the URL was not
    assert f"woasr: error: {url}: a URL" in err and "download it first" in err
    assert (tmp_path / "synth_1.srt").is_file()


def test_dash_o_prints_one_inputs_transcript_on_stdout(
    speech_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`-o -` made a folder named "-"; it is stdout, for pipes: the text (or the one format
    asked) and nothing else there, events on stderr, nothing left on disk."""
    monkeypatch.chdir(tmp_path)
    clip = str(speech_dir / "synth_1.wav")
    code, out, err = run("transcribe", clip, "-o", "-")
    assert code == 0 and "1 done" in err, err
    assert wer(SYNTH_SENTENCES[0], out) == 0.0 and out.endswith("\n"), out
    code, out, err = run("transcribe", clip, "-o", "-", "-f", "srt", "-q")
    assert code == 0 and err == "", err
    assert wer(SYNTH_SENTENCES[0], " ".join(c.content for c in srt.parse(out))) == 0.0
    assert list(tmp_path.iterdir()) == []  # no "-" folder, no manifest
    # What cannot go to one stream is refused before any work (exit 2).
    for args, why in [
        ((str(speech_dir),), "2 inputs were given: write them to a folder with -o DIR"),
        ((clip, "-f", "srt,vtt"), "-o - writes one format to stdout"),
        ((clip, "--json"), "--json prints events on stdout"),
    ]:
        code, out, err = run("transcribe", *args, "-o", "-")
        assert code == 2 and why in err and out == "", (args, err)
    code, out, err = run("transcribe", str(tmp_path / "gone.wav"), "-o", "-")
    assert code == 1 and "gone.wav: no such file" in err and out == ""


def test_a_dash_says_transcribe_reads_files(
    speech_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`yt-dlp -o - URL | woasr transcribe -` said "/cwd/-: no such file"; a file named '-' is
    still transcribed where there is one."""
    monkeypatch.chdir(tmp_path)
    code, _, err = run("transcribe", "-", "-o", str(tmp_path / "a"))
    assert code == 1
    assert "woasr: error: -: stdin: woasr transcribe reads files" in err
    assert "woasr listen --stdin" in err and "no such file" not in err
    (tmp_path / "-").write_bytes((speech_dir / "synth_1.wav").read_bytes())
    code, _, err = run("transcribe", "-", "-o", str(tmp_path / "b"))
    assert code == 0, err
    assert (tmp_path / "b" / "-.srt").is_file()


def test_a_rerun_whose_only_work_is_broken_files_loads_no_model(
    speech_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder's corrupt and empty files fail again on each rerun (they may have been
    replaced): with the reason their opening gives, before any model loads (a rerun of a
    finished 1,000-file folder loaded one only to fail its 15 broken files again)."""
    media, out = tmp_path / "media", tmp_path / "o"
    media.mkdir()
    (media / "one.wav").write_bytes((speech_dir / "synth_1.wav").read_bytes())
    (media / "noise.wav").write_bytes(bytes(range(256)) * 20)
    (media / "empty.mp3").write_bytes(b"")
    code, _, err = run("transcribe", str(media), "-o", str(out), "-f", "txt")
    assert code == 1 and "1 done, 0 skipped, 2 failed" in err, err

    def no_model(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was loaded")

    monkeypatch.setattr("woasr_cli.jobs.runner.Transcriber", no_model)
    code, _, err = run("transcribe", str(media), "-o", str(out), "-f", "txt")
    assert code == 1 and "0 done, 1 skipped, 2 failed" in err, err
    assert "failed   noise.wav: not a media file FFmpeg can read" in err, err
    assert "failed   empty.mp3: empty file (0 bytes)" in err, err
