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
            TextColumn("{task.completed:.0f}/{task.total:.0f}{task.fields[unit]}"),
            TextColumn("{task.fields[speed]}"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._overall: TaskID | None = None
        self._file: TaskID | None = None
        self._t0 = 0.0
        self._started_at = time.monotonic()
        self._audio_done = 0.0

    def __call__(self, event: Event) -> None:
        p = self.progress
        if event.kind == "batch_started":
            p.start()
            self._overall = p.add_task("all files", total=event.total_files or 0, unit=" files",
                                       speed="")  # fmt: skip
        elif event.kind == "started":
            if self._file is not None:
                p.remove_task(self._file)
            self._t0 = time.monotonic()
            self._file = p.add_task(_short(event.input, 40), total=None, unit="s", speed="")
            if event.resumed_from:
                p.update(self._file, completed=event.resumed_from)
        elif event.kind == "progress" and self._file is not None:
            elapsed = max(time.monotonic() - self._t0, 1e-6)
            speed = f"{(event.done_seconds or 0) / elapsed:.1f}x"
            p.update(self._file, completed=event.done_seconds or 0, total=event.duration,
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
            p.advance(self._overall)
            wall = time.monotonic() - self._started_at
            speed = f"{self._audio_done / wall:.1f}x" if wall > 0 and self._audio_done else ""
            p.update(self._overall, speed=speed)
        if self._file is not None and event.kind != "skipped":
            p.remove_task(self._file)
            self._file = None


def make_reporter(*, json_lines: bool, quiet: bool, tty: bool) -> Reporter:
    if json_lines:
        return JsonReporter()
    if quiet or not tty:
        return PlainReporter(quiet=quiet)
    return RichReporter()
