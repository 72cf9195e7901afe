"""Typed options, built once (CLI flags, ``WOASR_*`` environment, a server request) and passed down.

:class:`TranscribeOptions` checks and normalises its own values when it is built, so a bad value
raises :class:`~woasr_cli.errors.UsageError` with the one-line message the CLI prints, before any
model loads. What depends on the provider (capabilities, the word-timestamp default) is settled
by :func:`woasr_cli.policy.prepare` when a :class:`~woasr_cli.Transcriber` or a batch starts.

Adding an option means one field here plus its CLI flag (a Typer parameter of the same name):
the CLI builds the options from its parsed parameters with :meth:`TranscribeOptions.from_mapping`.
A field whose ``metadata`` says ``fingerprint=False`` only shapes output files or scheduling;
``fingerprint()`` covers every other field, so the manifest can tell whether a finished job is
still valid.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from woasr_cli.errors import UsageError
from woasr_cli.languages import LANGUAGES, language_code

Task = Literal["transcribe", "translate"]
Device = Literal["auto", "cpu", "cuda"]
SubtitleLayout = Literal["default", "none"]

# Whisper decoding options (fields above): non-default values are checked against the engine
DECODING_OPTIONS: tuple[str, ...] = (
    "best_of",
    "patience",
    "condition_on_previous_text",
    "no_speech_threshold",
    "compression_ratio_threshold",
    "logprob_threshold",
    "hallucination_silence_threshold",
)

# Every output format woasr writes; ``all`` means DEFAULT_FORMATS (formats/ maps names to writers).
FORMAT_NAMES: tuple[str, ...] = ("vtt", "srt", "json", "txt", "tsv", "rttm")
ALL_FORMATS: tuple[str, ...] = ("vtt", "srt", "json", "txt", "tsv")
WHISPER_TEMPERATURES: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)

_OUTPUT_ONLY = {"fingerprint": False}  # shapes files or scheduling, never the transcript
_SECRET = {"fingerprint": False, "secret": True}  # never hashed, never written out
# Hashed only when set (not its default), so that fingerprints made before the field existed,
# or before it counted, stay valid: an upgrade alone re-runs no finished file.
_WHEN_SET = {"fingerprint": "when set"}
# Set by the pipeline, never by a caller: not read from a mapping, not written out.
_INTERNAL = {"fingerprint": "when set", "internal": True}


@dataclass(frozen=True)
class TranscribeOptions:
    provider: str = "faster_whisper"
    model: str | None = None  # None: the provider's default model
    language: str | None = None  # None: detect; a code ("ko") or a name ("Korean")
    task: Task = "transcribe"
    beam_size: int | None = None  # None: the engine's default (5 where it has beam search)
    temperature: tuple[float, ...] = WHISPER_TEMPERATURES  # also "0,0.2" or a single number
    initial_prompt: str | None = None
    hotwords: str | None = None
    word_timestamps: bool | None = None  # None: decided by woasr_cli.policy.prepare
    vad: bool | None = None  # None: on where the engine has voice activity detection
    # Of a file with several audio tracks, the one to transcribe: its place among them (0-based,
    # as ffmpeg's ``-map 0:a:N``) or its language tag as the file gives it ("eng"); None: the
    # one players play (media/tracks.py). Another track is other speech: another job.
    audio_track: int | str | None = field(default=None, metadata=_WHEN_SET)
    device: Device = field(default="auto", metadata=_OUTPUT_ONLY)
    # The precision asked changes the words (tiny.en on pyannote_sample.wav: int8 heard "I need
    # the design.", float32 "Neither did I."): asked, it counts. "default" (the engine's choice
    # for the device, int8 on a CPU) does not, as the device does not: fingerprints from before
    # it counted stay valid, and a manifest moved between machines is not redone.
    compute_type: str = field(default="default", metadata=_WHEN_SET)
    threads: int = field(default=0, metadata=_OUTPUT_ONLY)  # 0: chosen from the machine
    # 0: chosen from the machine; 1 disables batching
    batch_size: int = field(default=0, metadata=_OUTPUT_ONLY)
    # short chunks of several files share one 30 s model input
    pack: bool = field(default=False, metadata=_OUTPUT_ONLY)
    workers: int = field(default=0, metadata=_OUTPUT_ONLY)  # 0: chosen from the machine
    model_cache_dir: str | None = field(default=None, metadata=_OUTPUT_ONLY)  # ~/.cache/woasr
    # Never try a hub download; on by default when HF_HUB_OFFLINE is set
    offline: bool = field(default_factory=lambda: _hub_offline(), metadata=_OUTPUT_ONLY)
    # Post-processing
    align: bool = False
    align_model: str | None = None
    diarize: bool = False
    diarize_backend: str = "offline"
    diarize_model: str | None = None  # pyannote: pipeline directory, config.yaml or hub id
    num_speakers: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None
    # Names for the speakers in order of first appearance ("Alice,Bob" from the CLI)
    speaker_names: tuple[str, ...] = ()
    speakers_dir: str | None = None  # enrollment clips, one per person: alice.wav, bob.mp3
    hf_token: str | None = field(default=None, repr=False, compare=False, metadata=_SECRET)
    # External provider ``openai_api``: any OpenAI-compatible endpoint.
    openai_base_url: str | None = field(default=None, metadata=_WHEN_SET)
    openai_api_key: str | None = field(default=None, repr=False, compare=False, metadata=_SECRET)
    # Output shaping
    # "all": ALL_FORMATS, and rttm too with diarize
    formats: tuple[str, ...] = field(default=("all",), metadata=_OUTPUT_ONLY)
    max_line_width: int | None = field(default=None, metadata=_OUTPUT_ONLY)
    max_line_count: int | None = field(default=None, metadata=_OUTPUT_ONLY)
    highlight_words: bool = field(default=False, metadata=_OUTPUT_ONLY)
    # Whisper decoding, named as whisper and faster-whisper name them (their defaults); which
    # engine honours which is declared in its Capabilities (decoding_options)
    best_of: int = 5
    patience: float = 1.0
    condition_on_previous_text: bool = True
    no_speech_threshold: float | None = 0.6
    compression_ratio_threshold: float | None = 2.4
    logprob_threshold: float | None = -1.0
    hallucination_silence_threshold: float | None = None
    # Tokens one 30 s window may decode (faster-whisper); live passes cap it by their length
    max_new_tokens: int | None = field(default=None, metadata=_WHEN_SET)
    # Subtitle layout (srt, vtt): "default" shapes cues as subtitle guidelines ask (the limits
    # below, formats/layout.py); "none" keeps one cue per segment
    subtitle_layout: SubtitleLayout = field(default="default", metadata=_OUTPUT_ONLY)
    max_words_per_line: int | None = field(default=None, metadata=_OUTPUT_ONLY)
    max_cue_duration: float | None = field(default=None, metadata=_OUTPUT_ONLY)
    max_chars_per_second: float | None = field(default=None, metadata=_OUTPUT_ONLY)
    # ``language`` was detected on the file's first speech, not given: a decoder may take a
    # 30 s slot clearly spoken in another language in that one (providers/slot_language.py)
    language_detected: bool | None = field(default=None, metadata=_INTERNAL)

    def __post_init__(self) -> None:
        _normalise(self)

    def fingerprint(self) -> str:
        """A short stable hash of every field that changes the transcript."""
        blob = json.dumps(self.fingerprint_fields(), sort_keys=True, default=list)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def fingerprint_fields(self) -> dict[str, Any]:
        """What :meth:`fingerprint` hashes: every field that changes the transcript, and those
        hashed only when set, not left at their default (so that fingerprints made before they
        existed, or counted, stay valid)."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.metadata.get("fingerprint", True) is True
            or (f.metadata.get("fingerprint") == "when set" and getattr(self, f.name) != f.default)
        }

    def public_dict(self) -> dict[str, Any]:
        """Options as recorded in the JSON transcript (secrets left out)."""
        out = asdict(self)
        for f in fields(self):
            if f.metadata.get("secret") or f.metadata.get("internal"):
                out.pop(f.name, None)
        out["temperature"] = list(self.temperature)
        out["formats"] = list(self.formats)
        out["speaker_names"] = list(self.speaker_names)
        return out

    def with_changes(self, **changes: Any) -> TranscribeOptions:
        return replace(self, **changes)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> TranscribeOptions:
        """Options from a mapping (CLI parameters, a request, a stored job); keys that are not
        options are ignored, so a front end can pass everything it parsed, and ``None`` or an
        empty list (a flag not given) leaves the default."""
        known = {f.name for f in fields(cls) if not f.metadata.get("internal")}
        given = {k: v for k, v in data.items() if k in known and v not in (None, (), [])}
        return cls(**given)


