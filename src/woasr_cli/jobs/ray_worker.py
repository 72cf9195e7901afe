"""What one Ray actor of ``--executor ray`` does: build the library's :class:`Transcriber` once
(the model, and the aligner and diarizer when asked), transcribe the files the driver hands it,
several at once so woasr's batching decodes their speech chunks together.

The actor never touches the manifest or the output folder: it returns each file's transcript
(as a plain dict) and keeps each file's progress and finished segments for the driver to poll,
so the driver, the only writer, can checkpoint them exactly as a local run does. Nothing here
imports Ray at module level; :mod:`woasr_cli.jobs.ray_executor` wraps the class in
``ray.remote`` on the driver.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from woasr_cli.errors import Interrupted, WoasrError, reason
from woasr_cli.jobs.runner import BATCH_FATAL, one_line
from woasr_cli.options import TranscribeOptions
from woasr_cli.pipeline import Resume
from woasr_cli.runtime import usable_cores
from woasr_cli.transcriber import Transcriber
from woasr_cli.transcript import Segment, SpeakerTurn, Transcript, Word


def transcript_to_wire(transcript: Transcript) -> dict[str, Any]:
    """Every field at full precision (``Transcript.to_dict`` rounds times for the JSON format),
    so outputs rendered on the driver are byte-identical to a local run's."""
    return dataclasses.asdict(transcript)


def transcript_from_wire(data: Mapping[str, Any]) -> Transcript:
    """The :class:`Transcript` :func:`transcript_to_wire` flattened, every nested dataclass
    rebuilt (a diarized one's speaker turns too)."""
    fields = dict(data)
    segments = []
    for raw in fields.pop("segments"):
        seg = dict(raw)
        words = [Word(**w) for w in seg.pop("words")]
        segments.append(Segment(words=words, **seg))
    turns = [SpeakerTurn(**t) for t in fields.pop("speaker_turns", [])]
    return Transcript(segments=segments, speaker_turns=turns, **fields)


class _Live:
    """One file in flight: progress and the segments the driver has not yet collected."""

    def __init__(self) -> None:
        self.done = 0.0
        self.duration: float | None = None
        self.language: str | None = None
        self.language_probability: float | None = None
        self.segments: list[dict[str, Any]] = []

    def drain(self) -> dict[str, Any]:
        out = {"done_seconds": self.done, "duration": self.duration, "language": self.language,
               "language_probability": self.language_probability,
               "segments": self.segments}  # fmt: skip
        self.segments = []
        return out


class FileWorker:
    """The body of one Ray actor (created with ``max_concurrency`` above its file width)."""

    def __init__(self, options: TranscribeOptions, name: str, cpus: float = 1.0) -> None:
        self.name = name
        # The engine sizes its threads to this process's share of the machine's cores (as for
        # one of `--workers N`): the actor's share is the CPUs Ray reserved for it.
        share = max(1, usable_cores() // max(1, int(cpus)))
        self.options = options = replace(options, workers=share)
        self.error: tuple[str, str] | None = None
        self.transcriber: Transcriber | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._live: dict[str, _Live] = {}
        try:
            self.transcriber = Transcriber(options)
        except WoasrError as exc:  # told to the driver by info(): it stops the batch
            self.error = (type(exc).__name__, str(exc))

    def info(self) -> dict[str, Any]:
        import ray

        context = ray.get_runtime_context()
        return {
            "error": self.error,
            "width": self.transcriber.concurrent_files if self.transcriber is not None else 1,
            "node_id": context.get_node_id(),
            "node_ip": ray.util.get_node_ip_address(),  # type: ignore[no-untyped-call]
            "pid": os.getpid(),
        }

    def stop(self) -> None:
        """Ctrl-C on the driver: every file in flight stops at its next segment."""
        self._stop.set()

    def poll(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {key: live.drain() for key, live in self._live.items()}

    def transcribe(
        self, key: str, source: str | bytes, suffix: str, resume: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """One file, by path (shared filesystem) or as its bytes (object store)."""
        live = _Live()
        with self._lock:
            self._live[key] = live
        temp: Path | None = None
        try:
            if isinstance(source, bytes):
                fd, name = tempfile.mkstemp(prefix="woasr-ray-", suffix=suffix)
                temp = Path(name)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(source)
            path = temp or Path(source)  # type: ignore[arg-type]
            outcome = self._run(path, live, resume)
            if temp is not None and "reason" in outcome:  # name the input, not the temp copy
                outcome["reason"] = str(outcome["reason"]).replace(str(temp), key)
            return outcome
        finally:
            with self._lock:
                self._live.pop(key, None)
            if temp is not None:
                temp.unlink(missing_ok=True)

    def _run(self, path: Path, live: _Live, resume: Mapping[str, Any] | None) -> dict[str, Any]:
        assert self.transcriber is not None, self.error
        started = time.monotonic()
        earlier = None
        if resume is not None:
            earlier = Resume(
                [Segment.from_dict(s) for s in resume["segments"]],
                float(resume["offset"]),
                resume.get("language"),
                resume.get("language_probability"),
            )

        def checkpoint(segments: list[Segment], done_seconds: float) -> None:
            with self._lock:
                live.segments += [s.to_dict() for s in segments]
                live.done = max(live.done, done_seconds)

        def on_language(language: str, probability: float | None) -> None:
            live.language, live.language_probability = language, probability

        def on_progress(done: float, duration: float | None) -> None:
            live.done, live.duration = max(live.done, done), duration

        try:
            transcript = self.transcriber.transcribe(
                path, on_progress=on_progress, resume=earlier, checkpoint=checkpoint,
                should_stop=self._stop.is_set, on_language_detected=on_language,
            )  # fmt: skip
        except Interrupted:
            return {"status": "interrupted"}
        except BATCH_FATAL as exc:  # every file would fail so: the driver stops the batch
            return {"status": "fatal", "kind": type(exc).__name__, "reason": reason(exc)}
        except WoasrError as exc:
            return {"status": "failed", "reason": reason(exc)}
        except Exception as exc:
            # Anything else raised on one file (an engine's RuntimeError, a library's surprise,
            # a bug) fails that file with its one-line reason, as in a local run; raised out of
            # here, the driver saw Ray's task header (`ray::FileWorker.transcribe() (pid=...`).
            return {"status": "failed", "reason": one_line(exc)}
        return {
            "status": "done",
            "transcript": transcript_to_wire(transcript),
            "elapsed": time.monotonic() - started,
        }
