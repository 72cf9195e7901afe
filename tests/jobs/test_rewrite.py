"""Where a finished job's transcript is read back from to write its files again."""

from __future__ import annotations

import json
from pathlib import Path

from woasr_cli.formats import FormatOptions
from woasr_cli.jobs.job import Job
from woasr_cli.jobs.rewrite import layout_key, outdated, own_transcript, packed
from woasr_cli.jobs.states import JobState
from woasr_cli.transcript import Segment, Transcript, Word


def _transcript(source: str, text: str = " Hello there.") -> Transcript:
    words = [Word(0.5, 0.9, " Hello", 0.9), Word(1.0, 1.4, " there.", 0.8)]
    return Transcript([Segment(0.5, 1.4, text, words=words)], language="en", duration=2.0,
                      source=source, model="tiny.en")  # fmt: skip


def _job(tmp_path: Path, *outputs: Path) -> Job:
    return Job(1, str(tmp_path / "in.wav"), "c", "o", JobState.DONE,
               outputs=tuple(str(p) for p in outputs))  # fmt: skip


def test_the_json_file_first_then_the_kept_copy(tmp_path: Path) -> None:
    source = str(tmp_path / "in.wav")
    kept = packed(_transcript(source))
    assert own_transcript(_job(tmp_path, tmp_path / "in.json"), kept) == _transcript(source)
    # The user's edit of the JSON is what the files are written from.
    (tmp_path / "in.json").write_text(json.dumps(_transcript(source, " Hullo there.").to_dict()))
    got = own_transcript(_job(tmp_path, tmp_path / "in.json"), kept)
    assert got is not None and got.text == "Hullo there."
    # Another input's transcript written over it, or a broken file: the kept copy.
    (tmp_path / "in.json").write_text(json.dumps(_transcript("/elsewhere/b.wav").to_dict()))
    assert own_transcript(_job(tmp_path, tmp_path / "in.json"), kept) == _transcript(source)
    (tmp_path / "in.json").write_text('{"segments": [')
    assert own_transcript(_job(tmp_path, tmp_path / "in.json"), kept) == _transcript(source)
    # Neither: the model has to run again.
    assert own_transcript(_job(tmp_path, tmp_path / "in.json"), None) is None
    assert own_transcript(_job(tmp_path), "not base64 zlib") is None


def test_outdated_files_are_the_missing_the_gone_and_the_other_layouts(tmp_path: Path) -> None:
    srt, txt, vtt = (tmp_path / f"in.{f}" for f in ("srt", "txt", "vtt"))
    srt.write_text("x")
    txt.write_text("x")
    narrow = FormatOptions(max_line_width=20)
    assert layout_key(narrow, "txt") == layout_key(FormatOptions(), "txt") == ""
    assert layout_key(narrow, "srt") != layout_key(FormatOptions(), "srt")
    wanted = {str(p): layout_key(narrow, p.suffix[1:]) for p in (srt, txt, vtt)}
    job = _job(tmp_path, srt, txt)
    written = {str(srt): layout_key(FormatOptions(), "srt"), str(txt): ""}
    assert outdated(job, wanted, written) == [str(srt), str(vtt)]
    assert outdated(job, wanted, {}) == [str(vtt)]  # recorded before layouts were: current
    txt.unlink()
    assert outdated(job, wanted, {}) == [str(txt), str(vtt)]
