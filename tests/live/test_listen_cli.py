"""``woasr listen --stdin`` as a subprocess fed raw PCM from a real clip."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import wer
from woasr_cli.media.decode import decode_audio

pytest.importorskip("faster_whisper", reason="needs faster-whisper (pip install woasr)")


def pcm(path: Path) -> bytes:
    audio = decode_audio(path)
    return (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()


def listen(out: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [sys.executable, "-m", "woasr_cli", "listen", "--stdin", "--offline", "-m", "tiny.en",
         "-o", str(out), "--name", "live", *extra],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip


def check_outputs(out: Path) -> str:
    import srt
    import webvtt

    cues = list(srt.parse((out / "live.srt").read_text(encoding="utf-8")))
    vtt = webvtt.read(str(out / "live.vtt"))
    doc = json.loads((out / "live.json").read_text(encoding="utf-8"))
    txt = (out / "live.txt").read_text(encoding="utf-8")
    # Subtitle cues follow the subtitle layout (a long segment becomes several cues): the same
    # words, in order, as the segments.
    assert len(cues) == len(vtt.captions) >= len(doc["segments"]) >= 1
    assert all(c.end >= c.start for c in cues)
    said = " ".join(s["text"] for s in doc["segments"]).split()
    assert " ".join(c.content for c in cues).split() == said
    assert " ".join(txt.split()) == " ".join(doc["text"].split())
    return str(doc["text"])


def test_stdin_json_events_and_files(
    shared_audio: Path, references: dict[str, str], tiny_en: Path, tmp_path: Path
) -> None:
    del tiny_en
    proc = listen(tmp_path, "--json")
    stdout, stderr = proc.communicate(pcm(shared_audio / "librispeech_1272-128104-0000.wav"), 120)
    assert proc.returncode == 0, stderr.decode()
    events = [json.loads(line) for line in stdout.decode().splitlines()]
    assert {e["type"] for e in events} <= {"partial", "final"}
    assert all({"start", "end", "text", "words"} <= set(e) for e in events)
    said = " ".join(e["text"] for e in events if e["type"] == "final")
    reference = references["librispeech_1272-128104-0000.wav"]
    assert wer(reference, said) <= 0.15, said
    assert wer(reference, check_outputs(tmp_path)) <= 0.15


def test_stdin_takes_an_mp3_piped_in_whole(
    shared_audio: Path, references: dict[str, str], tiny_en: Path, tmp_path: Path
) -> None:
    """`cat jfk.mp3 | woasr listen --stdin -o DIR`: no text and exit 0 before (the MP3's bytes
    read as samples); now its words, in valid files."""
    del tiny_en
    proc = listen(tmp_path)
    stdout, stderr = proc.communicate((shared_audio / "jfk.mp3").read_bytes(), 120)
    assert proc.returncode == 0, stderr.decode()
    assert wer(references["jfk.mp3"], check_outputs(tmp_path)) <= 0.15, stdout.decode()


def test_ctrl_c_while_a_piped_file_is_decoded_from_an_open_pipe(
    shared_audio: Path, tiny_en: Path, tmp_path: Path
) -> None:
    """A FLAC piped in by a producer that keeps the pipe open: the reader thread waits inside
    FFmpeg's read for more, and Ctrl-C still commits, writes the files and exits 0."""
    del tiny_en
    proc = listen(tmp_path)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write((shared_audio / "jfk.flac").read_bytes())
    proc.stdin.flush()
    lines: list[bytes] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, b"")))
    reader.start()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and b"country" not in b" ".join(lines):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    reader.join(10)
    stderr = proc.stderr.read() if proc.stderr is not None else b""
    assert proc.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr
    assert "country" in check_outputs(tmp_path)


