"""A run killed while writing a file's outputs (SIGKILL, OOM, power loss) leaves the temporary
it was writing, ``.NAME.XXXXXXXX.part``; the rerun writes the files anew and deletes what the
dead writer left of them. Seen after kill -9 of a 1,000-file batch: two such parts, still in
the output tree after two more runs and a ``woasr retry``."""

from __future__ import annotations

import shutil
from pathlib import Path

from woasr_cli.jobs.batch import run_batch
from woasr_cli.jobs.fingerprint import fingerprint_file
from woasr_cli.jobs.manifest import Manifest
from woasr_cli.options import TranscribeOptions
from woasr_cli.outputs import drop_partial_writes
from woasr_cli.policy import prepare


def test_only_the_parts_of_the_named_files_are_dropped(tmp_path: Path) -> None:
    ours = [".a.srt.ab12cd34.part", ".a.b.json.x_y9z0q1.part"]
    others = [".other.srt.ab12cd34.part", ".a.srt.short.part", "a.srt.ab12cd34.part", "a.srt"]
    for name in ours + others:
        (tmp_path / name).write_text("partial")
    dropped = drop_partial_writes([tmp_path / "a.srt", tmp_path / "a.b.json", tmp_path / "x.vtt"])
    assert sorted(p.name for p in dropped) == sorted(ours)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(others)
    assert drop_partial_writes([tmp_path / "gone" / "a.srt"]) == []  # no such folder


def test_the_rerun_of_a_killed_job_clears_what_its_writes_left(
    tmp_path: Path, shared_audio: Path
) -> None:
    media = tmp_path / "media"
    media.mkdir()
    clip = media / "clip.wav"
    shutil.copy(shared_audio / "jfk.wav", clip)
    out = tmp_path / "out"
    options = TranscribeOptions(model="tiny.en", formats=("json", "srt"), batch_size=1)
    with Manifest.open(out / ".woasr-manifest.db") as m:  # a run that was killed mid-job
        job = m.register(str(clip), fingerprint_file(clip), prepare(options).fingerprint())
        assert m.claim(job.id, "host:1:killed", 60)
        m.interrupt(job.id, "host:1:killed")
    left = [out / ".clip.json.k1ll3d_1.part", out / ".clip.srt.k1ll3d_2.part"]
    kept = out / ".notes.txt.k1ll3d_3.part"  # not this job's file
    for part in [*left, kept]:
        part.write_text("half a file")
    result = run_batch([media], options, out)
    assert result.done == 1, result
    assert sorted(
        p.name for p in out.iterdir() if p.suffix != ".db" and "manifest" not in p.name
    ) == [".notes.txt.k1ll3d_3.part", "clip.json", "clip.srt"]
