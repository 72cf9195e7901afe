"""``whisperx``: whisperX's batched faster-whisper transcription.

The model resolves like faster-whisper's (local CTranslate2 directory, woasr cache, offline model
packages), and voice activity detection uses the Silero model bundled with faster-whisper, so no
hub download happens (whisperX's own VAD choices fetch pyannote or torch.hub weights).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from woasr_cli.errors import ModelNotFound, ProviderUnavailable, first_line
from woasr_cli.media.audio import Audio
from woasr_cli.models import resolve_ct2_model
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.base import LanguageInfo
from woasr_cli.providers.devices import ctranslate2_cuda, pick_device
from woasr_cli.providers.english_only import check_english_only
from woasr_cli.providers.faster_whisper_engine import (
    default_threads,
    pick_compute_type,
)
from woasr_cli.providers.registry import DEFAULT_BEAM_SIZE
from woasr_cli.transcript import Segment

DEFAULT_MODEL = "tiny.en"
BATCH_SIZE = 8
CHUNK_S = 30.0  # Whisper's window: the longest stretch of speech whisperX can decode


def _import_whisperx() -> Any:
    from woasr_cli.pyannote_audio import import_pyannote_audio

    # NVIDIA's telemetry logger (pulled in through lightning) warns at import that it is off.
    logging.getLogger("nv_one_logger").setLevel(logging.ERROR)
    try:
        # whisperX imports pyannote.audio (and through it torchaudio) at module level; a
        # torchaudio build that needs CUDA raises OSError there.
        import_pyannote_audio()
        import whisperx.asr
        from whisperx.vads import Vad
    except (ImportError, OSError) as exc:
        detail = first_line(exc)
        raise ProviderUnavailable("whisperx", "whisperx", f"import failed: {detail}") from None
    # whisperX logs INFO lines to stdout, where `woasr transcribe --json` writes its events.
    log = logging.getLogger("whisperx")
    log.handlers.clear()
    log.setLevel(logging.WARNING)
    log.propagate = True
    return whisperx.asr, Vad


def _silero_vad(vad_base: type) -> Any:
    """whisperX's Vad interface over faster-whisper's bundled Silero ONNX model."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from woasr_cli.providers import vad_batches

    vad_batches.install()  # bounded memory, and a quiet recording heard (vad_level.py)

    class _Turn:
        def __init__(self, start: float, end: float) -> None:
            self.start, self.end, self.speaker = start, end, None

    class BundledSilero(vad_base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__(0.5)

        @staticmethod
        def preprocess_audio(audio: Audio) -> Audio:
            return audio

        @staticmethod
        def merge_chunks(segments: list[_Turn], *args: Any, **kwargs: Any) -> list[Any]:
            # whisperX's own takes the first turn before looking: a file without speech (10 s
            # of silence) failed with "IndexError: list index out of range".
            merge: Any = vad_base.merge_chunks  # type: ignore[attr-defined]
            return merge(segments, *args, **kwargs) if segments else []

        def __call__(self, data: dict[str, Any], **_: Any) -> list[_Turn]:
            rate = int(data["sample_rate"])
            # Speech is cut at 30 s (at its last short pause, else there): whisperX merges
            # stretches into 30 s chunks but never splits one, and a lecture's 44 s without a
            # pause of 2 s failed the file ("expected (1, 80, 3000) ... got (1, 80, 4400)").
            vad = VadOptions(speech_pad_ms=800, max_speech_duration_s=CHUNK_S)
            spans = get_speech_timestamps(data["waveform"], vad)
            return [_Turn(s["start"] / rate, s["end"] / rate) for s in spans]

    return BundledSilero()


class WhisperXProvider:
    name = "whisperx"

    def __init__(self, pipeline: Any, model_name: str) -> None:
        self._pipeline = pipeline
        self.model_name = model_name
        self.multilingual = bool(pipeline.model.model.is_multilingual)

    def transcribe(
        self, audio: Audio, options: TranscribeOptions
    ) -> tuple[Iterator[Segment], LanguageInfo]:
        language = options.language
        if not self.multilingual:
            # whisperX only knows a model is English-only from a name ending in ".en", not
            # from a directory, and would then run language detection, which such models lack.
            check_english_only(self.model_name, self.multilingual, options)
            language = "en"
        # The decoding options of this call (a Transcriber's per-call prompt, beam, ...):
        # whisperX keeps those it was loaded with, and a call's own were dropped.
        self._pipeline.options = replace(self._pipeline.options, **_asr_options(options))
        result = self._pipeline.transcribe(
            audio,
            batch_size=options.batch_size or BATCH_SIZE,
            language=language,
            task=options.task,
        )
        segments = [
            Segment(float(s["start"]), float(s["end"]), str(s["text"]).strip())
            for s in result["segments"]
        ]
        if not result["segments"]:  # no speech: no language heard (whisperX guesses one)
            return iter(()), LanguageInfo(options.language)
        return iter(segments), LanguageInfo(result.get("language") or options.language)


def _asr_options(options: TranscribeOptions) -> dict[str, Any]:
    """whisperX's decoding options (faster-whisper's TranscriptionOptions fields) of a call."""
    return {
        "beam_size": options.beam_size or DEFAULT_BEAM_SIZE,
        "patience": options.patience,
        "temperatures": list(options.temperature),
        "initial_prompt": options.initial_prompt,
        "hotwords": options.hotwords,
    }


def load(options: TranscribeOptions) -> WhisperXProvider:
    asr, vad_base = _import_whisperx()
    name = options.model or DEFAULT_MODEL
    cache = Path(options.model_cache_dir) if options.model_cache_dir else None
    location = resolve_ct2_model(name, cache, offline=options.offline)
    device = pick_device(options.device, ctranslate2_cuda, "whisperX")
    # load_model print()s that it ignores vad_method for the VAD given here: nothing to tell.
    with (
        open(os.devnull, "w") as devnull,
        contextlib.redirect_stdout(devnull),
        _load_errors(name, location.path),
    ):
        pipeline = asr.load_model(
            str(location.path),
            device=device,
            compute_type=pick_compute_type(options.compute_type, device),
            asr_options={"condition_on_previous_text": False, **_asr_options(options)},
            language=options.language,
            vad_model=_silero_vad(vad_base),
            task=options.task,
            local_files_only=True,
            threads=options.threads or default_threads(1),
        )
    return WhisperXProvider(pipeline, name)


@contextlib.contextmanager
def _load_errors(name: str, path: Path) -> Iterator[None]:
    """CTranslate2's refusals (a model.bin it cannot read, float16 on a CPU) as one line, as
    faster_whisper gives them; they were tracebacks."""
    try:
        yield
    except (RuntimeError, ValueError) as exc:
        raise ModelNotFound(f"cannot load model '{name}' from {path}: {first_line(exc)}") from None