def parse_formats(values: Iterable[str] | str, *, diarize: bool = False) -> tuple[str, ...]:
    """``-f`` values: repeatable, comma lists, ``all`` (= vtt, srt, json, txt, tsv, and rttm
    when speakers are labelled: ``diarize``)."""
    every = (*ALL_FORMATS, "rttm") if diarize else ALL_FORMATS
    chosen: dict[str, None] = {}
    for value in [values] if isinstance(values, str) else values:
        for name in (v.strip().lower() for v in value.split(",")):
            if not name:
                continue
            if name == "all":
                chosen.update(dict.fromkeys(every))
            elif name in FORMAT_NAMES:
                chosen[name] = None
            else:
                known = ", ".join([*FORMAT_NAMES, "all"])
                raise UsageError(f"unknown output format '{name}' (known: {known})")
    if not chosen:
        raise UsageError("no output format given")
    return tuple(chosen)


_TAG = re.compile(r"[a-z]{2,8}(-[a-z0-9]{1,8})*")  # "eng", "de", "pt-br"


def parse_audio_track(value: object) -> int | str:
    """``--audio-track``: a track number (``"1"`` too) or a language tag, lowercased."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())  # "²" and "٣" are digits to isdigit(), not to int()
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if value < 0:
            raise UsageError(f"--audio-track counts from 0 (the first audio track), not {value}")
        return int(value)
    if isinstance(value, str) and _TAG.fullmatch(value.strip().lower()):
        return value.strip().lower()
    raise UsageError(
        "--audio-track takes a track number (0 is the first audio track) or a language tag "
        f"as the file gives it (eng), not {value!r}"
    )


def parse_speaker_names(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"Alice, Bob"`` -> ("Alice", "Bob"); an empty item keeps that speaker's label."""
    if not value:
        return ()
    names = tuple(n.strip() for n in (value.split(",") if isinstance(value, str) else value))
    if not any(names):
        raise UsageError('--speaker-names takes names separated by commas: "Alice,Bob"')
    return names


