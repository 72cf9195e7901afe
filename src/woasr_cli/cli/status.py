"""``woasr status``: the manifest's jobs, states, progress, errors and totals."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from woasr_cli import json_text
from woasr_cli.cli.exit_codes import exit_code_for
from woasr_cli.cli.manifest_option import BatchArg, find_manifest
from woasr_cli.cli.names import shown
from woasr_cli.errors import UsageError, WoasrError


def status(
    batch: BatchArg = None,
    output_dir: Annotated[
        Path,
        typer.Option("--output-dir", "-o", envvar="WOASR_OUTPUT_DIR", help="Batch output dir."),
    ] = Path("."),
    manifest: Annotated[Path | None, typer.Option("--manifest", envvar="WOASR_MANIFEST")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    state: Annotated[
        list[str] | None, typer.Option("--state", help="Only jobs in this state (repeatable).")
    ] = None,
) -> None:
    """Show the jobs of a batch: state, progress, speed, errors, and totals."""
    from woasr_cli.jobs.manifest import Manifest
    from woasr_cli.jobs.states import JobState

    try:
        known = [s.value for s in JobState]
        state = [s.lower() for s in state or []]
        unknown = [s for s in state if s not in known]
        if unknown:
            raise UsageError(f"--state {unknown[0]}: not a job state (states: {', '.join(known)})")
        with Manifest.open(find_manifest(output_dir, manifest, batch)) as m:
            jobs = [j for j in m.jobs() if not state or j.state.value in state]
            totals = m.totals()
    except WoasrError as exc:
        typer.echo(f"woasr: error: {exc}", err=True)
        raise typer.Exit(exit_code_for(exc)) from None
    rows = [_row(j) for j in jobs]
    if json_out:
        typer.echo(json_text.dumps({"jobs": rows, "totals": totals}, indent=2))
        return
    _print_table(rows, totals)


def _row(job: Any) -> dict[str, Any]:
    progress = None
    if job.duration:
        progress = round(min(job.done_seconds / job.duration, 1.0) * 100, 1)
    return {
        "input": job.input_path,
        "state": job.state.value,
        "progress": progress,
        "done_seconds": round(job.done_seconds, 2),
        "duration": None if job.duration is None else round(job.duration, 2),
        "attempts": job.attempts,
        "elapsed": None if job.elapsed is None else round(job.elapsed, 2),
        "realtime_factor": None if job.realtime_factor is None else round(job.realtime_factor, 2),
        "outputs": list(job.outputs),
        "error": job.error,
    }


_STYLE = {"done": "green", "failed": "red", "running": "cyan", "interrupted": "yellow"}
_COLUMNS = ("state", "done", "audio", "wall", "tries")
# The table's frame: a space each side of a column but at its edges, a space between columns,
# a space at each edge (rich's SIMPLE_HEAD box without edge padding).
_FRAME = 2 * (len(_COLUMNS) + 1) - 2 + len(_COLUMNS) + 2


def _print_table(rows: list[dict[str, Any]], totals: dict[str, Any]) -> None:
    """One row per job at any terminal width: inputs shown relative to the folder they share,
    shortened in the middle (the file name stays); errors listed below the table. The other
    columns keep their width: at 80 columns (a pipe, a CI log) rich cut "100%" to "10…" and
    "interrupted" to "interrupt…" where an input's name was long."""
    from rich import box
    from rich.cells import cell_len
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from woasr_cli.jobs.input_names import common_folder, relative_name

    console = Console(highlight=False)
    base = common_folder([r["input"] for r in rows])
    cells = [_cells(r) for r in rows]
    fixed = sum(
        max([cell_len(name), *(cell_len(c[i]) for c in cells)]) for i, name in enumerate(_COLUMNS)
    )
    width = max(console.width - fixed - _FRAME, 16)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
    table.add_column("input", no_wrap=True)
    for col in _COLUMNS:
        table.add_column(col, no_wrap=True, justify="left" if col == "state" else "right")
    for r, row in zip(rows, cells, strict=True):
        style = _STYLE.get(r["state"], "")
        table.add_row(
            escape(ellipsize(shown(relative_name(r["input"], base)), width)),
            f"[{style}]{row[0]}[/]" if style else row[0],
            *row[1:],
        )
    if base is not None:
        console.print(f"inputs in {escape(ellipsize(shown(str(base)), console.width - 11))}")
    console.print(table)
    for r in rows:
        if r["error"]:
            name = ellipsize(shown(relative_name(r["input"], base)), min(width, console.width // 2))
            room = max(console.width - cell_len(name) - 2, 8)
            error = shown(r["error"])
            error = error if cell_len(error) <= room else _fit(error, room - 1) + "…"
            console.print(escape(f"{name}: {error}"), style="red")
    states = ("pending", "running", "interrupted", "failed", "done")
    counts = ", ".join(f"{totals[k]} {k}" for k in states if totals.get(k))
    audio = f"{totals.get('done_seconds', 0):.0f}/{totals.get('audio_seconds', 0):.0f} s of audio"
    # A job not started yet (or cut before its length was read) adds nothing to either figure:
    # "211/211 s" read as all done beside an interrupted file.
    unknown = sum(r["duration"] is None and r["state"] in states[:3] for r in rows)
    if unknown:
        audio += f" (and {unknown} not yet measured)"
    console.print(f"{totals.get('jobs', 0)} jobs: {counts or 'none'}; {audio}")


def _cells(r: dict[str, Any]) -> tuple[str, str, str, str, str]:
    return (
        r["state"],
        "" if r["progress"] is None else f"{r['progress']:.0f}%",
        "" if r["duration"] is None else f"{r['duration']:.1f}s",
        "" if r["elapsed"] is None else f"{r['elapsed']:.1f}s",
        str(r["attempts"]),
    )


def ellipsize(text: str, width: int) -> str:
    """``text`` cut in the middle to ``width`` terminal cells, keeping both ends (a CJK
    character takes two)."""
    from rich.cells import cell_len

    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    tail_room = (width - 1) * 2 // 3  # the end (file name) matters most
    head = _fit(text, width - 1 - tail_room)
    tail = _fit(text[::-1], width - 1 - cell_len(head))[::-1]
    return head + "…" + tail


def _fit(text: str, cells: int) -> str:
    """The longest start of ``text`` that takes at most ``cells`` terminal cells."""
    from rich.cells import get_character_cell_size

    used = 0
    for i, char in enumerate(text):
        used += get_character_cell_size(char)
        if used > cells:
            return text[:i]
    return text
