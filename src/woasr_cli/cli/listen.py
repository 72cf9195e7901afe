"""``woasr listen``: live captions from the microphone, raw PCM on stdin, or a file."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

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
from woasr_cli.cli.exit_codes import exit_code_for
from woasr_cli.errors import UsageError, WoasrError

if TYPE_CHECKING:
    from woasr_cli.live.events import StreamEvent
    from woasr_cli.live.sources import AudioSource

_ASR = "ASR"
_IN = "Input"
_OUT = "Output"
LISTEN_GRACE_S = 8.0  # after SIGTERM: the last words are transcribed and written in this time


def listen(
    stdin: Annotated[
        bool,
        typer.Option(
            "--stdin",
            help="Raw PCM on stdin: s16le, 16 kHz, mono (or a WAV, FLAC, MP3, Ogg... piped in).",
            rich_help_panel=_IN,
        ),
    ] = False,
    sample_rate: Annotated[
        int,
        typer.Option(
            "--sample-rate",
            help="With --stdin: the raw PCM's rate in Hz (e.g. 44100 from parec).",
            rich_help_panel=_IN,
        ),
    ] = 16000,
    channels: Annotated[
        int,
        typer.Option(
            "--channels",
            help="With --stdin: the raw PCM's interleaved channels, mixed to one.",
            rich_help_panel=_IN,
        ),
    ] = 1,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="A media file instead of the microphone.", rich_help_panel=_IN),
    ] = None,
    audio_track: Annotated[
        str | None,
        typer.Option(
            "--audio-track",
            metavar="N|TAG",
            help="With --file: of several audio tracks, the one to caption: 0 for the first, or "
            "its language tag (eng), as `woasr transcribe --audio-track` takes it.",
            rich_help_panel=_IN,
        ),
    ] = None,
    realtime: Annotated[
        bool,
        typer.Option(
            "--realtime",
            help="With --file: play it at real-time pace (otherwise as fast as it can go).",
            rich_help_panel=_IN,
        ),
    ] = False,
    input_device: Annotated[
        str | None,
        typer.Option(
            "--input-device",
            help="Microphone: a sounddevice device name or index  \\[default: the system's]",
            rich_help_panel=_IN,
        ),
    ] = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            "-o",
            help="Write NAME.srt/.vtt/.json/.txt here, growing as text is committed.",
            rich_help_panel=_OUT,
        ),
    ] = None,
    output_format: Annotated[
        list[str] | None,
        typer.Option(
            "--output-format",
            "-f",
            help="Formats for -o; repeat or comma-separate.  \\[default: srt,vtt,json,txt]",
            rich_help_panel=_OUT,
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="File name (no extension) for -o  \\[default: the file's, or live-DATE-TIME]",
            rich_help_panel=_OUT,
        ),
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="Replace NAME.* files already in -o (by default that is an error: a live "
            "transcript cannot be made again).",
            rich_help_panel=_OUT,
        ),
    ] = False,
    provider: ProviderFlag = "faster_whisper",
    model: ModelFlag = None,
    language: Annotated[
        str | None,
        typer.Option(
            "--language",
            "-l",
            envvar="WOASR_LANGUAGE",
            help="Spoken language code; detected on each pass when omitted.",
            rich_help_panel=_ASR,
        ),
    ] = None,
    beam_size: BeamSizeFlag = None,
    device: DeviceFlag = "auto",
    compute_type: ComputeTypeFlag = "default",
    vad: Annotated[
        bool,
        typer.Option(
            "--vad/--no-vad",
            help="Silero VAD gating: silence is never transcribed.",
            rich_help_panel=_ASR,
        ),
    ] = True,
    lookahead_ms: Annotated[
        int | None,
        typer.Option(
            "--lookahead-ms",
            min=0,
            max=10000,
            help="A cache-aware streaming model (fast_conformer, *_streaming_*): how much audio "
            "it hears after a word before emitting it, one it was trained with (e.g. 0, 80, "
            "480 or 1040); less is sooner and less accurate  \\[default: the model's]",
            rich_help_panel=_ASR,
        ),
    ] = None,
    model_cache_dir: ModelCacheDirFlag = None,
    openai_base_url: OpenAIBaseUrlFlag = None,
    openai_api_key: OpenAIApiKeyFlag = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline/--online",
            envvar="WOASR_OFFLINE",
            help="Never download models (also on when HF_HUB_OFFLINE=1).",
            rich_help_panel=_ASR,
        ),
    ] = False,
    json_events: Annotated[
        bool,
        typer.Option("--json", help="One JSON event (partial / final) per line on stdout."),
    ] = False,
) -> None:
    """Live captions: partial text updates in place, committed text is printed once.

    Stops at the end of the input, or on Ctrl-C / SIGTERM, after committing what is left.
    Exit codes: 0 done (Ctrl-C and SIGTERM too), 2 usage error, 1 any other error; 143 when
    the last pass after SIGTERM outlasts 8 s (the files as last written).
    """
    import os

    from woasr_cli.cli.to_stdout import STDOUT
    from woasr_cli.options import TranscribeOptions

    try:
        from woasr_cli.live.pcm_format import pcm_format_error
        from woasr_cli.live.setup import live_formats
        from woasr_cli.live.writers import LIVE_FORMATS

        if stdin and file is not None:
            raise UsageError("--stdin and --file are two different inputs: choose one")
        if realtime and file is None:
            raise UsageError("--realtime plays a --file at real-time pace; name the file")
        if audio_track is not None and file is None:
            raise UsageError("--audio-track picks one of a --file's audio tracks; name the file")
        if (sample_rate, channels) != (16000, 1) and not stdin:
            raise UsageError("--sample-rate and --channels describe raw PCM on --stdin")
        pcm_wrong = pcm_format_error(sample_rate, channels, ("--sample-rate", "--channels"))
        if pcm_wrong is not None:
            raise UsageError(pcm_wrong)
        if output_dir is not None and str(output_dir) == STDOUT:
            raise UsageError(
                "-o - : listen prints its captions on stdout already (--json for events);"
                " -o takes a folder for the files"
            )
        options = TranscribeOptions(
            provider=provider, model=model, language=language or None, beam_size=beam_size,
            device=device,  # type: ignore[arg-type]
            compute_type=compute_type,
            model_cache_dir=str(model_cache_dir) if model_cache_dir else None,
            offline=offline or os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0"),
            formats=live_formats(output_format or LIVE_FORMATS),
            openai_base_url=openai_base_url, openai_api_key=openai_api_key,
            audio_track=audio_track,
        )  # fmt: skip
        source = _source(
            stdin, file, realtime, input_device, (sample_rate, channels), options.audio_track
        )
        stem = None
        if output_dir is not None:
            stem = _output_stem(output_dir, name, file, options.formats, overwrite)
        run_listen(
            source, options, stem, vad=vad, json_events=json_events, lookahead_ms=lookahead_ms
        )
    except WoasrError as exc:
        typer.echo(f"woasr: error: {exc}", err=True)
        raise typer.Exit(exit_code_for(exc)) from None


def _source(
    stdin: bool,
    file: Path | None,
    realtime: bool,
    device: str | None,
    raw: tuple[int, int],
    track: int | str | None = None,
) -> AudioSource:
    from woasr_cli.live.sources import FileSource, Microphone, PcmStream

    if stdin:
        if sys.stdin.isatty():  # it would wait for typed "audio" until Ctrl-D
            raise UsageError(
                "--stdin reads audio piped in, and stdin is a terminal: "
                "e.g. ffmpeg -i talk.mp4 -f s16le -ac 1 -ar 16000 - | woasr listen --stdin"
            )
        return PcmStream(sys.stdin.buffer, rate=raw[0], channels=raw[1])
    if file is not None:
        if str(file) == "-" or (file.exists() and not file.is_file() and not file.is_dir()):
            raise UsageError(f"--file {file}: not a file but a stream; pipe it in with --stdin")
        if file.is_dir():
            raise UsageError(f"--file {file}: a directory, not a media file")
        if not file.is_file():
            raise UsageError(f"--file {file}: no such file")
        return FileSource(file, realtime=realtime, track=track)
    return Microphone(int(device) if device and device.isdigit() else device)


def _default_name(file: Path | None) -> str:
    return file.stem if file is not None else time.strftime("live-%Y%m%d-%H%M%S")


def _output_stem(
    output_dir: Path,
    name: str | None,
    file: Path | None,
    formats: tuple[str, ...],
    overwrite: bool,
) -> Path:
    """Where the files go. Files already there are not replaced unless asked: the stream
    writes its (empty) files at once, and what they held - an earlier session under the same
    --name, or `woasr transcribe`'s subtitles of the same --file - would be gone for good. A
    name of the clock's own (two sessions started in one second) takes the next free number."""
    from woasr_cli.outputs import output_paths

    stem = output_dir / (name or _default_name(file))
    taken = [p for p in output_paths(stem, formats) if p.exists() or p.is_symlink()]
    if not taken or overwrite:
        return stem
    if name is None and file is None:
        for number in range(2, 1000):
            numbered = stem.with_name(f"{stem.name}-{number}")
            if not any(p.exists() for p in output_paths(numbered, formats)):
                return numbered
    hint = "another --name" if name is not None else "--name"
    raise UsageError(
        f"{taken[0]} exists, and a live transcript cannot be made again: not replaced; "
        f"choose {hint}, or pass --overwrite"
    )


