"""Flags of the subtitle layout, declared once for the commands that write subtitles
(``transcribe``, ``convert``): the same names, limits and help in both."""

from __future__ import annotations

from typing import Annotated

import typer

OUTPUT_PANEL = "Output"

MaxLineWidthFlag = Annotated[
    int | None,
    typer.Option(
        "--max-line-width",
        min=1,
        help="Characters a subtitle line may hold  \\[default: 42 with the default layout]",
        rich_help_panel=OUTPUT_PANEL,
    ),
]
MaxLineCountFlag = Annotated[
    int | None,
    typer.Option(
        "--max-line-count",
        min=1,
        help="Lines a cue may hold  \\[default: 2 with the default layout]",
        rich_help_panel=OUTPUT_PANEL,
    ),
]
HighlightWordsFlag = Annotated[
    bool,
    typer.Option(
        "--highlight-words",
        help="Underline each word as it is spoken (needs word timestamps).",
        rich_help_panel=OUTPUT_PANEL,
    ),
]
SubtitleLayoutFlag = Annotated[
    str,
    typer.Option(
        "--subtitle-layout",
        help="srt/vtt cues: default (<= 42 characters a line, <= 2 lines, <= 7 s and <= 20 "
        "characters/s a cue, split at pauses and sentence ends) or none (one cue per "
        "segment, wrapped only as --max-line-width/--max-line-count say: a segment longer "
        "than --max-line-count lines goes on in the next cue, as whisper's writer does).",
        rich_help_panel=OUTPUT_PANEL,
    ),
]
MaxWordsPerLineFlag = Annotated[
    int | None,
    typer.Option(
        "--max-words-per-line", min=1, help="Words a line may hold.", rich_help_panel=OUTPUT_PANEL
    ),
]
MaxCueDurationFlag = Annotated[
    float | None,
    typer.Option(
        "--max-cue-duration",
        help="Seconds a cue may last  \\[default: 7]",
        rich_help_panel=OUTPUT_PANEL,
    ),
]
MaxCharsPerSecondFlag = Annotated[
    float | None,
    typer.Option(
        "--max-chars-per-second",
        help="Reading speed a cue should not exceed where the speech allows  \\[default: 20]",
        rich_help_panel=OUTPUT_PANEL,
    ),
]