def test_stdin_raw_pcm_at_another_rate_and_channels(
    shared_audio: Path, references: dict[str, str], tiny_en: Path, tmp_path: Path
) -> None:
    """`parec | woasr listen --stdin --sample-rate 44100 --channels 2` (PulseAudio's default
    raw format): the words, and word times on the clip's own clock."""
    del tiny_en
    import av

    audio = decode_audio(shared_audio / "jfk.flac")
    frame = av.AudioFrame.from_ndarray(audio[None, :], format="flt", layout="mono")
    frame.sample_rate = 16000
    up = av.AudioResampler(format="s16", layout="stereo", rate=44100)
    frames = [*up.resample(frame), *up.resample(None)]
    data = b"".join(bytes(f.planes[0])[: f.samples * 4] for f in frames)  # s16 stereo: 4 B each
    proc = listen(tmp_path, "--sample-rate", "44100", "--channels", "2")
    _, stderr = proc.communicate(data, 120)
    assert proc.returncode == 0, stderr.decode()
    assert wer(references["jfk.flac"], check_outputs(tmp_path)) <= 0.15
    doc = json.loads((tmp_path / "live.json").read_text())
    last = doc["segments"][-1]["words"][-1]
    assert 9.5 <= last["end"] <= 11.2, last  # "country." ends at ~10.3 s of the 11 s clip


def test_stdin_from_a_terminal_is_a_usage_error(tmp_path: Path) -> None:
    """`woasr listen --stdin` typed with nothing piped in waited for the keyboard, silently."""
    import pty

    leader, follower = pty.openpty()
    try:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        proc = subprocess.run(
            [sys.executable, "-m", "woasr_cli", "listen", "--stdin", "-o", str(tmp_path)],
            stdin=follower, capture_output=True, env=env, timeout=60,
        )  # fmt: skip
    finally:
        os.close(leader)
        os.close(follower)
    assert proc.returncode == 2
    assert proc.stderr.decode().startswith("woasr: error: --stdin reads audio piped in")


def test_empty_stdin_is_a_one_line_error(tmp_path: Path, shared_audio: Path) -> None:
    proc = listen(tmp_path)
    _, stderr = proc.communicate(b"", 120)
    assert proc.returncode == 1
    assert stderr.decode().strip() == "woasr: error: no audio on stdin (0 bytes)"
    # No empty files left: they made the same command, run again, refuse with "exists".
    assert list(tmp_path.iterdir()) == []
    proc = listen(tmp_path, "-l", "ko")  # tiny.en: refused before any file or audio
    _, stderr = proc.communicate(pcm(shared_audio / "jfk.wav"), 120)
    assert proc.returncode == 2 and "English-only" in stderr.decode()
    assert list(tmp_path.iterdir()) == []
    from typer.testing import CliRunner

    from woasr_cli.cli.app import app

    result = CliRunner().invoke(app, ["listen", "--file", "x.wav", "--sample-rate", "44100"])
    assert result.exit_code == 2
    assert "--sample-rate and --channels describe raw PCM on --stdin" in result.stderr
    # The stream's rule, in listen's words (a WebSocket config is refused by the same one).
    for flags, said in (
        (["--sample-rate", "7999"], "--sample-rate must be a whole number of Hz from 8000 to"),
        (["--channels", "9"], "--channels must be a whole number from 1 to 8"),
    ):
        result = CliRunner().invoke(app, ["listen", "--stdin", *flags])
        assert result.exit_code == 2
        assert result.stderr.strip().startswith(f"woasr: error: {said}"), result.stderr


def test_ctrl_c_flushes_the_tail_and_leaves_valid_files(
    shared_audio: Path, tiny_en: Path, tmp_path: Path
) -> None:
    del tiny_en
    proc = listen(tmp_path)
    assert proc.stdin is not None and proc.stdout is not None
    data = pcm(shared_audio / "jfk.wav")
    proc.stdin.write(data[: 16000 * 2 * 6])  # 6 s of speech, then the input stays open
    proc.stdin.flush()
    first: list[bytes] = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(90)  # the first committed line
    assert first and first[0].strip(), "no committed text before the interrupt"
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    # The rest is read through the same buffered reader as the first line: its readline may
    # have read the next committed lines too, which communicate() (reading the pipe itself)
    # would miss.
    tail: list[bytes] = []
    drain = threading.Thread(target=lambda: tail.append(proc.stdout.read()), daemon=True)
    drain.start()
    drain.join(60)
    proc.wait(timeout=10)
    stderr = proc.stderr.read() if proc.stderr is not None else b""
    assert tail, "stdout not closed 60 s after Ctrl-C"
    rest = tail[0]
    assert proc.returncode == 0, stderr.decode()
    text = check_outputs(tmp_path)
    printed = " ".join((first[0] + rest).decode().split())
    assert " ".join(text.split()) == printed  # the files hold all that was printed, once
    # 'what your country' (from 5.0 s) was cut off at 6 s with no pause after it: only the
    # flush at Ctrl-C commits it.
    words = [w for s in json.loads((tmp_path / "live.json").read_text())["segments"]
             for w in s["words"]]  # fmt: skip
    assert words[-1]["start"] >= 4.9, text


