"""``--executor ray`` on a real local Ray (2 CPUs, shared by these tests) and on a two-node
``ray.cluster_utils.Cluster``, all bound to 127.0.0.1: the same outputs as the local executor,
an actor killed mid-batch, the driver SIGKILLed, Ray missing or unreachable."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import srt

# Read when Ray is imported: its processes then listen on 127.0.0.1, not the host's address.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
ray = pytest.importorskip("ray", reason="needs the ray extra: pip install 'woasr[ray]'")

from woasr_cli.events import Event  # noqa: E402
from woasr_cli.formats import parse_formats  # noqa: E402
from woasr_cli.jobs.batch import run_batch  # noqa: E402
from woasr_cli.jobs.manifest import Manifest  # noqa: E402
from woasr_cli.jobs.ray_executor import NAMESPACE, RayExecutor  # noqa: E402
from woasr_cli.jobs.states import JobState  # noqa: E402
from woasr_cli.options import TranscribeOptions  # noqa: E402

pytestmark = pytest.mark.slow
SRC = str(Path(__file__).parents[2] / "src")
CLIPS = ("jfk.wav", "librispeech_1272-128104-0000.wav", "synth/hibari_en_1.wav",
         "synth/hibari_en_2.wav")  # fmt: skip
MANIFEST = ".woasr-manifest.db"


def _env(**extra: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


@pytest.fixture(scope="module")
def local_ray() -> Iterator[str]:
    """One local Ray for this module's tests; its workers import woasr from this tree. Shut
    down after them: held for the session it idled (GCS, raylet, agents, idle workers) under
    the ~80 test files that follow, ~5% of a core on a 2-core runner."""
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = _env()["PYTHONPATH"]
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             object_store_memory=200 * 2**20, log_to_driver=False)  # fmt: skip
    try:
        yield str(ray.get_runtime_context().gcs_address)
    finally:
        ray.shutdown()
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


@pytest.fixture(scope="session")
def clips(shared_audio: Path) -> list[Path]:
    return [shared_audio / name for name in CLIPS]


@pytest.fixture(scope="session")
def options() -> TranscribeOptions:
    # as the CLI builds them in the subprocess tests (offline: HF_HUB_OFFLINE=1, conftest.py).
    # Sequential decoding (batch size 1): with cross-file batching, which chunks share a batch
    # depends on timing, and word times from cross-attention can move by a frame with the
    # batch; decoded alone, a file gives the same bytes on any executor.
    return TranscribeOptions(
        model="tiny.en", threads=1, batch_size=1, formats=parse_formats(["all"]), offline=True
    )


@pytest.fixture(scope="session")
def local_outputs(
    clips: list[Path], options: TranscribeOptions, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, bytes]:
    """The local executor's outputs on the shared clips: what every Ray run must reproduce.

    Made by the CLI in a process of its own, as a user runs it, with ``options``' settings:
    this test process has imported torch (other tests do), and where CTranslate2 computes with
    oneDNN (AMD CPUs) torch's copy of it then gives other float noise (word probabilities in
    the 3rd decimal), which neither a user's run nor a Ray worker has."""
    out = tmp_path_factory.mktemp("local")
    command = [sys.executable, "-m", "woasr_cli", "transcribe", *map(str, clips),
               "-m", str(options.model), "--threads", str(options.threads),
               "--batch-size", str(options.batch_size), "-f", "all", "--offline",
               "-o", str(out), "--manifest", str(out / MANIFEST), "-q"]  # fmt: skip
    done = subprocess.run(command, env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return _outputs(out)


def _outputs(folder: Path) -> dict[str, bytes]:
    """Every output file's bytes; in the JSON, the options block is left out (it records how
    the work was scheduled: threads and worker processes differ between the executors)."""
    out = {}
    for p in sorted(folder.iterdir()):
        if p.name.startswith(MANIFEST):
            continue
        data = p.read_bytes()
        if p.suffix == ".json":
            doc = json.loads(data)
            doc.pop("options", None)
            data = json.dumps(doc, sort_keys=True).encode()
        out[p.name] = data
    return out


def _no_model(*args: object, **kwargs: object) -> None:
    raise AssertionError("a model was loaded")


def _states(manifest: Path) -> dict[str, tuple[str, float | None]]:
    with sqlite3.connect(manifest) as db:
        rows = db.execute("SELECT input_path, state, finished_at FROM jobs").fetchall()
    return {Path(p).name: (s, f) for p, s, f in rows}


def test_same_outputs_as_local_and_a_rerun_skips(
    local_ray: str,
    clips: list[Path],
    options: TranscribeOptions,
    local_outputs: dict[str, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events: list[Event] = []
    inputs = [str(c) for c in clips]
    executor = RayExecutor(workers=2, shared_fs=True)
    manifest = tmp_path / MANIFEST
    result = run_batch(inputs, options, tmp_path, manifest_path=manifest, reporter=events.append,
                       executor=executor)  # fmt: skip
    assert (result.done, result.failed, result.interrupted) == (len(clips), 0, False)
    assert _outputs(tmp_path) == local_outputs  # byte for byte, every format
    done = [e for e in events if e.kind == "done"]
    assert len(done) == len(clips) and all(e.worker and "@127.0.0.1/" in e.worker for e in done)
    assert events[0].kind == "batch_started" and events[-1].kind == "batch_done"
    assert {s for s, _ in _states(tmp_path / MANIFEST).values()} == {"done"}

    again: list[Event] = []
    rerun = run_batch(inputs, options, tmp_path, manifest_path=manifest, reporter=again.append,
                      executor=executor)  # fmt: skip
    assert (rerun.done, rerun.skipped) == (0, len(clips))
    # The layout of the files the cluster wrote is recorded: another one asked for is written
    # from their transcripts, here, with no model.
    narrow = replace(options, max_line_width=20, formats=("srt",))
    monkeypatch.setattr("woasr_cli.jobs.runner.Transcriber", _no_model)
    relaid = run_batch(inputs, narrow, tmp_path, manifest_path=manifest)
    assert (relaid.done, relaid.skipped, relaid.failed) == (0, len(clips), 0)
    for clip in clips:
        cues = list(srt.parse((tmp_path / f"{clip.stem}.srt").read_text()))
        assert cues and all(len(line) <= 20 for c in cues for line in c.content.splitlines())


def test_a_finished_batch_rerun_starts_no_local_ray(
    clips: list[Path], options: TranscribeOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rerunning a finished batch with ``--executor ray`` started (and stopped) a local Ray just
    to skip every file: 8-10 s against 0.5-0.9 s with the local executor (2 busy cores)."""
    import woasr_cli.jobs.ray_executor as ray_executor

    clip = [str(clips[2])]  # a short one
    manifest = tmp_path / MANIFEST
    first = run_batch(clip, replace(options, formats=("txt",)), tmp_path, manifest_path=manifest)
    assert first.done == 1

    def no_ray(address: str | None) -> object:
        raise AssertionError(f"Ray was started or reached ({address})")

    monkeypatch.setattr(ray_executor, "connect", no_ray)
    events: list[Event] = []
    again = run_batch(clip, replace(options, formats=("txt",)), tmp_path, manifest_path=manifest,
                      reporter=events.append, executor=RayExecutor())  # fmt: skip
    assert (again.done, again.skipped, again.failed) == (0, 1, 0)
    assert [e.kind for e in events] == ["batch_started", "skipped", "batch_done"]


def test_an_actor_killed_mid_batch_its_files_go_to_another(
    local_ray: str,
    clips: list[Path],
    options: TranscribeOptions,
    local_outputs: dict[str, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events: list[Event] = []
    killed: list[str] = []

    def reporter(event: Event) -> None:
        events.append(event)
        if event.kind == "started" and event.worker and not killed:
            name = event.worker.split("@")[0]
            killed.append(name)
            ray.kill(ray.get_actor(name, namespace=NAMESPACE))

    inputs = [str(c) for c in clips]
    result = run_batch(inputs, options, tmp_path, manifest_path=tmp_path / MANIFEST,
                       reporter=reporter, executor=RayExecutor(workers=2))  # fmt: skip
    assert (result.done, result.failed) == (len(clips), 0), result.failures
    assert _outputs(tmp_path) == local_outputs
    retried = [e for e in events if e.kind == "started" and e.reason == "attempt 2 of 3"]
    assert retried and all(not e.worker or not e.worker.startswith(killed[0]) for e in retried)
    done_by = {e.input: e.worker for e in events if e.kind == "done"}
    assert all(not (w or "").startswith(killed[0] + "@") for w in done_by.values())


def test_diarized_on_ray_and_a_bug_on_the_driver_fails_only_its_file(
    local_ray: str,
    shared_audio: Path,
    options: TranscribeOptions,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--diarize`` on Ray: the speaker turns came back from the actor as dicts and the driver
    died rendering the first file (a traceback, exit 1, every file left interrupted). Now the
    speakers are written; and a surprise rendering one file's outputs on the driver fails that
    file with its one-line reason, as in a local run, while the batch goes on."""
    pytest.importorskip("torch", reason="diarization needs the diarize extra")
    import woasr_cli.jobs.ray_executor as ray_executor

    stereo, jfk = shared_audio / "fw_stereo_diarization.wav", shared_audio / "jfk.wav"
    real = ray_executor.write_outputs

    def write_outputs(transcript: Any, stem: Path, *args: Any) -> Any:
        if stem.name == jfk.stem:
            raise KeyError("a bug\nin rendering")
        return real(transcript, stem, *args)

    monkeypatch.setattr(ray_executor, "write_outputs", write_outputs)
    diarized = replace(options, diarize=True, formats=("json", "rttm"))
    result = run_batch([stereo, jfk], diarized, tmp_path, manifest_path=tmp_path / MANIFEST,
                       executor=RayExecutor(workers=1))  # fmt: skip
    assert (result.done, result.failed) == (1, 1)
    assert result.failures == [(str(jfk), "KeyError: 'a bug\\nin rendering'")]
    doc = json.loads((tmp_path / f"{stereo.stem}.json").read_text())
    assert doc["speakers"] == ["SPEAKER_00", "SPEAKER_01"]  # a voice on each channel
    turns = (tmp_path / f"{stereo.stem}.rttm").read_text().splitlines()
    assert {line.split()[7] for line in turns} == {"SPEAKER_00", "SPEAKER_01"}
    states = _states(tmp_path / MANIFEST)
    assert (states[stereo.name][0], states[jfk.name][0]) == ("done", "failed")


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "woasr_cli", "transcribe", *args, "-m", "tiny.en",
           "--threads", "1", "--batch-size", "1", "--executor", "ray", "--json"]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env or _env())  # fmt: skip


def test_driver_sigkilled_rerun_finishes_each_file_once(
    local_ray: str, clips: list[Path], tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(2):  # eight files: enough to be mid-batch after the first is done
        for clip in clips:
            shutil.copyfile(clip, folder / f"{i}_{clip.name}")
    out = tmp_path / "out"
    first = _cli(str(folder), "-o", str(out), "--ray-address", local_ray, "--ray-workers", "1")
    assert first.stdout is not None
    done_before: set[str] = set()
    for line in first.stdout:
        event = json.loads(line)
        if event["event"] == "done":
            done_before.add(Path(event["input"]).name)
            break
    first.send_signal(signal.SIGKILL)
    first.wait()
    finished_at = {k: v[1] for k, v in _states(out / MANIFEST).items() if v[0] == "done"}
    assert done_before and done_before <= set(finished_at)
    assert len(finished_at) < 8, "the kill came after the whole batch"
    # What a killed driver leaves of a file it was writing (.NAME.XXXXXXXX.part), for every
    # file not done, each as one such driver had claimed (the kill may catch none in flight)
    parts = []
    with Manifest.open(out / MANIFEST) as m:
        for job in m.jobs():
            if job.state != JobState.DONE:
                m.reclaim_dead_owner(job.id)
                if m.claim(job.id, "host:1:killed", 60):
                    m.interrupt(job.id, "host:1:killed")
                parts.append(out / f".{Path(job.input_path).stem}.srt.k1ll3d_0.part")
    assert parts
    for part in parts:
        part.write_text("half a file")

    second = _cli(str(folder), "-o", str(out), "--ray-address", local_ray, "--ray-workers", "1")
    stdout, stderr = second.communicate(timeout=240)
    assert second.returncode == 0, stderr
    events = [json.loads(line) for line in stdout.splitlines()]
    done_after = {Path(e["input"]).name for e in events if e["event"] == "done"}
    skipped = {Path(e["input"]).name for e in events if e["event"] == "skipped"}
    # A copy of a file done before the kill is the same media: written from its transcript.
    copies = {
        Path(e["input"]).name
        for e in events
        if e["event"] == "skipped" and "the same media as" in (e.get("reason") or "")
    }
    assert skipped - copies == set(finished_at) and not done_after & skipped
    assert done_after | skipped == {p.name for p in folder.iterdir()}
    states = _states(out / MANIFEST)
    assert {s for s, _ in states.values()} == {"done"}
    # what the killed driver recorded as done was not done again
    assert all(states[name][1] == when for name, when in finished_at.items())
    for name in states:
        assert (out / (Path(name).stem + ".srt")).is_file()
    assert not [p for p in parts if p.exists()]  # the rerun cleared them, as the local one does


def test_driver_sigterm_stops_as_the_local_executor_does(
    local_ray: str, clips: list[Path], tmp_path: Path
) -> None:
    """``ray.init`` put in its own SIGTERM handler (``sys.exit``): the batch ended with exit 1
    or 15 and no ``batch_done``. Now 143, its file interrupted and the event, as without Ray."""
    out = tmp_path / "out"
    proc = _cli(*map(str, clips), "-o", str(out), "--ray-address", local_ray,
                "--ray-workers", "1")  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if json.loads(line)["event"] == "started":
            break
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=60)
    events = [json.loads(line) for line in rest.splitlines()]
    assert proc.returncode == 143
    # (its reason is "stopped by SIGTERM" only where the 3 s deadline ended the process)
    assert events[-1]["event"] == "batch_done", events
    # Stopped before the end: the file in hand interrupted, or - where the signal came as one
    # file had just finished (a quick machine: jfk takes ~1 s) - the rest left pending.
    totals = events[-1]["totals"]
    kinds = {e["event"] for e in events}
    assert "interrupted" in kinds or (totals["pending"] > 0 and "done" in kinds), events


def test_ray_missing_exits_2_before_any_work(shared_audio: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "site"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\n"
        "class _NoRay:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'ray' or name.startswith('ray.'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, _NoRay())\n"
    )
    env = _env(PYTHONPATH=f"{blocker}{os.pathsep}{SRC}")
    out = tmp_path / "out"
    proc = _cli(str(shared_audio / "jfk.wav"), "-o", str(out), env=env)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2, stderr
    assert stderr.strip().splitlines()[-1] == (
        "woasr: error: --executor ray needs Ray: pip install 'woasr[ray]'"
    )
    assert not stdout and not (out / MANIFEST).exists()


def test_unreachable_cluster_exits_2_before_any_work(shared_audio: Path, tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = tmp_path / "out"
    proc = _cli(str(shared_audio / "jfk.wav"), "-o", str(out), "--ray-address",
                f"127.0.0.1:{port}")  # fmt: skip
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "no Ray cluster answers" in lines[0]
    assert not stdout and not (out / MANIFEST).exists()


def test_two_node_cluster_inputs_as_bytes(
    local_ray: str, clips: list[Path], local_outputs: dict[str, bytes], tmp_path: Path
) -> None:
    from ray.cluster_utils import Cluster

    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "include_dashboard": False,
                        "object_store_memory": 100 * 2**20},
    )  # fmt: skip
    try:
        cluster.add_node(num_cpus=1, object_store_memory=100 * 2**20)
        cluster.wait_for_nodes()
        out = tmp_path / "out"
        proc = _cli(*map(str, clips), "-o", str(out), "--ray-address", cluster.address,
                    "--ray-workers", "2", "--no-ray-shared-fs")  # fmt: skip
        stdout, stderr = proc.communicate(timeout=240)
    finally:
        cluster.shutdown()
    assert proc.returncode == 0, stderr
    events = [json.loads(line) for line in stdout.splitlines()]
    done = [e for e in events if e["event"] == "done"]
    assert len(done) == len(clips)
    nodes = {e["worker"].rsplit("/", 1)[1] for e in events if e["event"] == "started"}
    assert len(nodes) == 2, done  # one actor on each node
    got = _outputs(out)
    assert got.keys() == local_outputs.keys()
    for name, data in got.items():
        if name.endswith(".json") and data != local_outputs[name]:
            ours, theirs = json.loads(data), json.loads(local_outputs[name])
            assert {k: v for k, v in ours.items() if v != theirs.get(k)} == {}, name
        assert data == local_outputs[name], name


def test_retry_on_ray_runs_the_failed_files_there(
    local_ray: str, clips: list[Path], local_outputs: dict[str, bytes], tmp_path: Path
) -> None:
    """`woasr retry --executor ray`: a file that failed in a local run (not media then) is run
    again on the cluster once it is fixed, with the batch's options; the rest is not redone."""
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    good, broken = clips[0], folder / clips[1].name
    shutil.copyfile(good, folder / good.name)
    broken.write_bytes(b"not media at all\n" * 64)
    first = subprocess.run(
        [sys.executable, "-m", "woasr_cli", "transcribe", str(folder), "-o", str(out), "-m",
         "tiny.en", "--threads", "1", "--batch-size", "1", "-f", "all", "--quiet"],
        capture_output=True, text=True, env=_env(), timeout=240,
    )  # fmt: skip
    assert first.returncode == 1, first.stderr
    before = _states(out / MANIFEST)
    assert before[broken.name][0] == "failed" and before[good.name][0] == "done"

    shutil.copyfile(clips[1], broken)  # fixed
    retry = subprocess.run(
        [sys.executable, "-m", "woasr_cli", "retry", "-o", str(out), "--executor", "ray",
         "--ray-address", local_ray, "--ray-workers", "1", "--json"],
        capture_output=True, text=True, env=_env(), timeout=240,
    )  # fmt: skip
    assert retry.returncode == 0, retry.stderr
    events = [json.loads(line) for line in retry.stdout.splitlines()]
    done = [e for e in events if e["event"] == "done"]
    assert [Path(e["input"]).name for e in done] == [broken.name]
    assert "@127.0.0.1/" in done[0]["worker"]  # it ran on a Ray actor
    after = _states(out / MANIFEST)
    assert {s for s, _ in after.values()} == {"done"}
    assert after[good.name] == before[good.name]  # not redone
    stem = broken.stem
    got = {k: v for k, v in _outputs(out).items() if k.startswith(stem + ".")}
    want = {k: v for k, v in local_outputs.items() if k.startswith(stem + ".")}
    assert got.keys() == want.keys()
    for name, data in got.items():
        if name.endswith(".json"):  # the same but for where the input was read
            ours, theirs = json.loads(data), json.loads(want[name])
            assert ours.pop("source") == str(broken) and theirs.pop("source") == str(clips[1])
            assert ours == theirs
        else:
            assert data == want[name], name


def test_retry_ray_flags_are_refused_with_workers(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "woasr_cli", "retry", "-o", str(tmp_path), "--executor", "ray",
         "--workers", "2"],
        capture_output=True, text=True, env=_env(), timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "woasr: error: --workers is for the local executor; use --ray-workers"
    )


