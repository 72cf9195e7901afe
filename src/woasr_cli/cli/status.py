"""``woasr status``: the manifest's jobs, states, progress, errors and totals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from woasr_cli.cli.exit_codes import exit_code_for
from woasr_cli.cli.manifest_option import find_manifest
from woasr_cli.errors import WoasrError


def status(
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

    try:
        with Manifest.open(find_manifest(output_dir, manifest)) as m:
            jobs = [j for j in m.jobs() if not state or j.state.value in state]
            totals = m.totals()
    except WoasrError as exc:
        typer.echo(f"woasr: error: {exc}", err=True)
        raise typer.Exit(exit_code_for(exc)) from None
    rows = [_row(j) for j in jobs]
    if json_out:
        typer.echo(json.dumps({"jobs": rows, "totals": totals}, ensure_ascii=False, indent=2))
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


def _print_table(rows: list[dict[str, Any]], totals: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="woasr jobs", expand=False)
    for col in ("input", "state", "progress", "audio", "x real time", "tries", "error"):
        table.add_column(col, overflow="fold")
    for r in rows:
        style = _STYLE.get(r["state"], "")
        table.add_row(
            r["input"],
            f"[{style}]{r['state']}[/]" if style else r["state"],
            "" if r["progress"] is None else f"{r['progress']:.0f}%",
            "" if r["duration"] is None else f"{r['duration']:.1f}s",
            "" if r["realtime_factor"] is None else f"{r['realtime_factor']:.1f}x",
            str(r["attempts"]),
            r["error"] or "",
        )
    console = Console()
    console.print(table)
    console.print(", ".join(f"{k}: {v}" for k, v in totals.items()))