def test_usage_errors_before_any_model_loads(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from woasr_cli.cli.app import app

    runner = CliRunner()
    result = runner.invoke(app, ["listen", "--realtime"])
    assert result.exit_code == 2 and "--realtime plays a --file" in result.output
    result = runner.invoke(app, ["listen", "--stdin", "--file", str(tmp_path / "x.wav")])
    assert result.exit_code == 2 and "choose one" in result.output
    result = runner.invoke(app, ["listen", "--file", str(tmp_path / "missing.wav")])
    assert result.exit_code == 2 and "no such file" in result.output
    os.mkfifo(tmp_path / "fifo")  # as /dev/stdin is in a pipe
    for stream in ("-", str(tmp_path / "fifo")):  # said "no such file"
        result = runner.invoke(app, ["listen", "--file", stream])
        assert result.exit_code == 2, result.output
        assert "not a file but a stream; pipe it in with --stdin" in result.output
    result = runner.invoke(app, ["listen", "--file", str(tmp_path)])
    assert result.exit_code == 2 and "a directory" in result.output
    # `-o -` wrote a folder named "-": listen's stdout already carries the captions.
    result = runner.invoke(app, ["listen", "--stdin", "-o", "-"])
    assert result.exit_code == 2 and "prints its captions on stdout already" in result.output
    # said "-f rttm needs --diarize", a flag listen does not have
    result = runner.invoke(app, ["listen", "--stdin", "-f", "srt,rttm"])
    assert result.exit_code == 2, result.output
    assert "woasr: error: live transcription does not diarize" in result.output


def test_files_already_there_are_not_replaced_unless_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stream writes its empty files at once: an earlier session's captions under the same
    --name, or `woasr transcribe`'s subtitles of the same --file, were gone for good."""
    from typer.testing import CliRunner

    from woasr_cli.cli import listen as listen_cli
    from woasr_cli.cli.app import app

    out = tmp_path / "out"
    out.mkdir()
    (out / "meeting.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nSaid before.\n")
    runner = CliRunner()
    result = runner.invoke(app, ["listen", "--stdin", "-o", str(out), "--name", "meeting"])
    assert result.exit_code == 2, result.output
    assert "meeting.srt exists" in result.output and "--overwrite" in result.output
    assert "Said before." in (out / "meeting.srt").read_text()
    talk = tmp_path / "talk.wav"
    talk.write_bytes(b"RIFF")  # not read: the names are checked before anything loads
    (out / "talk.json").write_text("{}")  # `woasr transcribe talk.wav -o out` was here
    result = runner.invoke(app, ["listen", "--file", str(talk), "-o", str(out), "-f", "json"])
    assert result.exit_code == 2 and "talk.json exists" in result.output
    assert (out / "talk.json").read_text() == "{}"
    # only the formats asked for count; --overwrite replaces
    assert listen_cli._output_stem(out, "meeting", None, ("vtt",), False) == out / "meeting"
    assert listen_cli._output_stem(out, "meeting", None, ("srt",), True) == out / "meeting"
    # a name of the clock's own takes the next free number
    monkeypatch.setattr(listen_cli, "_default_name", lambda file: "live-20261127-101500")
    (out / "live-20261127-101500.txt").write_text("x")
    (out / "live-20261127-101500-2.srt").write_text("x")
    stem = listen_cli._output_stem(out, None, None, ("srt", "txt"), False)
    assert stem == out / "live-20261127-101500-3"


# A stand-in for the sounddevice package (the microphone's driver layer, not woasr): a device
# that hears a clip at real-time pace through PortAudio's callback API, then room silence. No
# PortAudio capture device exists on CI machines; everything above it is woasr's own path.
STAND_IN = """
import os, threading, time
import numpy as np

class PortAudioError(Exception):
    pass

class InputStream:
    def __init__(self, samplerate, channels, dtype, blocksize, device, callback):
        if device not in (None, "stand-in"):
            raise PortAudioError(f"Error querying device {device}")
        assert (samplerate, channels, dtype) == (16000, 1, "float32")
        self._callback, self._block = callback, blocksize or 1600
        self._stop = threading.Event()

    def __enter__(self):
        self._thread = threading.Thread(target=self._hear, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _hear(self):
        audio = np.load(os.environ["WOASR_TEST_MIC"]).astype(np.float32)
        start, heard = time.monotonic(), 0
        while not self._stop.is_set():
            block = np.zeros(self._block, dtype=np.float32)
            part = audio[heard : heard + self._block]
            block[: len(part)] = part
            heard += self._block
            time.sleep(max(0.0, start + heard / 16000 - time.monotonic()))
            self._callback(block[:, None], self._block, None, None)
"""


def microphone(
    tmp_path: Path, clip: Path, *extra: str, driver: str = STAND_IN
) -> subprocess.Popen[bytes]:
    (tmp_path / "driver").mkdir(exist_ok=True)
    (tmp_path / "driver" / "sounddevice.py").write_text(driver)
    np.save(tmp_path / "mic.npy", decode_audio(clip))
    env = {**os.environ, "WOASR_TEST_MIC": str(tmp_path / "mic.npy"),
           "PYTHONPATH": os.pathsep.join([str(tmp_path / "driver"), *sys.path])}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "woasr_cli", "listen", "--offline", "-m", "tiny.en",
         "-o", str(tmp_path / "out"), "--name", "live", *extra],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip


