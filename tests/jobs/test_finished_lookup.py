"""A batch of a few inputs (``woasr serve`` runs every file as a batch of one) finds the
finished jobs that own its files, and its media's transcript, by asking the manifest about
them: it does not read every finished job, which made each file of a long-running server
slower than the last (0.2 s a file after 1,500 files, 5 s after 50,000)."""

from __future__ import annotations

from pathlib import Path

import pytest

from woasr_cli.jobs.finished import FinishedWork
from woasr_cli.jobs.manifest import Manifest
from woasr_cli.jobs.runner import BatchResult, BatchRunner, PlannedJob
from woasr_cli.media.discover import InputFile
from woasr_cli.options import TranscribeOptions


def _done(m: Manifest, path: Path, content: str, options: str, outputs: list[str]) -> int:
    job = m.register(str(path), content, options)
    assert m.claim(job.id, "me", 60)
    m.finish(job.id, "me", outputs, 1.0, 0.1)
    return job.id


def _never(*args: object) -> None:
    raise AssertionError("every finished job was read for a one-file batch")


def test_a_one_file_batch_refuses_another_inputs_files_without_reading_every_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = TranscribeOptions(model="tiny.en", formats=("srt",))
    out = tmp_path / "o"
    out.mkdir()
    with Manifest.open(tmp_path / "m.sqlite") as m:
        for i in range(200):
            _done(m, tmp_path / f"old{i}.wav", f"c{i}", "o", [str(out / f"old{i}.srt")])
        (out / "x.srt").write_text("a's subtitles")
        (tmp_path / "a").mkdir()
        (tmp_path / "a" / "x.wav").write_bytes(b"a's media")
        _done(m, tmp_path / "a" / "x.wav", "ca", options.fingerprint(), [str(out / "x.srt")])
        new = tmp_path / "b" / "x.wav"
        new.parent.mkdir()
        new.write_bytes(b"other media")
        monkeypatch.setattr(Manifest, "done_jobs", _never)
        result = BatchResult()
        left = BatchRunner(m, options).prepare(
            [PlannedJob(InputFile(new, new.parent), out / "x")], False, result
        )
    assert left == [] and result.failed == 1, result
    assert "holds the transcript of" in result.failures[0][1], result.failures
    assert (out / "x.srt").read_text() == "a's subtitles"


def test_looking_up_finds_what_reading_every_job_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "o"
    out.mkdir()
    link = tmp_path / "link"
    link.symlink_to(out)
    with Manifest.open(tmp_path / "m.sqlite") as m:
        for i in range(50):
            _done(m, tmp_path / f"old{i}.wav", f"c{i}", "o", [str(out / f"old{i}.srt")])
        # listed through a symlinked folder; then a later job of the same media and options
        first = _done(m, tmp_path / "a.wav", "same", "o", [str(link / "y.srt"), "rel.srt"])
        later = _done(m, tmp_path / "c.wav", "same", "o", [str(out / 'q "z".srt')])
        monkeypatch.chdir(tmp_path)
        cases = [
            ("new.wav", "n", "o", [str(out / "y.srt")]),  # another spelling of a's file
            ("new.wav", "n", "o", [str(tmp_path / "rel.srt")]),  # a relative path listed
            ("new.wav", "n", "o", [str(link / 'q "z".srt')]),  # a quote in the name
            ("new.wav", "n", "o", [str(out / "none.srt")]),
            (str(tmp_path / "a.wav"), "n", "o", [str(out / "y.srt")]),  # its own file
            ("new.wav", "same", "o", [str(out / "y.srt")]),  # the same media: rewritten
        ]
        for case in cases:
            loaded, looked_up = FinishedWork(m), FinishedWork(m, inputs=1)
            assert looked_up.taken(*case) == loaded.taken(*case), case
        found = FinishedWork(m, inputs=1).taken(*cases[0])
        assert found is not None and found.owner.id == first
        media = FinishedWork(m, inputs=1).same_media("new.wav", "same", "o")
        assert media is not None and media.id == later
        assert FinishedWork(m).same_media("new.wav", "same", "o") == media
        assert FinishedWork(m, inputs=1).same_media(str(tmp_path / "c.wav"), "same", "o") is None
        assert FinishedWork(m, inputs=1).same_media("new.wav", "", "o") is None
