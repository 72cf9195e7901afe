"""Every route and error of ``woasr serve`` through FastAPI's TestClient, on real tiny.en runs."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import srt
import webvtt
from fastapi.testclient import TestClient

from woasr_cli.errors import UsageError
from woasr_cli.options import TranscribeOptions
from woasr_cli.server import ServerSettings, create_app

pytest.importorskip("fastapi", reason="needs the serve extra: pip install 'woasr[serve]'")
pytest.importorskip("prometheus_client", reason="needs the serve extra: pip install 'woasr[serve]'")

from serving import make_long_wav, wait_job

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def long_wav(shared_audio: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_long_wav(shared_audio, tmp_path_factory.mktemp("long"))


def client_for(tmp: Path, **settings: object) -> TestClient:
    app = create_app(ServerSettings(data_dir=tmp, default_model="tiny.en", **settings))  # type: ignore[arg-type]
    return TestClient(app)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with client_for(tmp_path_factory.mktemp("serve")) as c:
        yield c


def upload(client: TestClient, *paths: Path, name: str | None = None) -> list[str]:
    files = [("files", (name or p.name, p.read_bytes(), "application/octet-stream")) for p in paths]
    r = client.post("/api/v1/upload", files=files)
    assert r.status_code == 201, r.text
    return list(r.json()["file_ids"])


def test_root_health_providers_docs(client: TestClient) -> None:
    assert client.get("/").json()["status"] == "running"
    health = client.get("/health").json()
    assert health["status"] == "healthy" and health["database"] == "connected"
    for path, accept in (("/", "text/html"), ("/", "application/json"), ("/health", "*/*")):
        probe = client.head(path, headers={"accept": accept})  # an uptime monitor's check
        assert probe.status_code == 200 and probe.content == b"", (path, accept)
    providers = client.get("/api/v1/transcribe/providers").json()
    assert providers["providers"]["faster_whisper"] is True
    assert "tiny.en" in providers["models"]["faster_whisper"]
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    # every operation id once: client generators (openapi-generator, orval) refuse repeats
    ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert len(ids) == len(set(ids)), sorted(ids)
    for path in ("/api/v1/upload", "/api/v1/transcribe", "/api/v1/transcribe/jobs/{job_id}",
                 "/api/v1/results/{job_id}", "/api/v1/results/{job_id}/{format}",
                 "/v1/audio/transcriptions", "/v1/models", "/metrics"):  # fmt: skip
        assert path in paths
    assert client.get("/docs").status_code == 200


def test_original_flow_two_files(client: TestClient, shared_audio: Path) -> None:
    ids = upload(client, shared_audio / "jfk.wav", shared_audio / "jfk.mp3")
    r = client.post(
        "/api/v1/transcribe",
        json={"file_ids": ids, "model_type": "faster_whisper", "model_size": "tiny.en",
              "language": "en", "output_formats": ["srt", "vtt", "txt"]},
    )  # fmt: skip
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "queued" and body["files_count"] == 2
    job = wait_job(client.get, body["job_id"])
    assert job["status"] == "completed", job
    assert job["progress"] == 100 and job["done_seconds"] == pytest.approx(22.0, abs=0.2)
    assert job["started_at"] and job["completed_at"] and job["error"] is None
    results = client.get(f"/api/v1/results/{body['job_id']}").json()
    assert results["results_count"] == 2
    assert [r["filename"] for r in results["results"]] == ["jfk.wav", "jfk.mp3"]
    assert results["results"][0]["available_formats"] == ["vtt", "srt", "txt"]
    # Each file on its own (?file_id=), and a zip of both without it.
    for item in results["results"]:
        got = client.get(f"/api/v1/results/{body['job_id']}/srt?file_id={item['file_id']}")
        assert got.headers["content-type"].startswith("application/x-subrip")
        assert "country" in " ".join(s.content for s in srt.parse(got.text))
    vtt = client.get(f"/api/v1/results/{body['job_id']}/vtt?file_id={ids[0]}")
    assert "country" in " ".join(c.text for c in webvtt.from_buffer(io.StringIO(vtt.text)))
    archive = client.get(f"/api/v1/results/{body['job_id']}/txt")
    assert archive.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert sorted(names) == ["jfk.mp3.txt", "jfk.txt"]
    # Errors on results.
    assert client.get(f"/api/v1/results/{body['job_id']}/xml").status_code == 400
    assert client.get(f"/api/v1/results/{body['job_id']}/json").status_code == 404
    assert client.get(f"/api/v1/results/{body['job_id']}/srt?file_id=nope").status_code == 404
    # Listed, and a finished job cannot be cancelled.
    listed = client.get("/api/v1/transcribe/jobs?status=completed").json()
    assert body["job_id"] in [j["job_id"] for j in listed["jobs"]]
    assert client.delete(f"/api/v1/transcribe/jobs/{body['job_id']}").status_code == 409
    # SSE: a finished job's stream is one "completed" event.
    events = client.get(f"/api/v1/transcribe/jobs/{body['job_id']}/events").text
    assert events.startswith("event: completed\ndata: ")
    assert json.loads(events.split("data: ", 1)[1])["progress"] == 100
    metrics = client.get("/metrics").text
    assert 'woasr_jobs{state="completed"}' in metrics and "woasr_audio_seconds_total" in metrics


def test_cancel_and_progress_events(client: TestClient, long_wav: Path) -> None:
    (fid,) = upload(client, long_wav)
    r = client.post("/api/v1/transcribe", json={"file_ids": [fid], "model_size": "tiny.en"})
    job_id = r.json()["job_id"]
    first = None
    with client.stream("GET", f"/api/v1/transcribe/jobs/{job_id}/events") as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                first = json.loads(line[6:])
                break
    assert first is not None and first["job_id"] == job_id
    assert first["type"] == "progress" and first["status"] in ("queued", "processing")
    cancelled = client.delete(f"/api/v1/jobs/{job_id}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert wait_job(client.get, job_id)["status"] == "cancelled"
    r = client.get(f"/api/v1/results/{job_id}")
    assert r.status_code == 400 and "cancelled" in r.json()["detail"]


def test_upload_errors(client: TestClient, tmp_path: Path, shared_audio: Path) -> None:
    assert client.post("/api/v1/upload").status_code == 422
    r = client.post(
        "/api/v1/upload", files=[("files", ("notes.wav", b"not audio" * 100, "audio/wav"))]
    )
    assert r.status_code == 415 and "notes.wav" in r.json()["detail"]
    uploads = Path(client.app.state.uploads.root)  # type: ignore[attr-defined]
    before = set(uploads.iterdir())
    (fid,) = upload(client, shared_audio / "jfk.wav", name="../../../../tmp/evil.wav")
    new = set(uploads.iterdir()) - before
    assert all(p.parent == uploads for p in new) and not Path("/tmp/evil.wav").exists()
    assert {p.name for p in new} == {f"{fid}.wav", f"{fid}.json"}
    r = client.post("/api/v1/upload", files=[("files", ("a.wav", b"x", "audio/wav"))] * 11)
    assert r.status_code == 400
    # a quote in a name arrives as %22 (httpx and browsers encode it): left out, as the quote is
    (quoted,) = upload(client, shared_audio / "jfk.wav", name='Meeting "Q3".wav')
    stored = client.app.state.uploads.get(quoted)  # type: ignore[attr-defined]
    assert stored.filename == "Meeting Q3.wav"


def test_transcribe_errors(client: TestClient, shared_audio: Path) -> None:
    (fid,) = upload(client, shared_audio / "jfk.wav")
    r = client.post("/api/v1/transcribe", json={"file_ids": [fid, "0" * 32]})
    assert r.status_code == 404 and "Some files not found" in r.json()["detail"]
    r = client.post("/api/v1/transcribe", json={"file_ids": [fid], "output_formats": ["xml"]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "output_formats", 0]
    r = client.post("/api/v1/transcribe", json={"file_ids": [fid], "model_type": "google_stt"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "model_type"]
    r = client.post("/api/v1/transcribe", json={"file_ids": []})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "file_ids"]
    r = client.post("/api/v1/transcribe", json={"file_ids": [fid], "model_size": "no-such-model"})
    assert r.status_code == 400 and "no-such-model" in r.json()["detail"]
    r = client.post("/api/v1/transcribe", json={"file_ids": [fid], "language": "ko"})
    assert r.status_code == 400  # tiny.en is English-only: refused now, not failed later
    for path in (
        "/api/v1/transcribe/jobs/nope",
        "/api/v1/results/nope",
        "/api/v1/results/nope/srt",
    ):
        assert client.get(path).status_code == 404
    assert client.delete("/api/v1/transcribe/jobs/nope").status_code == 404


def test_api_key(tmp_path: Path) -> None:
    with client_for(tmp_path, api_key="s3cret") as c:
        assert c.get("/health").status_code == 200
        for path in ("/", "/api/v1/transcribe/jobs", "/v1/models", "/metrics"):
            r = c.get(path)
            assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert c.get("/v1/models", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/v1/models", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_bind_refused_without_key() -> None:
    with pytest.raises(UsageError, match="--insecure"):
        ServerSettings(host="0.0.0.0").check()
    ServerSettings(host="0.0.0.0", api_key="k").check()
    ServerSettings(host="0.0.0.0", insecure=True).check()
    ServerSettings(host="::1").check()


def test_413_before_the_body_is_stored(tmp_path: Path) -> None:
    with client_for(tmp_path, max_upload_mb=0.01) as c:
        r = c.post("/api/v1/upload", files=[("files", ("big.wav", b"\0" * 50_000, "audio/wav"))])
        assert r.status_code == 413
        assert list((tmp_path / "uploads").iterdir()) == []
        # Chunked (no Content-Length): counted as it comes; it was answered 400 "There was an
        # error parsing the body", FastAPI's word for the cut-off form.
        boundary = "b0undary"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
                'filename="big.wav"\r\nContent-Type: audio/wav\r\n\r\n').encode()  # fmt: skip
        parts = [head, *[b"\0" * 8192] * 8, f"\r\n--{boundary}--\r\n".encode()]
        form = {"content-type": f"multipart/form-data; boundary={boundary}"}
        for path in ("/api/v1/upload", "/v1/audio/transcriptions"):
            r = c.post(path, content=iter(parts), headers=form)
            assert r.status_code == 413 and "over the limit" in r.text, (path, r.text)
        assert list((tmp_path / "uploads").iterdir()) == []


def test_full_queue_503(tmp_path: Path, shared_audio: Path) -> None:
    with client_for(tmp_path, max_queue=2, workers=1) as c:
        ids = upload(c, *(shared_audio / f"jfk.{ext}" for ext in ("wav", "mp3", "flac")))
        r = c.post("/api/v1/transcribe", json={"file_ids": ids[:2]})
        assert r.status_code == 202
        r = c.post("/api/v1/transcribe", json={"file_ids": ids[2:]})
        assert r.status_code == 503 and r.headers["retry-after"].isdigit()
        # A job that can never fit: 400 with the reason, not a 503 to retry for ever
        r = c.post("/api/v1/transcribe", json={"file_ids": ids})
        assert r.status_code == 400 and "more than the queue holds" in r.json()["detail"]


def test_a_server_at_its_model_limit_answers_503_and_unloads_what_is_idle(
    tmp_path: Path, shared_audio: Path
) -> None:
    """Models clients ask for are bounded (--max-models): with the one slot busy, a job for
    another model is told to retry; once it is free the idle model makes room."""
    with client_for(tmp_path, max_models=1) as c:
        (fid,) = upload(c, shared_audio / "jfk.wav")
        pool = c.app.state.models  # type: ignore[attr-defined]
        busy = TranscribeOptions(model="tiny.en", device="cpu", batch_size=2)
        with pool.use(busy):  # e.g. a long file's job, or a live stream, on another model
            r = c.post("/api/v1/transcribe", json={"file_ids": [fid]})
            assert r.status_code == 503 and r.headers["retry-after"].isdigit()
            assert "model slots are in use" in r.json()["detail"]
            clip = (shared_audio / "jfk.wav").read_bytes()
            r = c.post("/v1/audio/transcriptions", files={"file": ("jfk.wav", clip)},
                       data={"model": "whisper-1"})  # fmt: skip
            assert r.status_code == 503 and "model slots" in r.json()["error"]["message"]
            assert len(pool.loaded()) == 1
        r = c.post("/api/v1/transcribe", json={"file_ids": [fid]})
        assert r.status_code == 202
        assert wait_job(c.get, r.json()["job_id"])["status"] == "completed"
        assert [p.batch_size for p in pool.loaded()] != [2]  # the idle one was unloaded
        assert len(c.get("/health").json()["providers"]) == 1


def test_cors_only_when_configured(tmp_path: Path) -> None:
    pre = {"Origin": "http://app.example", "Access-Control-Request-Method": "POST"}
    with client_for(tmp_path / "a") as c:
        assert "access-control-allow-origin" not in c.options("/api/v1/upload", headers=pre).headers
    with client_for(tmp_path / "b", cors_origins=("http://app.example",)) as c:
        got = c.options("/api/v1/upload", headers=pre).headers
        assert got["access-control-allow-origin"] == "http://app.example"


def test_keep_days_cleanup(tmp_path: Path, shared_audio: Path) -> None:
    with client_for(tmp_path, keep_days=1) as c:
        (fid,) = upload(c, shared_audio / "jfk.wav")
        (fresh,) = upload(c, shared_audio / "jfk.mp3")
        job_id = c.post("/api/v1/transcribe", json={"file_ids": [fid]}).json()["job_id"]
        assert wait_job(c.get, job_id)["status"] == "completed"
        jobs = c.app.state.jobs  # type: ignore[attr-defined]
        assert jobs.cleanup() == 0  # nothing is a day old yet
        assert jobs.cleanup(now=time.time() + 2 * 86400) == 1
        assert c.get(f"/api/v1/transcribe/jobs/{job_id}").status_code == 404
        assert not (tmp_path / "jobs" / job_id).exists()
        assert jobs.uploads.get(fid) is None and jobs.uploads.get(fresh) is None
        assert jobs.manifest.jobs() == []


def test_a_request_a_client_waits_on_queues_its_chunks_ahead_of_the_jobs(
    client: TestClient, shared_audio: Path, submitted_ahead: list[bool]
) -> None:
    """A clip posted to the OpenAI-compatible route while a job transcribed an hour waited
    behind the job's queued windows (a median of 9.4 s for jfk against 0.9 s on an idle
    server); its chunks now go ahead of the job's, which queue as before."""
    jfk = ("jfk.wav", (shared_audio / "jfk.wav").read_bytes())
    r = client.post("/v1/audio/transcriptions", files={"file": jfk}, data={"model": "tiny.en"})
    assert r.status_code == 200 and "country" in r.json()["text"]
    assert submitted_ahead and all(submitted_ahead)
    submitted_ahead.clear()
    (fid,) = upload(client, shared_audio / "jfk.wav")
    r = client.post("/api/v1/transcribe", json={"file_ids": [fid], "model_size": "tiny.en"})
    assert wait_job(client.get, r.json()["job_id"])["status"] == "completed"
    assert submitted_ahead and not any(submitted_ahead)