def run_listen(
    source: AudioSource,
    options: object,
    stem: Path | None,
    *,
    vad: bool,
    json_events: bool,
    lookahead_ms: int | None = None,
) -> None:
    from woasr_cli.cli.interrupts import StopFlag
    from woasr_cli.live.processor import StreamConfig
    from woasr_cli.live.session import run_stream
    from woasr_cli.live.setup import open_processor
    from woasr_cli.live.writers import GrowingTranscript, LiveOutputs
    from woasr_cli.options import TranscribeOptions

    assert isinstance(options, TranscribeOptions)
    processor = open_processor(options, StreamConfig(vad=vad), lookahead_ms=lookahead_ms)
    outputs = None
    if stem is not None:
        growing = GrowingTranscript(
            processor.options.provider, processor.options.model or "", source.name
        )
        outputs = LiveOutputs(stem, growing, options.formats)
        outputs.write(processor.language, 0.0)  # the files exist (empty) from the start
    screen = Screen(sys.stdout, json_events=json_events, tty=sys.stdout.isatty())
    # SIGTERM: time for the last words' pass (3 s was not enough for `base` on a busy core:
    # the tail was lost, exit 143), under the 10 s a container runtime gives before SIGKILL.
    stop = StopFlag(LISTEN_GRACE_S, resumable=False)
    stop.install()

    def sink(event: StreamEvent) -> None:
        if outputs is not None:  # the files first: they are what is kept
            outputs.add(event, processor.language, processor.received / 16000)
        screen.show(event)

    def should_stop() -> bool:
        # With nobody reading the screen, only files keep a stream worth listening to.
        return stop() or (screen.gone and outputs is None)

    failed = True
    try:
        run_stream(source, processor, sink, should_stop)
        failed = False
    finally:
        screen.close()
        if outputs is not None and failed and processor.received == 0:
            outputs.discard()
        elif outputs is not None:
            outputs.close(processor.language, processor.received / 16000)