def test_microphone_captions_then_ctrl_c_leaves_valid_files(
    shared_audio: Path, references: dict[str, str], tiny_en: Path, tmp_path: Path
) -> None:
    """`woasr listen` with no input flag hears the default device (here the stand-in playing jfk
    in real time): committed lines are printed as they come, Ctrl-C stops it, files are whole."""
    del tiny_en
    proc = microphone(tmp_path, shared_audio / "jfk.flac", "--input-device", "stand-in")
    assert proc.stdout is not None
    printed: list[bytes] = []
    reader = threading.Thread(target=lambda: printed.extend(iter(proc.stdout.readline, b"")))
    reader.start()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and b" ".join(printed).lower().count(b"country") < 2:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    reader.join(10)
    assert proc.returncode == 0, stderr.decode()
    text = check_outputs(tmp_path / "out")
    assert wer(references["jfk.flac"], text) <= 0.15, text
    assert " ".join(text.split()) == " ".join(b" ".join(printed).decode().split())


def test_microphone_errors_are_one_line_usage_errors(shared_audio: Path, tmp_path: Path) -> None:
    """A device that is not there, or no PortAudio library: exit 2 with one line saying so."""
    jfk = shared_audio / "jfk.flac"
    for extra, driver, said in (
        (["--input-device", "USB Mic 7"], STAND_IN,
         "cannot open the microphone: Error querying device USB Mic 7"),
        ([], "raise OSError('PortAudio library not found')", "apt install libportaudio2"),
        ([], "raise ImportError('No module named sounddevice')", "pip install 'woasr[live]'"),
    ):  # fmt: skip
        _, stderr = microphone(tmp_path, jfk, *extra, driver=driver).communicate(timeout=60)
        lines = [line for line in stderr.decode().splitlines() if line.strip()]
        assert len(lines) == 1 and said in lines[0], stderr.decode()


def test_with_its_screen_reader_gone_the_files_are_still_whole(
    shared_audio: Path, references: dict[str, str], tiny_en: Path, tmp_path: Path
) -> None:
    """``woasr listen --json -o DIR | head -1``: the next event's write failed, the stream
    ended with exit 1 and the files held nothing of what had been committed."""
    del tiny_en
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader of stdout has gone: every write fails with EPIPE
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-m", "woasr_cli", "listen", "--stdin", "--offline", "-m", "tiny.en",
         "-o", str(tmp_path), "--name", "live", "--json"],
        input=pcm(shared_audio / "jfk.wav"), stdout=write_end, stderr=subprocess.PIPE, env=env,
        timeout=120,
    )  # fmt: skip
    os.close(write_end)
    assert done.returncode == 0, done.stderr.decode()
    assert wer(references["jfk.wav"], check_outputs(tmp_path)) <= 0.1
