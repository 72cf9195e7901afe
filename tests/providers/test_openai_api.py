"""The ``openai_api`` provider through ``woasr transcribe``, against endpoints on 127.0.0.1 only:
a scripted one (retries, backoff, what is sent, how ``verbose_json`` becomes segments) and a real
``woasr serve`` (the same text as the local run)."""

from __future__ import annotations

import hashlib
import io
import json
import wave
from pathlib import Path
from typing import Any

import pytest
from scripted_endpoint import Reply, scripted_endpoint
from typer.testing import CliRunner

from woasr_cli.cli.app import app

pytest.importorskip("openai", reason="needs pip install 'woasr[openai-api]'")

KEY = "sk-test-never-written-anywhere"

# What an OpenAI-style endpoint answers for jfk.wav (words top-level, language in words).
JFK_VERBOSE: dict[str, Any] = {
    "task": "transcribe",
    "language": "english",
    "duration": 11.0,
    "text": "And so my fellow Americans, ask not what your country can do for you.",
    "segments": [
        {"id": 0, "start": 0.0, "end": 4.4, "text": " And so my fellow Americans,",
         "avg_logprob": -0.2, "no_speech_prob": 0.01},
        {"id": 1, "start": 4.4, "end": 10.6,
         "text": " ask not what your country can do for you.", "avg_logprob": -0.3,
         "no_speech_prob": 0.02},
    ],
    "words": [
        {"word": "And", "start": 0.3, "end": 0.6}, {"word": "so", "start": 0.6, "end": 0.9},
        {"word": "my", "start": 1.0, "end": 1.3}, {"word": "fellow", "start": 1.3, "end": 1.7},
        {"word": "Americans,", "start": 1.7, "end": 2.5}, {"word": "ask", "start": 4.0, "end": 4.9},
        {"word": "not", "start": 4.9, "end": 5.1}, {"word": "what", "start": 5.6, "end": 7.0},
        {"word": "your", "start": 7.0, "end": 7.4}, {"word": "country", "start": 7.4, "end": 8.0},
        {"word": "can", "start": 8.0, "end": 8.4}, {"word": "do", "start": 8.4, "end": 8.7},
        {"word": "for", "start": 8.7, "end": 9.0}, {"word": "you.", "start": 9.0, "end": 10.6},
    ],
}  # fmt: skip
OK: Reply = (200, {}, JFK_VERBOSE)


def transcribe(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["transcribe", *args])
    return result.exit_code, result.stderr