def fake_ray(monkeypatch: pytest.MonkeyPatch, variable: str) -> tuple[Any, list[str | None]]:
    """A stand-in for the ray module, never initialised, whose ``init`` records the value
    ``variable`` had in the environment when it was called."""
    import types

    calls: list[str | None] = []
    fake = types.ModuleType("ray")
    fake.is_initialized = lambda: False  # type: ignore[attr-defined]
    fake.init = lambda address=None, **kwargs: calls.append(  # type: ignore[attr-defined]
        os.environ.get(variable)
    )
    monkeypatch.setitem(sys.modules, "ray", fake)
    return fake, calls


def test_a_local_ray_started_here_reports_no_usage(monkeypatch: pytest.MonkeyPatch) -> None:
    # Ray sends usage stats to usage-stats.ray.io by default; woasr's own local instance must
    # not (a user's own RAY_USAGE_STATS_ENABLED wins). A stand-in for ray records the call.
    from woasr_cli.jobs.ray_executor import connect

    fake, calls = fake_ray(monkeypatch, "RAY_USAGE_STATS_ENABLED")
    monkeypatch.delenv("RAY_USAGE_STATS_ENABLED", raising=False)
    assert connect(None) == (fake, True)
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "1")
    connect(None)
    assert calls == ["0", "1"]