def parse_temperature(value: str | float | Iterable[float] | None) -> tuple[float, ...]:
    """``0`` -> (0.0,), ``0,0.2,0.4`` -> as given; omitted -> Whisper's fallback schedule."""
    if value is None:
        return WHISPER_TEMPERATURES
    try:
        if isinstance(value, str):
            temps = tuple(float(v) for v in value.split(",") if v.strip())
        elif isinstance(value, (int, float)):
            temps = (float(value),)
        else:
            temps = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        raise UsageError(
            f"--temperature takes numbers separated by commas, not '{value}'"
        ) from None
    if not temps or any(t < 0 or t > 1.5 for t in temps):
        raise UsageError("--temperature values must lie between 0 and 1.5")
    return temps


# What a field of each plain type takes (numpy's integers and floats too); bool is not a number
# here, though Python counts it as one.
_KINDS: dict[str, tuple[type | tuple[type, ...], Any, str]] = {
    "int": (numbers.Integral, int, "a whole number"),
    "float": (numbers.Real, float, "a number"),
    "bool": (bool, bool, "true or false"),
    "str": ((str, os.PathLike), str, "text"),  # a folder may come as a Path (the CLI's)
}


def check_types(options: Any) -> None:
    """A value of the wrong type fails here, naming the option: ``beam_size="5"`` raised a
    TypeError, ``2.5`` got as far as CTranslate2, ``diarize="false"`` turned diarization on.
    ``options``: a dataclass of plain fields (TranscribeOptions, FormatOptions)."""
    for f in fields(options):
        kind = _KINDS.get(str(f.type).removesuffix(" | None"))
        value = getattr(options, f.name)
        if kind is None or value is None:
            continue
        accepted, canonical, words = kind
        if not isinstance(value, accepted) or (isinstance(value, bool) and canonical is not bool):
            flag = f.name.replace("_", "-")
            raise UsageError(f"--{flag} takes {words}, not {value!r}")
        if type(value) not in (canonical, int):  # numpy's: as Python's (JSON, fingerprints)
            object.__setattr__(options, f.name, canonical(value))


def _normalise(options: TranscribeOptions) -> None:
    """Check every value and put it in its one canonical form (frozen: set via object)."""

    def put(name: str, value: object) -> None:
        object.__setattr__(options, name, value)

    check_types(options)

    if options.task not in ("transcribe", "translate"):
        raise UsageError(f"--task must be transcribe or translate, not '{options.task}'")
    if options.device not in ("auto", "cpu", "cuda"):
        raise UsageError(f"--device must be auto, cpu or cuda, not '{options.device}'")
    if options.language is not None:
        put("language", _language(options.language))
    if options.audio_track is not None:
        put("audio_track", parse_audio_track(options.audio_track))
    put("temperature", parse_temperature(options.temperature))
    put("formats", parse_formats(options.formats, diarize=options.diarize))
    if "rttm" in options.formats and not options.diarize:
        raise UsageError("-f rttm needs --diarize: RTTM holds speaker turns, found by --diarize")
    if options.beam_size is not None and options.beam_size < 1:
        raise UsageError("--beam-size must be at least 1")
    for name in ("threads", "batch_size", "workers"):
        if getattr(options, name) < 0:
            raise UsageError(f"--{name.replace('_', '-')} must be 0 (automatic) or more")
    _check_decoding(options)
    check_layout(options)
    check_speaker_bounds(options.num_speakers, options.min_speakers, options.max_speakers)
    put("speaker_names", parse_speaker_names(options.speaker_names))
    if (options.speaker_names or options.speakers_dir) and not options.diarize:
        raise UsageError("--speaker-names and --speakers-dir name speakers: add --diarize")
    if isinstance(options.speakers_dir, Path):
        put("speakers_dir", str(options.speakers_dir))
    if isinstance(options.model_cache_dir, Path):
        put("model_cache_dir", str(options.model_cache_dir))
    if options.highlight_words:
        if options.word_timestamps is False:  # asked off: not silently turned back on
            raise UsageError(
                "--highlight-words underlines each word as it is spoken: it needs word "
                "timestamps (drop --no-word-timestamps)"
            )
        put("word_timestamps", True)
    blank_is_unset = ("model", "initial_prompt", "hotwords", "align_model", "diarize_model")
    for name in (*blank_is_unset, "openai_base_url", "openai_api_key"):
        if getattr(options, name) == "":
            put(name, None)


