"""FIFOs, sockets and broken links among the inputs, and SIGTERM while blocked: real processes
with a deadline, since the failure being guarded against is a hang."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

SRC = str(Path(__file__).parents[2] / "src")
ENV = {**os.environ, "PYTHONPATH": SRC}


def woasr(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "woasr_cli", *args], capture_output=True, text=True, env=ENV,
        timeout=timeout,
    )  # fmt: skip


@pytest.mark.slow
def test_a_fifo_in_a_folder_is_skipped_and_the_clip_done(
    speech_dir: Path, tmp_path: Path, tiny_en: Path
) -> None:
    media = tmp_path / "media"
    media.mkdir()
    shutil.copy(speech_dir / "synth_1.wav", media / "clip.wav")
    os.mkfifo(media / "pipe.wav")
    (media / "broken.wav").symlink_to("does-not-exist.wav")
    out = tmp_path / "out"
    done = woasr("transcribe", str(media), "-o", str(out), "-f", "txt", "-m", str(tiny_en))
    assert "quick brown fox" in (out / "clip.txt").read_text().lower()
    lines = done.stderr.splitlines()
    assert [ln for ln in lines if "pipe.wav" in ln] == [
        f"woasr: skipped {media / 'pipe.wav'}: a FIFO (named pipe), not a regular file: not read"
    ]
    # The broken link is named by itself (the user's folder holds no does-not-exist.wav), once,
    # relative to the folder of the batch's inputs (as `woasr status` names it).
    broken = [ln for ln in lines if "broken" in ln]
    assert len(broken) == 1 and broken[0].startswith("failed   broken.wav: "), done.stderr
    assert lines[0] == f"inputs in {media}"
    assert "does-not-exist.wav, which does not exist" in broken[0]
    assert done.returncode == 1  # the broken link failed; the FIFO was only skipped


@pytest.mark.slow
def test_links_to_media_kept_elsewhere_are_transcribed_by_their_names(
    speech_dir: Path, tmp_path: Path, tiny_en: Path
) -> None:
    """A link in the folder to a file outside it crashed the batch (a traceback, no file
    done); a link to a folder was passed over without a word."""
    media, store = tmp_path / "media", tmp_path / "store"
    (store / "more").mkdir(parents=True)
    media.mkdir()
    shutil.copy(speech_dir / "synth_1.wav", store / "ab12.wav")
    shutil.copy(speech_dir / "synth_1.wav", store / "more" / "b.wav")
    (media / "talk.wav").symlink_to(store / "ab12.wav")
    (media / "more").symlink_to(store / "more")
    out = tmp_path / "out"
    done = woasr("transcribe", str(media), "-o", str(out), "-f", "txt", "-m", str(tiny_en))
    assert done.returncode == 0, done.stderr
    assert "quick brown fox" in (out / "talk.txt").read_text().lower()
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["talk.txt"]
    assert f"woasr: skipped {media / 'more'}: a symlink to a directory, not walked" in done.stderr


def test_a_fifo_named_explicitly_fails_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "x.wav"
    os.mkfifo(fifo)
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "s.wav"))
    try:
        done = woasr("transcribe", str(fifo), str(tmp_path / "s.wav"), "-o", str(tmp_path / "o"),
                     "-q", timeout=60)  # fmt: skip
    finally:
        server.close()
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"failed   {fifo}: a FIFO (named pipe), not a regular file: not read",
        f"failed   {tmp_path / 's.wav'}: a socket, not a regular file: not read",
    ]


def test_sigterm_ends_a_process_blocked_in_open(tmp_path: Path) -> None:
    # Opening a FIFO with no writer blocks in the kernel; a Python signal handler alone would
    # run, then the open() would be retried and block again.
    fifo = tmp_path / "blocked"
    os.mkfifo(fifo)
    code = (
        "import sys\n"
        "from woasr_cli.cli.interrupts import StopFlag\n"
        "StopFlag().install()\n"
        "print('ready', flush=True)\n"
        f"open({str(fifo)!r}, 'rb')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    time.sleep(0.2)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        _, stderr = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 143, stderr
    assert time.monotonic() - t0 < 6
    assert "SIGTERM" in stderr


def test_sigterm_ends_a_blocked_process_whose_stderr_reader_is_gone(tmp_path: Path) -> None:
    """The signal watcher wrote "stopping" to stderr before starting its deadline; with the
    reader gone (``woasr ... 2>&1 | tee log`` after the tee exited) the write failed, the
    watcher thread died with it, and no SIGTERM ended the process again."""
    fifo = tmp_path / "blocked"
    os.mkfifo(fifo)
    code = (
        "from woasr_cli.cli.interrupts import StopFlag\n"
        "StopFlag().install()\n"
        "print('ready', flush=True)\n"
        f"open({str(fifo)!r}, 'rb')\n"
    )
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=write_end, text=True, env=ENV)  # fmt: skip
    os.close(write_end)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    time.sleep(0.2)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        assert proc.wait(timeout=15) == 143
    finally:
        proc.kill()
    assert time.monotonic() - t0 < 6