def test_a_local_ray_started_here_asks_for_token_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ray 2.60 turns token authentication on for a new local instance and says so on the
    user's terminal ("WARNING ... Token authentication is enabled for this Ray cluster. Set
    RAY_AUTH_MODE=disabled to opt out ..."); asked for, it is on and Ray says nothing. A
    user's own RAY_AUTH_MODE wins, and a cluster woasr connects to is the user's business."""
    from woasr_cli.jobs.ray_executor import connect

    fake, calls = fake_ray(monkeypatch, "RAY_AUTH_MODE")
    monkeypatch.delenv("RAY_USAGE_STATS_ENABLED", raising=False)
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)
    assert connect(None) == (fake, True)
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    connect(None)
    monkeypatch.delenv("RAY_AUTH_MODE")
    connect("auto")
    assert calls == ["token", "disabled", None]


def test_a_cluster_that_refuses_the_driver_names_token_auth(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A cluster started with Ray's default token authentication refuses a driver without
    RAY_AUTH_MODE=token: Ray retried for a minute and woasr's one line said only "Failed to
    connect to Ray cluster at 192.0.2.2:6390" (an address the user never gave, no cause). A
    stand-in for ray raises what Ray raised; a real port answers the reachability check."""
    import types

    from woasr_cli.errors import UsageError
    from woasr_cli.jobs.ray_executor import connect

    def refused(address: str | None = None, **kwargs: object) -> None:
        raise ConnectionError("Failed to connect to Ray cluster at 192.0.2.2:6390")

    fake = types.ModuleType("ray")
    fake.is_initialized = lambda: False  # type: ignore[attr-defined]
    fake.init = refused  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ray", fake)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        address = f"127.0.0.1:{sock.getsockname()[1]}"
        monkeypatch.delenv("RAY_AUTH_MODE", raising=False)
        with pytest.raises(UsageError) as without:
            connect(address)
        monkeypatch.setenv("RAY_AUTH_MODE", "token")
        with pytest.raises(UsageError) as with_token:
            connect(address)
    assert str(without.value) == (
        f"cannot start or reach a Ray cluster at {address}: Failed to connect to Ray cluster at "
        "192.0.2.2:6390; a cluster with token authentication (Ray's default) needs "
        "RAY_AUTH_MODE=token and its token (~/.ray/auth_token or RAY_AUTH_TOKEN)"
    )
    assert str(with_token.value) == (
        f"cannot start or reach a Ray cluster at {address}: Failed to connect to Ray cluster at "
        "192.0.2.2:6390"
    )


def test_a_local_ray_is_a_new_one_whatever_ray_start_left_behind(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without ``--ray-address`` woasr starts its own Ray; what it asked of ``ray.init`` made Ray
    join RAY_ADDRESS's cluster, or the last ``ray start``'s from the file that one leaves behind
    when it does not stop cleanly: woasr then waited on a dead address for minutes (10 min
    seen). Ray's own resolver, on what woasr passes, must say "start a new instance" (None)."""
    import types

    from ray._private import services

    from woasr_cli.jobs.ray_executor import connect

    asked: list[str | None] = []
    fake = types.ModuleType("ray")
    fake.is_initialized = lambda: False  # type: ignore[attr-defined]
    fake.init = lambda address=None, **kwargs: asked.append(address)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ray", fake)
    monkeypatch.delenv("RAY_USAGE_STATS_ENABLED", raising=False)
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)
    connect(None)
    stale = tmp_path / "ray"
    stale.mkdir()
    (stale / "ray_current_cluster").write_text("127.0.0.1:9")  # a `ray start` long gone
    assert services.canonicalize_bootstrap_address(asked[0], str(stale)) is None
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:9")
    assert services.canonicalize_bootstrap_address(asked[0], str(stale)) is None
