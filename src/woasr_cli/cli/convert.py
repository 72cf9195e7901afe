"""``woasr convert``: re-render formats from a JSON transcript without running ASR."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from woasr_cli.cli.exit_codes import exit_code_for
from woasr_cli.errors import InputError, WoasrError


def convert(
    transcripts: Annotated[list[Path], typer.Argument(help="woasr JSON transcripts.")],
    output_format: Annotated[
        list[str] | None,
        typer.Option("--output-format", "-f", help="Formats to write (repeat or comma list)."),
    ] = None,
    output_dir: Annotated[
        Path | None, typer.Option("--output-dir", "-o", help="[default: beside each JSON file]")
    ] = None,
    max_line_width: Annotated[int | None, typer.Option("--max-line-width", min=1)] = None,
    max_line_count: Annotated[int | None, typer.Option("--max-line-count", min=1)] = None,
    highlight_words: Annotated[bool, typer.Option("--highlight-words")] = False,
    speaker_names: Annotated[
        str | None,
        typer.Option(
            "--speaker-names",
            help='Rename the speakers in order of first appearance: "Alice,Bob". The JSON is '
            "rewritten with the names too.",
        ),
    ] = None,
) -> None:
    """Write other formats (srt, vtt, txt, tsv, rttm ...) from woasr JSON transcripts."""
    from woasr_cli.cli.transcribe import parse_speaker_names
    from woasr_cli.formats import FormatOptions, parse_formats
    from woasr_cli.outputs import write_outputs
    from woasr_cli.processing.speakers import names_in_order
    from woasr_cli.transcript import Transcript

    failed = 0
    try:
        names = parse_speaker_names(speaker_names)
        formats = tuple(f for f in parse_formats(output_format or ["all"]) if f != "json")
        if names:  # the renamed transcript is kept too
            formats = ("json", *formats)
        options = FormatOptions(max_line_width, max_line_count, highlight_words)
    except WoasrError as exc:
        typer.echo(f"woasr: error: {exc}", err=True)
        raise typer.Exit(exit_code_for(exc)) from None
    for path in transcripts:
        try:
            transcript = Transcript.from_dict(_load(path))
            if names:
                transcript = transcript.renamed(names_in_order(transcript.speakers, names))
            stem = (output_dir or path.parent) / path.name.removesuffix(".json")
            for written in write_outputs(transcript, stem, formats, options):
                typer.echo(str(written))
        except WoasrError as exc:
            failed += 1
            typer.echo(f"woasr: failed: {path}: {exc}", err=True)
    raise typer.Exit(1 if failed else 0)


def _load(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(exc.strerror or str(exc)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a JSON transcript ({exc})") from None
    if not isinstance(data, dict) or "segments" not in data:
        raise InputError("not a woasr JSON transcript (no 'segments')")
    return data