def test_openai_srt_cues_are_cut_at_pauses_and_words_come_when_asked(
    client: TestClient, shared_audio: Path
) -> None:
    """``response_format=srt`` lays cues out by the engine's word times, as ``woasr transcribe``
    does (jfk's first cue ends before its 0.9 s pause at 4.5 s, the next starts after it);
    ``verbose_json`` lists words only with the ``word`` granularity."""
    jfk = ("jfk.wav", (shared_audio / "jfk.wav").read_bytes())
    r = client.post("/v1/audio/transcriptions", files={"file": jfk},
                    data={"model": "tiny.en", "response_format": "srt"})  # fmt: skip
    cues = list(srt.parse(r.text))
    assert r.status_code == 200 and len(cues) >= 2, r.text
    assert cues[0].end.total_seconds() <= 4.6 and cues[1].start.total_seconds() >= 5.2, r.text
    for granularity, has_words in (("segment", False), ("word", True)):
        data = {"response_format": "verbose_json", "timestamp_granularities[]": granularity}
        r = client.post("/v1/audio/transcriptions", files={"file": jfk}, data=data)
        assert r.status_code == 200 and ("words" in r.json()) is has_words, granularity


def test_openai_route_errors(client: TestClient, shared_audio: Path) -> None:
    jfk = ("jfk.wav", (shared_audio / "jfk.wav").read_bytes())
    r = client.post("/v1/audio/transcriptions", files={"file": jfk},
                    data={"response_format": "docx"})  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["param"] == "response_format"
    r = client.post("/v1/audio/transcriptions", files={"file": ("a.mp3", b"no audio here")})
    # 400, as OpenAI answers, so that its SDK raises BadRequestError (415 gave APIStatusError)
    assert r.status_code == 400 and "a.mp3" in r.json()["error"]["message"]
    # A file sent as a plain field: told to send a file, and not echoed back whole (it was: a
    # 1 MB answer for a 350 kB WAV).
    wav = (shared_audio / "jfk.wav").read_bytes()[:200_000]  # curl -F "file=<jfk.wav"
    r = client.post("/v1/audio/transcriptions",
                    files={"file": (None, wav), "model": (None, b"tiny.en")})  # fmt: skip
    assert r.status_code == 422 and "-F 'file=@" in r.json()["error"]["message"]
    assert len(r.content) < 2000
    r = client.post("/api/v1/transcribe", json={"file_ids": ["x"], "language": ["A" * 5000]})
    assert r.status_code == 422 and len(r.content) < 2000  # a list was echoed whole
    r = client.post("/v1/audio/transcriptions", files={"file": jfk}, data={"model": "nope"})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    assert list(Path(client.app.state.scratch.root).iterdir()) == []  # type: ignore[attr-defined]


