"""``--keep-days`` also deletes what a server that died left behind: the file of a request to
``/v1/audio/transcriptions`` being answered (deleted when the request ends, but a server
killed meanwhile kept it for good, each restart after another crash adding more), and an
upload's ``.part`` or record-less media."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="needs the serve extra: pip install 'woasr[serve]'")

from woasr_cli.server import ServerSettings, create_app


def _aged(path: Path, days: float) -> Path:
    when = time.time() - days * 86400
    os.utime(path, (when, when))
    return path


def test_keep_days_deletes_what_a_dead_server_left(tmp_path: Path, shared_audio: Path) -> None:
    app = create_app(ServerSettings(data_dir=tmp_path, default_model="tiny.en", keep_days=1))
    jobs, scratch, uploads = app.state.jobs, app.state.scratch, app.state.uploads
    with open(shared_audio / "jfk.wav", "rb") as f:
        request = scratch.save(f, "jfk.wav", None)  # a request's file: its server died
    with open(shared_audio / "jfk.wav", "rb") as f:
        answering = scratch.save(f, "jfk.wav", None)  # one being answered now
    with open(shared_audio / "jfk.wav", "rb") as f:
        kept = uploads.save(f, "jfk.wav", None)  # an upload: kept as long as --keep-days says
    for path in tmp_path.glob(f"tmp/{request.file_id}*"):
        _aged(path, 2)
    part = uploads.root / "0f1e2d3c-0000-4000-8000-000000000000.wav.part"
    shutil.copy(shared_audio / "jfk.wav", part)
    bare = uploads.root / "0f1e2d3c-1111-4000-8000-000000000000.mp3"
    shutil.copy(shared_audio / "jfk.mp3", bare)
    fresh_part = uploads.root / "0f1e2d3c-2222-4000-8000-000000000000.wav.part"
    fresh_part.write_bytes(b"being stored now")
    for path in (part, bare):
        _aged(path, 2)
    _aged(uploads.root / f"{kept.file_id}.json", 0.5)
    try:
        jobs.cleanup()
    finally:
        jobs.manifest.close()
    assert scratch.get(request.file_id) is None
    assert not list(scratch.root.glob(f"{request.file_id}*"))
    assert scratch.get(answering.file_id) is not None
    assert not part.exists() and not bare.exists()
    assert fresh_part.exists() and uploads.get(kept.file_id) is not None
