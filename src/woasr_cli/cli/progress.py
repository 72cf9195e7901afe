"""Front ends for batch events: rich bars on a terminal, plain lines otherwise, JSON lines."""

from __future__ import annotations

import json
import sys
import time
from typing import TextIO

from woasr_cli.events import Event, Reporter


def _short(path: str | None, width: int = 48) -> str:
    text = path or ""
    return text if len(text) <= width else "…" + text[-(width - 1) :]


class JsonReporter:
    """One JSON object per line on stdout, for scripts and CI."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def __call__(self, event: Event) -> None:
        payload = {"event": event.kind, "time": round(time.time(), 3), **event.to_dict()}
        payload.pop("kind", None)
        self.stream.write(json.dumps(payload, ensure_ascii=False) + "\n")
        self.stream.flush()


class PlainReporter:
    """ANSI-free lines, one per file outcome (and sparse progress), for logs and pipes."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self._last_progress = 0.0

    def __call__(self, event: Event) -> None:
        line = self._line(event)
        if line and (not self.quiet or event.kind in ("failed", "interrupted")):
            self.stream.write(line + "\n")
            self.stream.flush()

    def _line(self, e: Event) -> str | None:
        if e.kind == "started":
            extra = f" (resuming at {e.resumed_from:.1f}s)" if e.resumed_from else ""
            return f"start    {e.input}{extra}"
        if e.kind == "progress":
            now = time.monotonic()
            if now - self._last_progress < 5:
                return None
            self._last_progress = now
            total = f"/{e.duration:.0f}s" if e.duration else "s"
            return f"progress {e.input}: {e.done_seconds or 0:.0f}{total}"
        if e.kind == "done":
            speed = f", {e.realtime_factor:.1f}x real time" if e.realtime_factor else ""
            return f"done     {e.input} ({e.duration or 0:.1f}s audio{speed})"
        if e.kind == "skipped":
            return f"skip     {e.input} (already done)"
        if e.kind == "failed":
            return f"failed   {e.input}: {e.reason}"
        if e.kind == "interrupted":
            return f"stopped  {e.input}"
        return None


class RichReporter:
    """Progress bars: overall files and per-file audio seconds, ETA and x real time."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskID,
            TextColumn,
            TimeRemainingColumn,
        )

        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[count]}"),
            TextColumn("{task.fields[speed]}"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._overall: TaskID | None = None
        # One row per file in flight: a batch decodes several files at once.
        self._files: dict[str, tuple[TaskID, float]] = {}
        self._started_at = time.monotonic()
        self._audio_done = 0.0
        self._done = 0
        self._total = 0

    def __call__(self, event: Event) -> None:
        p = self.progress
        name = event.input or ""
        if event.kind == "batch_started":
            p.start()
            self._total = event.total_files or 0
            self._overall = p.add_task(
                "all files", total=self._total, count=f"0/{self._total} files", speed=""
            )
        elif event.kind == "started":
            self._drop(name)
            task = p.add_task(_short(name, 40), total=None, count="", speed="")
            self._files[name] = (task, time.monotonic())
            if event.resumed_from:
                p.update(task, completed=event.resumed_from)
        elif event.kind == "progress" and name in self._files:
            task, t0 = self._files[name]
            done = event.done_seconds or 0.0
            speed = f"{done / max(time.monotonic() - t0, 1e-6):.1f}x"
            total = f"/{event.duration:.0f}" if event.duration else ""
            p.update(task, completed=done, total=event.duration, count=f"{done:.0f}{total}s",
                     speed=speed)  # fmt: skip
        elif event.kind in ("done", "skipped", "failed", "interrupted"):
            self._finish_file(event)
        elif event.kind == "batch_done":
            p.stop()

    def _finish_file(self, event: Event) -> None:
        p = self.progress
        if event.kind == "done":
            self._audio_done += event.duration or 0.0
            speed = f"{event.realtime_factor:.1f}x" if event.realtime_factor else ""
            p.console.print(f"[green]done[/] {event.input} [dim]{speed}[/]")
        elif event.kind == "failed":
            p.console.print(f"[red]failed[/] {event.input}: {event.reason}", markup=True,
                            highlight=False)  # fmt: skip
        elif event.kind == "interrupted":
            p.console.print(f"[yellow]stopped[/] {event.input}")
        if event.kind != "interrupted" and self._overall is not None:
            self._done += 1
            wall = time.monotonic() - self._started_at
            speed = f"{self._audio_done / wall:.1f}x" if wall > 0 and self._audio_done else ""
            p.update(self._overall, completed=self._done, count=f"{self._done}/{self._total} files",
                     speed=speed)  # fmt: skip
        self._drop(event.input or "")

    def _drop(self, name: str) -> None:
        if name in self._files:
            self.progress.remove_task(self._files.pop(name)[0])


def make_reporter(*, json_lines: bool, quiet: bool, tty: bool) -> Reporter:
    if json_lines:
        return JsonReporter()
    if quiet or not tty:
        return PlainReporter(quiet=quiet)
    return RichReporter()
