"""``woasr convert``: re-render formats from a JSON transcript without running ASR."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from woasr_cli.cli.exit_codes import exit_code_for
from woasr_cli.cli.layout_flags import (
    OUTPUT_PANEL,
    HighlightWordsFlag,
    MaxCharsPerSecondFlag,
    MaxCueDurationFlag,
    MaxLineCountFlag,
    MaxLineWidthFlag,
    MaxWordsPerLineFlag,
    SubtitleLayoutFlag,
)
from woasr_cli.errors import InputError, UsageError, WoasrError

if TYPE_CHECKING:
    from woasr_cli.transcript import Transcript


def convert(
    transcripts: Annotated[
        list[Path], typer.Argument(help="woasr JSON transcripts (or Whisper's).")
    ],
    output_format: Annotated[
        list[str] | None,
        typer.Option(
            "--output-format",
            "-f",
            help="Formats to write (repeat or comma list).  \\[default: all]",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            "-o",
            help="'-': stdout (one transcript, one format)  \\[default: beside each JSON file]",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
    max_line_width: MaxLineWidthFlag = None,
    max_line_count: MaxLineCountFlag = None,
    highlight_words: HighlightWordsFlag = False,
    subtitle_layout: SubtitleLayoutFlag = "default",
    max_words_per_line: MaxWordsPerLineFlag = None,
    max_cue_duration: MaxCueDurationFlag = None,
    max_chars_per_second: MaxCharsPerSecondFlag = None,
    speaker_names: Annotated[
        str | None,
        typer.Option(
            "--speaker-names",
            help='Rename the speakers in order of first appearance: "Alice,Bob". The JSON is '
            "rewritten with the names too.",
        ),
    ] = None,
) -> None:
    """Write other formats (srt, vtt, txt, tsv, rttm ...) from woasr JSON transcripts, or
    Whisper's JSON (openai-whisper's, whisper-ctranslate2's: laid out as woasr's subtitles).

    'all' includes rttm for transcripts with speaker labels. Asking for rttm from a transcript
    without speakers (made without --diarize) fails that file and writes none of its formats.
    Exit codes: 0 all converted, 1 some transcripts failed, 2 usage error.
    """
    from woasr_cli.cli.to_stdout import STDOUT
    from woasr_cli.formats import FormatOptions, parse_formats
    from woasr_cli.options import parse_speaker_names
    from woasr_cli.outputs import render, write_outputs
    from woasr_cli.processing.speakers import name_speakers

    failed = 0
    try:
        values = output_format or ["all"]
        # json only when named: the input is one ("all" does not copy it beside itself)
        named_json = any(v.strip().lower() == "json" for x in values for v in x.split(","))
        parse_formats(values)  # an unknown name fails before any file is read
        # checked as transcribe checks them (FormatOptions: a UsageError naming the flag)
        options = FormatOptions(
            max_line_width=max_line_width, max_line_count=max_line_count,
            highlight_words=highlight_words, subtitle_layout=subtitle_layout,
            max_words_per_line=max_words_per_line, max_cue_duration=max_cue_duration,
            max_chars_per_second=max_chars_per_second,
        )  # fmt: skip
        names = parse_speaker_names(speaker_names)
        to_stdout = output_dir is not None and str(output_dir) == STDOUT
        if to_stdout and (len(transcripts) != 1 or len(parse_formats(values, diarize=True)) != 1):
            raise UsageError(
                "-o - writes one transcript in one format to stdout: give one JSON file and "
                "choose the format with -f (srt, vtt, txt, tsv, rttm, json)"
            )
    except WoasrError as exc:
        typer.echo(f"woasr: error: {exc}", err=True)
        raise typer.Exit(exit_code_for(exc)) from None
    for path in transcripts:
        try:
            transcript = _transcript(_load(path))
            if names:
                transcript = name_speakers(transcript, names)
            # "all" as render expands it (rttm for speakers); rttm without them fails there
            chosen = parse_formats(values, diarize=transcript.diarized)
            formats = tuple(f for f in chosen if f != "json")
            if to_stdout:
                (fmt,) = chosen
                sys.stdout.write(render(transcript, [fmt], options)[fmt])
                continue
            stem = (output_dir or path.parent) / path.name.removesuffix(".json")
            onto_itself = stem.with_name(stem.name + ".json").resolve() == path.resolve()
            if names or (named_json and not onto_itself):  # asked, or renamed speakers kept
                formats = ("json", *formats)
            if not formats:
                raise UsageError(f"-f json would write {path} onto itself: give -o another folder")
            for written in write_outputs(transcript, stem, formats, options):
                typer.echo(str(written))
        except WoasrError as exc:
            failed += 1
            typer.echo(f"woasr: failed: {path}: {exc}", err=True)
    raise typer.Exit(1 if failed else 0)


def _transcript(data: dict[str, object]) -> Transcript:
    """woasr's JSON transcript, or Whisper's (openai-whisper, whisper-ctranslate2)."""
    from woasr_cli.providers.whisper_json import from_whisper_json, is_whisper_json
    from woasr_cli.transcript import Transcript

    if is_whisper_json(data):
        return from_whisper_json(data)
    try:
        return Transcript.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        why = f"no {exc}" if isinstance(exc, KeyError) else str(exc)
        raise InputError(f"a woasr JSON transcript that does not read ({why})") from None


_WRITTEN = {".srt": "an SRT file", ".vtt": "a WebVTT file", ".txt": "a text file",
            ".tsv": "a TSV file", ".rttm": "an RTTM file"}  # fmt: skip


def _load(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no such file") from None
    except IsADirectoryError:
        raise InputError("is a directory, not a JSON transcript") from None
    except PermissionError:
        raise InputError("cannot read: permission denied") from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        kind = _WRITTEN.get(path.suffix.lower())
        if kind is not None:  # a subtitle or text file woasr (or another tool) wrote
            raise InputError(
                f"{kind} holds no word times to lay out again: convert the JSON transcript"
                f" written beside it ({path.with_suffix('.json').name}; -f json when transcribing)"
            ) from None
        raise InputError(f"not a JSON transcript ({exc})") from None
    if not isinstance(data, dict) or "segments" not in data:
        raise InputError("not a woasr JSON transcript (no 'segments')")
    return data
