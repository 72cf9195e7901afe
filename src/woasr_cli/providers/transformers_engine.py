"""``hf_auto_asr``: any transformers ASR model (Whisper-style seq2seq or CTC such as wav2vec2),
by hub id or local directory, through the transformers ASR pipeline with chunking for long
audio. Whisper models give segment timestamps; CTC models give word timestamps, which are
grouped into segments at pauses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from woasr_cli.errors import CapabilityError, ModelNotFound, first_line
from woasr_cli.languages import language_code
from woasr_cli.media.audio import SAMPLE_RATE, Audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.base import LanguageInfo
from woasr_cli.providers.compute_types import torch_dtype
from woasr_cli.providers.devices import pick_device, torch_cuda
from woasr_cli.providers.english_only import check_english_only
from woasr_cli.providers.registry import DEFAULT_BEAM_SIZE
from woasr_cli.providers.whisper_words import whisper_words
from woasr_cli.providers.word_groups import group_words
from woasr_cli.quiet_transformers import no_progress_bars
from woasr_cli.runtime import torch_threads
from woasr_cli.transcript import Segment, Word

DEFAULT_MODEL = "openai/whisper-tiny"
CHUNK_S = 30.0  # longer audio goes through the pipeline's strided chunking


class TransformersProvider:
    name = "hf_auto_asr"

    def __init__(self, pipe: Any, model_name: str) -> None:
        self._pipe = pipe
        self.model_name = model_name
        self.model_type = str(pipe.model.config.model_type)
        self.is_whisper = self.model_type == "whisper"
        generation = getattr(pipe.model, "generation_config", None)
        self.multilingual = bool(getattr(generation, "is_multilingual", True))
        # Whisper's word times come from the cross-attention heads its generation config names;
        # many fine-tuned models ship without them
        self.word_heads = getattr(generation, "alignment_heads", None) is not None

    def check(self, options: TranscribeOptions) -> None:
        """Refuse, before any audio, what this model cannot do (every file failed with a page
        of transformers' ValueError for word times from a model without alignment heads)."""
        if not self.is_whisper:
            if options.language:
                # It was written into the transcript as the language, never having been used.
                raise CapabilityError(
                    f"model '{self.model_name}' ({self.model_type}) cannot be told a language "
                    f"(--language {options.language}): it transcribes the one it was trained "
                    "on; drop --language"
                )
            return
        check_english_only(self.model_name, self.multilingual, options)
        if options.word_timestamps and not self.word_heads:
            raise CapabilityError(
                f"model '{self.model_name}' names no alignment heads (generation_config.json "
                "'alignment_heads'), which Whisper's word times need; use --align for word "
                "times, or drop --word-timestamps"
            )

    def transcribe(
        self, audio: Audio, options: TranscribeOptions
    ) -> tuple[Iterator[Segment], LanguageInfo]:
        if not self.is_whisper and options.task == "translate":
            raise CapabilityError(f"model '{self.model_name}' is CTC: it cannot translate")
        self.check(options)
        duration = len(audio) / SAMPLE_RATE
        kwargs: dict[str, Any] = {}
        if duration > CHUNK_S and not self.is_whisper:
            # CTC models: strided chunks. Whisper uses its own sequential long-form decoding.
            kwargs["chunk_length_s"] = CHUNK_S
            kwargs["stride_length_s"] = CHUNK_S / 6
        if self.is_whisper:
            kwargs["return_timestamps"] = "word" if options.word_timestamps else True
            generate: dict[str, Any] = {"num_beams": options.beam_size or DEFAULT_BEAM_SIZE}
            if self.multilingual:
                generate["task"] = options.task
                if options.language:
                    generate["language"] = options.language
                else:
                    kwargs["return_language"] = True  # each chunk says what it was heard as
            kwargs["generate_kwargs"] = generate
        else:
            kwargs["return_timestamps"] = "word"
        with torch_threads(options.threads):
            result = self._pipe({"raw": audio, "sampling_rate": SAMPLE_RATE}, **kwargs)
        chunks = result.get("chunks") or []
        if self.is_whisper and not options.word_timestamps:
            segments = _whisper_segments(chunks, result.get("text", ""), duration)
        else:
            words = _words(chunks, str(result.get("text", "")), duration)
            segments = group_words(words) if words else []
        return iter(segments), LanguageInfo(self._language(chunks, options))

    def _language(self, chunks: list[dict[str, Any]], options: TranscribeOptions) -> str | None:
        """What the transcript is in: the one asked for; English for an English-only Whisper;
        else what a multilingual Whisper detected (it was never read, so JSON said null though
        ``woasr providers`` lists lang-id); None for a CTC model told nothing."""
        if options.language or not self.is_whisper:
            return options.language
        if not self.multilingual:
            return "en"
        heard = (str(c["language"]) for c in chunks if c.get("language"))
        return next((code for name in heard if (code := language_code(name))), None)


def _span(chunk: dict[str, Any], duration: float) -> tuple[float, float]:
    start, end = chunk.get("timestamp") or (None, None)
    s = 0.0 if start is None else min(max(float(start), 0.0), duration)
    e = duration if end is None else min(max(float(end), s), duration)
    return s, e


def _whisper_segments(chunks: list[dict[str, Any]], text: str, duration: float) -> list[Segment]:
    if not chunks and text.strip():
        return [Segment(0.0, duration, text.strip())]
    out = []
    for chunk in chunks:
        start, end = _span(chunk, duration)
        if str(chunk.get("text", "")).strip():
            out.append(Segment(start, end, str(chunk["text"]).strip()))
    out.sort(key=lambda s: s.start)
    return out


def _words(chunks: list[dict[str, Any]], text: str, duration: float) -> list[Word]:
    """Word chunks in time order; a Whisper model's pieces of one word (no space before the
    later ones: "40" ",000") joined (whisper_words)."""
    pieces = [(*_span(c, duration), str(c.get("text", "")), None) for c in chunks]
    pieces.sort(key=lambda p: p[0])
    return whisper_words(pieces, text)


def _cached_snapshot(name: str) -> str:
    """A hub id from the local hub cache only (offline); one clear line if it is not there."""
    from huggingface_hub import snapshot_download

    try:
        return str(snapshot_download(name, local_files_only=True))
    except Exception as exc:  # huggingface_hub raises several types for "not cached"
        raise ModelNotFound(
            f"transformers model '{name}' is not in the local hub cache and woasr is offline: "
            f"pass a local model directory with --model ({type(exc).__name__})"
        ) from None


# A directory without one of these has weights and nothing to turn their output into text:
# transformers failed deep inside with "expected str, bytes or os.PathLike object, not
# NoneType".
_TOKENIZER_FILES = ("tokenizer.json", "vocab.json", "tokenizer_config.json", "vocab.txt")


def load(options: TranscribeOptions) -> TransformersProvider:
    from transformers import pipeline

    name = options.model or DEFAULT_MODEL
    local = Path(name).expanduser()
    if not local.is_dir() and (local.exists() or name.startswith((".", "/", "~"))):
        raise ModelNotFound(f"'{name}' is not a transformers model directory")
    if local.is_dir() and not any((local / f).is_file() for f in _TOKENIZER_FILES):
        raise ModelNotFound(
            f"transformers model directory '{name}' has no tokenizer "
            f"({', '.join(_TOKENIZER_FILES[:3])}, ...): save the processor beside the model "
            "(processor.save_pretrained(dir))"
        )
    source = str(local) if local.is_dir() else name
    if options.offline and not local.is_dir():
        source = _cached_snapshot(name)
    device = pick_device(options.device, torch_cuda, "transformers")
    dtype = torch_dtype(options.compute_type)  # None: as transformers loads the model
    try:
        with no_progress_bars():
            pipe = pipeline(
                "automatic-speech-recognition",
                model=source,
                device=0 if device == "cuda" else "cpu",
                **({} if dtype is None else {"dtype": dtype}),
            )
    except Exception as exc:  # a directory of the user's: transformers raises many types
        first = f"{first_line(exc)} ({type(exc).__name__})"
        hint = ""
        if options.offline and not local.is_dir():
            hint = "; offline: pass a local model directory with --model"
        raise ModelNotFound(f"cannot load transformers model '{name}': {first}{hint}") from None
    return TransformersProvider(pipe, name)