class Screen:
    """Committed text printed once; the partial redrawn in place on a terminal."""

    def __init__(self, out: TextIO, *, json_events: bool, tty: bool) -> None:
        self.out = out
        self.json = json_events
        self.tty = tty and not json_events
        self._shown = False
        # Its reader has gone (``woasr listen --json | head``): the write failed, the stream
        # ended with exit 1 and the -o files held nothing of what had been committed.
        self.gone = False

    def show(self, event: StreamEvent) -> None:
        if self.gone:
            return
        try:
            self._show(event)
        except (OSError, ValueError):  # EPIPE; ValueError: the stream was closed
            self.gone = True

    def _show(self, event: StreamEvent) -> None:
        if self.json:
            self.out.write(json.dumps(event.to_dict(), ensure_ascii=False) + "\n")
        elif event.type == "final":
            self._clear()
            self.out.write(event.text + "\n")
        elif self.tty and event.text:
            width = shutil.get_terminal_size().columns - 1
            self._clear()
            self.out.write("\x1b[2m" + event.text[-width:] + "\x1b[0m")
            self._shown = True
        elif self.tty:
            self._clear()
        self.out.flush()

    def _clear(self) -> None:
        if self._shown:
            self.out.write("\r\x1b[2K")
            self._shown = False

    def close(self) -> None:
        if self.gone:
            return
        try:
            self._clear()
            self.out.flush()
        except (OSError, ValueError):
            self.gone = True