MAX_NEW_TOKENS = 220  # 448, less a prompt of 223 tokens, sot_prev and the sot sequence


def _check_decoding(options: TranscribeOptions) -> None:
    if options.best_of < 1:
        raise UsageError("--best-of must be at least 1")
    if options.patience <= 0:
        raise UsageError("--patience must be more than 0")
    threshold = options.hallucination_silence_threshold
    if threshold is not None and threshold <= 0:
        raise UsageError("--hallucination-silence-threshold must be more than 0")
    tokens = options.max_new_tokens
    if tokens is not None and not 1 <= tokens <= MAX_NEW_TOKENS:
        # Whisper's 448-token window holds the prompt too (earlier text and --initial-prompt,
        # up to 223 tokens, and 5 more of its own): 300 with a long prompt failed every file
        # with faster-whisper's ValueError, a paragraph long.
        raise UsageError(
            f"--max-new-tokens takes 1 to {MAX_NEW_TOKENS}: Whisper's 448-token window keeps "
            "the rest for the prompt (earlier text, --initial-prompt)"
        )


def check_layout(shape: Any) -> None:
    """The subtitle-shaping values, wherever they come from (TranscribeOptions, the
    FormatOptions that ``render`` and ``woasr convert`` take): a width of 0 or a cue of -1 s
    is refused, not turned into one word per cue."""
    if shape.subtitle_layout not in ("default", "none"):
        raise UsageError(
            f"--subtitle-layout must be default or none, not '{shape.subtitle_layout}'"
        )
    for name in ("max_line_width", "max_line_count", "max_words_per_line"):
        value = getattr(shape, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1")
    for name in ("max_cue_duration", "max_chars_per_second"):
        value = getattr(shape, name)
        if value is not None and value <= 0:
            raise UsageError(f"--{name.replace('_', '-')} must be more than 0")


def non_default_decoding(options: TranscribeOptions) -> list[str]:
    """The Whisper decoding options (DECODING_OPTIONS) set to something other than their
    default: what an engine must honour or refuse."""
    defaults = {f.name: f.default for f in fields(TranscribeOptions)}
    return [n for n in DECODING_OPTIONS if getattr(options, n) != defaults[n]]


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")


def _language(value: str) -> str | None:
    # "auto" as whisper.cpp and most subtitle tools spell "detect it"
    if not value.strip() or value.strip().lower() in ("auto", "detect"):
        return None
    code = language_code(value)
    if code is None:
        codes = ", ".join(LANGUAGES)
        raise UsageError(
            f"--language '{value}' is not a language Whisper knows; use a code or an English "
            f"name (codes: {codes})"
        )
    return code


def check_speaker_bounds(
    num_speakers: int | None, min_speakers: int | None, max_speakers: int | None
) -> None:
    """Reject impossible speaker-count options with a message naming the flags."""
    for name, value in (
        ("--num-speakers", num_speakers),
        ("--min-speakers", min_speakers),
        ("--max-speakers", max_speakers),
    ):
        if value is not None and value < 1:
            raise UsageError(f"{name} must be at least 1 (got {value})")
    if min_speakers is not None and max_speakers is not None and min_speakers > max_speakers:
        raise UsageError(
            f"--min-speakers ({min_speakers}) is larger than --max-speakers ({max_speakers})"
        )
    if num_speakers is not None and (
        (min_speakers is not None and num_speakers < min_speakers)
        or (max_speakers is not None and num_speakers > max_speakers)
    ):
        raise UsageError(
            f"--num-speakers ({num_speakers}) lies outside --min-speakers/--max-speakers"
        )
