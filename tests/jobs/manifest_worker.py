"""A separate process that uses a manifest, for the tests that race or kill processes.

Run as ``python manifest_worker.py MANIFEST COMMAND [ARGS]``; it reports on stdout, one line
per event, flushed, so the test can follow it step by step.
"""

from __future__ import annotations

import sys
import time

from woasr_cli.jobs.manifest import Manifest
from woasr_cli.jobs.owner import new_owner

SEGMENT_TEXT = "twelve words of checkpointed speech so that each row has some weight " * 4


def segment(index: int) -> dict[str, object]:
    words = [
        {"start": index + k / 10, "end": index + (k + 1) / 10, "text": f"w{k}"} for k in range(10)
    ]
    return {"start": float(index), "end": index + 1.0, "text": SEGMENT_TEXT, "words": words}


def race(manifest: Manifest, lease: float) -> None:
    owner = new_owner()
    print("ready", flush=True)
    sys.stdin.readline()  # the test starts every racer at once
    for job in manifest.jobs():  # what the batch runner does: try each job, keep the claims won
        if manifest.claim(job.id, owner, lease):
            time.sleep(0.005)  # a little work, so the racers interleave
            manifest.finish(job.id, owner, [f"{job.input_path}.srt"], 1.0, 0.005)
            print(job.id, flush=True)


def hold(manifest: Manifest, job_id: int, lease: float) -> None:
    owner = new_owner()
    if not manifest.claim(job_id, owner, lease):
        sys.exit("claim refused")
    print("claimed", flush=True)
    time.sleep(3600)


def checkpoint_loop(manifest: Manifest, job_id: int, per_call: int) -> None:
    owner = new_owner()
    if not manifest.claim(job_id, owner, 3600):
        sys.exit("claim refused")
    done = 0
    while True:
        manifest.checkpoint(
            job_id, owner, [segment(done + i) for i in range(per_call)], done + per_call
        )
        done += per_call
        print(done, flush=True)


def main() -> None:
    path, command, *args = sys.argv[1:]
    with Manifest.open(path) as manifest:
        if command == "race":
            race(manifest, float(args[0]))
        elif command == "hold":
            hold(manifest, int(args[0]), float(args[1]))
        elif command == "checkpoint-loop":
            checkpoint_loop(manifest, int(args[0]), int(args[1]))
        else:
            sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
