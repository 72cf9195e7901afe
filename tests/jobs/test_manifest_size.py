"""The manifest's size on disk grows with the data it keeps, not by a page a value."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from woasr_cli.jobs.manifest import Manifest
from woasr_cli.options import TranscribeOptions


def test_a_jobs_options_and_transcript_do_not_take_a_page_each(tmp_path: Path) -> None:
    """A batch of 1,021 short files left an 8.9 MB manifest (8.7 KB a file): job_meta was a
    WITHOUT ROWID table, which keeps each ~1 KB value on an overflow page of its own."""
    options = json.dumps(TranscribeOptions(model="tiny.en").public_dict())
    transcript = "x" * 900  # a short file's packed transcript is about this long
    path = tmp_path / "m.db"
    n = 200
    with Manifest.open(path) as m:
        for i in range(n):
            job = m.register(f"/in/f{i}.wav", f"c{i}", "o")
            m.set_meta(job.id, "stem", f"/out/f{i}")
            m.set_meta(job.id, "options", options)
            assert m.claim(job.id, "me", 60)
            m.finish(job.id, "me", [f"/out/f{i}.srt"], 1.0, 0.1, {}, transcript)
    conn = sqlite3.connect(path)
    pages, size = (conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "page_size"))
    conn.close()
    assert pages * size / n < 2 * (len(options) + len(transcript)), pages * size / n
