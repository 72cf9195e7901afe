"""An input that cannot be read for a while (its drive not mounted, a link to nowhere) keeps
what its job holds: an interrupted job its checkpoints, a finished one its transcript. The
batch reset the job first, and ``woasr retry`` on an unmounted drive dropped the checkpoints of
every interrupted file: once the drive was back, each was transcribed from the start."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from woasr_cli.events import Event
from woasr_cli.jobs.batch import retry_batch, run_batch
from woasr_cli.options import TranscribeOptions

pytestmark = pytest.mark.slow
MANIFEST = ".woasr-manifest.db"


@pytest.fixture(scope="module")
def options() -> TranscribeOptions:
    return TranscribeOptions(
        model="tiny.en", batch_size=1, threads=1, workers=1, formats=("json",), offline=True
    )


def _job(out: Path) -> tuple[str, float, int]:
    with sqlite3.connect(out / MANIFEST) as db:
        state, done, job_id = db.execute("SELECT state, done_seconds, id FROM jobs").fetchone()
        (kept,) = db.execute("SELECT count(*) FROM job_meta WHERE job_id = ?", (job_id,)).fetchone()
    return str(state), float(done), int(kept)


def test_retry_while_the_input_is_gone_keeps_the_checkpoints(
    speech_dir: Path, options: TranscribeOptions, tmp_path: Path
) -> None:
    media, out = tmp_path / "media", tmp_path / "out"
    media.mkdir()
    clip = shutil.copy(speech_dir / "synth_2.wav", media / "talk.wav")
    events: list[Event] = []
    stopped = run_batch(
        [clip], options, out, reporter=events.append,
        should_stop=lambda: any(e.kind == "progress" for e in events),
    )  # fmt: skip
    assert stopped.interrupted
    state, reached, _ = _job(out)
    assert state == "interrupted" and reached > 0

    hidden = shutil.move(clip, tmp_path / "elsewhere.wav")  # the drive is not mounted
    failed = retry_batch(out / MANIFEST)
    assert failed.failed == 1 and "no such file" in failed.failures[0][1]
    state, kept_at, _ = _job(out)
    assert state == "failed" and kept_at == reached

    shutil.move(hidden, clip)  # back
    events.clear()
    resumed = retry_batch(out / MANIFEST, reporter=events.append)
    assert resumed.done == 1
    assert next(e for e in events if e.kind == "started").resumed_from == pytest.approx(reached)


def test_a_finished_file_whose_input_is_unreadable_stays_done(
    speech_dir: Path, options: TranscribeOptions, tmp_path: Path
) -> None:
    media, out = tmp_path / "media", tmp_path / "out"
    media.mkdir()
    target = shutil.copy(speech_dir / "synth_1.wav", tmp_path / "target.wav")
    (media / "talk.wav").symlink_to(target)
    assert run_batch([media], options, out).done == 1
    state, _, meta = _job(out)
    assert state == "done" and meta

    Path(target).rename(tmp_path / "moved.wav")  # the link points nowhere for a while
    again = run_batch([media], options, out)
    assert again.failed == 1 and "broken symlink" in again.failures[0][1]
    after, _, meta_after = _job(out)
    assert (after, meta_after) == ("done", meta)  # still done, its transcript kept
    Path(tmp_path / "moved.wav").rename(target)
    assert run_batch([media], options, out).skipped == 1  # and not transcribed again
