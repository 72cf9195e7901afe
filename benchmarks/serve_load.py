"""Issue 13: ``woasr serve`` under load, against ``woasr transcribe`` on the same files.

16 concurrent clients (``--clients``) each upload a clip, create a job, poll it and download its
SRT, until ``--jobs`` jobs are done (200 by default), while a probe calls ``/health`` every
100 ms. The same files go through ``woasr transcribe`` (one batch, its defaults) in the same run.
Loopback only; bounded by ``--jobs`` and ``--time-limit``.

Targets: 0 server errors, 0 lost or duplicated jobs, /health p99 <= 100 ms under load, server
throughput (audio seconds per wall second) >= 0.9x the CLI's.

    .venv/bin/python benchmarks/serve_load.py                 # 200 jobs
    .venv/bin/python benchmarks/serve_load.py --jobs 40       # reduced
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared" / "audio").resolve()
CLIPS = ("jfk.wav", "librispeech_1272-128104-0000.wav", "pyannote_sample.wav", "jfk.mp3")
POLL_S = 0.5  # how often a client asks for its job's status
ENV = {**os.environ, "PYTHONPATH": str(REPO / "src"), "WOASR_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}


def durations() -> dict[str, float]:
    sys.path.insert(0, str(REPO / "src"))
    from woasr_cli.media import probe

    return {c: probe(SHARED / c).duration or 0.0 for c in CLIPS}


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a running process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cli(files: list[Path], out: Path, model: str) -> tuple[float, float]:
    """Wall and CPU seconds of one ``woasr transcribe`` over the files."""
    folder = out / "in"
    folder.mkdir(parents=True)
    for i, f in enumerate(files):
        os.link(f, folder / f"{i:04d}_{f.name}")
    cpu = children_cpu()
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "woasr_cli", "transcribe", str(folder), "-o", str(out / "out"),
         "--model", model, "--language", "en", "-f", "srt", "-q"],
        env=ENV, check=True, capture_output=True,
    )  # fmt: skip
    return time.monotonic() - started, children_cpu() - cpu


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(data: Path, model: str, *extra: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``woasr serve`` on a free loopback port with ``data`` as its data directory (its log
    beside it, as serve.log), once ``/health`` answers: (its URL, the process); stopped after."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data.parent.mkdir(parents=True, exist_ok=True)
    with open(data.parent / "serve.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "woasr_cli", "serve", "--port", str(port), "--data-dir",
             str(data), "--model", model, *extra],
            env=ENV, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            for _ in range(600):
                try:
                    if httpx.get(url + "/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            yield url, proc
        finally:
            proc.terminate()
            proc.wait(60)


class Load:
    def __init__(self, url: str, files: list[Path], deadline: float, model: str) -> None:
        self.url = url
        self.model = model
        self.todo = iter(enumerate(files))
        self.lock = threading.Lock()
        self.deadline = deadline
        self.errors: list[str] = []
        self.job_ids: list[str] = []
        self.done_at: list[float] = []
        self.health_ms: list[float] = []
        self.stop = threading.Event()

    def client(self) -> None:
        with httpx.Client(base_url=self.url, timeout=120) as http:
            while time.monotonic() < self.deadline:
                with self.lock:
                    item = next(self.todo, None)
                if item is None:
                    return
                try:
                    self.one(http, item[1])
                except (httpx.HTTPError, AssertionError, KeyError) as exc:
                    with self.lock:
                        self.errors.append(f"{type(exc).__name__}: {exc}")

    def one(self, http: httpx.Client, path: Path) -> None:
        r = http.post("/api/v1/upload", files=[("files", (path.name, path.read_bytes()))])
        assert r.status_code == 201, r.text
        body = {"file_ids": r.json()["file_ids"], "model_size": self.model, "language": "en",
                "output_formats": ["srt"]}  # fmt: skip
        while True:
            r = http.post("/api/v1/transcribe", json=body)
            if r.status_code != 503:
                break
            time.sleep(float(r.headers.get("retry-after", "1")))
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        with self.lock:
            self.job_ids.append(job_id)
        while True:
            job = http.get(f"/api/v1/transcribe/jobs/{job_id}").json()
            if job["status"] in ("completed", "failed", "cancelled"):
                break
            time.sleep(POLL_S)
        assert job["status"] == "completed", job
        with self.lock:
            self.done_at.append(time.monotonic())
        srt = http.get(f"/api/v1/results/{job_id}/srt")
        assert srt.status_code == 200 and "-->" in srt.text, srt.text[:200]

    def probe(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as http:
            while not self.stop.is_set():
                started = time.perf_counter()
                r = http.get("/health")
                self.health_ms.append((time.perf_counter() - started) * 1000)
                if r.status_code != 200:
                    self.errors.append(f"/health {r.status_code}")
                time.sleep(0.1)


def run_server(files: list[Path], data: Path, model: str, clients: int, limit: float) -> dict:  # type: ignore[type-arg]
    with serving(data, model, "--max-queue", "64") as (url, proc):
        # Load the model before the clock starts, as the CLI's own start-up is not the point.
        warm = httpx.post(url + "/api/v1/upload", files=[("files", files[0].open("rb"))])
        body = {"file_ids": warm.json()["file_ids"], "model_size": model, "language": "en"}
        warm_id = httpx.post(url + "/api/v1/transcribe", json=body).json()["job_id"]
        while httpx.get(f"{url}/api/v1/transcribe/jobs/{warm_id}").json()["status"] != "completed":
            time.sleep(0.2)
        cpu = cpu_of(proc.pid)
        started = time.monotonic()
        load = Load(url, files, started + limit, model)
        probe = threading.Thread(target=load.probe)
        probe.start()
        threads = [threading.Thread(target=load.client) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        cpu = cpu_of(proc.pid) - cpu
        load.stop.set()
        probe.join()
        listed = httpx.get(url + "/api/v1/transcribe/jobs?limit=1000").json()
        server_ids = [j["job_id"] for j in listed["jobs"]]
        server_ids.remove(warm_id)
        server_errors = sum(" 500 " in line for line in (data.parent / "serve.log").open())
        return {"elapsed": elapsed, "cpu": cpu, "load": load, "server_ids": server_ids,
                "server_errors": server_errors}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--time-limit", type=float, default=900.0, help="seconds of load, max")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument(
        "--cli-runs", type=int, default=2,
        help="CLI runs: before the server and (2) after it, averaged, as the machine's load drifts",
    )  # fmt: skip
    args = parser.parse_args()
    seconds = durations()
    clips = [SHARED / c for c in CLIPS]
    files = list(itertools.islice(itertools.cycle(clips), args.jobs))
    audio = sum(seconds[f.name] for f in files)
    tmp = Path(tempfile.mkdtemp(prefix="woasr-serve-load-"))
    try:
        cli = [run_cli(files, tmp / "cli0", args.model)]
        result = run_server(files, tmp / "serve" / "data", args.model, args.clients,
                            args.time_limit)  # fmt: skip
        cli += [run_cli(files, tmp / f"cli{i}", args.model) for i in range(1, args.cli_runs)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    cli_s = sum(w for w, _ in cli) / len(cli)
    cli_cpu = sum(c for _, c in cli) / len(cli)
    load: Load = result["load"]
    done = len(load.done_at)
    served_audio = audio * done / len(files)
    ratio = (served_audio / result["elapsed"]) / (audio / cli_s)
    p99 = float(np.percentile(load.health_ms, 99)) if load.health_ms else float("nan")
    lost = len(files) - done
    dup = len(load.job_ids) - len(set(load.job_ids))
    unknown = len(set(load.job_ids) ^ set(result["server_ids"]))
    rows = [
        ("server errors (5xx in log + client errors)",
         result["server_errors"] + len(load.errors), "== 0",
         result["server_errors"] + len(load.errors) == 0),
        ("lost jobs (not completed)", lost, "== 0", lost == 0),
        ("duplicated or unlisted jobs", dup + unknown, "== 0", dup + unknown == 0),
        ("/health p99 ms under load", round(p99, 1), "<= 100", p99 <= 100),
        ("throughput server / cli", round(ratio, 3), ">= 0.9", ratio >= 0.9),
    ]  # fmt: skip
    print(f"jobs {len(files)} ({audio:.0f} s of audio), clients {args.clients}, "
          f"model {args.model}, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    cpu_ratio = (served_audio / result["cpu"]) / (audio / cli_cpu)
    print(f"cli runs (wall s, cpu s): {[(round(w, 1), round(c, 1)) for w, c in cli]}")
    print(f"audio seconds per CPU second, server / cli (not a target; robust to the machine's "
          f"load): {cpu_ratio:.3f}")  # fmt: skip
    print(f"cli: {cli_s:.1f} s ({audio / cli_s:.1f}x real time); server: "
          f"{result['elapsed']:.1f} s for {done} jobs ({served_audio / result['elapsed']:.1f}x); "
          f"/health {len(load.health_ms)} probes, median "
          f"{np.median(load.health_ms):.1f} ms")  # fmt: skip
    for name, value, target, ok in rows:
        print(f"  {name:45s} {value!s:>10}  target {target:8s} {'PASS' if ok else 'FAIL'}")
    for error in load.errors[:5]:
        print("  error:", error)
    if args.json:
        args.json.write_text(json.dumps({n: v for n, v, _, _ in rows}, indent=2))
    return 0 if all(ok for *_, ok in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
