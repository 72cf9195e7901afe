"""Every way the manifest cannot be used ends in one readable ManifestError."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from woasr_cli.errors import ManifestError
from woasr_cli.jobs.manifest import Manifest

NOBODY = 65534


def _one_line(exc: pytest.ExceptionInfo[ManifestError]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    "content",
    [b"this is not a database, just text\n" * 200, b"SQLite format 3\x00" + os.urandom(8192)],
    ids=["text", "garbage-after-header"],
)
def test_corrupt_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "m.db"
    path.write_bytes(content)
    with pytest.raises(ManifestError) as exc:
        Manifest.open(path)
    assert "corrupt" in _one_line(exc) and str(path) in str(exc.value)


def test_damaged_pages_in_a_real_manifest(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with Manifest.open(path) as m:
        for i in range(200):
            m.register(f"/in/{i:04d}-{'x' * 200}.wav", "c", "o")
    with open(path, "r+b") as f:  # keep the header, smash the pages after it
        f.seek(4096)
        f.write(os.urandom(os.path.getsize(path) - 4096))
    with pytest.raises(ManifestError) as exc, Manifest.open(path) as m:
        m.jobs()
    assert "corrupt" in _one_line(exc)


def test_locked_by_another_writer(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with Manifest.open(path) as m:
        job = m.register("/in/a.wav", "c", "o")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with Manifest.open(path, timeout=0.2) as m:
            with pytest.raises(ManifestError) as exc:
                m.claim(job.id, "h:1:x", 30)
            assert "locked" in _one_line(exc)
    finally:
        other.execute("ROLLBACK")
        other.close()
    with Manifest.open(path) as m:  # the failed claim left nothing behind
        assert m.claim(job.id, "h:1:x", 30)


def test_path_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as exc:
        Manifest.open(tmp_path)
    assert "is a directory" in _one_line(exc)


def test_location_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ManifestError) as exc:
        Manifest.open(blocker / "out" / "m.db")
    assert "cannot create" in _one_line(exc)


@pytest.fixture
def readonly_dir() -> Iterator[Path]:
    # Not pytest's tmp_path: that lives in a 0700 folder the unprivileged child cannot enter.
    base = Path(tempfile.mkdtemp(prefix="woasr-ro-"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        (base / "ro").chmod(0o755) if (base / "ro").exists() else None
        shutil.rmtree(base)


def _open_as_unprivileged(path: Path) -> str:
    """Open and write the manifest where permissions apply (root drops to nobody in a fork)."""
    if os.geteuid() != 0:
        return _try_open(path)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 0
        try:
            os.setuid(NOBODY)
            os.write(write_end, _try_open(path).encode())
        except BaseException as exc:
            os.write(write_end, f"child failed: {exc!r}".encode())
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        out = pipe.read()
    os.waitpid(pid, 0)
    if out.startswith("child failed: PermissionError"):
        pytest.skip(f"running as root and cannot drop privileges to test permissions: {out}")
    return out


def _try_open(path: Path) -> str:
    try:
        with Manifest.open(path, timeout=1) as m:
            m.register("/in/a.wav", "c", "o")
    except ManifestError as exc:
        return f"ManifestError: {exc}"
    return "opened"


def test_readonly_folder_new_manifest(readonly_dir: Path) -> None:
    folder = readonly_dir / "ro"
    folder.mkdir(mode=0o555)
    folder.chmod(0o555)
    out = _open_as_unprivileged(folder / "m.db")
    assert out.startswith("ManifestError: cannot write the manifest"), out
    assert "\n" not in out


def test_readonly_folder_existing_manifest(readonly_dir: Path) -> None:
    folder = readonly_dir / "ro"
    folder.mkdir()
    with Manifest.open(folder / "m.db") as m:
        m.register("/in/old.wav", "c", "o")
    for p in folder.iterdir():
        p.chmod(0o444)
    folder.chmod(0o555)
    out = _open_as_unprivileged(folder / "m.db")
    assert out.startswith("ManifestError: cannot write the manifest"), out