def test_serve_command_refuses_an_open_bind_without_a_key(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from woasr_cli.cli.app import app

    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "--insecure" in result.output


def test_the_finished_files_of_a_failed_job_can_be_downloaded(
    tmp_path: Path, shared_audio: Path
) -> None:
    """A two-file job whose second file fails: the first file's results were written, and
    both the listing and its download said "Job is not completed yet. Current status:
    failed"."""
    with client_for(tmp_path, workers=1) as c:
        good, bad = upload(c, shared_audio / "jfk.wav", shared_audio / "jfk.flac")
        (stored,) = (tmp_path / "uploads").glob(f"{bad}*.flac")
        stored.write_bytes(stored.read_bytes()[:2000])  # the disk lost its content meanwhile
        body = {"file_ids": [good, bad], "output_formats": ["srt", "json"]}
        r = c.post("/api/v1/transcribe", json=body)
        job = wait_job(c.get, r.json()["job_id"])
        assert job["status"] == "failed", job
        listing = c.get(f"/api/v1/results/{job['job_id']}")
        assert listing.status_code == 200, listing.text
        assert [i["file_id"] for i in listing.json()["results"]] == [good]
        srt_text = c.get(f"/api/v1/results/{job['job_id']}/srt?file_id={good}")
        assert srt_text.status_code == 200 and "country" in srt_text.text
        r = c.get(f"/api/v1/results/{job['job_id']}/srt?file_id={bad}")
        assert r.status_code == 400 and "did not finish" in r.json()["detail"]
        # Its JSON names the upload, not where the server keeps it
        doc = c.get(f"/api/v1/results/{job['job_id']}/json?file_id={good}").json()
        assert doc["source"] == "jfk.wav"


def test_the_servers_model_is_for_whisper_engines_only() -> None:
    """``woasr serve -m tiny.en``: a job for another engine with no ``model_size`` was asked to
    load "tiny.en" ("cannot fetch NeMo model 'tiny.en'"); it gets that engine's default."""
    from woasr_cli.server.schemas import TranscriptionRequest, to_options

    def model(**body: object) -> str | None:
        return to_options(TranscriptionRequest(file_ids=["x"], **body), "tiny.en", "cpu").model  # type: ignore[arg-type]

    assert model() == "tiny.en" and model(model_type="whisperx") == "tiny.en"
    assert model(model_type="fast_conformer") is None and model(model_type="hf_auto_asr") is None
    named = "openai/whisper-tiny"
    assert model(model_type="hf_auto_asr", model_size=named) == named


def test_health_lists_every_loaded_model(tmp_path: Path) -> None:
    """/health's `providers` is keyed by provider alone: with tiny.en and base both loaded it
    shows `{"faster_whisper": "base"}`, one model hiding the other; `models` lists both."""
    with client_for(tmp_path) as c:
        assert c.get("/health").json()["models"] == {}
        pool = c.app.state.models  # type: ignore[attr-defined]
        for model, batch_size in (("tiny.en", 0), ("base", 0), ("tiny.en", 2)):
            pool.check(TranscribeOptions(model=model, device="cpu", batch_size=batch_size))
        assert len(pool.loaded()) == 3
        health = c.get("/health").json()
        assert health["models"] == {"faster_whisper": ["tiny.en", "base"]}
        assert health["providers"] == {"faster_whisper": "tiny.en"}  # the last loaded, as before


def test_providers_default_models_are_what_a_request_without_a_model_gets(tmp_path: Path) -> None:
    """GET /api/v1/transcribe/providers said `"default_models": {"faster_whisper": "base"}` on
    a server started with --model tiny.en, whose jobs without `model_size` run tiny.en
    (docs/server.md): a client filling its form from it asked for a model it did not mean."""
    with client_for(tmp_path) as c:  # --model tiny.en
        info = c.get("/api/v1/transcribe/providers").json()
    assert info["default_models"]["faster_whisper"] == "tiny.en"
    assert info["models"]["faster_whisper"][0] == "tiny.en"
    assert info["default_models"]["whisperx"] == "tiny.en"
    assert info["default_models"]["origin_whisper"] == "base"  # its own: --model is CT2's
    with TestClient(create_app(ServerSettings(data_dir=tmp_path / "plain"))) as c:
        info = c.get("/api/v1/transcribe/providers").json()
    assert info["default_models"]["faster_whisper"] == "base"


def test_the_original_apis_language_and_compute_type_go_to_engines_that_take_them() -> None:
    """The original's clients send `language` ("ko") and `compute_type` ("float16") whatever the
    engine, and the original ignored them where the engine took neither: a NeMo request with
    them was refused (400) once the library refused --language and --compute-type there."""
    from woasr_cli.providers.registry import check_capabilities, get_spec
    from woasr_cli.server.schemas import TranscriptionRequest, to_options

    def options(model_type: str) -> TranscribeOptions:
        body = {
            "model_type": model_type,
            "language": "ko",
            "parameters": {"compute_type": "float16"},
        }
        return to_options(TranscriptionRequest(file_ids=["x"], **body), "tiny.en", "cpu")  # type: ignore[arg-type]

    nemo = options("fast_conformer")
    assert (nemo.language, nemo.compute_type) == (None, TranscribeOptions().compute_type)
    check_capabilities(get_spec("fast_conformer"), nemo)  # the check that refused it: none now
    for torch_engine in ("origin_whisper", "hf_auto_asr"):
        assert options(torch_engine).compute_type == TranscribeOptions().compute_type
        assert options(torch_engine).language == "ko"
    whisper = options("faster_whisper")
    assert (whisper.language, whisper.compute_type) == ("ko", "float16")


def test_speaker_bounds_sent_that_contradict_are_refused_as_the_cli_refuses_them() -> None:
    """``{"min_speakers": 3, "max_speakers": 2}`` was queued as 3 to 3 speakers, where
    ``woasr transcribe --min-speakers 3 --max-speakers 2`` exits 2: the library's rule and words
    now (the route answers them with 400). A lower bound sent alone still lifts the original's
    default upper bound (5)."""
    from woasr_cli.server.schemas import TranscriptionRequest, to_options

    def bounds(**diarization: object) -> tuple[int | None, int | None]:
        body = {"diarization": {"enabled": True, **diarization}}
        options = to_options(TranscriptionRequest(file_ids=["x"], **body), "tiny.en", "cpu")  # type: ignore[arg-type]
        return options.min_speakers, options.max_speakers

    with pytest.raises(UsageError) as refused:
        bounds(min_speakers=3, max_speakers=2)
    with pytest.raises(UsageError) as cli:
        TranscribeOptions(diarize=True, min_speakers=3, max_speakers=2)
    said = "--min-speakers (3) is larger than --max-speakers (2)"
    assert str(refused.value) == str(cli.value) == said
    assert bounds(min_speakers=8) == (8, 8) and bounds() == (1, 5)
    assert bounds(min_speakers=2, max_speakers=4) == (2, 4)


def test_a_temperature_out_of_range_gets_the_same_answer_from_both_apis(tmp_path: Path) -> None:
    """The OpenAI route kept its own range (0 to 1: 422 "Input should be less than or equal to
    1" for 1.2, which the CLI and the job API take); the library's range and words decide for
    every front end now: 400, and the message ``woasr transcribe --temperature 2`` prints."""
    said = "--temperature values must lie between 0 and 1.5"
    with client_for(tmp_path) as c:
        r = c.post("/api/v1/transcribe",
                   json={"file_ids": ["x"], "parameters": {"temperature": 2.0}})  # fmt: skip
        assert (r.status_code, r.json()["detail"]) == (400, said)
        for route in ("transcriptions", "translations"):
            r = c.post(f"/v1/audio/{route}", files={"file": ("a.wav", b"RIFF")},
                       data={"temperature": "2"})  # fmt: skip
            assert (r.status_code, r.json()["error"]["message"]) == (400, said)
        assert list(Path(c.app.state.scratch.root).iterdir()) == []  # type: ignore[attr-defined]
    assert TranscribeOptions(temperature=1.2).temperature == (1.2,)
    with pytest.raises(UsageError, match=f"^{said}$"):
        TranscribeOptions(temperature=2.0)


def test_openai_temperature_0_is_its_default_the_fallback_schedule(
    tmp_path: Path, shared_audio: Path
) -> None:
    """OpenAI documents temperature 0, its default, as "the model will use log probability to
    automatically increase the temperature until certain thresholds are hit": Whisper's
    fallback schedule, which woasr's own openai_api provider assumes when it sends 0. The
    route read an SDK's explicit ``temperature=0`` as one temperature, no fallback, where
    leaving it out gave the schedule; another value is that one temperature."""
    from woasr_cli.options import WHISPER_TEMPERATURES

    with client_for(tmp_path) as c:
        models = c.app.state.models  # type: ignore[attr-defined]
        asked: list[tuple[float, ...]] = []
        check = models.check
        models.check = lambda options: asked.append(options.temperature) or check(options)
        clip = ("jfk.wav", (shared_audio / "jfk.wav").read_bytes())
        for sent in ({}, {"temperature": "0"}, {"temperature": "0.0"}, {"temperature": "0.4"}):
            r = c.post("/v1/audio/transcriptions", files={"file": clip},
                       data={"model": "tiny.en", "response_format": "text", **sent})  # fmt: skip
            assert r.status_code == 200 and "country" in r.text, r.text
    assert asked == [WHISPER_TEMPERATURES] * 3 + [(0.4,)]


def test_output_formats_all_and_rttm_are_read_as_the_cli_reads_them() -> None:
    """The job API expanded "all" itself, to vtt, srt, json, txt and tsv whatever the request:
    a diarized job got no RTTM where ``woasr transcribe -f all --diarize`` writes one, and
    rttm could not be asked for at all (422). The library's parse_formats reads them now, and
    rttm without diarization is refused with the CLI's words."""
    from woasr_cli.server.schemas import TranscriptionRequest, requested_formats, to_options

    def request(*formats: str, diarize: bool) -> TranscriptionRequest:
        diarization = {"enabled": True} if diarize else None
        return TranscriptionRequest(file_ids=["x"], output_formats=formats,  # type: ignore[arg-type]
                                    diarization=diarization)  # type: ignore[arg-type]  # fmt: skip

    every = ("vtt", "srt", "json", "txt", "tsv")
    assert requested_formats(request("all", diarize=True)) == (*every, "rttm")
    assert requested_formats(request("all", diarize=False)) == every
    diarized = to_options(request("srt", "rttm", diarize=True), "tiny.en", "cpu")
    assert diarized.formats == ("srt", "rttm", "json")
    with pytest.raises(UsageError) as refused:
        to_options(request("srt", "rttm", diarize=False), "tiny.en", "cpu")
    with pytest.raises(UsageError) as cli:
        TranscribeOptions(formats=("srt", "rttm"))
    assert str(refused.value) == str(cli.value) and str(cli.value).startswith("-f rttm needs")


def test_a_diarized_job_for_all_formats_has_its_rttm_to_download(
    client: TestClient, shared_audio: Path
) -> None:
    """Listed among the file's formats and downloaded as text (it was "Invalid format")."""
    (fid,) = upload(client, shared_audio / "pyannote_sample.wav")
    body = {"file_ids": [fid], "language": "en", "output_formats": ["all"],
            "diarization": {"enabled": True, "min_speakers": 2, "max_speakers": 2}}  # fmt: skip
    r = client.post("/api/v1/transcribe", json=body)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    assert wait_job(client.get, job_id)["status"] == "completed"
    (result,) = client.get(f"/api/v1/results/{job_id}").json()["results"]
    assert result["available_formats"] == ["vtt", "srt", "json", "txt", "tsv", "rttm"]
    rttm = client.get(result["downloads"]["rttm"])
    assert rttm.status_code == 200 and rttm.headers["content-type"].startswith("text/plain")
    assert {line.split()[7] for line in rttm.text.splitlines()} == {"SPEAKER_00", "SPEAKER_01"}


def test_the_files_per_job_limit_is_the_servers_setting(tmp_path: Path) -> None:
    """The job API's schema kept its own copy of the limit (10) beside ServerSettings.max_files,
    which the upload used: a server set to 2 took 3 files in a job, one set to 12 took 12 in an
    upload and refused them in a job (422 "List should have at most 10 items")."""
    for limit, sent, answer in ((2, 3, 400), (12, 11, 404)):
        with client_for(tmp_path / str(limit), max_files=limit) as c:
            ids = [f"{i:032x}" for i in range(sent)]
            r = c.post("/api/v1/transcribe", json={"file_ids": ids})
            assert r.status_code == answer, r.text
            if answer == 400:
                assert r.json()["detail"] == "at most 2 files per job"
            files = [("files", (f"{i}.wav", b"RIFF")) for i in range(3)]
            if limit == 2:
                assert c.post("/api/v1/upload", files=files).json()["detail"] == (
                    "at most 2 files per upload"
                )


def test_a_stream_for_openai_api_takes_the_servers_endpoint(tmp_path: Path) -> None:
    """/v1/stream on a server started with --openai-base-url and --openai-api-key refused
    {"provider": "openai_api"} with 1007 "not configured: set --openai-base-url"; it is taken
    (its second of silence asks the endpoint nothing, so none need answer) and ends with 1000."""
    from starlette.websockets import WebSocketDisconnect

    endpoint = {"openai_base_url": "http://127.0.0.1:9/v1", "openai_api_key": "k"}
    events = []
    with (
        client_for(tmp_path, provider_settings=endpoint) as c,
        c.websocket_connect("/v1/stream") as ws,
    ):
        ws.send_text(json.dumps({"provider": "openai_api", "model": "tiny.en"}))
        ws.send_bytes(b"\0\0" * 16000)
        ws.send_text(json.dumps({"type": "end"}))
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                events.append(json.loads(ws.receive_text()))
    assert closed.value.code == 1000, events
    assert not any(e.get("type") == "error" for e in events)


def test_a_job_asks_another_audio_track(
    client: TestClient, tmp_path: Path, shared_audio: Path
) -> None:
    """A video whose default audio track is silent: a job transcribed that one alone, with no
    field to ask the track that holds the talk (``woasr transcribe --audio-track``'s)."""
    from mediafiles import two_tracks
    from woasr_cli.media import decode_audio

    talk = decode_audio(shared_audio / "jfk.flac")
    film = two_tracks(tmp_path / "film.mkv", 0 * talk, talk, 16000, default=0)
    (fid,) = upload(client, film)
    body = {"file_ids": [fid], "output_formats": ["txt"], "audio_track": 1}
    job = wait_job(client.get, client.post("/api/v1/transcribe", json=body).json()["job_id"])
    assert job["status"] == "completed", job
    assert "country" in client.get(f"/api/v1/results/{job['job_id']}/txt?file_id={fid}").text
    body["audio_track"] = 2
    job = wait_job(client.get, client.post("/api/v1/transcribe", json=body).json()["job_id"])
    assert job["status"] == "failed" and "audio track 2 asked, the file has 2 (0-1)" in str(job)
    body["audio_track"] = -1
    r = client.post("/api/v1/transcribe", json=body)
    assert r.status_code == 400 and "--audio-track counts from 0" in r.text
    for odd in (True, 1.0):  # not a track number: refused, not taken for track 1
        body["audio_track"] = odd
        r = client.post("/api/v1/transcribe", json=body)
        assert r.status_code == 422 and "audio_track" in r.text, (odd, r.text)
