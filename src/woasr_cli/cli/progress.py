"""Front ends for batch events: rich bars on a terminal, plain lines otherwise, JSON lines."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from typing import Any, TextIO

from woasr_cli import json_text
from woasr_cli.cli.names import shown
from woasr_cli.events import Event, Reporter


def _short(path: str | None, width: int = 48) -> str:
    text = path or ""
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def say(line: str) -> None:
    """A line on stderr for the user (a batch's totals), if anyone still reads it: a batch
    whose work is done exits 0 even where its log pipe has closed."""
    _write(sys.stderr, line + "\n")


def _write(stream: TextIO, text: str) -> None:
    """Write a line if anyone still reads it. Where the reader has gone (``woasr transcribe
    media/ 2>&1 | head``, a log pipe closed), the write failed inside the job that reported,
    and every job from then on failed with "BrokenPipeError" while its work was fine: the
    batch goes on, its outputs and the manifest (``woasr status``) say how it went."""
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):  # EPIPE, EIO; ValueError: the stream was closed
        pass


def _shown(event: Event, named: bool = True) -> Event:
    """``event`` with its file named as the batch names it to a person (``name``, relative to
    the folder its inputs share: ``inputs_dir``; its full path where not ``named``), and its
    reason, as a terminal line may show them."""
    if event.input is None and event.reason is None and event.inputs_dir is None:
        return event
    name = (event.name if named else None) or event.input
    return replace(
        event,
        input=None if name is None else shown(name),
        reason=None if event.reason is None else shown(event.reason),
        inputs_dir=None if event.inputs_dir is None else shown(event.inputs_dir),
    )


def _rounded(value: Any) -> Any:
    """Times and durations to the millisecond (no ``92.98599999999999``)."""
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


class BatchClock:
    """The batch's own real-time factor: audio seconds finished per wall second since the batch
    started. Per file only the file's audio length and wall time are true: in a batch that
    decodes several files together, a file's wall time is shared with the others.

    A file resumed after an interruption counts, for the speed, the audio this run transcribed
    (from where it resumed): its whole length made a resume from 55 s of a 154 s file read as
    3.0x real time where it ran at 1.9x."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.audio = 0.0  # the finished files' audio
        self.worked = 0.0  # of which this run transcribed
        self._resumed: dict[str, float] = {}

    def add(self, event: Event) -> None:
        # From the first job on: loading the model is not transcription speed.
        if event.kind == "batch_started":
            self.started, self.audio, self.worked = None, 0.0, 0.0
        elif event.kind == "started":
            if self.started is None:
                self.started = time.monotonic()
            self._resumed[event.input or ""] = event.resumed_from or 0.0
        elif event.kind == "done":
            duration = event.duration or 0.0
            self.audio += duration
            self.worked += max(duration - self._resumed.pop(event.input or "", 0.0), 0.0)

    def figures(self) -> dict[str, float]:
        """``audio_seconds``, ``elapsed`` and ``realtime_factor`` of the batch so far."""
        if self.started is None:
            return {}
        wall = time.monotonic() - self.started
        out = {"audio_seconds": self.audio, "elapsed": wall}
        if self.worked and wall > 0:
            out["realtime_factor"] = self.worked / wall
        return out

    def summary(self) -> str | None:
        if self.started is None:
            return None
        wall = time.monotonic() - self.started
        if not self.worked or wall <= 0:
            return None
        earlier = self.audio - self.worked
        return (
            f"woasr: {_seconds(self.worked)} of audio in {_seconds(wall)}"
            f" ({self.worked / wall:.1f}x real time)"
            + (f", resumed after {_seconds(earlier)} done earlier" if earlier >= 0.05 else "")
        )


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def _file_line(e: Event) -> str:
    """``12.3 s audio, 4.5 s`` (the file's wall time, shared with others in a batch), and
    ``no speech found`` when nothing was transcribed (its files are written, empty): in which
    of a file's audio tracks, where it has several (a video whose first track is silent and
    whose second holds the talk said only "no speech found"), and how to ask another."""
    wall = f", {_seconds(e.elapsed)}" if e.elapsed is not None else ""
    empty = ", no speech found" if e.words == 0 else ""
    if empty and e.audio_track:
        empty += _in_track(e.audio_track)
    return f"{_seconds(e.duration or 0.0)} audio{wall}{empty}"


def _in_track(track: dict[str, Any]) -> str:
    """Where no speech was found: `` in audio track 0 of 2 (0-1), the default; --audio-track 1
    transcribes the other`` (numbered as --audio-track takes them, from 0)."""
    index, of = track.get("index", 0), track.get("of", 1)
    place = f" in audio track {index} of {of} ({'0' if of == 1 else f'0-{of - 1}'})"
    if "asked" in track:
        return place
    if of == 2:
        return f"{place}, the default; --audio-track {1 - index} transcribes the other"
    return f"{place}, the default; --audio-track N transcribes another"


class JsonReporter:
    """One JSON object per line on stdout, for scripts and CI. A file's ``done`` carries its
    audio ``duration`` and wall ``elapsed``; ``batch_done`` the batch's ``realtime_factor``
    (a file's own would mislead: files decoded together share their wall time)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self._clock = BatchClock()
        self._open = False  # between batch_started and batch_done

    def close(self, reason: str) -> None:
        """End a batch the process cannot finish (a forced exit) with its ``batch_done``."""
        if self._open:
            self(Event("batch_done", reason=reason))

    def __call__(self, event: Event) -> None:
        self._clock.add(event)
        self._open = event.kind == "batch_started" or (self._open and event.kind != "batch_done")
        payload = {"event": event.kind, "time": time.time(), **event.to_dict()}
        payload.pop("kind", None)
        if event.kind == "done":
            payload.pop("realtime_factor", None)
        elif event.kind == "batch_done":
            payload.update(self._clock.figures())
        _write(self.stream, json_text.dumps(_rounded(payload)) + "\n")


# Plain "already done" lines a batch writes one by one; the rest are counted in one line (a
# rerun of a 3,000-file folder wrote 3,000 of them around its few new files and failures).
SKIPS_SHOWN = 10


class PlainReporter:
    """ANSI-free lines, one per file outcome (and sparse progress), for logs and pipes."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self._last_progress = 0.0
        self._clock = BatchClock()
        self._folder: str | None = None  # "inputs in ...", written before the first file line
        self._skips = 0  # plain skips this batch
        self._untold = 0  # of them not written yet

    def __call__(self, event: Event) -> None:
        self._clock.add(event)
        # -q prints failures alone, each line whole (a cron log): with the full path
        event = _shown(event, named=not self.quiet)
        if event.kind == "batch_started" and not self.quiet:
            self._folder = event.inputs_dir
            self._skips = 0
        if event.kind == "skipped" and not event.reason and not self.quiet:
            self._skips += 1
            if self._skips > SKIPS_SHOWN:
                self._untold += 1
                return
        elif self._untold and event.kind != "progress":
            more = f"{self._untold} more input{'s' if self._untold > 1 else ''}"
            _write(self.stream, f"skip     {more} (already done)\n")
            self._untold = 0
        line = self._line(event)
        if line and (not self.quiet or event.kind in ("failed", "interrupted")):
            if self._folder is not None and event.input is not None:
                line = f"inputs in {self._folder}\n{line}"
                self._folder = None
            _write(self.stream, line + "\n")

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
            warned = "".join(f"\nwarning  {e.input}: {w}" for w in e.warnings)
            return f"done     {e.input} ({_file_line(e)}){warned}"
        if e.kind == "skipped":
            return f"skip     {e.input} (already done{'; ' + e.reason if e.reason else ''})"
        if e.kind == "failed":
            return f"failed   {e.input}: {e.reason}"
        if e.kind == "interrupted":
            return f"stopped  {e.input}"
        if e.kind == "batch_done":
            return self._clock.summary()
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
        self._clock = BatchClock()

    def __call__(self, event: Event) -> None:
        self._clock.add(event)
        event = _shown(event)
        p = self.progress
        name = event.input or ""
        if event.kind == "batch_started":
            if event.inputs_dir is not None:
                self.console.print(f"inputs in {event.inputs_dir}", highlight=False, markup=False)
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
            # No per-file speed: files decoded together share the wall time (the overall row
            # shows the batch's real-time factor).
            task, _ = self._files[name]
            done = event.done_seconds or 0.0
            total = f"/{event.duration:.0f}" if event.duration else ""
            p.update(task, completed=done, total=event.duration, count=f"{done:.0f}{total}s")
        elif event.kind in ("done", "skipped", "failed", "interrupted"):
            self._finish_file(event)
        elif event.kind == "batch_done":
            p.stop()
            summary = self._clock.summary()
            if summary:
                self.console.print(summary, highlight=False, markup=False)

    def _finish_file(self, event: Event) -> None:
        from rich.markup import escape

        p = self.progress
        if event.kind == "done":
            self._audio_done += event.duration or 0.0
            facts = _file_line(event)
            p.console.print(f"[green]done[/] {escape(event.input or '')} [dim]({facts})[/]",
                            highlight=False)  # fmt: skip
            for warning in event.warnings:
                p.console.print(f"[yellow]warning[/] {escape(event.input or '')}: "
                                f"{escape(warning)}", highlight=False)  # fmt: skip
        elif event.kind == "failed":
            p.console.print(f"[red]failed[/] {escape(event.input or '')}: "
                            f"{escape(event.reason or '')}", highlight=False)  # fmt: skip
        elif event.kind == "interrupted":
            p.console.print(f"[yellow]stopped[/] {escape(event.input or '')}", highlight=False)
        elif event.kind == "skipped" and event.reason:  # its files written again, no model run
            p.console.print(f"[cyan]skip[/] {escape(event.input or '')} "
                            f"[dim](already done; {escape(event.reason)})[/]",
                            highlight=False)  # fmt: skip
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