def test_unconfigured_is_a_one_line_usage_error(
    shared_audio: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WOASR_OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("WOASR_OPENAI_API_KEY", raising=False)
    out = tmp_path / "out"
    code, err = transcribe(str(shared_audio / "jfk.wav"), "-p", "openai_api", "-o", str(out))
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "provider 'openai_api' is not configured" in err and "--openai-base-url" in err
    assert not out.exists()  # refused before any work, not even a manifest
    # A URL without a key is not enough either.
    code, err = transcribe(str(shared_audio / "jfk.wav"), "-p", "openai_api", "-o", str(out),
                           "--openai-base-url", "http://127.0.0.1:9/v1")  # fmt: skip
    assert code == 2 and "--openai-api-key" in err and "--openai-base-url" not in err


def test_429_is_retried_after_its_retry_after_and_the_answer_becomes_segments(
    shared_audio: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy: Reply = (429, {"Retry-After": "1"}, {"error": {"message": "slow down"}})
    with scripted_endpoint([busy, OK]) as endpoint:
        monkeypatch.setenv("WOASR_OPENAI_BASE_URL", endpoint.base_url)
        monkeypatch.setenv("WOASR_OPENAI_API_KEY", KEY)
        code, err = transcribe(str(shared_audio / "jfk.wav"), "-p", "openai_api",
                               "-o", str(tmp_path), "-f", "json,srt", "-l", "en",
                               "--word-timestamps")  # fmt: skip
    assert code == 0, err
    first, second = endpoint.received
    assert second.at - first.at >= 0.95  # waited as the server asked
    for req in endpoint.received:
        assert req.path == "/v1/audio/transcriptions"
        assert req.headers["authorization"] == f"Bearer {KEY}"
    assert endpoint.field(1, "model") == ["whisper-1"]
    assert endpoint.field(1, "response_format") == ["verbose_json"]
    assert endpoint.field(1, "language") == ["en"]
    assert sorted(endpoint.field(1, "timestamp_granularities[]")) == ["segment", "word"]
    # The audio went up whole as 16 kHz mono 16-bit WAV.
    wav = second.body[second.body.index(b"RIFF") :]
    with wave.open(io.BytesIO(wav)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        assert abs(w.getnframes() / 16000 - 11.0) < 0.05

    doc = json.loads((tmp_path / "jfk.json").read_text())
    assert doc["provider"] == "openai_api" and doc["language"] == "en"
    texts = [s["text"] for s in doc["segments"]]
    assert " ".join(texts) == JFK_VERBOSE["text"]  # the endpoint's text, nothing added
    words = [[w["text"] for w in s["words"]] for s in doc["segments"]]
    # Each top-level word went to the segment its middle falls in ("ask" straddles 4.4 s).
    assert words == [
        ["And", "so", "my", "fellow", "Americans,"],
        ["ask", "not", "what", "your", "country", "can", "do", "for", "you."],
    ]
    assert "ask not what your country" in (tmp_path / "jfk.srt").read_text()
    # The key is in no output and not in the manifest.
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    assert "openai_api_key" not in doc["options"]
    assert doc["options"]["openai_base_url"] == endpoint.base_url


def test_plain_text_and_disordered_segments_are_kept(
    shared_audio: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An endpoint that answers text/plain whatever it is asked: the file was "done, no speech
    # found" with an empty transcript. Segments out of order, one without a start: kept in
    # order (a TypeError failed the file).
    text = "And so my fellow Americans, ask not what your country can do for you."
    disordered = {"text": text, "segments": [
        {"start": 4.4, "end": 10.6, "text": " ask not what your country can do for you."},
        {"start": 0.0, "end": 4.4, "text": " And so my fellow Americans,"},
        {"start": None, "end": None, "text": " Thank you."},
    ]}  # fmt: skip
    with scripted_endpoint([(200, {}, text), (200, {}, disordered)]) as endpoint:
        monkeypatch.setenv("WOASR_OPENAI_BASE_URL", endpoint.base_url)
        monkeypatch.setenv("WOASR_OPENAI_API_KEY", KEY)
        for name in ("plain", "disordered"):
            out = str(tmp_path / name)
            code, err = transcribe(str(shared_audio / "jfk.wav"), "-p", "openai_api",
                                   "-o", out, "-f", "json", "-l", "en")  # fmt: skip
            assert code == 0, err
    plain = json.loads((tmp_path / "plain" / "jfk.json").read_text())
    assert plain["text"] == text
    segments = json.loads((tmp_path / "disordered" / "jfk.json").read_text())["segments"]
    assert [(s["start"], s["text"]) for s in segments] == [
        (0.0, "And so my fellow Americans,"),
        (4.4, "ask not what your country can do for you."),
        (10.6, "Thank you."),
    ]


def test_5xx_backs_off_then_gives_up_after_bounded_retries(
    shared_audio: Path, tmp_path: Path
) -> None:
    from woasr_cli.providers.openai_api_engine import MAX_RETRIES

    broken: Reply = (503, {}, {"detail": "model warming up"})
    with scripted_endpoint([broken] * 10) as endpoint:
        code, err = transcribe(str(shared_audio / "jfk.wav"), "-p", "openai_api",
                               "--openai-base-url", endpoint.base_url, "--openai-api-key", KEY,
                               "-o", str(tmp_path), "-f", "txt")  # fmt: skip
    assert code == 1  # this file failed, with the server's reason; the batch was not a crash
    assert len(endpoint.received) == 1 + MAX_RETRIES
    assert "answered 503 after 4 retries: model warming up" in err
    gaps = [b.at - a.at for a, b in zip(endpoint.received, endpoint.received[1:], strict=False)]
    # Exponential backoff (0.5 s doubling, minus up to 25 % jitter), not a tight loop.
    assert gaps[0] >= 0.37 and gaps[-1] >= 2.9 and sum(gaps) >= 5.5
    assert not (tmp_path / "jfk.txt").exists()


def test_a_refused_key_stops_the_batch(shared_audio: Path, tmp_path: Path) -> None:
    denied: Reply = (401, {}, {"error": {"message": "Incorrect API key provided"}})
    with scripted_endpoint([denied]) as endpoint:
        code, err = transcribe(str(shared_audio / "jfk.wav"), "-p", "openai_api",
                               "--openai-base-url", endpoint.base_url, "--openai-api-key", KEY,
                               "-o", str(tmp_path))  # fmt: skip
    assert code == 2 and len(endpoint.received) == 1  # never retried
    assert "refused the API key: Incorrect API key provided" in err


def test_retry_reads_the_key_from_the_environment_again(
    shared_audio: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken: Reply = (500, {"retry-after-ms": "10"}, {"detail": "boom"})
    with scripted_endpoint([broken] * 5 + [OK]) as endpoint:
        monkeypatch.setenv("WOASR_OPENAI_BASE_URL", endpoint.base_url)
        monkeypatch.setenv("WOASR_OPENAI_API_KEY", KEY)
        code, _ = transcribe(str(shared_audio / "jfk.wav"), "-p", "openai_api",
                             "-o", str(tmp_path), "-f", "txt")  # fmt: skip
        assert code == 1
        for path in tmp_path.rglob("*"):  # the manifest and its journal included
            assert KEY.encode() not in path.read_bytes(), path
        result = CliRunner().invoke(app, ["retry", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert "ask not what your country" in (tmp_path / "jfk.txt").read_text()
    assert endpoint.received[-1].headers["authorization"] == f"Bearer {KEY}"


def test_the_key_is_kept_out_of_the_fingerprint_and_the_transcript_options() -> None:
    from dataclasses import fields

    from woasr_cli.options import TranscribeOptions

    plain = TranscribeOptions()
    remote = TranscribeOptions(provider="openai_api", openai_base_url="http://127.0.0.1:1/v1")
    assert remote.with_changes(openai_api_key=KEY).fingerprint() == remote.fingerprint()
    assert KEY not in repr(remote.with_changes(openai_api_key=KEY))
    assert "openai_api_key" not in remote.with_changes(openai_api_key=KEY).public_dict()
    # The endpoint changes results; unset, it leaves older fingerprints as they were.
    assert remote.fingerprint() != remote.with_changes(openai_base_url="http://x/v1").fingerprint()
    # Unset, the new field is not hashed at all: the fingerprints of existing manifests hold.
    hashed = {f.name: getattr(plain, f.name) for f in fields(plain)
              if f.metadata.get("fingerprint", True) is True}  # fmt: skip
    blob = json.dumps(hashed, sort_keys=True, default=list).encode()
    assert "openai_base_url" not in hashed
    assert plain.fingerprint() == hashlib.sha256(blob).hexdigest()[:16]


def test_long_audio_goes_up_in_pieces_cut_in_a_pause() -> None:
    import numpy as np

    from woasr_cli.providers.openai_api_engine import pieces

    rng = np.random.default_rng(0)
    audio = (rng.standard_normal(16000 * 25) * 0.1).astype(np.float32)
    audio[16000 * 8 : 16000 * 8 + 3200] = 0.0  # a 0.2 s pause just before the 10 s limit
    audio[16000 * 16 : 16000 * 16 + 3200] = 0.0
    parts = list(pieces(audio, max_s=10.0))
    offsets = [offset for offset, _ in parts]
    assert len(parts) == 3 and offsets[0] == 0.0
    assert 8.0 < offsets[1] < 8.2 and 16.0 < offsets[2] < 16.2
    assert sum(len(p) for _, p in parts) == len(audio)
    assert all(len(p) <= 16000 * 10 for _, p in parts)


def test_several_files_go_up_side_by_side(shared_audio: Path, tmp_path: Path) -> None:
    clips = [str(shared_audio / name) for name in ("jfk.wav", "jfk.flac", "jfk.mp3")]
    with scripted_endpoint([OK] * 3, delay_s=1.0) as endpoint:
        code, err = transcribe(
            *clips,
            "-p",
            "openai_api",
            "-o",
            str(tmp_path),
            "-f",
            "txt",
            "--openai-base-url",
            endpoint.base_url,
            "--openai-api-key",
            KEY,
        )
    assert code == 0, err
    assert len(endpoint.received) == 3 and len(list(tmp_path.glob("jfk*.txt"))) == 3
    # Requests overlapped (each is answered after 1 s): not one file after the other.
    assert endpoint.most_in_flight >= 2


def test_a_16_bit_source_goes_up_bit_for_bit(shared_audio: Path) -> None:
    from woasr_cli.media.decode import decode_audio
    from woasr_cli.providers.openai_api_engine import wav_bytes

    with wave.open(str(shared_audio / "jfk.wav")) as original:
        frames = original.readframes(original.getnframes())
    with wave.open(io.BytesIO(wav_bytes(decode_audio(shared_audio / "jfk.wav")))) as sent:
        assert sent.readframes(sent.getnframes()) == frames


def test_woasr_providers_shows_whether_it_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    def row() -> dict[str, Any]:
        result = CliRunner().invoke(app, ["providers", "--json"])
        rows = {r["name"]: r for r in json.loads(result.stdout)}
        assert rows["faster_whisper"]["configured"] and rows["faster_whisper"]["settings"] == []
        return rows["openai_api"]

    monkeypatch.delenv("WOASR_OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("WOASR_OPENAI_API_KEY", KEY)
    off = row()
    assert off["installed"] and not off["configured"]
    assert off["needs"] == ["WOASR_OPENAI_BASE_URL"]
    monkeypatch.setenv("WOASR_OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
    assert row()["configured"]
    table = CliRunner().invoke(app, ["providers"]).stdout
    assert "configured" in table
