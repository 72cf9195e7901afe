"""The WebSocket /v1/stream route, driven by a client in the test (FastAPI's TestClient)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import wer
from woasr_cli.media.decode import decode_audio
from woasr_cli.options import TranscribeOptions

pytest.importorskip("fastapi", reason="needs pip install 'woasr[serve]'")
pytest.importorskip("faster_whisper", reason="needs faster-whisper (pip install woasr)")

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from woasr_cli.live.backlog import Backlog, BacklogFull
from woasr_cli.live.ws import StreamLimits, stream_router

KEY = "s3cret"


@pytest.fixture(scope="module")
def client(tiny_en: Path) -> TestClient:
    del tiny_en
    app = FastAPI()
    app.include_router(
        stream_router(TranscribeOptions(model="tiny.en", offline=True), api_key=KEY, max_streams=1)
    )
    return TestClient(app)


def frames(path: Path, rate: int = 16000, ms: int = 200) -> list[bytes]:
    audio = decode_audio(path)
    if rate != 16000:  # the client's own rate: the server resamples
        audio = np.interp(np.arange(int(len(audio) * rate / 16000)) * 16000 / rate,
                          np.arange(len(audio)), audio)  # fmt: skip
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
    step = rate * ms // 1000 * 2
    return [pcm[i : i + step] for i in range(0, len(pcm), step)]


def receive_all(ws: Any) -> tuple[list[dict[str, Any]], int]:
    events = []
    while True:
        try:
            events.append(json.loads(ws.receive_text()))
        except WebSocketDisconnect as closed:
            return events, closed.code


def test_stream_a_clip(client: TestClient, shared_audio: Path, references: dict[str, str]) -> None:
    name = "librispeech_1272-128104-0000.wav"
    headers = {"Authorization": f"Bearer {KEY}"}
    with client.websocket_connect("/v1/stream", headers=headers) as ws:
        ws.send_text(json.dumps({"model": "tiny.en", "language": "en", "sample_rate": 48000}))
        for frame in frames(shared_audio / name, rate=48000):
            ws.send_bytes(frame)
        ws.send_text(json.dumps({"type": "end"}))
        events, code = receive_all(ws)
    assert code == 1000
    assert {e["type"] for e in events} <= {"partial", "final"}
    assert all({"start", "end", "text", "words"} <= set(e) for e in events)
    said = " ".join(e["text"] for e in events if e["type"] == "final")
    assert wer(references[name], said) <= 0.15, said


def test_the_whole_transcript_in_the_formats_asked_for_comes_before_the_close(
    client: TestClient, shared_audio: Path, references: dict[str, str]
) -> None:
    """A client (the server's page) asks for files in its config: after the last finals it
    gets the transcript rendered by the library's writers, then the normal close."""
    import srt
    import webvtt

    headers = {"Authorization": f"Bearer {KEY}"}
    with client.websocket_connect("/v1/stream", headers=headers) as ws:
        ws.send_text(json.dumps({"sample_rate": 16000, "formats": ["srt", "vtt", "json", "txt"]}))
        for frame in frames(shared_audio / "jfk.wav"):
            ws.send_bytes(frame)
        ws.send_text(json.dumps({"type": "end"}))
        events, code = receive_all(ws)
    assert code == 1000 and events[-1]["type"] == "files"
    assert all(e["type"] in ("partial", "final") for e in events[:-1])
    files = events[-1]["files"]
    assert list(files) == ["srt", "vtt", "json", "txt"]
    said = " ".join(e["text"] for e in events if e["type"] == "final")
    cues = list(srt.parse(files["srt"]))
    assert " ".join(c.content.replace("\n", " ") for c in cues) == said
    assert wer(references["jfk.wav"], said) <= 0.15, said
    assert len(webvtt.from_string(files["vtt"]).captions) == len(cues)
    doc = json.loads(files["json"])
    assert doc["provider"] == "faster_whisper" and 10.5 < doc["duration"] < 11.5
    assert files["txt"].split() == said.split()
    with client.websocket_connect("/v1/stream", headers=headers) as ws:
        ws.send_text(json.dumps({"sample_rate": 16000, "formats": ["srt", "docx"]}))
        events, code = receive_all(ws)
    assert code == 1007 and "unknown output format 'docx'" in events[-1]["message"]
    with client.websocket_connect("/v1/stream", headers=headers) as ws:
        ws.send_text(json.dumps({"sample_rate": 16000, "formats": {"srt": 1}}))
        events, code = receive_all(ws)
    assert code == 1007 and "formats must be a list" in events[-1]["message"]


def test_rttm_is_refused_in_the_config_as_listen_refuses_it(client: TestClient) -> None:
    """A stream has no speakers: {"formats": ["rttm"]} was taken, and the stream's end gave
    an empty RTTM; it is refused at once, in the words ``woasr listen -f rttm`` prints."""
    headers = {"Authorization": f"Bearer {KEY}"}
    with client.websocket_connect("/v1/stream", headers=headers) as ws:
        ws.send_text(json.dumps({"sample_rate": 16000, "formats": ["srt", "rttm"]}))
        events, code = receive_all(ws)
    assert code == 1007
    assert events[-1]["message"] == (
        "live transcription does not diarize: it has no speaker turns to write as rttm"
    )


def test_stereo_48khz_in_browser_sized_frames_keeps_its_clock(
    client: TestClient, shared_audio: Path, references: dict[str, str]
) -> None:
    """A browser's AudioWorklet hands over 128 samples at a time. Each frame was resampled on
    its own and lost 2 of its 128 samples at 48 kHz: 1.6 % of the audio gone, every later
    word early. Stereo is mixed to one channel."""
    audio = np.tile(decode_audio(shared_audio / "jfk.flac"), 3)  # 33 s: an error that grows
    up = np.interp(np.arange(len(audio) * 3) / 3, np.arange(len(audio)), audio)
    stereo = np.repeat((np.clip(up, -1, 1) * 32767).astype("<i2"), 2).tobytes()
    headers = {"Authorization": f"Bearer {KEY}"}
    with client.websocket_connect("/v1/stream", headers=headers) as ws:
        ws.send_text(json.dumps({"model": "tiny.en", "sample_rate": 48000, "channels": 2}))
        for i in range(0, len(stereo), 128 * 4):
            ws.send_bytes(stereo[i : i + 128 * 4])
        ws.send_text(json.dumps({"type": "end"}))
        events, code = receive_all(ws)
    assert code == 1000
    finals = [e for e in events if e["type"] == "final"]
    said = " ".join(e["text"] for e in finals)
    assert wer(" ".join([references["jfk.flac"]] * 3), said) <= 0.15, said
    last = finals[-1]["words"][-1]
    # The third "country." ends at 22 + 10.3 s; with 1.6 % of the samples lost, at ~31.8 s.
    assert 32.05 <= last["end"] <= 33.0, last
    with client.websocket_connect("/v1/stream", headers=headers) as ws:
        ws.send_text(json.dumps({"channels": 0}))
        bad, code = receive_all(ws)
    assert code == 1007 and "channels" in bad[0]["message"]


def test_96khz_from_an_audio_interface_is_taken_as_listen_takes_it(
    client: TestClient, shared_audio: Path, references: dict[str, str]
) -> None:
    """The stream took 8-48 kHz while ``woasr listen --sample-rate`` took 8-192 kHz: a client
    at an audio interface's 96 kHz was refused with 1007. One rule now (live/pcm_format.py)."""
    headers = {"Authorization": f"Bearer {KEY}"}
    with client.websocket_connect("/v1/stream", headers=headers) as ws:
        ws.send_text(json.dumps({"model": "tiny.en", "sample_rate": 96000}))
        for frame in frames(shared_audio / "jfk.flac", rate=96000):
            ws.send_bytes(frame)
        ws.send_text(json.dumps({"type": "end"}))
        events, code = receive_all(ws)
    assert code == 1000, events
    finals = [e for e in events if e["type"] == "final"]
    assert wer(references["jfk.flac"], " ".join(e["text"] for e in finals)) <= 0.15, finals
    assert 9.5 <= finals[-1]["words"][-1]["end"] <= 11.2  # "country." at ~10.3 s of 11 s
    with client.websocket_connect("/v1/stream", headers=headers) as ws:
        ws.send_text(json.dumps({"sample_rate": 192001}))
        bad, code = receive_all(ws)
    assert code == 1007
    assert bad[0]["message"] == "sample_rate must be a whole number of Hz from 8000 to 192000"


def test_a_media_file_sent_as_frames_is_decoded_and_a_wav_header_skipped(
    client: TestClient, shared_audio: Path, references: dict[str, str], tmp_path: Path
) -> None:
    """A browser's MediaRecorder sends WebM/Opus in pieces: its bytes were taken for PCM
    samples and gave nothing until the idle close. Now decoded as the pieces come, on the
    clip's own clock; a file that cannot be decoded is refused with 1007 and the reason. A WAV
    header in front of 16 kHz mono PCM (some clients write one first) is skipped."""
    from mediafiles import encode_audio

    audio = decode_audio(shared_audio / "jfk.flac")
    webm = encode_audio(tmp_path / "rec.webm", audio, 16000, codec="libopus", out_rate=48000)
    headers = {"Authorization": f"Bearer {KEY}"}
    data = webm.read_bytes()
    with client.websocket_connect("/v1/stream", headers=headers) as ws:
        ws.send_text(json.dumps({"model": "tiny.en"}))
        for i in range(0, len(data), 2000):  # about what a 250 ms timeslice holds
            ws.send_bytes(data[i : i + 2000])
        ws.send_text(json.dumps({"type": "end"}))
        events, code = receive_all(ws)
    assert code == 1000
    finals = [e for e in events if e["type"] == "final"]
    said = " ".join(e["text"] for e in finals)
    assert wer(references["jfk.flac"], said) <= 0.15, said
    assert 9.8 <= finals[-1]["words"][-1]["end"] <= 11.0  # "country." ends at ~10.3 s
    with client.websocket_connect("/v1/stream", headers=headers) as ws:
        ws.send_text(json.dumps({"model": "tiny.en"}))
        ws.send_bytes(data[:64] + bytes(range(256)) * 40)  # a WebM header, then noise
        ws.send_text(json.dumps({"type": "end"}))
        events, code = receive_all(ws)
    assert code == 1007
    assert events[-1]["message"].startswith("cannot decode the Matroska/WebM sent: ")
    wav = encode_audio(tmp_path / "jfk.wav", audio, 16000, codec="pcm_s16le").read_bytes()
    with client.websocket_connect("/v1/stream", headers=headers) as ws:
        ws.send_text(json.dumps({"model": "tiny.en"}))
        for i in range(0, len(wav), 6400):
            ws.send_bytes(wav[i : i + 6400])
        ws.send_text(json.dumps({"type": "end"}))
        events, code = receive_all(ws)
    assert code == 1000
    said = " ".join(e["text"] for e in events if e["type"] == "final")
    assert wer(references["jfk.flac"], said) <= 0.15, said


def test_wrong_or_missing_key_is_refused(client: TestClient) -> None:
    with client.websocket_connect("/v1/stream?api_key=wrong") as ws:
        ws.send_text(json.dumps({"sample_rate": 16000}))
        events, code = receive_all(ws)
    assert code == 1008
    assert events == [{"type": "error", "message": "invalid or missing API key"}]
    # A browser's key in the first message is accepted (and bad config refused with 1007).
    with client.websocket_connect("/v1/stream") as ws:
        ws.send_text(json.dumps({"api_key": KEY, "sample_rate": 1}))
        events, code = receive_all(ws)
    assert code == 1007 and "sample_rate" in events[0]["message"]


def test_a_language_the_model_lacks_and_audio_as_text_are_refused_with_a_reason(
    client: TestClient, shared_audio: Path
) -> None:
    """Korean asked of tiny.en passed the config and failed the first pass: the client saw
    1006 and no reason. Audio in text frames was dropped, and the stream closed 1000 with no
    text at all."""
    with client.websocket_connect(f"/v1/stream?api_key={KEY}") as ws:
        ws.send_text(json.dumps({"language": "ko"}))
        events, code = receive_all(ws)
    assert code == 1007 and "English-only" in events[-1]["message"], events
    with client.websocket_connect(f"/v1/stream?api_key={KEY}") as ws:
        ws.send_text(json.dumps({"sample_rate": 16000}))
        ws.send_text(frames(shared_audio / "jfk.wav")[0].hex())
        events, code = receive_all(ws)
    assert code == 1003 and "binary frames" in events[-1]["message"], events


def test_a_server_at_its_limit_refuses_with_1013(client: TestClient, shared_audio: Path) -> None:
    first = client.websocket_connect(f"/v1/stream?api_key={KEY}")
    with first as ws:
        ws.send_text(json.dumps({"sample_rate": 16000}))
        ws.send_bytes(frames(shared_audio / "jfk.wav")[0])
        with client.websocket_connect(f"/v1/stream?api_key={KEY}") as second:
            events, code = receive_all(second)
        assert code == 1013 and "limit" in events[0]["message"]
        ws.send_text(json.dumps({"type": "end"}))
        assert receive_all(ws)[1] == 1000
    # The slot is free again.
    with client.websocket_connect(f"/v1/stream?api_key={KEY}") as ws:
        ws.send_text(json.dumps({"sample_rate": 16000}))
        ws.send_text(json.dumps({"type": "end"}))
        assert receive_all(ws) == ([], 1000)


def test_a_stream_is_refused_with_1013_while_every_model_slot_is_busy(tmp_path: Path) -> None:
    from woasr_cli.options import TranscribeOptions
    from woasr_cli.server.app import create_app
    from woasr_cli.server.settings import ServerSettings

    settings = ServerSettings(data_dir=tmp_path, default_model="tiny.en", max_models=1)
    with TestClient(create_app(settings)) as served:
        pool = served.app.state.models  # type: ignore[attr-defined]
        with pool.use(TranscribeOptions(model="tiny.en", device="cpu", batch_size=2)):
            with served.websocket_connect("/v1/stream") as ws:
                ws.send_text(json.dumps({"sample_rate": 16000}))
                events, code = receive_all(ws)
            assert code == 1013 and "model slots are in use" in events[0]["message"]
        with served.websocket_connect("/v1/stream") as ws:  # free again: the stream runs
            ws.send_text(json.dumps({"sample_rate": 16000}))
            ws.send_text(json.dumps({"type": "end"}))
            assert receive_all(ws) == ([], 1000)
        assert [p.batch_size for p in pool.loaded()] == [1]  # the live passes' engine


def test_a_client_that_goes_quiet_gets_its_text_and_frees_its_slot(
    tiny_en: Path, shared_audio: Path
) -> None:
    """A client that stops sending without "end" (its network died, a tab went to sleep)
    must not hold a stream slot for ever: after ``idle_s`` its tail is flushed and the stream
    closed with 1001, and the next client gets the slot."""
    del tiny_en
    app = FastAPI()
    limits = StreamLimits(idle_s=1.0)
    app.include_router(
        stream_router(TranscribeOptions(model="tiny.en"), max_streams=1, limits=limits)
    )
    with TestClient(app) as quiet_server:
        with quiet_server.websocket_connect("/v1/stream") as ws:
            ws.send_text(json.dumps({"sample_rate": 16000, "formats": "txt"}))
            for frame in frames(shared_audio / "jfk.wav"):
                ws.send_bytes(frame)
            events, code = receive_all(ws)  # nothing more is sent
        assert code == 1001 and "no audio for 1 s" in events[-1]["message"]
        said = " ".join(e["text"] for e in events if e["type"] == "final").lower()
        assert "what you can do for your country" in said, said
        assert events[-2]["type"] == "files"  # the transcript asked for, before the close
        assert events[-2]["files"]["txt"].lower().split() == said.split()
        with quiet_server.websocket_connect("/v1/stream") as ws:
            ws.send_text(json.dumps({"sample_rate": 16000}))
            ws.send_text(json.dumps({"type": "end"}))
            assert receive_all(ws) == ([], 1000)


def test_audio_sent_faster_than_it_is_transcribed_is_held_within_its_bound() -> None:
    """The server holds at most ``max_samples`` of a stream's audio that no pass has taken
    (it keeps reading, so the client's pings are answered); past that the stream ends."""

    async def scenario() -> tuple[list[int], bool]:
        backlog = Backlog(max_samples=16000)
        backlog.put(np.zeros(12000, np.float32))
        with pytest.raises(BacklogFull, match="more than 1 s of audio waiting"):
            backlog.put(np.zeros(8000, np.float32))
        backlog.put(np.zeros(4000, np.float32))
        taken = await backlog.take()
        backlog.put(np.zeros(16000, np.float32))  # a pass took it all: room again
        backlog.put(None)
        rest = await backlog.take()
        return [0 if b is None else len(b) for b in taken + rest], rest[-1] is None

    sizes, ended = asyncio.run(scenario())
    assert sizes == [12000, 4000, 16000, 0] and ended


def test_a_file_pushed_faster_than_real_time_past_the_backlog_is_refused_with_1008(
    tiny_en: Path, shared_audio: Path, tmp_path: Path
) -> None:
    del tiny_en
    app = FastAPI()
    limits = StreamLimits(max_backlog_s=5.0)
    app.include_router(stream_router(TranscribeOptions(model="tiny.en"), limits=limits))
    with TestClient(app) as pushed:
        with pushed.websocket_connect("/v1/stream") as ws:
            ws.send_text(json.dumps({"sample_rate": 16000}))
            for _ in range(4):  # 44 s of speech in one go, while the first pass runs
                for frame in frames(shared_audio / "jfk.wav", ms=2000):
                    ws.send_bytes(frame)
            events, code = receive_all(ws)
        assert code == 1008 and "/v1/audio/transcriptions" in events[-1]["message"]
        # The same for a media file: its decoder fills the backlog on its own thread.
        from mediafiles import encode_audio

        audio = np.tile(decode_audio(shared_audio / "jfk.wav"), 4)
        webm = encode_audio(tmp_path / "long.webm", audio, 16000, codec="libopus").read_bytes()
        with pushed.websocket_connect("/v1/stream") as ws:
            ws.send_text(json.dumps({}))
            for i in range(0, len(webm), 4000):
                ws.send_bytes(webm[i : i + 4000])
            ws.send_text(json.dumps({"type": "end"}))
            events, code = receive_all(ws)
        assert code == 1008 and "/v1/audio/transcriptions" in events[-1]["message"]


def test_woasr_serve_has_the_stream(tmp_path: Path, shared_audio: Path) -> None:
    """The route is part of `woasr serve`'s app, under the server's key."""
    from woasr_cli.server.app import create_app
    from woasr_cli.server.settings import ServerSettings

    settings = ServerSettings(data_dir=tmp_path, api_key=KEY, default_model="tiny.en")
    with TestClient(create_app(settings)) as served:
        with served.websocket_connect("/v1/stream?api_key=wrong") as ws:
            ws.send_text(json.dumps({"sample_rate": 16000}))
            assert receive_all(ws)[1] == 1008
        bearer = {"Authorization": f"Bearer {KEY}"}
        with served.websocket_connect("/v1/stream", headers=bearer) as ws:
            ws.send_text(json.dumps({"language": "en", "sample_rate": 16000}))
            for frame in frames(shared_audio / "jfk.wav"):
                ws.send_bytes(frame)
            ws.send_text(json.dumps({"type": "end"}))
            events, code = receive_all(ws)
    assert code == 1000
    said = " ".join(e["text"] for e in events if e["type"] == "final").lower()
    assert "country" in said, said


def test_a_model_that_does_not_resolve_is_the_clients_mistake(client: TestClient) -> None:
    """A model name that resolves to nothing (a typo, offline) closed with 1011, a server
    error, though the config the client sent is what is wrong."""
    with client.websocket_connect(f"/v1/stream?api_key={KEY}") as ws:
        ws.send_text(json.dumps({"model": "no-such-model"}))
        events, code = receive_all(ws)
    assert code == 1007 and "no-such-model" in events[-1]["message"], events


def test_a_config_field_the_server_does_not_know_is_refused_by_name(client: TestClient) -> None:
    """A browser client wrote the Web Audio name, {"sampleRate": 48000}: the field was let go,
    its 48 kHz audio taken for 16 kHz, and jfk came out as "oooh Ah Oh" with no error."""
    for config, field in (({"sampleRate": 48000}, "sampleRate"), ({"type": "end"}, "type")):
        with client.websocket_connect(f"/v1/stream?api_key={KEY}") as ws:
            ws.send_text(json.dumps(config))
            ws.send_text(json.dumps({"type": "end"}))
            events, code = receive_all(ws)
        assert code == 1007, (config, events)
        assert f"unknown config field '{field}'" in events[-1]["message"]
        assert "sample_rate" in events[-1]["message"]  # the fields it takes
    with client.websocket_connect("/v1/stream") as ws:  # the key in the config is one of them
        ws.send_text(json.dumps({"api_key": KEY, "sample_rate": 16000, "channels": 1}))
        ws.send_text(json.dumps({"type": "end"}))
        assert receive_all(ws) == ([], 1000)


def test_end_sent_as_bytes_ends_the_stream(tiny_en: Path, shared_audio: Path) -> None:
    """{"type": "end"} in a binary frame (a client that sends JSON as bytes) was taken for 15
    bytes of audio: the stream ended only by the idle rule, 60 s later, with 1001."""
    del tiny_en
    app = FastAPI()
    limits = StreamLimits(idle_s=5.0)
    app.include_router(stream_router(TranscribeOptions(model="tiny.en"), limits=limits))
    with TestClient(app) as served, served.websocket_connect("/v1/stream") as ws:
        ws.send_text(json.dumps({"sample_rate": 16000}))
        for frame in frames(shared_audio / "jfk.wav"):
            ws.send_bytes(frame)
        ws.send_bytes(json.dumps({"type": "end"}).encode())
        events, code = receive_all(ws)
    assert code == 1000, events[-1:]
    said = " ".join(e["text"] for e in events if e["type"] == "final").lower()
    assert "what you can do for your country" in said, said
